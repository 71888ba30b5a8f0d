"""The district centre's decisions: dispatch, claim, answer, screen out, restore, merge, and the arbitration of returns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline import outbox
from hotline.directory import snapshot
from hotline.directory.models import Category, User
from hotline.directory.roles import Role
from hotline.errors import InvalidInput, NotAllowed

from .. import clock, policies
from ..models import (
    Note,
    OrderReturn,
    ReturnKind,
    WorkOrder,
)
from ..states import State
from ..validation import as_id
from ._base import (
    MIN_REASON_CHARS,
    A,
    _append_event,
    _assign,
    _atomic,
    _basis,
    _check,
    _close_return,
    _finish,
    _int,
    _lock,
    _reason,
    _role,
    _rule,
    _rule_of,
    _start_clocks,
    _unit,
    _units,
)
from .joint import check_asks, set_co_units

# ---- the district centre decides --------------------------------------------------------------------


def do_dispatch(
    order_id: int, *, actor: User, unit_id: int, co_unit_ids: Sequence[int] = (), category_id: int | None = None,
    note: str = "", confidence: float | None = None,
) -> WorkOrder:
    """Send a received order to its lead unit (and co-units). The responsibility list decides:
    a dispatcher who sends it elsewhere must say why; the triage service may not."""
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.DISPATCH)
        now = clock.now()
        if category_id not in (None, ""):
            category = Category.objects.filter(pk=_int(category_id, "category"), active=True).first()
            if category is None:
                raise InvalidInput(_("诉求分类不存在。"), details={"category": [_("请选择有效的分类。")]})
            order.category = category
        lead = _unit(unit_id)
        co = _units(co_unit_ids)
        copy = snapshot.current()  # the reference data, read once for the whole step
        rule = _rule_of(order, copy, timezone.localdate(now))
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
        deadline = _start_clocks(order, now, copy)
        parts = set_co_units(order, co, now)
        _finish(order, actor, A.DISPATCH, target, now, unit=lead.pk, co_units=[u.pk for u in co],
                rule=rule.pk if rule else None, basis=basis, note=(note or "").strip(), confidence=confidence,
                category=order.category_id, **deadline, **parts)
    return order



def do_claim(order_id: int, *, actor: User, note: str = "") -> WorkOrder:
    """A unit claims an undispatched order as its own (主动认领)."""
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.CLAIM)
        # A unit claims only what it can see: undispatched orders from the area it governs.
        if order.area is None or order.area.unit_id != actor.unit_id:
            raise NotAllowed(_("只能认领本单位辖区内的工单。"), details={"action": str(A.CLAIM)})
        now = clock.now()
        unit = _unit(actor.unit_id)
        _assign(order, unit, [], now)
        deadline = _start_clocks(order, now, snapshot.current())
        _finish(order, actor, A.CLAIM, target, now, unit=unit.pk, note=(note or "").strip(), **deadline)
    return order


def do_answer(order_id: int, *, actor: User, answer: str) -> WorkOrder:
    """Close a request answered on the line (a consultation the agent could answer)."""
    answer = _reason(answer, "answer", min_chars=10)
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.ANSWER)
        now = clock.now()
        Note.objects.create(order=order, kind=Note.Kind.ANSWER, text=answer, by=actor, at=now)
        order.closed_at = now
        _finish(order, actor, A.ANSWER, target, now, answer=answer)
    return order


# Lazy: the screen-out form's choices are built at import, before any user's language is known.
SCREEN_REASONS = {
    "litigation": gettext_lazy("属于诉讼、仲裁、信访等法定途径解决的事项"),
    "emergency": gettext_lazy("属于110/119/120/122紧急警情"),
    "private_interest": gettext_lazy("为个人私利的不合理诉求"),
    "malicious": gettext_lazy("恶意或辱骂性诉求"),
    "repeat": gettext_lazy("重复诉求，已有答复"),
    "no_content": gettext_lazy("无实质内容"),
    "out_of_scope": gettext_lazy("不属于本区政务服务范围"),
}


def do_screen_out(order_id: int, *, actor: User, reason: str, advice: str) -> WorkOrder:
    """Decline a request outside the hotline's remit, telling the caller where to go."""
    if reason not in SCREEN_REASONS:
        raise InvalidInput(_("请选择不予受理的原因。"), details={"reason": [_("未知的原因。")]})
    advice = _reason(advice, "advice")
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.SCREEN_OUT)
        now = clock.now()
        Note.objects.create(order=order, kind=Note.Kind.SCREENING, text=advice, by=actor, at=now)
        order.screen_reason = reason
        order.closed_at = now
        _finish(order, actor, A.SCREEN_OUT, target, now, reason=reason, advice=advice)
    return order


