"""History import: closed orders from an old system, with their whole life marked as imported."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.directory import snapshot
from hotline.directory.models import Area, Category, Unit, User
from hotline.directory.roles import Role
from hotline.errors import NotAllowed

from .. import deadlines
from ..models import (
    Callback,
    CallerMark,
    Channel,
    Event,
    OrderReturn,
    Reply,
    ReturnKind,
    Review,
    Satisfaction,
    UnreasonableReport,
    Urgency,
    WorkOrder,
)
from ..states import Action, State
from ..validation import normalise_phone
from ._base import (
    A,
    _append_event,
    _role,
)
from .intake import _intake_data
from .unreasonable import add_months

ATTEMPTS = 5

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
    urgency: str = ""  # empty: the category's default urgency at its dispatch date, else general
    dispatched_at: dt.datetime | None = None
    signed_at: dt.datetime | None = None
    first_contact_at: dt.datetime | None = None
    replied_at: dt.datetime | None = None
    reply: str = ""
    redo_count: int = 0
    return_count: int = 0
    returns_upheld: int = 0  # of those returns, how many the old system upheld (the first ones)
    closed_at: dt.datetime | None = None
    callback_valid: bool = False
    callback_phone: str = ""
    contacted: bool | None = None
    resolved: bool | None = None
    satisfaction: str = ""
    # the old system's upheld unreasonable request (a reason code of UnreasonableReason), or ""
    unreasonable: str = ""


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
    copy = snapshot.current()
    # Two imports of one file at once: the one whose insert collides with numbers the other
    # committed meanwhile counts again, and now skips them.
    for attempt in range(ATTEMPTS):
        try:
            return _import_batch(rows, actor, copy)
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _import_batch(rows: Sequence[HistoryRecord], actor: User, copy: snapshot.Snapshot) -> HistoryResult:
    numbers = [r.number for r in rows]
    with transaction.atomic(durable=True):
        existing = set(WorkOrder.objects.filter(number__in=numbers).values_list("number", flat=True))
        todo, seen = [], set(existing)
        for r in rows:
            if r.number not in seen:
                seen.add(r.number)
                todo.append(r)
        if not todo:
            return HistoryResult(created=[], skipped=sorted(existing))
        now = timezone.now()
        plans = [_history_plan(r, actor, copy, now) for r in todo]
        WorkOrder.objects.bulk_create([p[0] for p in plans], batch_size=500)
        replies: list[Reply] = []
        for order, _events, reps, *_rest in plans:
            for rep in reps:
                rep.order = order
            replies.extend(reps)
        Reply.objects.bulk_create(replies, batch_size=500)
        reviews, returns, callbacks, events, reports = [], [], [], [], []
        for order, evs, reps, revs, rets, cbs, reps_unr in plans:
            for report in reps_unr:
                report.order = order
            reports.extend(reps_unr)
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
        _import_unreasonable(reports)
    return HistoryResult(created=[p[0].number for p in plans], skipped=sorted(existing & set(numbers)))


def _import_unreasonable(reports: list[UnreasonableReport]) -> None:
    """The upheld reports of the imported orders, and the marks on their callers' numbers (from
    the decision's time: an old decision's mark is already expired)."""
    UnreasonableReport.objects.bulk_create(reports, batch_size=500)
    if reports and not all(r.pk for r in reports):  # a database that returns no ids from a bulk insert
        by_order = dict(UnreasonableReport.objects.filter(order__in=[r.order for r in reports])
                        .values_list("order_id", "pk"))
        for r in reports:
            r.pk = by_order[r.order.pk]
    CallerMark.objects.bulk_create([
        CallerMark(phone=r.order.caller_phone[:20], order=r.order, report=r, reason=r.reason, created_at=r.decided_at,
                   expires_at=add_months(r.decided_at, settings.HOTLINE_CALLER_MARK_MONTHS))
        for r in reports if r.order.caller_phone], batch_size=500)


def _history_plan(r: HistoryRecord, actor: User, copy: snapshot.Snapshot, now: dt.datetime) -> tuple:
    """The order, its events and its rows for one record (nothing saved). Its clocks are those
    of its own dispatch date: the deadline rule in force for its category that day."""
    cal = deadlines.calendar_of(copy)
    t0 = r.received_at
    # Times never run backwards in the trace, whatever the old system recorded.
    t_dispatch = max(r.dispatched_at or t0, t0)
    t_sign = max(r.signed_at or t_dispatch, t_dispatch)
    t_contact = max(r.first_contact_at, t_sign) if r.first_contact_at else None
    t_reply = max(r.replied_at or t_sign, t_contact or t_sign)
    t_close = max(r.closed_at or t_reply, t_reply)
    rule = copy.deadline_rule_for(r.category.pk if r.category else None, timezone.localdate(t_dispatch))
    urgency = r.urgency or (rule.default_urgency if rule is not None and rule.default_urgency else Urgency.GENERAL)
    order = WorkOrder(
        number=r.number, channel=r.channel, caller_name=r.caller_name[:50], caller_phone=normalise_phone(r.caller_phone),
        address=r.address[:200], area=r.area, title=r.title[:200] or r.number, description=r.description or r.title,
        category=r.category, urgency=urgency, state=State.CLOSED, lead_unit=r.unit, received_at=t0,
        dispatched_at=t_dispatch, signed_at=t_sign, first_contact_at=t_contact, replied_at=t_reply, closed_at=t_close,
        redo_count=r.redo_count, return_count=r.return_count, dispatch_count=1, created_by=actor, imported=True,
        idempotency_key=f"history:{r.number}"[:80], updated_at=now,
    )
    clocks = deadlines.clocks_from(t_dispatch, urgency, cal, rule)
    order.sign_due, order.contact_due, order.reply_due = clocks.sign_due, clocks.contact_due, clocks.reply_due
    order.deadline_rule = clocks.set_by
    events: list[Event] = []
    unit_id = r.unit.pk

    def ev(action: Action, src: str, dst: str, at: dt.datetime, unit_event: bool = False, **data: Any) -> None:
        event = _append_event(order, actor, action, src, dst, at, {**data, "source": "history"}, imported=True)
        event.actor_unit_id = unit_id if unit_event else None
        events.append(event)

    ev(A.CREATE, "", State.RECEIVED, t0, **_intake_data(order))
    ev(A.DISPATCH, State.RECEIVED, State.DISPATCHED, t_dispatch, unit=unit_id, basis="history", **clocks.event_data())
    returns = []
    for i in range(r.return_count):
        upheld = i < r.returns_upheld  # the old system upheld it (accepted, the order dispatched again)
        ev(A.RETURN, State.DISPATCHED, State.RETURNED, t_dispatch, True, unit=unit_id, kind=ReturnKind.NOT_REMIT,
           note="upheld by the old system" if upheld else "outcome not recorded by the old system")
        if upheld:
            ev(A.ACCEPT_RETURN, State.RETURNED, State.DISPATCHED, t_dispatch, unit=unit_id, note="history")
        else:
            ev(A.REJECT_RETURN, State.RETURNED, State.DISPATCHED, t_dispatch, unit=unit_id, note="history")
        returns.append(OrderReturn(unit=r.unit, kind=ReturnKind.NOT_REMIT, reason=f"历史数据：第{i + 1}次退单（原系统未记录理由）",
                                   by=actor, at=t_dispatch,
                                   outcome=OrderReturn.Outcome.ACCEPTED if upheld else OrderReturn.Outcome.REJECTED,
                                   decided_by=actor, decided_at=t_dispatch, decision_note="历史数据"))
    ev(A.SIGN, State.DISPATCHED, State.IN_PROGRESS, t_sign, True, unit=unit_id, late=t_sign > clocks.sign_due)
    if t_contact:
        ev(A.CONTACT, State.IN_PROGRESS, State.IN_PROGRESS, t_contact, True)
    reports = []
    if r.unreasonable:
        t_report = t_contact or t_sign
        order.unreasonable = True
        ev(A.REPORT_UNREASONABLE, State.IN_PROGRESS, State.IN_PROGRESS, t_report, True, kind=r.unreasonable,
           unit=unit_id, explanation="history")
        reports.append(UnreasonableReport(unit=r.unit, reason=r.unreasonable, by=actor, at=t_report,
                                          explanation="历史数据：原系统认定的不合理诉求（未保存上报说明）",
                                          status=UnreasonableReport.Status.UPHELD, decided_by=actor,
                                          decided_at=t_close, decision_note="历史数据"))
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
    if r.unreasonable:
        ev(A.UPHOLD_UNREASONABLE, State.CLOSED, State.CLOSED, t_close, kind=r.unreasonable, unit=unit_id,
           note="history")
    return order, events, replies, reviews, returns, [callback], reports
