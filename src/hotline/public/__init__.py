"""The citizens' part of the site, under /public/: file a request, follow it with its query code,
evaluate it online, and the district's public disclosure (社会公示). No staff login, no staff data:
what it shows of an order is chosen field by field, never a staff page with parts hidden."""