def do_restore(order_id: int, *, actor: User, note: str) -> WorkOrder:
    """Take a screened-out request back in (on appeal, or when screening was wrong)."""
    note = _reason(note)
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.RESTORE)
        now = clock.now()
        previous = order.screen_reason
        order.screen_reason = ""
        order.closed_at = None
        _finish(order, actor, A.RESTORE, target, now, note=note, previous_reason=previous)
    return order


def do_return_to_city(order_id: int, *, actor: User, reason: str) -> WorkOrder:
    """Send an order the city handed down (channel `transfer`) back to the city: it is not the
    district's to handle (another district's, the city's own, outside any district's remit). The
    order leaves the district's loop; a unit's pending return that asked for it is upheld. The city
    link tells the city, with the reason."""
    reason = _reason(reason, "reason")
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.RETURN_TO_CITY)
        if not policies.applies_to_channel(A.RETURN_TO_CITY, order.channel):
            raise InvalidInput(_("只有上级转办的工单才能退回市级。"), code="not_a_city_order",
                               details={"reason": [_("这张工单不是市级平台转来的。")]})
        now = clock.now()
        _close_return(order, OrderReturn.Outcome.TO_CITY, actor, now, reason)
        order.closed_at = now
        _finish(order, actor, A.RETURN_TO_CITY, target, now, reason=reason, previous_unit=order.lead_unit_id)
    return order


def do_merge(order_id: int, *, actor: User, main_order_id: int, note: str = "", score: float | None = None) -> WorkOrder:
    """Merge a duplicate into its main order. The main order gets an event too, so both
    traces tell the story; the merged caller is still called back when the main order is."""
    if as_id(order_id) is not None and as_id(order_id) == as_id(main_order_id):
        raise InvalidInput(_("不能把工单合并到它自己。"), details={"main_order": [_("请选择另一张工单。")]})
    with _atomic():
        # Lock both rows in id order so two merges never deadlock.
        first, second = sorted([_int(order_id, "order"), _int(main_order_id, "main_order")])
        locked = {first: _lock(first), second: _lock(second)}
        order, main = locked[_int(order_id, "order")], locked[_int(main_order_id, "main_order")]
        target = _check(order, actor, A.MERGE)
        if main.state in {State.MERGED, State.SCREENED_OUT}:
            raise InvalidInput(_("主工单已合并或不予受理，不能作为主工单。"), details={"main_order": [main.number]})
        now = clock.now()
        order.main_order = main
        note = (note or "").strip()
        _finish(order, actor, A.MERGE, target, now, main_order=main.number, note=note, score=score)
        _tell_main(main, actor, now, merged_in=order.number, note=note)
    return order


def _tell_main(main: WorkOrder, actor: User, now: dt.datetime, **data: str) -> None:
    """The main order's side of a merge or of its undoing: one annotation event in its trace."""
    event = _append_event(main, actor, A.ANNOTATE, main.state, main.state, now, data)
    main.updated_at = now
    main.save(update_fields=["event_seq", "last_hash", "updated_at"])
    event.save()
    outbox.publish([event])


def do_unmerge(order_id: int, *, actor: User, note: str) -> WorkOrder:
    """Undo a merge (a person's or the triage service's) that joined two different matters:
    the order leaves its main order and goes back to the dispatch board as received, with the
    reason. The main order gets an event too, so both traces tell the story."""
    note = _reason(note)
    with _atomic():
        oid = _int(order_id, "order")
        main_id = WorkOrder.objects.filter(pk=oid).values_list("main_order_id", flat=True).first()
        # Lock both rows in id order, as do_merge does, so a merge and an unmerge never deadlock.
        locked = {i: _lock(i) for i in sorted({oid, main_id} - {None})}
        order = locked[oid]
        target = _check(order, actor, A.UNMERGE)
        # A merged order always has its main order (locked too if it changed since the read).
        main = locked.get(order.main_order_id) or _lock(order.main_order_id)
        now = clock.now()
        order.main_order = None
        _finish(order, actor, A.UNMERGE, target, now, main_order=main.number, note=note)
        _tell_main(main, actor, now, unmerged=order.number, note=note)
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
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.RETURN)
        now = clock.now()
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
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.ACCEPT_RETURN)
        now = clock.now()
        lead, co = _unit(unit_id), _units(co_unit_ids)
        if lead.pk == order.lead_unit_id:
            raise InvalidInput(_("同意回退须改派给其他单位；如仍由原单位办理，请驳回回退。"), details={"unit": [lead.name]})
        ret = _close_return(order, OrderReturn.Outcome.ACCEPTED, actor, now, note)
        if ret is not None and ret.kind == ReturnKind.NO_AUTHORITY:
            order.outside_authority = True
        previous = order.lead_unit_id
        _assign(order, lead, co, now)
        copy = snapshot.current()
        order.rule = _basis(order, lead, copy)
        deadline = _start_clocks(order, now, copy)
        parts = set_co_units(order, co, now)
        _finish(order, actor, A.ACCEPT_RETURN, target, now, unit=lead.pk, previous_unit=previous,
                co_units=[u.pk for u in co], note=note, **deadline, **parts)
    return order


