"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) over the work orders: services from
the categories, requests posted through the intake action, and a public, privacy-safe read of
orders. See docs/open311.md for what is published and why."""
