"""POST requests: a GeoReport request, form-encoded as the spec says, becomes a work order
through the intake action (orders.actions.do_create), as the API key's system user.

Retries. GeoReport has no idempotency key, and a phone app on a bad network posts again when it
saw no answer. A retry is recognised in two ways: the client's own `Idempotency-Key` header (the
typed API's convention), or, without one, the same `device_id` posting the same body on the same
day. Either becomes the order's idempotency key, scoped to the API key's user, so do_create gives
back the first order instead of a second. The day bounds the second rule: the same device may
report the same pothole again next week and that is a new request. Without a header or a
device_id every post is a new order (the triage's duplicate check still sees it)."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.directory.models import Area, User
from hotline.errors import Conflict, InvalidInput
from hotline.orders import actions
from hotline.orders.models import Channel, Urgency, WorkOrder
from hotline.orders.validation import phone_error

from . import services
from .models import Open311Request

FIELDS = ("service_code", "lat", "long", "address_string", "address_id", "email", "device_id", "account_id",
          "first_name", "last_name", "phone", "description", "media_url")
# Sent by clients, not part of the request itself.
IGNORED = ("api_key", "jurisdiction_id")
ATTRIBUTE = re.compile(r"^attribute\[([A-Za-z0-9_-]{1,40})\](?:\[\])?$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s.]{1,63}$")
URL = re.compile(r"^https?://[^\s<>\"]{1,490}$")
TITLE_CHARS = 30


@dataclass
class Posted:
    order: WorkOrder
    replayed: bool


def _one(data: QueryDict, name: str, errors: dict[str, list[str]]) -> str:
    values = data.getlist(name)
    if len(values) > 1:
        errors.setdefault(name, []).append(_("只能填写一个值。"))
        return ""
    value = values[0] if values else ""
    if "\x00" in value:
        errors.setdefault(name, []).append(_("内容含有无法保存的控制字符。"))
        return ""
    return value.strip()


def _short(name: str, value: str, limit: int, errors: dict[str, list[str]]) -> str:
    if len(value) > limit:
        errors.setdefault(name, []).append(_("不能超过%(n)d个字符。") % {"n": limit})
    return value


def _coordinate(name: str, raw: str, limit: float, errors: dict[str, list[str]]) -> float | None:
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not -limit <= value <= limit:
        errors.setdefault(name, []).append(_("坐标格式不正确或超出范围。"))
        return None
    return value


def _area(code: str, name: str, errors: dict[str, list[str]]) -> Area | None:
    if not code:
        return None
    area = Area.objects.filter(code=code).first()
    if area is None:
        errors.setdefault(name, []).append(_("区域不存在：请使用服务定义中列出的区域编码。"))
    return area


def parse(data: QueryDict) -> tuple[actions.Intake, dict[str, Any]]:
    """The intake and the GeoReport-only fields of a posted form; InvalidInput with every
    field's problems at once."""
    errors: dict[str, list[str]] = {}
    v = {name: _one(data, name, errors) for name in FIELDS}
    attrs: dict[str, str] = {}
    known = {a.code: a for a in services.attributes()}
    for name in data:
        if name in FIELDS or name in IGNORED:
            continue
        match = ATTRIBUTE.match(name)
        if match is None:
            continue  # other fields a client adds are not ours to refuse
        code = match.group(1)
        if code not in known:
            errors.setdefault(name, []).append(_("未知的属性：请使用服务定义中列出的属性。"))
            continue
        attrs[code] = _one(data, name, errors)

    category = None
    if not v["service_code"]:
        errors.setdefault("service_code", []).append(_("请填写服务代码（service_code）。"))
    else:
        category = services.service_category(v["service_code"])
        if category is None:
            errors.setdefault("service_code", []).append(_("服务代码不存在。"))
    lat = _coordinate("lat", v["lat"], 90, errors)
    lon = _coordinate("long", v["long"], 180, errors)
    if (lat is None) != (lon is None) and "lat" not in errors and "long" not in errors:
        errors.setdefault("lat", []).append(_("经纬度须同时填写。"))
    if lat is None and lon is None and not v["address_string"] and not v["address_id"] and not errors.get("lat"):
        errors.setdefault("address_string", []).append(
            _("请提供位置：经纬度（lat、long）、地址（address_string）或区域编码（address_id）至少一项。"))
    address = _short("address_string", v["address_string"], 200, errors)
    area = _area(attrs.get("area", ""), "attribute[area]", errors)
    by_id = _area(v["address_id"], "address_id", errors)
    if area and by_id and area != by_id:
        errors.setdefault("address_id", []).append(_("区域编码与属性中的区域不一致。"))
    area = area or by_id
    urgency = attrs.get("urgency") or ""  # omitted: the category's default urgency
    if urgency and urgency not in Urgency.values:
        errors.setdefault("attribute[urgency]", []).append(_("未知的紧急程度：请使用服务定义中列出的值。"))
    description = v["description"]
    if not description:
        errors.setdefault("description", []).append(_("请填写诉求内容（description）。"))
    title = attrs.get("title") or _title_from(description)
    if len(title) > 200:
        errors.setdefault("attribute[title]", []).append(_("标题不能超过%(n)d个字。") % {"n": 200})
    email = _short("email", v["email"], 254, errors)
    if email and not EMAIL.match(email):
        errors.setdefault("email", []).append(_("电子邮箱格式不正确。"))
    for name in ("device_id", "account_id"):
        _short(name, v[name], 100, errors)
        if v[name] and not v[name].isprintable():
            errors.setdefault(name, []).append(_("内容含有无法保存的控制字符。"))
    media_url = _short("media_url", v["media_url"], 500, errors)
    if media_url and not URL.match(media_url):
        errors.setdefault("media_url", []).append(_("图片地址须为 http 或 https 网址。"))
    caller_name = (v["last_name"] + v["first_name"]).strip()  # 姓 then 名
    if len(caller_name) > 50:
        errors.setdefault("first_name", []).append(_("姓名过长。"))
    msg = phone_error(v["phone"])
    if msg:
        errors.setdefault("phone", []).append(msg)
    if errors:
        raise InvalidInput(_("请求内容有误，请修改后再提交。"), details=errors)
    intake = actions.Intake(
        title=title, description=description, caller_name=caller_name, caller_phone=v["phone"],
        channel=Channel.OPEN311, address=address, area_id=area.pk if area else None,
        category_id=category.pk if category else None, urgency=urgency, latitude=lat, longitude=lon,
    )
    extra = {"email": email, "device_id": v["device_id"], "account_id": v["account_id"], "media_url": media_url,
             "attributes": attrs}
    return intake, extra


