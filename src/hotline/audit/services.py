"""The one writer of the security log."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from .models import AuditEntry


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as the server saw it. Behind a proxy, configure the proxy to set
    REMOTE_ADDR (e.g. gunicorn's --forwarded-allow-ips); a client-sent header is never trusted."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(kind: str, *, actor: Any = None, request: HttpRequest | None = None, username: str = "",
           target: str = "", **data: Any) -> AuditEntry:
    """Append one entry. `actor` is the user who acted (None for an anonymous or automatic act);
    `data` must be JSON-serialisable."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEntry.objects.create(
        at=timezone.now(), kind=kind, actor=actor, username=(username or getattr(actor, "username", "") or "")[:150],
        ip=client_ip(request), target=target[:200], data=data,
    )
