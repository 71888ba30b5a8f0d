"""Supervision (督办): a supervisor (or the city, 联合督办) opens a supervision of an order with an
instruction and a feedback deadline; the lead unit feeds back; a supervisor closes or lifts it;
one whose deadline passes without feedback is escalated to the city platform, by the worker
(escalate_missed) or by a supervisor. docs/supervision.md has the whole design.

None of these moves the order. Each writes the Supervision row (its life: orders/supervisions.py)
and one event; the order's `supervised` flag is kept true exactly while a supervision is active.
The escalation's message to the city is written by the city link's outbox selector
(citylink.outbound), in the transaction of the escalation's event."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from hotline import periods
from hotline.directory.calendar import WORKDAY_END
from hotline.directory.models import User
from hotline.directory.roles import Role
from hotline.errors import Conflict, DomainError, InvalidInput, InvalidTransition

from .. import clock, supervisions
from ..models import Note, Supervision, WorkOrder
from ..states import LED_STATES
from ..supervisions import Step
from ._base import A, _atomic, _calendar, _check, _finish, _int, _lock, _reason, system_user

MIN_FEEDBACK_CHARS = 10
ACTIVE_STATES = [s.value for s in supervisions.ACTIVE]


def _active(order: WorkOrder) -> Supervision | None:
    return order.supervisions.filter(state__in=ACTIVE_STATES).first()


def _step(sup: Supervision | None, step: Step) -> supervisions.SupervisionState:
    """The supervision's next state under `step`, or InvalidTransition (nothing to act on)."""
    target = supervisions.next_state(supervisions.SupervisionState(sup.state), step) if sup is not None else None
    if target is None:
        messages = {
            Step.FEEDBACK: _("这张工单没有待反馈的督办。"),
            Step.CLOSE: _("这张工单没有已反馈、待办结的督办。"),
            Step.LIFT: _("这张工单没有进行中的督办。"),
            Step.ESCALATE: _("这张工单没有可提请市级联合督办的督办（已反馈、已提请过或已结束）。"),
        }
        raise InvalidTransition(messages[step], code="no_supervision",
                                details={"supervision": sup.state if sup is not None else None})
    return target


def supervision_due(order: WorkOrder, now: dt.datetime, *, days: Any = None, due_date: Any = None
                    ) -> tuple[dt.datetime, int | None]:
    """The feedback deadline a supervisor asks for: `days` working days from now, or the end of
    the working day on `due_date` (YYYY-MM-DD), or by default the order's urgency's number of
    working days (supervisions.DEFAULT_DAYS). Returns (due, working days or None for a date)."""
    if days not in (None, "") and due_date not in (None, ""):
        raise InvalidInput(_("督办时限请选择工作日天数或截止日期之一。"), details={"days": [_("二者只能选一。")]})
    if due_date not in (None, ""):
        day = due_date if isinstance(due_date, dt.date) else periods.parse_day(str(due_date), "due_date")
        today = timezone.localdate(now)
        if not today <= day <= today + dt.timedelta(days=2 * supervisions.MAX_DAYS):
            raise InvalidInput(_("督办截止日期须在今天到%(n)d天以内。") % {"n": 2 * supervisions.MAX_DAYS},
                               details={"due_date": [_("日期超出范围。")]})
        due = dt.datetime.combine(day, WORKDAY_END, tzinfo=timezone.get_current_timezone())
        if due <= now:
            raise InvalidInput(_("督办截止时间已过，请选择以后的日期。"), details={"due_date": [_("日期超出范围。")]})
        return due, None
    n = supervisions.default_days(order.urgency) if days in (None, "") else _int(days, "days")
    if not 1 <= n <= supervisions.MAX_DAYS:
        raise InvalidInput(_("督办时限须在1到%(n)d个工作日之间。") % {"n": supervisions.MAX_DAYS},
                           details={"days": [_("天数超出范围。")]})
    return _calendar().add(now, (n, "workdays")), n


