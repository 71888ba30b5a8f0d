"""API keys and personal tokens: create, find, check, revoke. The only writer of ApiKey rows.

A key looks like `hlk_<prefix>_<secret>`: the prefix (8 characters) finds the row, the whole key is
compared by its SHA-256. A **system key** acts as its own user `api.<name>` (role and unit chosen by
the administrator), so the trace names the system that acted and orders_visible_to decides what it
sees: a unit's key sees that unit's orders only. A **personal token** acts as the person who made
it, with at most the scopes they chose. Either is limited to `rate_per_minute` requests per minute
(a counter per key and minute in the database, shared by every process) and to its scopes, which
say what the key may do whatever its user's role allows: both must agree."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.audit import services as audit
from hotline.audit.services import client_ip
from hotline.directory.models import Unit
from hotline.directory.roles import UNIT_ROLES, Role
from hotline.errors import InvalidInput, NotAllowed, RateLimited, Unauthenticated

from .models import ApiKey, ApiKeyWindow

PREFIX_CHARS = 8
KEY_RE = re.compile(r"^hlk_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{20,100})$")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
LAST_USE_EVERY = dt.timedelta(seconds=60)  # how often a key's last use is written (not on every request)


@dataclass(frozen=True)
class Scope:
    code: str
    label: object


# What a key may be allowed to do. A key without a scope cannot use the endpoints that need it.
SCOPES: dict[str, Scope] = {s.code: s for s in [
    Scope("orders:read", gettext_lazy("查看工单及其留痕")),
    Scope("orders:create", gettext_lazy("受理新工单")),
    Scope("orders:act", gettext_lazy("对工单执行操作（签收、答复等）")),
    Scope("evidence:write", gettext_lazy("上传证据材料")),
    Scope("open311", gettext_lazy("通过Open311接口提交诉求")),
]}

# Which scope each API request needs, first match wins: (method, path under /api/ as a regex, scope).
API_SCOPES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"^orders/[^/]+/evidence/?$"), "evidence:write"),
    ("POST", re.compile(r"^orders/[^/]+/actions/"), "orders:act"),
    ("POST", re.compile(r"^orders/?$"), "orders:create"),
    ("GET", re.compile(r""), "orders:read"),
    ("HEAD", re.compile(r""), "orders:read"),
]
# Roles a system key may act as: not the administrator (keys do not configure the district) nor the
# internal SYSTEM actor (triage), nor the city platform (it signs its requests: hotline.citylink), nor
# the citizens' web channel (only hotline.public acts as it, for a citizen who gave the query code).
SYSTEM_KEY_ROLES = frozenset(Role) - {Role.ADMIN, Role.SYSTEM, Role.CITY, Role.PUBLIC}


def _now() -> dt.datetime:
    return timezone.now()


def required_scope(method: str, path: str) -> str:
    """The scope an API request needs (`path` is request.path; anything not listed needs orders:act)."""
    rel = path.split("/api/", 1)[-1]
    for verb, pattern, scope in API_SCOPES:
        if method.upper() == verb and pattern.search(rel):
            return scope
    return "orders:act"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _scopes(scopes: list[str] | tuple[str, ...] | None) -> list[str]:
    chosen = list(dict.fromkeys(s.strip() for s in (scopes or []) if s and s.strip()))
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        raise InvalidInput(_("未知的权限范围：%(s)s（可选：%(all)s）。") % {"s": ", ".join(unknown), "all": ", ".join(SCOPES)},
                           details={"scopes": [_("未知的权限范围。")]})
    if not chosen:
        raise InvalidInput(_("请至少选择一个权限范围。"), details={"scopes": [_("请至少选择一个权限范围。")]})
    return chosen


def _expiry(days: int | None, now: dt.datetime) -> dt.datetime | None:
    if days is None:
        return None
    if not 1 <= int(days) <= 3650:
        raise InvalidInput(_("有效期须在1至3650天之间。"), details={"expires_days": [_("有效期须在1至3650天之间。")]})
    return now + dt.timedelta(days=int(days))


def _rate(rate: int | None) -> int:
    rate = settings.HOTLINE_API_RATE_PER_MINUTE if rate is None else int(rate)
    if not 1 <= rate <= 100_000:
        raise InvalidInput(_("每分钟请求上限须在1至100000之间。"), details={"rate": [_("超出范围。")]})
    return rate


def _new_secret() -> tuple[str, str]:
    while True:
        prefix = secrets.token_hex(PREFIX_CHARS // 2)
        if not ApiKey.objects.filter(prefix=prefix).exists():
            return prefix, f"hlk_{prefix}_{secrets.token_urlsafe(32)}"


def create_system_key(*, name: str, scopes: list[str], role: str = Role.AGENT.value, unit_code: str = "",
                      rate: int | None = None, expires_days: int | None = None, created_by=None,
                      request: HttpRequest | None = None) -> tuple[ApiKey, str]:
    """A key for another system, acting as its own user `api.<name>`. Returns the row and the raw key
    (shown once: only its hash is kept)."""
    name = (name or "").strip().lower()
    if not NAME_RE.match(name):
        raise InvalidInput(_("名称须为2至60个小写字母、数字或 . _ -，以字母或数字开头。"),
                           details={"name": [_("名称格式不正确。")]})
    try:
        role_enum = Role(role)
    except ValueError:
        role_enum = None
    if role_enum not in SYSTEM_KEY_ROLES:
        raise InvalidInput(_("系统密钥的角色须为：%(r)s。") % {"r": ", ".join(sorted(r.value for r in SYSTEM_KEY_ROLES))},
                           details={"role": [_("角色不可用。")]})
    unit = None
    if role_enum in UNIT_ROLES:
        unit = Unit.objects.filter(code=(unit_code or "").strip(), active=True).first()
        if unit is None:
            raise InvalidInput(_("承办单位角色的密钥须指定有效的单位编码。"), details={"unit": [_("单位编码不存在。")]})
    elif unit_code:
        raise InvalidInput(_("只有承办单位角色的密钥才指定单位。"), details={"unit": [_("此角色不属于单位。")]})
    chosen, now = _scopes(scopes), _now()
    expires, per_minute = _expiry(expires_days, now), _rate(rate)
    users = get_user_model().objects
    with transaction.atomic():
        if ApiKey.objects.filter(kind=ApiKey.Kind.SYSTEM, name=name, revoked_at__isnull=True).exists():
            raise InvalidInput(_("已有同名的有效密钥：请先吊销它，或换一个名称。"), details={"name": [_("名称已被使用。")]})
        username = f"api.{name}"
        user = users.filter(username=username).first()
        if user is None:
            user = users.create(username=username, role=role_enum.value, unit=unit, display_name=name, is_active=True)
        else:
            # A name used before (its key revoked): the same account acts again, with the new role.
            user.role, user.unit, user.is_active = role_enum.value, unit, True
            user.save(update_fields=["role", "unit", "is_active"])
        user.set_unusable_password()  # never logs in to the pages
        user.save(update_fields=["password"])
        prefix, raw = _new_secret()
        key = ApiKey.objects.create(name=name, kind=ApiKey.Kind.SYSTEM, user=user, prefix=prefix, secret_hash=_hash(raw),
                                    scopes=chosen, rate_per_minute=per_minute, created_by=created_by, created_at=now,
                                    expires_at=expires)
        audit.record("apikey_create", actor=created_by, request=request, target=str(key), scopes=chosen,
                     role=role_enum.value, unit=unit.code if unit else "")
    return key, raw


def create_personal_token(*, user, name: str, scopes: list[str], expires_days: int | None = None,
                          request: HttpRequest | None = None) -> tuple[ApiKey, str]:
    """A token for a person's own app: it acts as the person, within the scopes chosen."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 80 or not name.isprintable():
        raise InvalidInput(_("请填写令牌名称（1至80个字符）。"), details={"name": [_("请填写令牌名称。")]})
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.role == Role.SYSTEM.value:
        raise NotAllowed(_("此账号不能创建令牌。"))
    chosen, now = _scopes(scopes), _now()
    expires = _expiry(settings.HOTLINE_TOKEN_DAYS if expires_days is None else expires_days, now)
    with transaction.atomic():
        prefix, raw = _new_secret()
        key = ApiKey.objects.create(name=name, kind=ApiKey.Kind.PERSONAL, user=user, prefix=prefix,
                                    secret_hash=_hash(raw), scopes=chosen, rate_per_minute=_rate(None),
                                    created_by=user, created_at=now, expires_at=expires)
        audit.record("apikey_create", actor=user, request=request, target=str(key), scopes=chosen, personal=True)
    return key, raw


