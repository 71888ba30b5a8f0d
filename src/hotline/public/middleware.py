"""The public part on its own host name: when a request comes for one of
settings.HOTLINE_PUBLIC_HOSTS, only the public pages, the static files and the language switch are
served there; every other path (staff login, admin, API, the staff pages) is a 404, so nothing of
the staff side can be reached through the public host name. "/" there goes to /public/."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.http.request import split_domain_port
from django.utils.translation import gettext as _

PUBLIC_PREFIXES = ("/public/", "/static/", "/i18n/")


class PublicHostMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        hosts = getattr(settings, "HOTLINE_PUBLIC_HOSTS", ())
        if hosts:
            domain, _port = split_domain_port(request.get_host())
            if domain.lower() in {h.lower() for h in hosts}:
                path = request.path_info
                if path == "/":
                    return HttpResponseRedirect("/public/")
                if not path.startswith(PUBLIC_PREFIXES):
                    return HttpResponseNotFound(
                        "<!doctype html><html lang=\"zh-Hans\"><head><meta charset=\"utf-8\"><title>404</title></head>"
                        f"<body><main><h1>{_('页面不存在')}</h1><p><a href=\"/public/\">{_('返回市民服务首页')}</a></p>"
                        "</main></body></html>", content_type="text/html; charset=utf-8")
        return self.get_response(request)
