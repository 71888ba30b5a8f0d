from django.contrib import admin
from django.urls import include, path

from hotline.api.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("tokens/", include("hotline.api.urls")),
    path("open311/", include("hotline.open311.urls")),
    path("triage/", include("hotline.triage.urls")),
    path("assessment/", include("hotline.assessment.urls")),
    path("governance/", include("hotline.governance.urls")),
    path("citylink/", include("hotline.citylink.urls")),
    path("outbox/", include("hotline.outbox.urls")),
    path("notify/", include("hotline.notify.urls")),
    path("public/", include("hotline.public.urls")),
    path("", include("hotline.web.urls")),
]
# No route to MEDIA_ROOT, whatever DEBUG says: evidence is served only through the order's
# checked view (web/views/evidence.py).
