"""The only code that changes a work order (the rule of the house).

Each `do_<verb>(order_id, *, actor, ...)` runs in its own durable transaction: it locks the order
row, asks policies.py whether the actor may act and states.py where the order goes, writes the
order and exactly one hash-chained Event, and schedules side effects with on_commit. Anything
not allowed raises a DomainError and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.directory.models import Area, Category, ResponsibilityRule, Unit, User
from hotline.directory.roles import Role
from hotline.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed, NotFound

from . import deadlines, policies, procedures, states, trace
from .models import (
    Callback,
    Channel,
    Event,
    Evidence,
    ExtensionRequest,
    Note,
    OrderNumberCounter,
    OrderReturn,
    Reply,
    ReturnKind,
    Review,
    Satisfaction,
    Urgency,
    WorkOrder,
)
from .states import Action, State
from .validation import as_id, normalise_phone, phone_error, text_errors

A = Action
MIN_REASON_CHARS = 5


# ---- the machinery every action shares ------------------------------------------------------------


def _role(actor: User) -> Role:
    return Role(actor.role)


def _lock(order_id: int) -> WorkOrder:
    try:
        return WorkOrder.objects.select_for_update().get(pk=as_id(order_id))
    except (WorkOrder.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("工单不存在。")) from None


def _check(order: WorkOrder, actor: User, action: Action) -> State:
    """Refuse unless the actor may take `action` now; return the state it leads to."""
    state = State(order.state)
    role = _role(actor)
    target = states.next_state(state, action)
    co_ids: list[int] = []
    if role in {Role.HANDLER, Role.UNIT_HEAD} and actor.unit_id not in (None, order.lead_unit_id):
        co_ids = list(order.co_units.values_list("id", flat=True))
    decision = policies.decide(
        role=role, action=action, state=state, actor_unit_id=actor.unit_id, lead_unit_id=order.lead_unit_id,
        co_unit_ids=co_ids,
    )
    if target is None:
        raise InvalidTransition(
            _("工单当前状态为“%(state)s”，不能执行此操作。") % {"state": order.state_label},
            details={"state": order.state, "action": str(action)},
        )
    if not decision.allowed:
        if decision.reason == "scope":
            raise NotAllowed(_("这张工单不属于您所在的单位。"), details={"action": str(action)})
        raise NotAllowed(_("您的角色无权执行此操作。"), details={"action": str(action), "reason": decision.reason})
    return target


def _append_event(
    order: WorkOrder, actor: User | None, action: Action, from_state: str, to_state: str, at: dt.datetime,
    data: dict[str, Any], *, role: str | None = None, imported: bool = False,
) -> Event:
    data = trace.canonical({k: v for k, v in data.items() if v not in (None, "", [], {})})
    seq = order.event_seq + 1
    prev = order.last_hash or trace.GENESIS
    actor_role = role or (actor.role if actor else "")
    digest = trace.event_hash(
        prev_hash=prev, order_number=order.number, seq=seq, action=str(action), from_state=from_state,
        to_state=to_state, actor_id=actor.pk if actor else None, actor_role=actor_role, at=at, data=data,
    )
    order.event_seq, order.last_hash = seq, digest
    return Event(
        order=order, seq=seq, action=str(action), from_state=from_state, to_state=to_state, actor=actor,
        actor_role=actor_role, actor_unit_id=actor.unit_id if actor else None, at=at, data=data,
        imported=imported, prev_hash=prev, hash=digest,
    )


def _finish(order: WorkOrder, actor: User, action: Action, target: State, now: dt.datetime, **data: Any) -> None:
    """Move the order to `target`, write it and its one event."""
    from_state = order.state
    order.state = target.value
    order.updated_at = now
    event = _append_event(order, actor, action, from_state, target.value, now, data)
    order.save()
    event.save()


def _reason(text: str, field: str = "note", *, min_chars: int = MIN_REASON_CHARS) -> str:
    text = (text or "").strip()
    if len(text) < min_chars:
        raise InvalidInput(
            _("请填写理由（至少%(n)d个字）。") % {"n": min_chars}, details={field: [_("理由过短。")]}
        )
    return text


def _unit(unit_id: Any, field: str = "unit") -> Unit:
    try:
        unit = Unit.objects.get(pk=_int(unit_id, field), active=True)
    except (Unit.DoesNotExist, InvalidInput):
        raise InvalidInput(_("承办单位不存在或已停用。"), details={field: [_("请选择有效的承办单位。")]}) from None
    if not unit.handles_orders:
        raise InvalidInput(_("“%(u)s”不承办工单。") % {"u": unit.name}, details={field: [_("请选择承办单位。")]})
    return unit


def _units(ids: Iterable[Any], field: str = "co_units") -> list[Unit]:
    if ids is None:
        return []
    if isinstance(ids, str | int) or not isinstance(ids, Iterable):
        raise InvalidInput(_("参数格式不正确。"), details={field: [_("须为单位编号的列表。")]})
    return [_unit(i, field) for i in dict.fromkeys(ids)]


def _calendar(now: dt.datetime) -> deadlines.WorkCalendar:
    return deadlines.load_calendar(timezone.localdate(now))


def _later(old: dt.datetime | None, new: dt.datetime) -> dt.datetime:
    # Deadlines never move backwards except by an approved extension (which moves them forward).
    return new if old is None or new > old else old


def _start_clocks(order: WorkOrder, now: dt.datetime, *, reply: bool = True) -> None:
    clocks = deadlines.clocks_from(now, order.urgency, _calendar(now))
    order.sign_due = _later(order.sign_due, clocks.sign_due)
    order.contact_due = _later(order.contact_due, clocks.contact_due)
    if reply:
        order.reply_due = _later(order.reply_due, clocks.reply_due)


def _assign(order: WorkOrder, lead: Unit, co_units: Sequence[Unit], now: dt.datetime) -> None:
    if any(u.pk == lead.pk for u in co_units):
        raise InvalidInput(_("主办单位不能同时是协办单位。"), details={"co_units": [_("请去掉主办单位。")]})
    order.lead_unit = lead
    order.dispatched_at = now
    order.signed_at = None
    order.dispatch_count += 1


def _set_co_units(order: WorkOrder, co_units: Sequence[Unit]) -> None:
    order.co_units.set(co_units)


def _pending_return(order: WorkOrder) -> OrderReturn | None:
    return order.returns.filter(outcome=OrderReturn.Outcome.PENDING).order_by("-at").first()


def _close_return(order: WorkOrder, outcome: str, actor: User, now: dt.datetime, note: str,
                  rule: ResponsibilityRule | None = None) -> OrderReturn | None:
    ret = _pending_return(order)
    if ret is not None:
        ret.outcome, ret.decided_by, ret.decided_at, ret.decision_note = outcome, actor, now, note
        ret.decision_rule = rule
        ret.save()
    return ret


def rule_for(category: Category | None, area: Area | None, on: dt.date | None = None) -> ResponsibilityRule | None:
    """The responsibility-list rule in force for a category and area: the most specific area
    first (the area, its parents, then district-wide), then the category's parents."""
    if category is None:
        return None
    on = on or timezone.localdate()
    cats = category.lineage()
    rules = list(
        ResponsibilityRule.objects.filter(category__in=cats, effective_from__lte=on)
        .exclude(effective_to__lte=on)
        .select_related("lead_unit")
    )
    if not rules:
        return None
    areas: list[Area | None] = [*area.lineage(), None] if area is not None else [None]
    for cat in cats:
        for place in areas:
            for rule in rules:
                if rule.category_id == cat.pk and rule.area_id == (place.pk if place else None):
                    return rule
    return None