def do_supervise(order_id: int, *, actor: User, text: str, on: bool = True, days: Any = None,
                 due_date: Any = None) -> WorkOrder:
    """Put an order under supervision (督办) with an instruction and a feedback deadline (`days`
    working days, or `due_date`, or the default by urgency); `on=False` lifts the active one (the
    old toggle, kept for the API and the city link).

    Before: the order is open and has no active supervision, except that the city's supervision
    (联合督办 from the city link) of an order the district already supervises joins it: the
    supervision becomes city-level (never escalated to the city again). After: one open
    Supervision, the order flagged supervised, the instruction as a note, one event (the unit is
    told through notify)."""
    if not on:
        return do_lift_supervision(order_id, actor=actor, note=text, legacy=True)
    text = _reason(text, "text", min_chars=2)
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.SUPERVISE)
        now = clock.now()
        active = _active(order)
        level = Supervision.Level.CITY if actor.role == Role.CITY else Supervision.Level.DISTRICT
        if active is not None and level != Supervision.Level.CITY:
            raise Conflict(_("这张工单已在督办中（反馈时限%(due)s）：请先办结或撤销。") % {
                "due": timezone.localtime(active.due).strftime("%Y-%m-%d %H:%M")}, code="already_supervised")
        Note.objects.create(order=order, kind=Note.Kind.SUPERVISION, text=text, by=actor, unit_id=actor.unit_id, at=now)
        if active is not None:
            active.level = Supervision.Level.CITY
            active.save(update_fields=["level"])
            _finish(order, actor, A.SUPERVISE, target, now, text=text, on=True, supervision=active.pk,
                    due=active.due, level=active.level, joined=True)
            return order
        due, n = supervision_due(order, now, days=days, due_date=due_date)
        sup = Supervision.objects.create(order=order, unit_id=order.lead_unit_id, level=level, instruction=text,
                                         opened_by=actor, opened_at=now, due=due, due_days=n)
        order.supervised = True
        _finish(order, actor, A.SUPERVISE, target, now, text=text, on=True, supervision=sup.pk, due=due, days=n,
                level=level, unit=order.lead_unit_id)
    return order


def do_supervision_feedback(order_id: int, *, actor: User, text: str) -> Supervision:
    """The lead unit's feedback on the supervision (督办反馈): what it did and where the matter
    stands. Before: the order has a supervision waiting for feedback (open, or escalated: late
    feedback is still owed). After: the supervision answered (on time or not against its
    deadline), the feedback as a note, one event; the supervisor decides next."""
    text = _reason(text, "text", min_chars=MIN_FEEDBACK_CHARS)
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.SUPERVISION_FEEDBACK)
        sup = _active(order)
        sup.state = _step(sup, Step.FEEDBACK)
        now = clock.now()
        sup.feedback, sup.feedback_by, sup.feedback_at, sup.unit_id = text, actor, now, order.lead_unit_id
        sup.save()
        Note.objects.create(order=order, kind=Note.Kind.SUPERVISION, text=text, by=actor, unit_id=actor.unit_id, at=now)
        _finish(order, actor, A.SUPERVISION_FEEDBACK, target, now, supervision=sup.pk, text=text,
                on_time=now <= sup.due, unit=order.lead_unit_id)
    return sup


def _end(order_id: int, actor: User, action: A, step: Step, note: str, **extra: Any) -> Supervision:
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, action)
        sup = _active(order)
        sup.state = _step(sup, step)
        now = clock.now()
        sup.ended_by, sup.ended_at, sup.end_note = actor, now, note
        sup.save()
        order.supervised = False
        if extra.pop("legacy", False):
            # the old toggle (supervise with on=False): its event stays a supervise event
            Note.objects.create(order=order, kind=Note.Kind.SUPERVISION, text=note, by=actor, unit_id=actor.unit_id,
                                at=now)
            _finish(order, actor, A.SUPERVISE, target, now, text=note, on=False, supervision=sup.pk)
        else:
            _finish(order, actor, action, target, now, supervision=sup.pk, note=note, **extra)
    return sup


