"""Pages of the public part shared by filing, following and the disclosure."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.i18n import set_language


@csrf_exempt
@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """Django's language switch without a CSRF token, so that the public pages carry none and can
    be cached by browsers and proxies for everybody (a page with a token sets a `csrftoken` cookie
    that a shared cache must never hand to another visitor). A forged switch can do no more than
    change a visitor's language; the redirect stays on this site (set_language checks `next`)."""
    return set_language(request)