def _basis(order: WorkOrder, lead: Unit) -> ResponsibilityRule | None:
    """The rule an order's dispatch rests on: the one in force, if it names `lead` (a unit
    the list does not name has the dispatcher's decision as its basis, not the list)."""
    rule = rule_for(order.category, order.area)
    return rule if rule is not None and rule.lead_unit_id == lead.pk else None


def _rule(rule_id: Any) -> ResponsibilityRule | None:
    if rule_id in (None, ""):
        return None
    try:
        return ResponsibilityRule.objects.get(pk=_int(rule_id, "rule"))
    except (ResponsibilityRule.DoesNotExist, InvalidInput):
        raise InvalidInput(_("引用的权责清单条目不存在。"), details={"rule": [_("请选择有效的权责清单条目。")]}) from None


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
            _triage_on_commit([order])
    except IntegrityError:
        if data.idempotency_key:
            existing = WorkOrder.objects.filter(idempotency_key=data.idempotency_key).first()
            if existing is not None:
                return existing
        raise
    return order


def _triage_on_commit(orders: Sequence[WorkOrder]) -> None:
    """Queue triage of new orders once they are committed; imported history is not triaged."""
    ids = [o.pk for o in orders if o.pk is not None and o.channel != Channel.IMPORT]
    if not ids:
        return

    def enqueue() -> None:
        from hotline.triage.tasks import enqueue_triage  # lazy: triage imports this module

        if len(ids) == 1:
            enqueue_triage(ids)
            return
        # An import batch queues a task per order: one commit for all of them instead of one
        # each (on PostgreSQL every commit waits for the WAL flush). A failure still only logs.
        with transaction.atomic():
            enqueue_triage(ids)

    transaction.on_commit(enqueue)


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
        _triage_on_commit(created)
    return BatchResult(created=created, errors=errors, duplicates=duplicates)


# ---- the district centre decides --------------------------------------------------------------------


def do_dispatch(
    order_id: int, *, actor: User, unit_id: int, co_unit_ids: Sequence[int] = (), category_id: int | None = None,
    note: str = "", confidence: float | None = None,
) -> WorkOrder:
    """Send a received order to its lead unit (and co-units). The responsibility list decides:
    a dispatcher who sends it elsewhere must say why; the triage service may not."""
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.DISPATCH)
        now = timezone.now()
        if category_id not in (None, ""):
            category = Category.objects.filter(pk=_int(category_id, "category"), active=True).first()
            if category is None:
                raise InvalidInput(_("诉求分类不存在。"), details={"category": [_("请选择有效的分类。")]})
            order.category = category
        lead = _unit(unit_id)
        co = _units(co_unit_ids)
        rule = rule_for(order.category, order.area, timezone.localdate(now))
        basis = "rule" if rule is not None and rule.lead_unit_id == lead.pk else "override"
        if rule is None:
            basis = "model" if _role(actor) is Role.SYSTEM else "manual"
        if basis == "override":
            if _role(actor) is Role.SYSTEM:
                raise InvalidInput(_("智能派单只能按权责清单派给主办单位。"), details={"unit": [rule.label if rule else ""]})
            if len((note or "").strip()) < MIN_REASON_CHARS:
                raise InvalidInput(
                    _("权责清单（%(rule)s）规定由“%(unit)s”主办；改派其他单位须说明理由。")
                    % {"rule": rule.label if rule else "", "unit": rule.lead_unit.name if rule else ""},
                    code="outside_responsibility_list",
                    details={"unit": [_("不在权责清单规定的主办单位。")], "rule": rule.pk if rule else None},
                )
        _assign(order, lead, co, now)
        order.rule = rule if basis == "rule" else None
        _start_clocks(order, now)
        _finish(order, actor, A.DISPATCH, target, now, unit=lead.pk, co_units=[u.pk for u in co],
                rule=rule.pk if rule else None, basis=basis, note=(note or "").strip(), confidence=confidence,
                category=order.category_id)
        _set_co_units(order, co)
    return order


