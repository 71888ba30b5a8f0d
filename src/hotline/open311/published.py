"""GET requests: which orders a reader may see, the filters of the spec, and what of each order
is published.

Who sees what (docs/open311.md):
- Every reader starts from a user: a key's system user reads `orders_visible_to(user)`; an
  anonymous reader (the spec allows public reads, and most GeoReport clients send no key on a
  GET) reads `orders_published()`, the orders the district discloses: not screened out (a
  screened-out request may be abusive or not a public matter at all) and not merged (the main
  order stands for it).
- Nobody gets caller data: no name, phone, email, device or account id, in any GET. Free text
  (the description, the reply's outcome) is published with every phone-like or id-like number,
  every email address and the caller's own name and number masked.
- Anonymous readers get the street instead of the street address and coordinates rounded to
  about a hundred metres: a request about a neighbour's noise must not point at the caller's
  door. Keyed readers (a district system) get the address as written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from hotline.directory.models import User
from hotline.errors import InvalidInput
from hotline.orders.actions import SCREEN_REASONS
from hotline.orders.models import Note, Reply, WorkOrder
from hotline.orders.selectors import closed_orders, open_orders, orders_published, orders_visible_to
from hotline.orders.states import State, is_open
from hotline.orders.validation import as_int

from . import services
from .models import Open311Request

MAX_SPAN = dt.timedelta(days=90)  # the spec: a range "may not span more than 90 days"
MAX_IDS = 100
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_PAGE = 10_000

# A run of 7 or more digits (ASCII or full-width), with single spaces, dots or dashes between
# them, optionally a trailing X (an identity card number): a phone number, an id, a bank card.
_NUMBER = re.compile(r"(?<!\d)\+?\d(?:[ .\-]?\d){6,}[Xx]?(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,190}\.[A-Za-z]{2,63}")
_DATE = re.compile(r"\d{4}[-.]\d{1,2}[-.]\d{1,2}")  # 2024-01-05 is a date, not a number to hide
MASK = "***"


def mask_text(text: str, secrets: Iterable[str] = ()) -> str:
    """The text with the caller's own data and anything like a number or an email masked."""
    for secret in sorted({s for s in secrets if s and len(s) >= 2}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _EMAIL.sub(MASK, text)
    return _NUMBER.sub(lambda m: m.group(0) if _DATE.fullmatch(m.group(0)) else MASK, text)


@dataclass
class Reader:
    """Who is reading: a key's user, or nobody (a public read)."""

    user: User | None

    def orders(self) -> QuerySet[WorkOrder]:
        return orders_visible_to(self.user) if self.user is not None else orders_published()

    @property
    def public(self) -> bool:
        return self.user is None


@dataclass
class Query:
    ids: list[str] | None
    category_ids: list[int] | None
    start: dt.datetime
    end: dt.datetime
    statuses: set[str]  # open, closed, both or neither (both)
    page: int
    page_size: int


def _when(raw: str, name: str, *, end: bool, errors: dict[str, list[str]]) -> dt.datetime | None:
    """A W3C datetime (2010-01-01T00:00:00Z, with an offset or local) or a date (its start, or
    for end_date its end)."""
    if not raw:
        return None
    value: dt.datetime | None = None
    try:
        day = parse_date(raw) if len(raw) == 10 else None
        if day is not None:
            value = dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time())
        else:
            value = parse_datetime(raw.replace("z", "Z"))
    except (ValueError, OverflowError):  # well-formed but impossible: 2024-02-30, hour 25, the day after 9999-12-31
        value = None
    if value is None or not 1900 <= value.year <= 9000:
        errors.setdefault(name, []).append(_("日期时间格式不正确：请使用W3C格式，例如2024-01-01T00:00:00+08:00。"))
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def parse(params: Any, now: dt.datetime | None = None) -> Query:
    errors: dict[str, list[str]] = {}
    for name in ("service_request_id", "service_code", "start_date", "end_date", "status", "page", "page_size"):
        if len(params.getlist(name)) > 1:
            errors.setdefault(name, []).append(_("只能填写一次（多个值请用逗号分隔）。"))
        elif "\x00" in params.get(name, ""):
            errors.setdefault(name, []).append(_("内容含有无法保存的控制字符。"))
    if errors:
        raise InvalidInput(_("查询参数有误。"), details=errors)
    ids = _list(params.get("service_request_id", "")) or None
    if ids is not None:  # the spec: it overrides every other parameter, so they are not read
        if len(ids) > MAX_IDS or any(len(i) > 20 for i in ids):
            raise InvalidInput(_("查询参数有误。"), details={"service_request_id": [
                _("一次最多查询%(n)d个请求编号。") % {"n": MAX_IDS}]})
        return Query(ids=ids, category_ids=None, start=now or timezone.now(), end=now or timezone.now(),
                     statuses=set(), page=1, page_size=MAX_IDS)
    category_ids = None
    codes = _list(params.get("service_code", ""))
    if codes:
        known = services.service_categories_by_id([pk for pk in (as_int(c, minimum=1) for c in codes[:MAX_IDS])
                                                   if pk is not None])
        unknown = [c for c in codes if as_int(c, minimum=1) not in known]
        if unknown or len(codes) > MAX_IDS:
            errors.setdefault("service_code", []).append(_("服务代码不存在：%(codes)s") % {
                "codes": ", ".join(unknown[:5])[:200]})
        category_ids = sorted(known)
    statuses = set(_list(params.get("status", "")))
    if statuses - {"open", "closed"}:
        errors.setdefault("status", []).append(_("状态只能是 open 或 closed。"))
    start = _when(params.get("start_date", ""), "start_date", end=False, errors=errors)
    end = _when(params.get("end_date", ""), "end_date", end=True, errors=errors)
    page = as_int(params.get("page", "1"), minimum=1, maximum=MAX_PAGE)
    if page is None:
        errors.setdefault("page", []).append(_("页码须为1至%(n)d的整数。") % {"n": MAX_PAGE})
    size = as_int(params.get("page_size", str(DEFAULT_PAGE_SIZE)), minimum=1, maximum=MAX_PAGE_SIZE)
    if size is None:
        errors.setdefault("page_size", []).append(_("每页条数须为1至%(n)d的整数。") % {"n": MAX_PAGE_SIZE})
    if errors:
        raise InvalidInput(_("查询参数有误。"), details=errors)
    now = now or timezone.now()
    if start is None and end is None:
        end, start = now, now - MAX_SPAN
    elif start is None:
        start = end - MAX_SPAN
    elif end is None:
        end = min(start + MAX_SPAN, max(now, start))
    assert start is not None and end is not None
    if end < start:
        errors.setdefault("end_date", []).append(_("结束时间不能早于开始时间。"))
    elif end - start > MAX_SPAN:
        errors.setdefault("end_date", []).append(_("查询时间范围不能超过90天。"))
    if errors:
        raise InvalidInput(_("查询参数有误。"), details=errors)
    return Query(ids=ids, category_ids=category_ids, start=start, end=end, statuses=statuses, page=page or 1,
                 page_size=size or DEFAULT_PAGE_SIZE)