def _title_from(description: str) -> str:
    line = " ".join(description.split())
    return line if len(line) <= TITLE_CHARS else line[:TITLE_CHARS] + "…"


def _key(intake: actions.Intake, extra: dict[str, Any], actor: User, header: str) -> str | None:
    if header:
        actions.check_key(header)  # the same rule as the typed API: 1 to 80 printable characters
        return f"o311:{actor.pk}:h:" + hashlib.sha256(header.encode()).hexdigest()[:40]
    if not extra["device_id"]:
        return None
    body = {name: getattr(intake, name) for name in actions.Intake.__dataclass_fields__}
    body.update(extra, day=timezone.localdate().isoformat())
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode())
    return f"o311:{actor.pk}:d:" + digest.hexdigest()[:40]


def post(data: QueryDict, *, actor: User, client: str, idempotency_key: str = "") -> Posted:
    """Create the order for a posted request (or find the one an earlier try of it created)."""
    intake, extra = parse(data)
    key = _key(intake, extra, actor, idempotency_key.strip())
    if key is not None:
        intake.idempotency_key = key
    order = actions.do_create(intake, actor=actor)
    row, created = Open311Request.objects.get_or_create(
        order=order, defaults={**extra, "client": client[:150], "created_at": timezone.now()})
    if not created and any(getattr(row, name) != value for name, value in extra.items()):
        raise Conflict(_("此幂等键（Idempotency-Key）已用于另一个请求：新的请求请使用新的键。"),
                       code="idempotency_key_reused")
    return Posted(order=order, replayed=not created)