def _int(value: Any, field: str) -> int:
    number = as_id(value)
    if number is None:
        raise InvalidInput(_("参数格式不正确。"), details={field: [_("须为整数。")]})
    return number


def do_claim(order_id: int, *, actor: User, note: str = "") -> WorkOrder:
    """A unit claims an undispatched order as its own (主动认领)."""
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.CLAIM)
        # A unit claims only what it can see: undispatched orders from the area it governs.
        if order.area is None or order.area.unit_id != actor.unit_id:
            raise NotAllowed(_("只能认领本单位辖区内的工单。"), details={"action": str(A.CLAIM)})
        now = timezone.now()
        unit = _unit(actor.unit_id)
        _assign(order, unit, [], now)
        _start_clocks(order, now)
        _finish(order, actor, A.CLAIM, target, now, unit=unit.pk, note=(note or "").strip())
    return order


def do_answer(order_id: int, *, actor: User, answer: str) -> WorkOrder:
    """Close a request answered on the line (a consultation the agent could answer)."""
    answer = _reason(answer, "answer", min_chars=10)
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.ANSWER)
        now = timezone.now()
        Note.objects.create(order=order, kind=Note.Kind.ANSWER, text=answer, by=actor, at=now)
        order.closed_at = now
        _finish(order, actor, A.ANSWER, target, now, answer=answer)
    return order


SCREEN_REASONS = {
    "litigation": "属于诉讼、仲裁、信访等法定途径解决的事项",
    "emergency": "属于110/119/120/122紧急警情",
    "private_interest": "为个人私利的不合理诉求",
    "malicious": "恶意或辱骂性诉求",
    "repeat": "重复诉求，已有答复",
    "no_content": "无实质内容",
    "out_of_scope": "不属于本区政务服务范围",
}


def do_screen_out(order_id: int, *, actor: User, reason: str, advice: str) -> WorkOrder:
    """Decline a request outside the hotline's remit, telling the caller where to go."""
    if reason not in SCREEN_REASONS:
        raise InvalidInput(_("请选择不予受理的原因。"), details={"reason": [_("未知的原因。")]})
    advice = _reason(advice, "advice")
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.SCREEN_OUT)
        now = timezone.now()
        Note.objects.create(order=order, kind=Note.Kind.SCREENING, text=advice, by=actor, at=now)
        order.screen_reason = reason
        order.closed_at = now
        _finish(order, actor, A.SCREEN_OUT, target, now, reason=reason, advice=advice)
    return order


def do_restore(order_id: int, *, actor: User, note: str) -> WorkOrder:
    """Take a screened-out request back in (on appeal, or when screening was wrong)."""
    note = _reason(note)
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.RESTORE)
        now = timezone.now()
        previous = order.screen_reason
        order.screen_reason = ""
        order.closed_at = None
        _finish(order, actor, A.RESTORE, target, now, note=note, previous_reason=previous)
    return order


def do_merge(order_id: int, *, actor: User, main_order_id: int, note: str = "", score: float | None = None) -> WorkOrder:
    """Merge a duplicate into its main order. The main order gets an event too, so both
    traces tell the story; the merged caller is still called back when the main order is."""
    if as_id(order_id) is not None and as_id(order_id) == as_id(main_order_id):
        raise InvalidInput(_("不能把工单合并到它自己。"), details={"main_order": [_("请选择另一张工单。")]})
    with transaction.atomic(durable=True):
        # Lock both rows in id order so two merges never deadlock.
        first, second = sorted([_int(order_id, "order"), _int(main_order_id, "main_order")])
        locked = {first: _lock(first), second: _lock(second)}
        order, main = locked[_int(order_id, "order")], locked[_int(main_order_id, "main_order")]
        target = _check(order, actor, A.MERGE)
        if main.state in {State.MERGED, State.SCREENED_OUT}:
            raise InvalidInput(_("主工单已合并或不予受理，不能作为主工单。"), details={"main_order": [main.number]})
        now = timezone.now()
        order.main_order = main
        note = (note or "").strip()
        _finish(order, actor, A.MERGE, target, now, main_order=main.number, note=note, score=score)
        event = _append_event(main, actor, A.ANNOTATE, main.state, main.state, now,
                              {"merged_in": order.number, "note": note})
        main.updated_at = now
        main.save(update_fields=["event_seq", "last_hash", "updated_at"])
        event.save()
    return order


# ---- returns and arbitration ------------------------------------------------------------------------


def do_return(
    order_id: int, *, actor: User, kind: str, reason: str, suggested_unit_id: int | None = None,
    rule_id: int | None = None,
) -> WorkOrder:
    """A unit returns an order it should not handle, with the kind of reason and, where it can,
    the responsibility-list rule and the unit it thinks responsible."""
    if kind not in ReturnKind.values:
        raise InvalidInput(_("请选择回退类型。"), details={"kind": [_("未知的回退类型。")]})
    reason = _reason(reason, "reason", min_chars=10)
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.RETURN)
        now = timezone.now()
        suggested = _unit(suggested_unit_id, "suggested_unit") if suggested_unit_id not in (None, "") else None
        rule = _rule(rule_id)
        OrderReturn.objects.create(order=order, unit_id=order.lead_unit_id, kind=kind, reason=reason,
                                   suggested_unit=suggested, rule_cited=rule, by=actor, at=now)
        order.return_count += 1
        _finish(order, actor, A.RETURN, target, now, kind=kind, reason=reason, unit=order.lead_unit_id,
                suggested_unit=suggested.pk if suggested else None, rule=rule.pk if rule else None)
    return order