def do_reject_return(order_id: int, *, actor: User, note: str, rule_id: int | None = None) -> WorkOrder:
    """Refuse a return: the same unit keeps the order, citing the rule that makes it its own.
    Its reply clock keeps running from the first dispatch (pushing back buys no time)."""
    note = _reason(note)
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.REJECT_RETURN)
        now = clock.now()
        copy = snapshot.current()
        rule = _rule(rule_id) or _rule_of(order, copy)
        # a cited rule must speak about this order: its category or an ancestor, and its area
        # (or an ancestor), or district-wide
        cited = rule_id not in (None, "")
        if rule is not None and cited and not copy.covers(rule, order.category_id, order.area_id):
            raise InvalidInput(_("引用的权责清单条目与本工单的分类或区域不符。"),
                               details={"rule": [rule.label]})
        _close_return(order, OrderReturn.Outcome.REJECTED, actor, now, note, rule)
        order.signed_at = None
        order.dispatched_at = now
        _start_clocks(order, now, copy, reply=False)
        _finish(order, actor, A.REJECT_RETURN, target, now, unit=order.lead_unit_id, note=note,
                rule=rule.pk if rule else None)
    return order


def do_joint(order_id: int, *, actor: User, lead_unit_id: int, co_unit_ids: Sequence[int], note: str,
             co_asks: Mapping[int, str] | None = None) -> WorkOrder:
    """Arrange joint handling (联合处办): one lead unit, one or more co-units, each with its own
    part of the order (协办任务, docs/joint.md): what is asked of it (`co_asks`, optional, per
    co-unit), due in HOTLINE_CO_REPLY_DAYS working days, at most half the lead's time left."""
    note = _reason(note)
    if not co_unit_ids:
        raise InvalidInput(_("联合处办须指定至少一个协办单位。"), details={"co_units": [_("请选择协办单位。")]})
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.JOINT)
        now = clock.now()
        lead, co = _unit(lead_unit_id, "lead_unit"), _units(co_unit_ids)
        _close_return(order, OrderReturn.Outcome.JOINT, actor, now, note)
        _assign(order, lead, co, now)
        copy = snapshot.current()
        order.rule = _basis(order, lead, copy)
        deadline = _start_clocks(order, now, copy)
        parts = set_co_units(order, co, now, check_asks(co_asks, [u.pk for u in co]))
        _finish(order, actor, A.JOINT, target, now, unit=lead.pk, co_units=[u.pk for u in co], note=note, **deadline,
                **parts)
    return order


def do_escalate(order_id: int, *, actor: User, unit_id: int, note: str) -> WorkOrder:
    """Send an order beyond the unit's authority to the authority that can act (an airport's
    flight-path complaint to the civil aviation authority). It no longer counts against the
    unit that returned it and is listed as an institutional gap."""
    note = _reason(note)
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.ESCALATE)
        now = clock.now()
        unit = _unit(unit_id)
        if unit.pk == order.lead_unit_id:
            raise InvalidInput(_("提级须交给上级或有权处理的单位。"), details={"unit": [unit.name]})
        _close_return(order, OrderReturn.Outcome.ESCALATED, actor, now, note)
        previous = order.lead_unit_id
        order.outside_authority = True
        _assign(order, unit, [], now)
        copy = snapshot.current()
        order.rule = _basis(order, unit, copy)
        deadline = _start_clocks(order, now, copy)
        set_co_units(order, [], now)
        _finish(order, actor, A.ESCALATE, target, now, unit=unit.pk, previous_unit=previous, note=note, **deadline)
    return order
