from django.urls import re_path

from . import views

app_name = "open311"

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^v2/services" + FMT, views.service_list, name="services"),
    re_path(r"^v2/services/(?P<code>[^/]{1,40})" + FMT, views.service_definition, name="service"),
    re_path(r"^v2/requests" + FMT, views.requests, name="requests"),
    re_path(r"^v2/requests/(?P<number>[^/]{1,40})" + FMT, views.request_detail, name="request"),
    # Anything else under /open311/: the spec's 404, in XML when the path asks for it.
    re_path(r"^(?P<rest>.*)\.(?P<fmt>xml)$", views.not_found),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