def do_accept_return(
    order_id: int, *, actor: User, unit_id: int, note: str, co_unit_ids: Sequence[int] = ()
) -> WorkOrder:
    """Agree with a return and send the order to a fixed unit (定点分派)."""
    note = _reason(note)
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.ACCEPT_RETURN)
        now = timezone.now()
        lead, co = _unit(unit_id), _units(co_unit_ids)
        if lead.pk == order.lead_unit_id:
            raise InvalidInput(_("同意回退须改派给其他单位；如仍由原单位办理，请驳回回退。"), details={"unit": [lead.name]})
        ret = _close_return(order, OrderReturn.Outcome.ACCEPTED, actor, now, note)
        if ret is not None and ret.kind == ReturnKind.NO_AUTHORITY:
            order.outside_authority = True
        previous = order.lead_unit_id
        _assign(order, lead, co, now)
        order.rule = _basis(order, lead)
        _start_clocks(order, now)
        _finish(order, actor, A.ACCEPT_RETURN, target, now, unit=lead.pk, previous_unit=previous,
                co_units=[u.pk for u in co], note=note)
        _set_co_units(order, co)
    return order


def do_reject_return(order_id: int, *, actor: User, note: str, rule_id: int | None = None) -> WorkOrder:
    """Refuse a return: the same unit keeps the order, citing the rule that makes it its own.
    Its reply clock keeps running from the first dispatch (pushing back buys no time)."""
    note = _reason(note)
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.REJECT_RETURN)
        now = timezone.now()
        rule = _rule(rule_id) or rule_for(order.category, order.area)
        _close_return(order, OrderReturn.Outcome.REJECTED, actor, now, note, rule)
        order.signed_at = None
        order.dispatched_at = now
        _start_clocks(order, now, reply=False)
        _finish(order, actor, A.REJECT_RETURN, target, now, unit=order.lead_unit_id, note=note,
                rule=rule.pk if rule else None)
    return order


def do_joint(order_id: int, *, actor: User, lead_unit_id: int, co_unit_ids: Sequence[int], note: str) -> WorkOrder:
    """Arrange joint handling (联合处办): one lead unit, one or more co-units."""
    note = _reason(note)
    if not co_unit_ids:
        raise InvalidInput(_("联合处办须指定至少一个协办单位。"), details={"co_units": [_("请选择协办单位。")]})
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.JOINT)
        now = timezone.now()
        lead, co = _unit(lead_unit_id, "lead_unit"), _units(co_unit_ids)
        _close_return(order, OrderReturn.Outcome.JOINT, actor, now, note)
        _assign(order, lead, co, now)
        order.rule = _basis(order, lead)
        _start_clocks(order, now)
        _finish(order, actor, A.JOINT, target, now, unit=lead.pk, co_units=[u.pk for u in co], note=note)
        _set_co_units(order, co)
    return order


def do_escalate(order_id: int, *, actor: User, unit_id: int, note: str) -> WorkOrder:
    """Send an order beyond the unit's authority to the authority that can act (an airport's
    flight-path complaint to the civil aviation authority). It no longer counts against the
    unit that returned it and is listed as an institutional gap."""
    note = _reason(note)
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.ESCALATE)
        now = timezone.now()
        unit = _unit(unit_id)
        if unit.pk == order.lead_unit_id:
            raise InvalidInput(_("提级须交给上级或有权处理的单位。"), details={"unit": [unit.name]})
        _close_return(order, OrderReturn.Outcome.ESCALATED, actor, now, note)
        previous = order.lead_unit_id
        order.outside_authority = True
        _assign(order, unit, [], now)
        order.rule = _basis(order, unit)
        _start_clocks(order, now)
        _finish(order, actor, A.ESCALATE, target, now, unit=unit.pk, previous_unit=previous, note=note)
        _set_co_units(order, [])
    return order


# ---- the unit handles it ----------------------------------------------------------------------------


def do_sign(order_id: int, *, actor: User) -> WorkOrder:
    """The lead unit signs for a dispatched order and starts handling it."""
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.SIGN)
        now = timezone.now()
        order.signed_at = now
        _finish(order, actor, A.SIGN, target, now, unit=actor.unit_id, late=bool(order.sign_due and now > order.sign_due))
    return order


def _note_action(action: Action, kind: str, order_id: int, actor: User, text: str, **extra: Any) -> WorkOrder:
    text = _reason(text, "text", min_chars=2)
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, action)
        now = timezone.now()
        Note.objects.create(order=order, kind=kind, text=text, by=actor, unit_id=actor.unit_id, at=now)
        if action is A.CONTACT and order.first_contact_at is None:
            order.first_contact_at = now
        if action is A.URGE:
            order.urge_count += 1
        if action is A.SUPERVISE:
            order.supervised = extra.get("on", True)
        _finish(order, actor, action, target, now, text=text, **extra)
    return order


def do_contact(order_id: int, *, actor: User, text: str, method: str = "phone") -> WorkOrder:
    """Record contact with the caller (the first one stops the first-contact clock)."""
    return _note_action(A.CONTACT, Note.Kind.CONTACT, order_id, actor, text, method=method)


def do_progress(order_id: int, *, actor: User, text: str) -> WorkOrder:
    """Record progress on site."""
    return _note_action(A.PROGRESS, Note.Kind.PROGRESS, order_id, actor, text)


def do_urge(order_id: int, *, actor: User, text: str) -> WorkOrder:
    """Urge the unit (催办): the caller or the centre chases the order."""
    return _note_action(A.URGE, Note.Kind.URGE, order_id, actor, text)


def do_supervise(order_id: int, *, actor: User, text: str, on: bool = True) -> WorkOrder:
    """Put an order under supervision (督办), or lift it, with an instruction."""
    return _note_action(A.SUPERVISE, Note.Kind.SUPERVISION, order_id, actor, text, on=on)


