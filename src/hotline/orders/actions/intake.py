"""Taking requests in: one at a time (idempotent) or in batches (imports)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.directory.models import Area, Category, User
from hotline.errors import InvalidInput, NotAllowed

from .. import policies
from ..models import (
    Channel,
    Event,
    OrderNumberCounter,
    TriageJob,
    Urgency,
    WorkOrder,
)
from ..states import State
from ..validation import as_id, normalise_phone, phone_error, text_errors
from ._base import (
    A,
    _append_event,
    _role,
)

# ---- intake -----------------------------------------------------------------------------------------


@dataclass
class Intake:
    """What an agent writes down from a call (or a web form, or an import row)."""

    title: str
    description: str
    caller_name: str = ""
    caller_phone: str = ""
    channel: str = Channel.PHONE
    address: str = ""
    area_id: int | None = None
    category_id: int | None = None
    urgency: str = Urgency.GENERAL
    latitude: float | None = None
    longitude: float | None = None
    received_at: dt.datetime | None = None
    idempotency_key: str | None = None
    repeat_of_id: int | None = None


@dataclass
class CleanIntake:
    intake: Intake
    area: Area | None
    category: Category | None


def validate_intake(data: Intake, *, areas: dict[int, Area] | None = None,
                    categories: dict[int, Category] | None = None) -> CleanIntake:
    """Check an intake; raise InvalidInput with every field's problems at once."""
    errors = text_errors(title=data.title, description=data.description)
    msg = phone_error(data.caller_phone)
    if msg:
        errors["caller_phone"] = [msg]
    if len(data.caller_name or "") > 50:
        errors["caller_name"] = [_("姓名过长。")]
    if len(data.address or "") > 200:
        errors["address"] = [_("地址不能超过200字。")]
    if data.channel not in Channel.values:
        errors["channel"] = [_("未知的渠道。")]
    if data.urgency not in Urgency.values:
        errors["urgency"] = [_("未知的紧急程度。")]
    if data.idempotency_key is not None and len(data.idempotency_key) > 80:
        errors["idempotency_key"] = [_("幂等键过长。")]
    for name, value, lo, hi in (("latitude", data.latitude, -90, 90), ("longitude", data.longitude, -180, 180)):
        if value is not None and not (isinstance(value, int | float) and lo <= value <= hi):
            errors[name] = [_("坐标超出范围。")]
    area = category = None
    if data.area_id not in (None, ""):
        area = _lookup(Area, data.area_id, areas)
        if area is None:
            errors["area"] = [_("区域不存在。")]
    if data.category_id not in (None, ""):
        category = _lookup(Category, data.category_id, categories)
        if category is None or not category.active:
            errors["category"] = [_("诉求分类不存在。")]
    if errors:
        raise InvalidInput(_("工单信息有误，请修改后再提交。"), details=errors)
    return CleanIntake(data, area, category)


def _lookup(model: Any, pk: Any, cache: dict[int, Any] | None) -> Any:
    key = as_id(pk)
    if key is None:
        return None
    if cache is not None:
        return cache.get(key)
    return model.objects.filter(pk=key).first()


def _numbers(day: dt.date, count: int) -> list[str]:
    """Give out `count` order numbers for `day`: YYYYMMDD + a running count of at least 5 digits."""
    OrderNumberCounter.objects.bulk_create([OrderNumberCounter(day=day, last=0)], ignore_conflicts=True)
    counter = OrderNumberCounter.objects.select_for_update().get(day=day)
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return [f"{day:%Y%m%d}{n:05d}" for n in range(first, first + count)]


def _build_order(clean: CleanIntake, number: str, actor: User, now: dt.datetime) -> WorkOrder:
    d = clean.intake
    return WorkOrder(
        number=number, channel=d.channel, caller_name=(d.caller_name or "").strip(),
        caller_phone=normalise_phone(d.caller_phone), address=(d.address or "").strip(), area=clean.area,
        latitude=d.latitude, longitude=d.longitude, title=d.title.strip(), description=d.description.strip(),
        category=clean.category, urgency=d.urgency, state=State.RECEIVED, received_at=d.received_at or now,
        idempotency_key=d.idempotency_key or None, created_by=actor, updated_at=now,
        repeat_of_id=d.repeat_of_id, imported=d.channel == Channel.IMPORT,
    )