def do_close_supervision(order_id: int, *, actor: User, note: str) -> Supervision:
    """A supervisor accepts the unit's feedback and closes the supervision (督办办结), with a note.
    Before: the supervision is answered. After: closed, the order no longer flagged supervised."""
    return _end(order_id, actor, A.CLOSE_SUPERVISION, Step.CLOSE, _reason(note))


def do_lift_supervision(order_id: int, *, actor: User, note: str, legacy: bool = False) -> Supervision:
    """A supervisor lifts the active supervision (撤销督办), with the reason, whatever its stage.
    After: lifted, the order no longer flagged supervised. (`legacy`: called as supervise with
    on=False, whose event it writes.)"""
    if legacy:
        note = _reason(note, "text", min_chars=2)
        return _end(order_id, actor, A.SUPERVISE, Step.LIFT, note, legacy=True)
    return _end(order_id, actor, A.LIFT_SUPERVISION, Step.LIFT, _reason(note))


def do_escalate_supervision(order_id: int, *, actor: User, note: str = "", supervision_id: int | None = None
                            ) -> Supervision:
    """Ask the city platform for joint supervision (提请市级联合督办) of a supervision the unit has
    not answered: the worker (the system actor) when its deadline has passed, or a supervisor
    with the reason. Before: the supervision is open (never escalated: at most once), the
    district's own, and a unit leads the order; the system escalates only past the deadline, and
    only the supervision it found (`supervision_id`). After: escalated, one event, and in the same
    transaction the city link's outbox row (citylink.outbound); the unit is told."""
    system = actor.role == Role.SYSTEM
    note = (note or "").strip() if system else _reason(note)
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.ESCALATE_SUPERVISION)
        sup = _active(order)
        if sup is not None and supervision_id is not None and sup.pk != _int(supervision_id, "supervision"):
            sup = None  # the one found was ended meanwhile; a new one has its own deadline
        new_state = _step(sup, Step.ESCALATE)
        if sup.level != Supervision.Level.DISTRICT:
            raise InvalidTransition(_("这是市级联合督办，无需再提请市级。"), code="already_city")
        now = clock.now()
        if system and now <= sup.due:
            raise InvalidTransition(_("督办反馈时限未到，不能自动提请。"), code="not_due")
        sup.state, sup.escalated_at, sup.escalated_by = new_state, now, actor
        sup.escalation = Supervision.Escalation.MISSED if system else Supervision.Escalation.MANUAL
        sup.escalation_note, sup.unit_id = note, order.lead_unit_id
        sup.save()
        _finish(order, actor, A.ESCALATE_SUPERVISION, target, now, supervision=sup.pk, kind=sup.escalation,
                note=note, due=sup.due, unit=order.lead_unit_id)
    return sup


# ---- the worker's run -----------------------------------------------------------------------------


@dataclass
class RunReport:
    escalated: list[str] = field(default_factory=list)  # order numbers
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (order number, reason code)


def missed(now: dt.datetime | None = None) -> Any:
    """The supervisions the worker escalates now: open, the district's own, past their deadline,
    on an order a unit leads: the one rule of what the worker escalates."""
    now = now or clock.now()
    return (Supervision.objects.filter(state=Supervision.State.OPEN, level=Supervision.Level.DISTRICT, due__lt=now,
                                       order__state__in=[s.value for s in LED_STATES])
            .select_related("order").order_by("due", "pk"))


def escalate_missed(now: dt.datetime | None = None, *, limit: int = 500) -> RunReport:
    """Escalate every missed supervision (missed()), each as its own action by the system actor.
    Idempotent: an escalated supervision is no longer open, so a second run (or a second worker
    racing this one: the row lock decides) escalates nothing again."""
    report = RunReport()
    actor = system_user()
    for sup in list(missed(now)[:limit]):
        try:
            do_escalate_supervision(sup.order_id, actor=actor, supervision_id=sup.pk,
                                    note=_("督办反馈时限已过，承办单位未反馈"))
        except DomainError as exc:  # ended, answered or escalated meanwhile
            report.skipped.append((sup.order.number, exc.code))
        else:
            report.escalated.append(sup.order.number)
    return report