def do_annotate(order_id: int, *, actor: User, text: str) -> WorkOrder:
    """Add a note to an order in any state."""
    return _note_action(A.ANNOTATE, Note.Kind.ANNOTATION, order_id, actor, text)


def do_view_phone(order_id: int, *, actor: User) -> str:
    """A unit's person looks at the caller's full number (it is masked for units). The look
    is an event in the trace; the number is returned."""
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.VIEW_PHONE)
        now = timezone.now()
        _finish(order, actor, A.VIEW_PHONE, target, now, unit=actor.unit_id)
    return order.caller_phone


ALLOWED_EVIDENCE = {
    ".jpg": "photo", ".jpeg": "photo", ".png": "photo", ".webp": "photo", ".heic": "photo", ".gif": "photo",
    ".pdf": "document", ".doc": "document", ".docx": "document", ".txt": "document", ".xls": "document",
    ".xlsx": "document", ".mp3": "audio", ".m4a": "audio", ".amr": "audio", ".wav": "audio",
}
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024


def do_attach(order_id: int, *, actor: User, name: str, content: bytes, kind: str | None = None) -> Evidence:
    """Attach a file to the trace (a site photo taken on a phone, a document, a recording)."""
    name = (name or "").strip()[-200:] or "file"
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if ext not in ALLOWED_EVIDENCE:
        raise InvalidInput(_("不支持的文件类型：%(ext)s。") % {"ext": ext or name},
                           details={"file": [_("请上传照片、PDF、Word、Excel或录音文件。")]})
    if not content:
        raise InvalidInput(_("文件是空的。"), details={"file": [_("请重新选择文件。")]})
    if len(content) > MAX_EVIDENCE_BYTES:
        raise InvalidInput(_("文件过大（不能超过20MB）。"), details={"file": [_("请压缩后再上传。")]})
    kind = kind or ALLOWED_EVIDENCE[ext]
    if kind not in Evidence.Kind.values:
        raise InvalidInput(_("未知的材料类型。"), details={"kind": [kind]})
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.ATTACH)
        now = timezone.now()
        evidence = Evidence(order=order, kind=kind, name=name, sha256=digest, size=len(content),
                            uploaded_by=actor, uploaded_at=now)
        evidence.file.save(f"{order.number}-{digest[:12]}{ext}", ContentFile(content), save=False)
        evidence.save()
        _finish(order, actor, A.ATTACH, target, now, evidence=evidence.pk, name=name, sha256=digest, kind=kind)
    return evidence


def do_request_extension(order_id: int, *, actor: User, days: int, reason: str) -> ExtensionRequest:
    """Ask for more working days, with the reason (wage arrears without written evidence take
    longer than five days to reconcile)."""
    reason = _reason(reason, "reason", min_chars=10)
    days = _int(days, "days")
    if not 1 <= days <= settings.HOTLINE_MAX_EXTENSION_DAYS:
        raise InvalidInput(_("延期天数须在1到%(n)d个工作日之间。") % {"n": settings.HOTLINE_MAX_EXTENSION_DAYS},
                           details={"days": [_("天数超出范围。")]})
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.REQUEST_EXTENSION)
        if order.extensions.filter(status=ExtensionRequest.Status.PENDING).exists():
            raise Conflict(_("已有一份待审批的延期申请。"))
        now = timezone.now()
        req = ExtensionRequest.objects.create(order=order, unit_id=actor.unit_id, requested_by=actor,
                                              requested_at=now, days=days, reason=reason)
        _finish(order, actor, A.REQUEST_EXTENSION, target, now, request=req.pk, days=days, reason=reason)
    return req


def _decide_extension(order_id: int, actor: User, action: Action, note: str, days: int | None) -> ExtensionRequest:
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, action)
        req = order.extensions.filter(status=ExtensionRequest.Status.PENDING).order_by("-requested_at").first()
        if req is None:
            raise InvalidTransition(_("没有待审批的延期申请。"))
        now = timezone.now()
        req.decided_by, req.decided_at, req.decision_note = actor, now, note
        if action is A.APPROVE_EXTENSION:
            granted = req.days if days in (None, "") else _int(days, "days")
            if not 1 <= granted <= req.days:
                raise InvalidInput(_("批准天数须在1到申请天数之间。"), details={"days": [str(req.days)]})
            req.status = ExtensionRequest.Status.APPROVED
            req.old_due = order.reply_due
            base = order.reply_due or now
            order.reply_due = deadlines.extend(base, granted, _calendar(base))
            req.new_due = order.reply_due
            req.days = granted
            order.extension_days += granted
        else:
            req.status = ExtensionRequest.Status.DENIED
        req.save()
        _finish(order, actor, action, target, now, request=req.pk, days=req.days, note=note,
                old_due=req.old_due, new_due=req.new_due)
    return req


def do_approve_extension(order_id: int, *, actor: User, note: str = "", days: int | None = None) -> ExtensionRequest:
    """Approve the pending extension (all or part of the days asked); the reply clock moves."""
    return _decide_extension(order_id, actor, A.APPROVE_EXTENSION, (note or "").strip(), days)


def do_deny_extension(order_id: int, *, actor: User, note: str) -> ExtensionRequest:
    """Deny the pending extension, with a reason."""
    return _decide_extension(order_id, actor, A.DENY_EXTENSION, _reason(note), None)


