"""How the API knows who is calling: an API key (`Authorization: Bearer hlk_…` or `X-Api-Key`), or
the pages' session cookie (with its CSRF token). A presented key is final: a wrong key is refused
even when a session cookie comes with it, and a right one acts as the key's user."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from . import keys


def _as_key(request: HttpRequest, raw: str) -> Any:
    key = keys.authenticate(raw, scope=keys.required_scope(request.method or "GET", request.path), request=request)
    request.user = key.user  # the trace and orders_visible_to see the key's user
    request.api_key = key  # type: ignore[attr-defined]
    return key


class BearerKey(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return _as_key(request, token)


class HeaderKey(APIKeyHeader):
    param_name = "X-Api-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return _as_key(request, key) if key else None


API_AUTH = [BearerKey(), HeaderKey(), django_auth]
