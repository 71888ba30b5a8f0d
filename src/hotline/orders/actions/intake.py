"""Taking requests in: one at a time (idempotent) or in batches (imports)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from hotline import outbox
from hotline.directory.models import Area, Category, User
from hotline.errors import InvalidInput, NotAllowed

from .. import clock, deadlines, policies
from ..models import (
    Channel,
    Event,
    IdempotencyKey,
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
    check_key,
    fingerprint,
    key_reused,
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
    # "" when the intake does not say: the category's default from its deadline rule, else general
    urgency: str = ""
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
    if data.urgency and data.urgency not in Urgency.values:
        errors["urgency"] = [_("未知的紧急程度。")]
    if data.idempotency_key is not None and len(data.idempotency_key) > 80:
        errors["idempotency_key"] = [_("幂等键过长。")]
    for name in ("caller_name", "caller_phone", "address", "channel", "urgency"):
        # PostgreSQL refuses NUL in text: a clear error here, not a database error later
        if "\x00" in str(getattr(data, name) or ""):
            errors.setdefault(name, []).append(_("内容含有无法保存的控制字符。"))
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


def _urgency(clean: CleanIntake, now: dt.datetime) -> str:
    """The urgency the intake names, or, where it names none (an API client, Open311, the city
    link), the default of the category's deadline rule in force that day, else general."""
    if clean.intake.urgency:
        return clean.intake.urgency
    on = timezone.localdate(clean.intake.received_at or now)
    named = deadlines.default_urgency(clean.category.pk, on) if clean.category is not None else ""
    return named or Urgency.GENERAL


def _build_order(clean: CleanIntake, number: str, actor: User, now: dt.datetime) -> WorkOrder:
    d = clean.intake
    return WorkOrder(
        number=number, channel=d.channel, caller_name=(d.caller_name or "").strip(),
        caller_phone=normalise_phone(d.caller_phone), address=(d.address or "").strip(), area=clean.area,
        latitude=d.latitude, longitude=d.longitude, title=d.title.strip(), description=d.description.strip(),
        category=clean.category, urgency=_urgency(clean, now), state=State.RECEIVED, received_at=d.received_at or now,
        idempotency_key=d.idempotency_key or None, created_by=actor, updated_at=now,
        repeat_of_id=d.repeat_of_id, imported=d.channel == Channel.IMPORT,
    )


def _may_create(actor: User) -> None:
    if policies.decide(role=_role(actor), action=A.CREATE, state=None, actor_unit_id=actor.unit_id,
                       lead_unit_id=None).allowed:
        return
    raise NotAllowed(_("您的角色无权受理工单。"))


def intake_fingerprint(data: Intake) -> str:
    """What "the same request" means for an intake: its normalised fields (not its key)."""
    fields = {name: getattr(data, name) for name in Intake.__dataclass_fields__ if name != "idempotency_key"}
    fields["caller_phone"] = normalise_phone(data.caller_phone)
    return fingerprint(A.CREATE, None, fields)


def _earlier_order(data: Intake, key: str, actor: User) -> WorkOrder | None:
    """The order an earlier request with this key created, when this one is its retry; None
    for a new key; Conflict("idempotency_key_reused") when the key was used otherwise."""
    digest = intake_fingerprint(data)
    record = IdempotencyKey.objects.filter(actor=actor, key=key).select_related("order").first()
    if record is not None:
        if record.action != A.CREATE or record.fingerprint != digest:
            raise key_reused()
        return record.order
    order = WorkOrder.objects.filter(idempotency_key=key).first()
    if order is None:
        return None
    # The key of an order this actor's lookup above missed: another user's, an import's, or
    # this actor's own twin request committed between the two queries.
    record = IdempotencyKey.objects.filter(order=order, action=A.CREATE).first()
    if record is None:  # an order from before keys had fingerprints: only its author may replay it
        if order.created_by_id != actor.pk:
            raise key_reused()
        return order
    if record.actor_id != actor.pk or record.fingerprint != digest:
        raise key_reused()
    return order


def do_create(data: Intake, *, actor: User) -> WorkOrder:
    """Take a request in: a new order in `received`, with its first event.

    With an idempotency key, a retried submission (same user, same input) returns the order the
    first one created instead of creating a second; the same key with another input or from
    another user raises Conflict("idempotency_key_reused")."""
    _may_create(actor)
    key = check_key(data.idempotency_key) if data.idempotency_key else None
    if key is not None:
        data = dataclasses.replace(data, idempotency_key=key)
        existing = _earlier_order(data, key, actor)
        if existing is not None:
            return existing
    clean = validate_intake(data)
    try:
        with transaction.atomic(durable=True):
            now = clock.now()
            received = data.received_at or now
            (number,) = _numbers(timezone.localdate(received), 1)
            order = _build_order(clean, number, actor, now)
            event = _append_event(order, actor, A.CREATE, "", State.RECEIVED, now, _intake_data(order))
            order.save()
            event.order = order
            event.save()
            outbox.publish([event])
            if key is not None:
                IdempotencyKey.objects.create(actor=actor, key=key, action=A.CREATE, order=order, event=event,
                                              fingerprint=intake_fingerprint(data), created_at=now)
            _queue_triage([order], now)
    except IntegrityError:
        if key is not None:  # a twin request committed first
            existing = _earlier_order(data, key, actor)
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