def do_reply(
    order_id: int, *, actor: User, responder: str, process: str, outcome: str,
    result: str = Reply.Result.RESOLVED, contacted_caller: bool = False,
) -> Reply:
    """Reply to the hotline. The category's procedure decides what a reply must contain; an
    incomplete reply is refused with the list of what is missing. Under sampled review a reply
    not drawn passes review at once, by the system, with that reason in the trace."""
    if result not in Reply.Result.values:
        raise InvalidInput(_("请选择办理结论。"), details={"result": [_("未知的办理结论。")]})
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.REPLY)
        profile = procedures.profile_for(order)
        fresh_evidence = order.evidence.filter(reply__isnull=True)
        draft = procedures.Draft(responder=responder or "", process=process or "", outcome=outcome or "",
                                 contacted_caller=contacted_caller, evidence_count=fresh_evidence.count())
        gaps = procedures.reply_gaps(profile, draft, contact_recorded=order.first_contact_at is not None)
        if gaps:
            raise InvalidInput(
                _("答复不完整：") + "；".join(g.message.rstrip("。") for g in gaps) + "。",
                code="reply_incomplete", details={"missing": [g.code for g in gaps],
                                                  "messages": [g.message for g in gaps]},
            )
        now = timezone.now()
        if contacted_caller and order.first_contact_at is None:
            order.first_contact_at = now
        reply = Reply.objects.create(
            order=order, unit_id=order.lead_unit_id, author=actor, responder=draft.responder.strip(), replied_at=now,
            process=draft.process.strip(), outcome=draft.outcome.strip(), result=result,
            contacted_caller=contacted_caller,
            round=order.redo_count + 1,
        )
        fresh_evidence.update(reply=reply)
        order.replied_at = now
        drawn = procedures.drawn_for_review(profile, order.number, reply.round)
        _finish(order, actor, A.REPLY, target, now, reply=reply.pk, round=reply.round, result=result,
                late=bool(order.reply_due and now > order.reply_due), review="full" if drawn else "not_drawn")
        if not drawn:
            system = system_user()
            Review.objects.create(order=order, reply=reply, reviewer=system, decision=Review.Decision.APPROVE,
                                  note="抽样审核未抽中，自动通过", sampled=False, at=now)
            after = states.next_state(State(order.state), A.APPROVE)
            assert after is not None
            _finish(order, system, A.APPROVE, after, now, reply=reply.pk, reason="sample_not_drawn")
    return reply


REDO_REASONS = {
    "no_process": "未写明处办过程",
    "no_outcome": "未写明办理结果",
    "no_contact": "未与来电人联系",
    "brush_off": "推诿，仅让来电人另寻途径",
    "not_solved": "诉求未解决且未说明原因",
    "no_evidence": "缺少现场证据",
    "inconsistent": "答复与诉求不符",
    "other": "其他",
}


def do_approve(order_id: int, *, actor: User, note: str = "") -> Review:
    """Accept a reply: the order goes to callback."""
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.APPROVE)
        now = timezone.now()
        reply = order.replies.order_by("-round").first()
        if reply is None:
            raise InvalidTransition(_("没有可审核的答复。"))
        note = (note or "").strip()
        review = Review.objects.create(order=order, reply=reply, reviewer=actor, decision=Review.Decision.APPROVE,
                                       note=note, sampled=True, at=now)
        _finish(order, actor, A.APPROVE, target, now, reply=reply.pk, note=note)
    return review


def do_redo(order_id: int, *, actor: User, reasons: Sequence[str], note: str) -> Review:
    """Reject a reply for redo (驳回重办), with the reasons; the unit has at least the redo limit
    again to reply."""
    reasons = list(dict.fromkeys(reasons or []))
    unknown = [r for r in reasons if r not in REDO_REASONS]
    if not reasons or unknown:
        raise InvalidInput(_("请选择驳回理由。"), details={"reasons": unknown or [_("至少选择一项。")]})
    note = _reason(note)
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.REDO)
        now = timezone.now()
        reply = order.replies.order_by("-round").first()
        if reply is None:
            raise InvalidTransition(_("没有可审核的答复。"))
        review = Review.objects.create(order=order, reply=reply, reviewer=actor, decision=Review.Decision.REDO,
                                       reasons=reasons, note=note, sampled=True, at=now)
        order.redo_count += 1
        order.reply_due = _later(order.reply_due, _calendar(now).add(now, settings.HOTLINE_REDO_LIMIT))
        _finish(order, actor, A.REDO, target, now, reply=reply.pk, reasons=reasons, note=note)
    return review


# ---- callback -----------------------------------------------------------------------------------------


def do_callback(
    order_id: int, *, actor: User, valid: bool = True, contacted: bool | None = None, resolved: bool | None = None,
    satisfaction: str = "", phone: str = "", note: str = "",
) -> Callback:
    """Record the caller's answers and close the order. An invalid callback (unreachable after
    several attempts, or refused) closes it without counting in the rates. A merged order's
    caller is called back once its main order has been replied to and approved."""
    if valid and (resolved is None or satisfaction not in Satisfaction.values):
        raise InvalidInput(_("有效回访须记录是否解决和满意度。"),
                           details={"resolved": [_("必填。")], "satisfaction": [_("必填。")]})
    note = (note or "").strip()
    if not valid and len(note) < 2:
        raise InvalidInput(_("无效回访请说明原因。"), details={"note": [_("必填。")]})
    msg = phone_error(phone)
    if msg:
        raise InvalidInput(msg, details={"phone": [msg]})
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.CALLBACK)
        if order.state == State.MERGED:
            main = _root(order)
            if main.state not in {State.AWAITING_CALLBACK, State.CLOSED}:
                raise InvalidTransition(_("主工单%(n)s尚未答复，暂不能回访。") % {"n": main.number})
            if order.callbacks.filter(reached=True).exists():
                raise InvalidTransition(_("已回访过。"))
        now = timezone.now()
        unit_id = order.lead_unit_id if order.state != State.MERGED else _root(order).lead_unit_id
        callback = Callback.objects.create(
            order=order, agent=actor, at=now, reached=True, phone=normalise_phone(phone) or order.caller_phone,
            valid=valid, contacted=contacted if valid else None, resolved=resolved if valid else None,
            satisfaction=satisfaction if valid else "", note=note.strip(), unit_id=unit_id,
        )
        if order.state != State.MERGED:
            order.closed_at = now
        _finish(order, actor, A.CALLBACK, target, now, callback=callback.pk, valid=valid, contacted=contacted,
                resolved=resolved, satisfaction=satisfaction, unit=unit_id,
                other_phone=bool(phone) and normalise_phone(phone) != order.caller_phone)
    return callback