def revoke(key: ApiKey, *, by=None, reason: str = "", request: HttpRequest | None = None) -> bool:
    """Revoke a key (at once, for every process). False if it was revoked already."""
    reason = (reason or "").strip()[:200]
    with transaction.atomic():
        done = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=_now(), revoked_by=by, revoked_reason=reason)
        if done and key.kind == ApiKey.Kind.SYSTEM and not ApiKey.objects.filter(
                user_id=key.user_id, revoked_at__isnull=True).exists():
            # The system's account stays (the trace refers to it) but can no longer see anything.
            get_user_model().objects.filter(pk=key.user_id).update(is_active=False)
        if done:
            audit.record("apikey_revoke", actor=by, request=request, target=str(key), reason=reason)
    key.refresh_from_db()
    return bool(done)


def find(raw: str) -> ApiKey | None:
    """The key row for a raw key, if the key is well-formed and its hash matches (no other check)."""
    match = KEY_RE.match(raw or "")
    if match is None:
        return None
    key = ApiKey.objects.select_related("user").filter(prefix=match.group(1)).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(raw)):
        return None
    return key


def authenticate(raw: str, *, scope: str, request: HttpRequest | None = None) -> ApiKey:
    """The key for `raw` if it may be used now for `scope`; otherwise Unauthenticated (unknown,
    expired or revoked), NotAllowed (`insufficient_scope`) or RateLimited. Counts the request."""
    key = find((raw or "").strip())
    now = _now()
    if key is None:
        raise Unauthenticated(_("接口密钥无效。"), code="invalid_key")
    if key.revoked_at is not None:
        raise Unauthenticated(_("接口密钥已被吊销。"), code="invalid_key")
    if key.expires_at is not None and key.expires_at <= now:
        raise Unauthenticated(_("接口密钥已过期。"), code="invalid_key")
    if not key.user.is_active:
        raise Unauthenticated(_("接口密钥所属账号已停用。"), code="invalid_key")
    if scope not in key.scopes:
        raise NotAllowed(_("此密钥无权执行此操作（需要权限范围“%(s)s”）。") % {"s": scope}, code="insufficient_scope",
                         details={"scope": scope})
    _count(key, now)
    if key.last_used_at is None or now - key.last_used_at >= LAST_USE_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now, last_used_ip=client_ip(request))
    return key


def _count(key: ApiKey, now: dt.datetime) -> None:
    minute = now.replace(second=0, microsecond=0)
    window = ApiKeyWindow.objects.filter(key=key, minute=minute)
    with transaction.atomic():
        if not window.update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    ApiKeyWindow.objects.create(key=key, minute=minute, count=1)
                ApiKeyWindow.objects.filter(key=key, minute__lt=minute - dt.timedelta(hours=1)).delete()
            except IntegrityError:  # another process opened this minute first
                window.update(count=F("count") + 1)
        count = window.values_list("count", flat=True).first() or 0
    if count > key.rate_per_minute:
        wait = 60 - (now - minute).total_seconds()
        raise RateLimited(_("请求过于频繁：此密钥每分钟最多%(n)d次，请稍后再试。") % {"n": key.rate_per_minute},
                          retry_after=int(wait) + 1, details={"retry_after": int(wait) + 1})


def presented_key(request: HttpRequest) -> str | None:
    """The key a request carries: `Authorization: Bearer <key>` or `X-Api-Key: <key>` (None if neither)."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.headers.get("X-Api-Key") or None
