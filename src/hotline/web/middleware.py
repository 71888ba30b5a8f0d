"""Chinese first: the interface is in Simplified Chinese unless the user chose another language
(the language switch sets a cookie). A browser's Accept-Language is not consulted, so an
intranet PC with an English system still shows the centre's working language.

And a page's domain error (a bad period, a bad id...) becomes its 4xx page with the message in
the user's language, never a 500 (the API maps the same errors to JSON itself)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

from hotline.errors import DomainError


class ChosenLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        response.headers.setdefault("Vary", "Cookie")
        return response


class PrivatePagesMiddleware:
    """What a signed-in user is shown (callers' names and numbers, orders) is not kept by the
    browser or a proxy (OWASP ASVS 8.2.1): `Cache-Control: private, no-store` on every response
    to a signed-in user that does not set its own. Static assets are served before this, by
    WhiteNoise, and stay cacheable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "private, no-store"
        return response


class DomainErrorMiddleware:
    """A DomainError that a page lets through is rendered as that error's 4xx page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        return render(request, [f"{exception.status}.html", "400.html"], {"message": exception.message, "code": exception.code},
                      status=exception.status)
