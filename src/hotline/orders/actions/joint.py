"""Joint handling (联合处办): each co-unit's own part of the order (协办任务), with its clock and
its reply, gathered by the lead unit's reply. docs/joint.md has the whole design.

The co-unit signs (do_co_sign) and replies (do_co_reply) its part; the lead unit urges an owed
part (do_co_urge). None of these moves the order (states.py maps each to the state it is in);
each moves the part by orders/coparts.py's table and writes one event on the order. The centre's
dispatch actions set the parts with the co-units (sync_parts), the lead's reply gathers them
(gather) and a redo reopens the parts it names (reopen)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.directory.models import Unit, User
from hotline.errors import Conflict, InvalidInput, InvalidTransition

from .. import clock, coparts
from ..coparts import PartState, PartStep
from ..models import CoPart, Evidence, Note, Reply, WorkOrder
from ._base import A, _atomic, _calendar, _check, _finish, _int, _lock, _reason, _set_co_units

MIN_CO_REPLY_CHARS = 10
MAX_ASK_CHARS = 1000


def co_due(order: WorkOrder, now: dt.datetime) -> dt.datetime:
    """A part's due time: HOTLINE_CO_REPLY_DAYS working days from `now`, and no more than half the
    working days left to the lead's own reply, so that the lead has time to gather the parts (a
    part due at the lead's deadline left the lead no way to reply in time but the co-unit's). On
    a clock shorter than two working days (a 24-hour order) the part is due halfway in time."""
    cal = _calendar()
    days = settings.HOTLINE_CO_REPLY_DAYS
    if order.reply_due is None:
        return cal.add(now, (days, "workdays"))
    left = cal.workdays_between(timezone.localdate(now), timezone.localdate(order.reply_due))
    if left // 2 >= 1:
        return min(cal.add(now, (min(days, left // 2), "workdays")), order.reply_due)
    return now + (order.reply_due - now) / 2 if order.reply_due > now else order.reply_due


def _step(part: CoPart, step: PartStep) -> None:
    after = coparts.next_part_state(PartState(part.state), step)
    if after is None:
        raise InvalidTransition(_("协办任务当前状态为“%(state)s”，不能执行此操作。") % {"state": part.state_label},
                                code="part_state", details={"part": part.pk, "state": part.state, "step": str(step)})
    part.state = after.value


def check_asks(asks: Mapping[Any, Any] | None, co_ids: Sequence[int]) -> dict[int, str]:
    """The centre's note to each co-unit ({unit id: what is asked of it}), for co-units only."""
    if not asks:
        return {}
    if not isinstance(asks, Mapping):
        raise InvalidInput(_("参数格式不正确。"), details={"co_asks": [_("须为协办单位与协办事项的对应。")]})
    out: dict[int, str] = {}
    for key, text in asks.items():
        unit_id = _int(key, "co_asks")
        if unit_id not in co_ids:
            raise InvalidInput(_("协办事项只能交给本次指定的协办单位。"), details={"co_asks": [str(unit_id)]})
        text = (text if isinstance(text, str) else "").strip()
        if len(text) > MAX_ASK_CHARS:
            raise InvalidInput(_("协办事项不能超过%(n)d个字。") % {"n": MAX_ASK_CHARS}, details={"co_asks": [str(unit_id)]})
        if text:
            out[unit_id] = text
    return out


def set_co_units(order: WorkOrder, co_units: Sequence[Unit], now: dt.datetime,
                 asks: Mapping[int, str] | None = None) -> dict[str, Any]:
    """The centre sets the order's co-units (with an assignment) and with them their parts."""
    if not co_units and order.dispatch_count <= 1:
        return {}  # a first assignment without co-units: nothing to set or withdraw
    _set_co_units(order, co_units)
    return sync_parts(order, co_units, now, asks)


def sync_parts(order: WorkOrder, co_units: Sequence[Unit], now: dt.datetime,
               asks: Mapping[int, str] | None = None) -> dict[str, Any]:
    """The order's parts after the centre set its co-units: a new co-unit gets a part (assigned,
    due by co_due), one asked again after a withdrawal gets it back afresh, one still a co-unit keeps
    its part as it is (a new ask replaces the old), one no longer a co-unit has its part withdrawn.
    Returns what the centre's event records of it."""
    asks = asks or {}
    wanted = {u.pk for u in co_units}
    parts = {p.unit_id: p for p in order.co_parts.all()}
    due = co_due(order, now) if wanted else None
    for part in parts.values():
        if part.unit_id not in wanted and part.state != PartState.WITHDRAWN:
            _step(part, PartStep.WITHDRAW)
            part.save(update_fields=["state"])
    for unit_id in wanted:
        part = parts.get(unit_id)
        if part is None:
            CoPart.objects.create(order=order, unit_id=unit_id, ask=asks.get(unit_id, ""), assigned_at=now, due=due)
            continue
        if part.state == PartState.WITHDRAWN:
            _step(part, PartStep.REASSIGN)
            part.assigned_at, part.due, part.signed_at, part.gathered_by = now, due, None, None
        if unit_id in asks:
            part.ask = asks[unit_id]
        part.save()
    return {"co_due": due, "co_asks": {str(k): v for k, v in sorted(asks.items())}} if wanted else {}


def _own_part(order: WorkOrder, actor: User) -> CoPart:
    part = order.co_parts.filter(unit_id=actor.unit_id).exclude(state=PartState.WITHDRAWN).first()
    if part is None:
        raise InvalidTransition(_("您的单位在这张工单上没有协办任务。"), code="no_part")
    return part