def select(reader: Reader, query: Query) -> list[WorkOrder]:
    qs = reader.orders().select_related("category", "lead_unit", "area")
    if query.ids is not None:  # the spec: service_request_id overrides every other parameter
        qs = qs.filter(number__in=query.ids).order_by("-received_at", "-id")[:MAX_IDS]
        return list(qs)
    qs = qs.filter(received_at__gte=query.start, received_at__lt=query.end)
    if query.category_ids is not None:
        qs = qs.filter(category_id__in=query.category_ids)
    if query.statuses == {"open"}:
        qs = open_orders(qs)
    elif query.statuses == {"closed"}:
        qs = closed_orders(qs)
    offset = (query.page - 1) * query.page_size
    return list(qs.order_by("-received_at", "-id")[offset:offset + query.page_size])


def one(reader: Reader, number: str) -> WorkOrder | None:
    if not number or len(number) > 20:
        return None
    return reader.orders().select_related("category", "lead_unit", "area").filter(number=number).first()


def records(reader: Reader, orders: list[WorkOrder]) -> list[dict[str, Any]]:
    """The published record of each order (three queries for the whole page)."""
    ids = [o.pk for o in orders]
    extras = {r.order_id: r for r in Open311Request.objects.filter(order_id__in=ids)}
    outcomes: dict[int, str] = {}
    closed = [o.pk for o in orders if o.state == State.CLOSED]
    # What the caller was told: the answer given on the line, or the latest reviewed reply's
    # outcome (a closed order's replies have all passed review; an open one's may not have).
    for order_id, text in (Note.objects.filter(order_id__in=closed, kind=Note.Kind.ANSWER).order_by("order_id", "at")
                           .values_list("order_id", "text")):
        outcomes[order_id] = text
    for order_id, outcome in (Reply.objects.filter(order_id__in=closed).order_by("order_id", "round")
                              .values_list("order_id", "outcome")):
        outcomes[order_id] = outcome  # the latest round wins
    return [_record(reader, o, extras.get(o.pk), outcomes.get(o.pk, "")) for o in orders]


def _status_notes(order: WorkOrder, outcome: str) -> str:
    if order.state == State.SCREENED_OUT:
        reason = SCREEN_REASONS.get(order.screen_reason)
        return f"{order.state_label}：{reason}" if reason else order.state_label
    if order.state == State.MERGED:
        return _("已与同一事项的其他诉求合并办理。")
    if order.state == State.CLOSED and outcome.strip():
        return f"{order.state_label}：{outcome.strip()}"
    return order.state_label


def _record(reader: Reader, order: WorkOrder, extra: Open311Request | None, outcome: str) -> dict[str, Any]:
    secrets = [order.caller_name, order.caller_phone]
    if extra is not None:
        secrets += [extra.email, extra.device_id, extra.account_id]
    lat, lon = order.latitude, order.longitude
    if reader.public:
        address = order.area.name if order.area_id else ""
        lat = round(lat, 3) if lat is not None else None
        lon = round(lon, 3) if lon is not None else None
    else:
        address = mask_text(order.address, secrets)
    return {
        "service_request_id": order.number,
        "status": "open" if is_open(order.state) else "closed",
        "status_notes": mask_text(_status_notes(order, outcome), secrets),
        "service_name": order.category.name if order.category_id else "",
        "service_code": str(order.category_id) if order.category_id else "",
        "description": mask_text(order.description, secrets),
        "agency_responsible": order.lead_unit.name if order.lead_unit_id else "",
        "service_notice": "",
        "requested_datetime": _w3c(order.received_at),
        "updated_datetime": _w3c(order.updated_at),
        "expected_datetime": _w3c(order.reply_due),
        "address": address,
        "address_id": order.area.code if order.area_id else "",
        "zipcode": "",
        "lat": lat,
        "long": lon,
        "media_url": extra.media_url if extra is not None else "",
    }


def _w3c(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def public_reads_allowed() -> bool:
    return bool(getattr(settings, "HOTLINE_OPEN311_PUBLIC_READS", True))
