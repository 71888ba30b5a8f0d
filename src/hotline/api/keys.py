"""PLACEHOLDER for the API keys the lead is building on main (issue #12 item 1).

Only the interface that Open311 codes against: `authenticate(raw_key, *, scope, request=None)` and
`create_system_key(name=..., scopes=[...], role=...)`. Keys live in this process's memory (enough
for tests, including a live server in the same process). On merging main, take main's file.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from hotline.directory.models import User
from hotline.errors import DomainError, NotAllowed


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401


@dataclass
class ApiKey:
    name: str
    user: User
    scopes: list[str] = field(default_factory=list)
    revoked: bool = False


_KEYS: dict[str, ApiKey] = {}
_LOCK = threading.Lock()


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_system_key(*, name: str, scopes: list[str], role: str = "system", unit: Any = None) -> tuple[ApiKey, str]:
    user = User.objects.create(username=f"apikey-{name}", display_name=name, role=role, unit=unit)
    raw = secrets.token_urlsafe(32)
    key = ApiKey(name=name, user=user, scopes=list(scopes))
    with _LOCK:
        _KEYS[_digest(raw)] = key
    return key, raw


def authenticate(raw_key: str, *, scope: str, request: Any = None) -> ApiKey:
    with _LOCK:
        key = _KEYS.get(_digest(raw_key or ""))
    user = User.objects.filter(pk=key.user.pk, is_active=True).first() if key is not None else None
    if key is None or key.revoked or user is None:
        raise Unauthenticated(_("API密钥无效。"))
    key.user = user
    if scope not in key.scopes:
        raise NotAllowed(_("API密钥无权访问此接口。"))
    return key