def do_co_sign(order_id: int, *, actor: User) -> CoPart:
    """A co-unit signs for its part of a joint order (协办签收).

    Before: the actor's unit co-handles the order (not leads it), its part is assigned, and the
    order is dispatched or in progress. After: the part is signed (signed_at now) and one event;
    the order's state and clocks are as they were."""
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.CO_SIGN)
        part = _own_part(order, actor)
        _step(part, PartStep.SIGN)
        now = clock.now()
        part.signed_at = now
        part.save(update_fields=["state", "signed_at"])
        _finish(order, actor, A.CO_SIGN, target, now, part=part.pk, unit=part.unit_id, due=part.due,
                late=now > part.due)
    return part


def do_co_reply(order_id: int, *, actor: User, text: str) -> CoPart:
    """A co-unit replies its part to the lead unit (协办答复): what it did and found, at least
    MIN_CO_REPLY_CHARS characters; the files its people attached to the order since they last
    replied go with it as its evidence.

    Before: the actor's unit co-handles the order, its part is signed (or reopened by a redo) and
    the order is dispatched or in progress. After: the part is replied (replied_at now; the first
    reply also sets first_replied_at and whether it was late), its files point at it, one event."""
    text = _reason(text, "text", min_chars=MIN_CO_REPLY_CHARS)
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.CO_REPLY)
        part = _own_part(order, actor)
        if part.state == PartState.ASSIGNED:
            raise InvalidTransition(_("请先签收协办任务，再答复。"), code="part_not_signed")
        _step(part, PartStep.REPLY)
        now = clock.now()
        part.reply, part.replied_at, part.replied_by = text, now, actor
        late = now > part.due
        if part.first_replied_at is None:
            part.first_replied_at, part.first_late = now, late
        part.save()
        files = Evidence.objects.filter(order=order, reply__isnull=True, co_part__isnull=True,
                                        uploaded_by__unit_id=part.unit_id)
        ids = sorted(files.values_list("pk", flat=True))
        if ids:
            Evidence.objects.filter(pk__in=ids).update(co_part=part)
        _finish(order, actor, A.CO_REPLY, target, now, part=part.pk, unit=part.unit_id, round=part.round,
                late=late, evidence=ids, text=text)
    return part


def do_co_urge(order_id: int, *, actor: User, unit_id: int, text: str) -> CoPart:
    """The lead unit urges a co-unit whose part it still waits for (催办协办单位), with a note.

    Before: the actor's unit leads the order, `unit_id` has a part still owed (assigned or
    signed). After: the part's urge count is one more, a note of kind urge, one event."""
    text = _reason(text, "text", min_chars=2)
    unit_pk = _int(unit_id, "unit_id")
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.CO_URGE)
        part = order.co_parts.filter(unit_id=unit_pk).exclude(state=PartState.WITHDRAWN).first()
        if part is None:
            raise InvalidInput(_("该单位不是这张工单的协办单位。"), details={"unit_id": [str(unit_pk)]})
        _step(part, PartStep.URGE)
        now = clock.now()
        part.urge_count += 1
        part.save(update_fields=["urge_count"])
        Note.objects.create(order=order, kind=Note.Kind.URGE, text=text, by=actor, unit_id=actor.unit_id, at=now)
        _finish(order, actor, A.CO_URGE, target, now, part=part.pk, unit=part.unit_id, text=text,
                overdue=now > part.due)
    return part


def gather(order: WorkOrder, reply: Reply, now: dt.datetime, co_gap: str) -> dict[str, Any]:
    """The lead's reply gathers the parts: those replied (and not gathered by an earlier reply)
    point at it. A part still owed and not yet due stops the reply (Conflict); one owed and overdue
    lets it go, with the gap stated in `co_gap`. Returns what the reply's event records."""
    parts = list(order.co_parts.exclude(state=PartState.WITHDRAWN).select_related("unit"))
    owed = [p for p in parts if p.state in coparts.PENDING]
    waiting = [p for p in owed if not p.overdue(now)]
    if waiting:
        raise Conflict(
            _("协办单位尚未答复且未超期：%(units)s。请等待协办答复或催办协办单位。")
            % {"units": "、".join(p.unit.name for p in waiting)},
            code="co_parts_pending", details={"units": [p.unit_id for p in waiting]})
    if owed and len(co_gap.strip()) < 5:
        raise InvalidInput(
            _("协办单位超期未答复：%(units)s。请在答复中说明缺项（至少5个字）。") % {"units": "、".join(p.unit.name for p in owed)},
            code="co_gap_required", details={"co_gap": [_("请说明缺少哪些协办答复及原因。")]})
    gathered = [p for p in parts if p.state == PartState.REPLIED and p.gathered_by_id is None]
    if gathered:
        CoPart.objects.filter(pk__in=[p.pk for p in gathered]).update(gathered_by=reply)
    return {"co_gathered": [p.pk for p in gathered], "co_missing": [p.pk for p in owed],
            "co_gap": co_gap.strip() if owed else ""}


def reopen(order: WorkOrder, unit_ids: Sequence[Any], now: dt.datetime) -> list[int]:
    """A redo that names co-units reopens their replied parts: each is owed again, due by co_due
    from now (against the redo's new reply clock), one more redo on its count. Returns the parts."""
    ids = list(dict.fromkeys(_int(u, "co_unit_ids") for u in unit_ids))
    if not ids:
        return []
    parts = {p.unit_id: p for p in order.co_parts.filter(unit_id__in=ids).exclude(state=PartState.WITHDRAWN)}
    unknown = [u for u in ids if u not in parts]
    if unknown:
        raise InvalidInput(_("只能退回本工单协办单位已答复的协办任务。"), details={"co_unit_ids": [str(u) for u in unknown]})
    due = co_due(order, now)
    for part in parts.values():
        _step(part, PartStep.REOPEN)
        part.round += 1
        part.redo_count += 1
        part.due, part.gathered_by = due, None
        part.save()
    return sorted(p.pk for p in parts.values())