def _may_create(actor: User) -> None:
    if policies.decide(role=_role(actor), action=A.CREATE, state=None, actor_unit_id=actor.unit_id,
                       lead_unit_id=None).allowed:
        return
    raise NotAllowed(_("您的角色无权受理工单。"))


def do_create(data: Intake, *, actor: User) -> WorkOrder:
    """Take a request in: a new order in `received`, with its first event.

    With an idempotency key, a retried submission returns the order the first one created
    instead of creating a second."""
    _may_create(actor)
    if data.idempotency_key:
        existing = WorkOrder.objects.filter(idempotency_key=data.idempotency_key).first()
        if existing is not None:
            return existing
    clean = validate_intake(data)
    try:
        with transaction.atomic(durable=True):
            now = timezone.now()
            received = data.received_at or now
            (number,) = _numbers(timezone.localdate(received), 1)
            order = _build_order(clean, number, actor, now)
            event = _append_event(order, actor, A.CREATE, "", State.RECEIVED, now, _intake_data(order))
            order.save()
            event.order = order
            event.save()
            _queue_triage([order], now)
    except IntegrityError:
        if data.idempotency_key:
            existing = WorkOrder.objects.filter(idempotency_key=data.idempotency_key).first()
            if existing is not None:
                return existing
        raise
    return order


def _queue_triage(orders: Sequence[WorkOrder], now: dt.datetime) -> None:
    """Put new orders in the triage queue, in the intake's own transaction: an order is never
    committed without its queue row, and the worker (which polls the queue) triages it within
    seconds. Imported history is not triaged. A row, not a call: orders sits below triage."""
    TriageJob.objects.bulk_create(
        [TriageJob(order=o, queued_at=now) for o in orders if o.pk is not None and o.channel != Channel.IMPORT],
        batch_size=500,
    )


def _intake_data(order: WorkOrder) -> dict[str, Any]:
    return {
        "channel": order.channel, "title": order.title, "category": order.category_id, "area": order.area_id,
        "urgency": order.urgency, "received_at": order.received_at,
        "description_sha256": hashlib.sha256(order.description.encode()).hexdigest(),
        "caller_phone_sha256": hashlib.sha256(order.caller_phone.encode()).hexdigest() if order.caller_phone else "",
        "repeat_of": order.repeat_of_id,
    }


@dataclass
class BatchResult:
    created: list[WorkOrder]
    errors: list[tuple[int, dict[str, Any]]]  # (row index, field errors)
    duplicates: int = 0


def do_create_many(rows: Sequence[Intake], *, actor: User) -> BatchResult:
    """Take in many requests at once (imports): every valid row becomes an order with its first
    event, in one transaction; invalid rows are reported by index and nothing of them is kept."""
    _may_create(actor)
    areas = {a.pk: a for a in Area.objects.all()}
    categories = {c.pk: c for c in Category.objects.filter(active=True)}
    good: list[CleanIntake] = []
    errors: list[tuple[int, dict[str, Any]]] = []
    keys = [r.idempotency_key for r in rows if r.idempotency_key]
    seen = set(WorkOrder.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True))
    duplicates = 0
    for i, row in enumerate(rows):
        if row.idempotency_key and row.idempotency_key in seen:
            duplicates += 1
            continue
        try:
            good.append(validate_intake(row, areas=areas, categories=categories))
        except InvalidInput as exc:
            errors.append((i, exc.details))
            continue
        if row.idempotency_key:
            seen.add(row.idempotency_key)
    created: list[WorkOrder] = []
    with transaction.atomic(durable=True):
        now = timezone.now()
        by_day: dict[dt.date, list[CleanIntake]] = {}
        for c in good:
            by_day.setdefault(timezone.localdate(c.intake.received_at or now), []).append(c)
        orders: list[WorkOrder] = []
        for day, items in sorted(by_day.items()):
            for c, number in zip(items, _numbers(day, len(items)), strict=True):
                orders.append(_build_order(c, number, actor, now))
        events = [_append_event(o, actor, A.CREATE, "", State.RECEIVED, now, _intake_data(o)) for o in orders]
        WorkOrder.objects.bulk_create(orders, batch_size=500)
        for o, e in zip(orders, events, strict=True):
            e.order = o
        Event.objects.bulk_create(events, batch_size=500)
        created = orders
        _queue_triage(created, now)
    return BatchResult(created=created, errors=errors, duplicates=duplicates)
