"""/public/: filing and following (citizen_urls) and the disclosure under /public/stats/
(disclosure_urls). The part can be served on its own host name: nothing in it links to a staff
page."""

from django.urls import include, path

from . import views

app_name = "public"

urlpatterns = [
    path("language/", views.language, name="language"),
    path("stats/", include("hotline.public.disclosure_urls")),
    path("", include("hotline.public.citizen_urls")),
]