def _root(order: WorkOrder) -> WorkOrder:
    node, hops = order, 0
    while node.main_order_id is not None and hops < 20:
        node = WorkOrder.objects.get(pk=node.main_order_id)
        hops += 1
    return node


def do_callback_attempt(order_id: int, *, actor: User, note: str = "未接通") -> Callback:
    """Record a callback attempt that did not reach the caller."""
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.CALLBACK_ATTEMPT)
        now = timezone.now()
        callback = Callback.objects.create(order=order, agent=actor, at=now, reached=False, valid=False,
                                           phone=order.caller_phone, note=(note or "").strip()[:500])
        _finish(order, actor, A.CALLBACK_ATTEMPT, target, now, callback=callback.pk, note=note)
    return callback


def do_reopen(order_id: int, *, actor: User, reason: str) -> WorkOrder:
    """Send an order back to its unit: the caller says it is not resolved (callback agent), or a
    supervisor reopens a closed order."""
    reason = _reason(reason, "reason")
    with transaction.atomic(durable=True):
        order = _lock(order_id)
        target = _check(order, actor, A.REOPEN)
        # An order answered at intake was never dispatched: reopened, it would sit in progress
        # with no unit able to reply to it.
        if order.lead_unit_id is None:
            raise InvalidTransition(_("该工单受理时已直接答复，没有承办单位，不能重新办理；如需办理请新建工单。"),
                                    details={"state": order.state, "action": str(A.REOPEN)})
        now = timezone.now()
        order.closed_at = None
        order.reply_due = _later(order.reply_due, _calendar(now).add(now, settings.HOTLINE_REDO_LIMIT))
        _finish(order, actor, A.REOPEN, target, now, reason=reason)
    return order


# ---- the system's own actor ---------------------------------------------------------------------------


def system_user() -> User:
    """The account the triage service and other automatic steps act as."""
    user, _created = User.objects.get_or_create(
        username="system", defaults={"role": Role.SYSTEM.value, "display_name": "智能甄别", "is_active": False}
    )
    return user


# ---- history import (a district moving from its old system) --------------------------------------------


@dataclass
class HistoryRecord:
    """One closed order from an old system, already parsed and checked (assessment/history.py
    does the CSV). Times are aware datetimes; area, category and unit are directory objects."""

    number: str
    received_at: dt.datetime
    title: str
    description: str
    unit: Unit
    channel: str = Channel.PHONE
    caller_name: str = ""
    caller_phone: str = ""
    area: Area | None = None
    address: str = ""
    category: Category | None = None
    urgency: str = Urgency.GENERAL
    dispatched_at: dt.datetime | None = None
    signed_at: dt.datetime | None = None
    first_contact_at: dt.datetime | None = None
    replied_at: dt.datetime | None = None
    reply: str = ""
    redo_count: int = 0
    return_count: int = 0
    closed_at: dt.datetime | None = None
    callback_valid: bool = False
    callback_phone: str = ""
    contacted: bool | None = None
    resolved: bool | None = None
    satisfaction: str = ""


@dataclass
class HistoryResult:
    created: list[str]  # order numbers
    skipped: list[str]  # numbers already in the database (an import run twice)


def do_import_history(rows: Sequence[HistoryRecord], *, actor: User) -> HistoryResult:
    """Load closed orders with their whole life, in one transaction (administrators only).

    Each order gets the chain create → dispatch → (return → reject_return)* → sign → (contact)
    → reply → (redo → reply)* → approve → callback along states.TRANSITIONS, every event with
    imported=True and its historical time, plus its Reply, Review, OrderReturn and Callback rows,
    so the trace stays honest about where the history came from. Numbers already present are
    skipped. What the old system did not record (return outcomes, redo times) is marked as such
    in the events' data; redo rounds are spread evenly between sign-for and the final reply."""
    if _role(actor) is not Role.ADMIN:
        raise NotAllowed(_("只有系统管理员可以导入历史工单。"))
    numbers = [r.number for r in rows]
    existing = set(WorkOrder.objects.filter(number__in=numbers).values_list("number", flat=True))
    todo, seen = [], set(existing)
    for r in rows:
        if r.number not in seen:
            seen.add(r.number)
            todo.append(r)
    if not todo:
        return HistoryResult(created=[], skipped=sorted(existing))
    first_day = min(timezone.localdate(r.received_at) for r in todo)
    last_day = max(timezone.localdate(r.closed_at or r.received_at) for r in todo)
    cal = deadlines.load_calendar(first_day, span_days=(last_day - first_day).days + 60)
    with transaction.atomic(durable=True):
        now = timezone.now()
        plans = [_history_plan(r, actor, cal, now) for r in todo]
        WorkOrder.objects.bulk_create([p[0] for p in plans], batch_size=500)
        replies: list[Reply] = []
        for order, _events, reps, *_rest in plans:
            for rep in reps:
                rep.order = order
            replies.extend(reps)
        Reply.objects.bulk_create(replies, batch_size=500)
        reviews, returns, callbacks, events = [], [], [], []
        for order, evs, reps, revs, rets, cbs in plans:
            for rev, idx in revs:
                rev.order, rev.reply = order, reps[idx]
                reviews.append(rev)
            for obj in (*rets, *cbs):
                obj.order = order
            returns.extend(rets)
            callbacks.extend(cbs)
            for ev in evs:
                ev.order = order
            events.extend(evs)
        Review.objects.bulk_create(reviews, batch_size=500)
        OrderReturn.objects.bulk_create(returns, batch_size=500)
        Callback.objects.bulk_create(callbacks, batch_size=500)
        Event.objects.bulk_create(events, batch_size=1000)
    return HistoryResult(created=[p[0].number for p in plans], skipped=sorted(existing & set(numbers)))


