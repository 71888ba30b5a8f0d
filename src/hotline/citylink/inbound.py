"""What the city sends: a new order (it becomes a WorkOrder through do_create, channel transfer,
the city's number as its idempotency key) or an update on one (联合督办, urge, withdraw, note).

The same order sent twice, out of order or again after a timeout is taken once (do_create's
idempotency key "city:<number>"); an update is applied once (its message id), and one that
arrives before its order waits in CityUpdate until the order is taken."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from hotline.directory.models import Area, Category, User
from hotline.directory.roles import Role
from hotline.errors import Conflict, DomainError, InvalidInput
from hotline.orders import actions
from hotline.orders.models import Channel, Urgency, WorkOrder

from .models import CityOrder, CityUpdate, SeenSignature

KEY_PREFIX = "city:"
MAX_NUMBER = 60
MAX_MESSAGE_ID = 100
MAX_UPDATE_TEXT = 2000


def key_of(city_number: str) -> str:
    return KEY_PREFIX + city_number


def city_number_of(order: WorkOrder) -> str | None:
    """The city's number of an order it handed down, None for the district's own orders."""
    key = order.idempotency_key or ""
    return key[len(KEY_PREFIX):] if key.startswith(KEY_PREFIX) else None


def city_user() -> User:
    """The account the city platform acts as (it cannot log in): the trace says the city did it."""
    user, _created = User.objects.get_or_create(
        username="citylink", defaults={"role": Role.CITY.value, "display_name": "市级平台", "is_active": False}
    )
    return user


@dataclass
class Result:
    status: str  # created, duplicate, applied, queued, not_applied
    city_number: str
    number: str = ""  # the district's order number
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        out = {"status": self.status, "city_number": self.city_number}
        if self.number:
            out["number"] = self.number
        if self.detail:
            out["detail"] = self.detail
        return out


# ---- reading the body ------------------------------------------------------------------------------------


def _text(body: dict, name: str, errors: dict, *, limit: int, required: bool = False) -> str:
    value = body.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = [_("须为字符串。")]
        return ""
    value = value.strip()
    if required and not value:
        errors[name] = [_("不能为空。")]
    elif len(value) > limit:
        errors[name] = [_("不能超过%(n)d个字符。") % {"n": limit}]
    elif "\x00" in value:
        errors[name] = [_("内容含有无法保存的控制字符。")]
    return value


def _number(body: dict, errors: dict) -> str:
    number = _text(body, "city_number", errors, limit=MAX_NUMBER, required=True)
    if number and not all(c.isalnum() or c in "-_." for c in number):
        errors["city_number"] = [_("只能包含字母、数字和 - _ .")]
    return number


def _time(body: dict, name: str, errors: dict) -> dt.datetime | None:
    value = body.get(name)
    if value in (None, ""):
        return None
    parsed = parse_datetime(value) if isinstance(value, str) and len(value) <= 40 else None
    if parsed is None or parsed.tzinfo is None:
        errors[name] = [_("须为带时区的 ISO 8601 时间，例如 2026-12-03T09:30:00+08:00。")]
        return None
    if not (dt.datetime(2000, 1, 1, tzinfo=dt.UTC) <= parsed <= timezone.now() + dt.timedelta(days=366)):
        errors[name] = [_("时间超出范围。")]
        return None
    return parsed


def handle(body: Any) -> Result:
    """Take one message from the city (already authenticated); InvalidInput for a bad body."""
    if not isinstance(body, dict):
        raise InvalidInput(_("请求内容须为 JSON 对象。"))
    kind = body.get("type")
    if kind == "order":
        return take_order(body)
    if kind == "update":
        return take_update(body)
    raise InvalidInput(_("未知的消息类型。"), details={"type": [_("须为 order 或 update。")]})


# ---- orders ----------------------------------------------------------------------------------------------


def take_order(body: dict) -> Result:
    errors: dict[str, list[str]] = {}
    number = _number(body, errors)
    title = _text(body, "title", errors, limit=settings.HOTLINE_MAX_TITLE, required=True)
    text = _text(body, "text", errors, limit=settings.HOTLINE_MAX_DESCRIPTION, required=True)
    caller_name = _text(body, "caller_name", errors, limit=50)
    caller_phone = _text(body, "caller_phone", errors, limit=30)
    address = _text(body, "address", errors, limit=200)
    category_code = _text(body, "category_code", errors, limit=400)
    area_code = _text(body, "area_code", errors, limit=60)
    urgency = _text(body, "urgency", errors, limit=20)
    received_at = _time(body, "received_at", errors)
    sign_due = _time(body, "sign_deadline", errors)
    reply_due = _time(body, "reply_deadline", errors)
    if received_at is not None and received_at > timezone.now() + dt.timedelta(minutes=settings.HOTLINE_CLOCK_SKEW_MINUTES):
        errors["received_at"] = [_("受理时间不能晚于现在。")]
    if errors:
        raise InvalidInput(_("市级工单内容有误。"), details=errors)
    # A code the district does not know is no reason to refuse the city's order: it is taken
    # unclassified (the dispatcher classifies it) and the city's code is kept with it.
    area = Area.objects.filter(code=area_code).first() if area_code else None
    category = _category(category_code) if category_code else None
    intake = actions.Intake(
        title=title, description=text, caller_name=caller_name, caller_phone=caller_phone, channel=Channel.TRANSFER,
        address=address, area_id=area.pk if area else None, category_id=category.pk if category else None,
        # a tier the district does not know, or none: the category's default urgency, else general
        urgency=urgency if urgency in Urgency.values else "", received_at=received_at,
        idempotency_key=key_of(number),
    )
    actor = city_user()
    detail = ""
    try:
        order = actions.do_create(intake, actor=actor)
        # An order do_create made now was never read from the database; one it found (this
        # number taken before, or by a twin request a moment ago) was.
        status = "created" if order.changed_fields() is None else "duplicate"
    except Conflict:
        # The same number with other content: the first one is the order (taken once); the city
        # is told, and a person can read both in the trace of the first.
        order = WorkOrder.objects.filter(idempotency_key=key_of(number)).first()
        if order is None:
            raise
        status, detail = "duplicate", _("该编号的工单已接收，内容不同的重发未采用。")
    _link(order, number, body, received_at, sign_due, reply_due, category_code, area_code)
    apply_waiting(number, order)
    return Result(status, number, order.number, detail)


def _category(code: str) -> Category | None:
    """The district's category for the city's code: its full path (城乡建设/市容环境/路灯), or a
    name only one active category has."""
    found = Category.objects.filter(path=code, active=True).first()
    if found is None:
        named = list(Category.objects.filter(name=code, active=True)[:2])
        found = named[0] if len(named) == 1 else None
    return found


def _link(order: WorkOrder, number: str, body: dict, received_at: dt.datetime | None, sign_due: Any, reply_due: Any,
          category_code: str, area_code: str) -> None:
    if CityOrder.objects.filter(city_number=number).exists():
        return
    try:
        with transaction.atomic():
            CityOrder.objects.create(
                city_number=number, order=order, received_at=received_at or timezone.now(), city_sign_due=sign_due,
                city_reply_due=reply_due, category_code=category_code, area_code=area_code,
                payload={k: v for k, v in body.items() if k not in ("caller_phone", "caller_name")},
            )
    except IntegrityError:
        pass  # its twin request linked it first


# ---- updates ---------------------------------------------------------------------------------------------

APPLIERS = {
    CityUpdate.Kind.SUPERVISE: lambda oid, actor, text: actions.do_supervise(
        oid, actor=actor, text=_("市级平台联合督办：%(t)s") % {"t": text}),
    CityUpdate.Kind.URGE: lambda oid, actor, text: actions.do_urge(oid, actor=actor, text=_("市级平台催办：%(t)s") % {"t": text}),
    CityUpdate.Kind.NOTE: lambda oid, actor, text: actions.do_annotate(oid, actor=actor, text=text),
    CityUpdate.Kind.WITHDRAW: lambda oid, actor, text: actions.do_annotate(
        oid, actor=actor, text=_("市级平台撤回此工单：%(t)s") % {"t": text}),
}


def take_update(body: dict) -> Result:
    errors: dict[str, list[str]] = {}
    number = _number(body, errors)
    message_id = _text(body, "message_id", errors, limit=MAX_MESSAGE_ID, required=True)
    kind = _text(body, "kind", errors, limit=20, required=True)
    text = _text(body, "text", errors, limit=MAX_UPDATE_TEXT, required=True)
    seq = body.get("seq", 0)
    if kind and kind not in CityUpdate.Kind.values:
        errors["kind"] = [_("须为 supervise、urge、withdraw 或 note。")]
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**31:
        errors["seq"] = [_("须为非负整数。")]
    if errors:
        raise InvalidInput(_("市级更新内容有误。"), details=errors)
    update, created = _keep(message_id, number, kind, text, seq)
    if not created and update.applied_at is not None:
        return Result("duplicate", number, detail=update.result)
    order = WorkOrder.objects.filter(idempotency_key=key_of(number)).first()
    if order is None:
        return Result("queued", number, detail=_("工单尚未到达，更新将在工单到达后处理。"))
    applied = apply_waiting(number, order)
    update.refresh_from_db()
    status = "applied" if update.result == "applied" else "not_applied"
    if update in applied or update.applied_at is not None:
        return Result(status, number, order.number, "" if status == "applied" else update.result)
    return Result("queued", number, order.number)


def _keep(message_id: str, number: str, kind: str, text: str, seq: int) -> tuple[CityUpdate, bool]:
    try:
        with transaction.atomic():
            return CityUpdate.objects.get_or_create(
                message_id=message_id,
                defaults={"city_number": number, "kind": kind, "text": text, "city_seq": seq,
                          "received_at": timezone.now()},
            )
    except IntegrityError:  # its twin committed first
        return CityUpdate.objects.get(message_id=message_id), False


def apply_waiting(number: str, order: WorkOrder) -> list[CityUpdate]:
    """Apply the updates of `number` not applied yet, in the city's order (its seq, then arrival).
    Each in one transaction with its mark, its row locked: applied once whoever gets there first."""
    done = []
    actor = None
    for pk in CityUpdate.objects.filter(city_number=number, applied_at__isnull=True).order_by(
            "city_seq", "received_at", "id").values_list("pk", flat=True):
        actor = actor or city_user()
        with actions.one_transaction():
            update = CityUpdate.objects.select_for_update().filter(pk=pk, applied_at__isnull=True).first()
            if update is None:
                continue  # another request applied it meanwhile
            try:
                APPLIERS[CityUpdate.Kind(update.kind)](order.pk, actor, update.text)
                update.result = "applied"
            except DomainError as exc:
                update.result = str(exc.message)[:300]
            update.applied_at = timezone.now()
            update.save(update_fields=["result", "applied_at"])
            if update.kind == CityUpdate.Kind.WITHDRAW and update.result == "applied":
                CityOrder.objects.filter(city_number=number, withdrawn_at__isnull=True).update(withdrawn_at=update.applied_at)
        done.append(update)
    return done


# ---- replays ---------------------------------------------------------------------------------------------


def seen(digest: str) -> bool:
    return SeenSignature.objects.filter(digest=digest).exists()


def remember(digest: str) -> None:
    """Keep an accepted signature for the window (after its request was handled: a request that
    failed half-way may be sent again as it was)."""
    now = timezone.now()
    SeenSignature.objects.bulk_create([SeenSignature(digest=digest, seen_at=now)], ignore_conflicts=True)
    if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
        cutoff = now - dt.timedelta(seconds=2 * settings.HOTLINE_CITYLINK_WINDOW_SECONDS)
        SeenSignature.objects.filter(seen_at__lt=cutoff).delete()