def caller_phone_hmac(phone: str) -> str:
    """A keyed digest of the number for the trace: it shows whether two events name the same
    number, but without the server's secret no one can test a guess against it (an unsalted
    SHA-256 of a masked 139****5678 falls to 10,000 tries). Earlier events keep their
    `caller_phone_sha256`; both are hidden from roles that see the number masked."""
    if not phone:
        return ""
    return salted_hmac("hotline.orders.caller_phone", phone, algorithm="sha256").hexdigest()


def _intake_data(order: WorkOrder) -> dict[str, Any]:
    return {
        "channel": order.channel, "title": order.title, "category": order.category_id, "area": order.area_id,
        "urgency": order.urgency, "received_at": order.received_at,
        "description_sha256": hashlib.sha256(order.description.encode()).hexdigest(),
        "caller_phone_hmac": caller_phone_hmac(order.caller_phone),
        "repeat_of": order.repeat_of_id,
    }


@dataclass
class BatchResult:
    created: list[WorkOrder]
    errors: list[tuple[int, dict[str, Any]]]  # (row index, field errors)
    duplicates: int = 0
    # (row index, number of the order): the row's key was taken by an order with other content
    conflicts: list[tuple[int, str]] = dataclasses.field(default_factory=list)


ATTEMPTS = 5  # a batch whose keys another import committed meanwhile is recounted, this many times at most


def do_create_many(rows: Sequence[Intake], *, actor: User) -> BatchResult:
    """Take in many requests at once (imports): every valid row becomes an order with its first
    event, in one transaction; invalid rows are reported by index and nothing of them is kept.

    A row whose key an order already has is a duplicate when its content is the same (an
    import run again, by anyone: the file's number is the key) and a conflict otherwise. Two
    imports of one file at once both end cleanly: the one whose insert collides with the other's
    committed keys counts those rows again, now as duplicates."""
    _may_create(actor)
    areas = {a.pk: a for a in Area.objects.all()}
    categories = {c.pk: c for c in Category.objects.filter(active=True)}
    valid: list[tuple[int, CleanIntake, str]] = []
    errors: list[tuple[int, dict[str, Any]]] = []
    for i, row in enumerate(rows):
        try:
            clean = validate_intake(row, areas=areas, categories=categories)
        except InvalidInput as exc:
            errors.append((i, exc.details))
            continue
        valid.append((i, clean, intake_fingerprint(row) if row.idempotency_key else ""))
    for attempt in range(ATTEMPTS):
        try:
            return _create_batch(valid, errors, actor)
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _create_batch(valid: Sequence[tuple[int, CleanIntake, str]], errors: list[tuple[int, dict[str, Any]]],
                  actor: User) -> BatchResult:
    result = BatchResult(created=[], errors=list(errors))
    with transaction.atomic(durable=True):
        keys = [c.intake.idempotency_key for _i, c, _fp in valid if c.intake.idempotency_key]
        existing = {k: (pk, number) for k, pk, number in WorkOrder.objects.filter(idempotency_key__in=keys)
                    .values_list("idempotency_key", "pk", "number")}
        prints = dict(IdempotencyKey.objects.filter(order_id__in=[pk for pk, _n in existing.values()],
                                                    action=A.CREATE).values_list("order_id", "fingerprint"))
        seen: dict[str, str] = {}
        good: list[tuple[CleanIntake, str]] = []
        for i, c, fp in valid:
            key = c.intake.idempotency_key
            if key and key in existing:
                pk, number = existing[key]
                if prints.get(pk, fp) == fp:  # orders imported before keys had fingerprints count as the same
                    result.duplicates += 1
                else:
                    result.conflicts.append((i, number))
                continue
            if key and key in seen:
                if seen[key] == fp:
                    result.duplicates += 1
                else:
                    result.conflicts.append((i, ""))
                continue
            if key:
                seen[key] = fp
            good.append((c, fp))
        if not good:
            return result
        now = clock.now()
        by_day: dict[dt.date, list[tuple[CleanIntake, str]]] = {}
        for item in good:
            by_day.setdefault(timezone.localdate(item[0].intake.received_at or now), []).append(item)
        orders: list[WorkOrder] = []
        digests: list[str] = []
        for day, items in sorted(by_day.items()):
            for (c, fp), number in zip(items, _numbers(day, len(items)), strict=True):
                orders.append(_build_order(c, number, actor, now))
                digests.append(fp)
        events = [_append_event(o, actor, A.CREATE, "", State.RECEIVED, now, _intake_data(o)) for o in orders]
        WorkOrder.objects.bulk_create(orders, batch_size=500)
        for o, e in zip(orders, events, strict=True):
            e.order = o
        Event.objects.bulk_create(events, batch_size=500)
        outbox.publish(events)
        IdempotencyKey.objects.bulk_create([
            IdempotencyKey(actor=actor, key=o.idempotency_key, action=A.CREATE, order=o, event=e, fingerprint=fp,
                           created_at=now)
            for o, e, fp in zip(orders, events, digests, strict=True) if o.idempotency_key], batch_size=500)
        result.created = orders
        _queue_triage(orders, now)
    return result