def _history_plan(r: HistoryRecord, actor: User, cal: deadlines.WorkCalendar, now: dt.datetime) -> tuple:
    """The order, its events and its rows for one record (nothing saved)."""
    t0 = r.received_at
    # Times never run backwards in the trace, whatever the old system recorded.
    t_dispatch = max(r.dispatched_at or t0, t0)
    t_sign = max(r.signed_at or t_dispatch, t_dispatch)
    t_contact = max(r.first_contact_at, t_sign) if r.first_contact_at else None
    t_reply = max(r.replied_at or t_sign, t_contact or t_sign)
    t_close = max(r.closed_at or t_reply, t_reply)
    order = WorkOrder(
        number=r.number, channel=r.channel, caller_name=r.caller_name[:50], caller_phone=normalise_phone(r.caller_phone),
        address=r.address[:200], area=r.area, title=r.title[:200] or r.number, description=r.description or r.title,
        category=r.category, urgency=r.urgency, state=State.CLOSED, lead_unit=r.unit, received_at=t0,
        dispatched_at=t_dispatch, signed_at=t_sign, first_contact_at=t_contact, replied_at=t_reply, closed_at=t_close,
        redo_count=r.redo_count, return_count=r.return_count, dispatch_count=1, created_by=actor, imported=True,
        idempotency_key=f"history:{r.number}"[:80], updated_at=now,
    )
    clocks = deadlines.clocks_from(t_dispatch, r.urgency, cal)
    order.sign_due, order.contact_due, order.reply_due = clocks.sign_due, clocks.contact_due, clocks.reply_due
    events: list[Event] = []
    unit_id = r.unit.pk

    def ev(action: Action, src: str, dst: str, at: dt.datetime, unit_event: bool = False, **data: Any) -> None:
        event = _append_event(order, actor, action, src, dst, at, {**data, "source": "history"}, imported=True)
        event.actor_unit_id = unit_id if unit_event else None
        events.append(event)

    ev(A.CREATE, "", State.RECEIVED, t0, **_intake_data(order))
    ev(A.DISPATCH, State.RECEIVED, State.DISPATCHED, t_dispatch, unit=unit_id, basis="history")
    returns = []
    for i in range(r.return_count):
        ev(A.RETURN, State.DISPATCHED, State.RETURNED, t_dispatch, True, unit=unit_id, kind=ReturnKind.NOT_REMIT,
           note="outcome not recorded by the old system")
        ev(A.REJECT_RETURN, State.RETURNED, State.DISPATCHED, t_dispatch, unit=unit_id, note="history")
        returns.append(OrderReturn(unit=r.unit, kind=ReturnKind.NOT_REMIT, reason=f"历史数据：第{i + 1}次退单（原系统未记录理由）",
                                   by=actor, at=t_dispatch, outcome=OrderReturn.Outcome.REJECTED, decided_by=actor,
                                   decided_at=t_dispatch, decision_note="历史数据"))
    ev(A.SIGN, State.DISPATCHED, State.IN_PROGRESS, t_sign, True, unit=unit_id, late=t_sign > clocks.sign_due)
    if t_contact:
        ev(A.CONTACT, State.IN_PROGRESS, State.IN_PROGRESS, t_contact, True)
    replies, reviews = [], []
    rounds = r.redo_count + 1
    step = (t_reply - t_sign) / rounds
    for i in range(rounds):
        at = t_reply if i == rounds - 1 else t_sign + step * (i + 1)
        final = i == rounds - 1
        replies.append(Reply(unit=r.unit, author=actor, responder=r.unit.name[:50], replied_at=at,
                             process="" if final else "历史数据：被驳回的答复（原系统未保存内容）",
                             outcome=r.reply if final else "", result=Reply.Result.RESOLVED if r.resolved else
                             Reply.Result.UNRESOLVED, contacted_caller=t_contact is not None, round=i + 1))
        ev(A.REPLY, State.IN_PROGRESS, State.REPLIED, at, True, round=i + 1, late=at > order.reply_due)
        decision = Review.Decision.APPROVE if final else Review.Decision.REDO
        reviews.append((Review(reviewer=actor, decision=decision, reasons=[] if final else ["other"],
                               note="历史数据", sampled=True, at=at), i))
        ev(A.APPROVE if final else A.REDO, State.REPLIED, State.AWAITING_CALLBACK if final else State.IN_PROGRESS, at,
           round=i + 1)
    valid = bool(r.callback_valid) and r.resolved is not None and r.satisfaction in Satisfaction.values
    phone = normalise_phone(r.callback_phone) or order.caller_phone
    callback = Callback(agent=actor, at=t_close, reached=True, phone=phone, valid=valid,
                        contacted=r.contacted if valid else None, resolved=r.resolved if valid else None,
                        satisfaction=r.satisfaction if valid else "", unit=r.unit,
                        note="" if valid else "历史数据：无有效回访")
    ev(A.CALLBACK, State.AWAITING_CALLBACK, State.CLOSED, t_close, valid=valid, contacted=callback.contacted,
       resolved=callback.resolved, satisfaction=callback.satisfaction, unit=unit_id,
       other_phone=bool(r.callback_phone) and phone != order.caller_phone)
    return order, events, replies, reviews, returns, [callback]

