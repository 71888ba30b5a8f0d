"""Unreasonable requests (上报不合理诉求): the lead unit reports, the centre upholds or rejects;
an upheld report takes the order out of the unit's rates and marks the caller's record, which
the caller may contest and a supervisor decides. docs/unreasonable.md has the whole design.

None of these moves the order: the unit still answers the caller, and the report is decided
whatever the order went on to. Each writes its one event on the order concerned (for a mark,
the order it came from)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.utils.translation import gettext as _

from hotline.directory.models import User
from hotline.errors import Conflict, InvalidInput, InvalidTransition

from .. import clock
from ..models import CallerMark, Evidence, MarkContest, UnreasonableReason, UnreasonableReport, WorkOrder
from ..validation import normalise_phone
from ._base import A, _atomic, _check, _finish, _int, _lock, _reason

MIN_EXPLANATION_CHARS = 10
MAX_EVIDENCE = 20
UNREASONABLE_REASONS = dict(UnreasonableReason.choices)


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """The same time `months` calendar months later (the 31st becomes the month's last day)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _pending_report(order: WorkOrder) -> UnreasonableReport | None:
    return order.unreasonable_reports.filter(status=UnreasonableReport.Status.PENDING).first()


def do_report_unreasonable(order_id: int, *, actor: User, reason: str, explanation: str,
                           evidence_ids: Sequence[int] = ()) -> UnreasonableReport:
    """The lead unit reports the order as an unreasonable request, with the reason code, a
    written explanation and, optionally, files already attached to the order as evidence.

    Before: the actor's unit leads the order and holds it (dispatched, in progress, replied); no
    report of it is pending and it was not upheld already. After: one pending report and one
    event; the order's state and clocks are as they were (the unit still replies)."""
    if reason not in UNREASONABLE_REASONS:
        raise InvalidInput(_("请选择不合理诉求的理由类型。"), details={"reason": [_("未知的理由类型。")]})
    explanation = _reason(explanation, "explanation", min_chars=MIN_EXPLANATION_CHARS)
    if isinstance(evidence_ids, str | int) or evidence_ids is None:
        raise InvalidInput(_("参数格式不正确。"), details={"evidence_ids": [_("须为材料编号的列表。")]})
    ids = list(dict.fromkeys(_int(i, "evidence_ids") for i in evidence_ids))
    if len(ids) > MAX_EVIDENCE:
        raise InvalidInput(_("佐证材料最多选择%(n)d份。") % {"n": MAX_EVIDENCE}, details={"evidence_ids": [str(len(ids))]})
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.REPORT_UNREASONABLE)
        if order.unreasonable:
            raise Conflict(_("这张工单已认定为不合理诉求。"), code="already_upheld")
        if _pending_report(order) is not None:
            raise Conflict(_("这张工单已有一份待审核的不合理诉求上报。"), code="report_pending")
        files = list(Evidence.objects.filter(order=order, pk__in=ids)) if ids else []
        if len(files) != len(ids):
            unknown = sorted(set(ids) - {e.pk for e in files})
            raise InvalidInput(_("佐证材料须是本工单已上传的材料。"),
                               details={"evidence_ids": [str(i) for i in unknown]})
        now = clock.now()
        report = UnreasonableReport.objects.create(order=order, unit_id=order.lead_unit_id, reason=reason,
                                                   explanation=explanation, by=actor, at=now)
        if files:
            report.evidence.set(files)
        _finish(order, actor, A.REPORT_UNREASONABLE, target, now, report=report.pk, kind=reason,
                explanation=explanation, evidence=sorted(ids), unit=order.lead_unit_id)
    return report


def _decide_report(order_id: int, actor: User, action: A, note: str) -> UnreasonableReport:
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, action)
        report = _pending_report(order)
        if report is None:
            raise InvalidTransition(_("这张工单没有待审核的不合理诉求上报。"), code="no_pending_report")
        now = clock.now()
        report.decided_by, report.decided_at, report.decision_note = actor, now, note
        mark = None
        if action is A.UPHOLD_UNREASONABLE:
            report.status = UnreasonableReport.Status.UPHELD
            order.unreasonable = True
            phone = normalise_phone(order.caller_phone)[:20]
            if phone:
                mark = CallerMark.objects.create(
                    phone=phone, order=order, report=report, reason=report.reason, created_at=now,
                    expires_at=add_months(now, settings.HOTLINE_CALLER_MARK_MONTHS))
        else:
            report.status = UnreasonableReport.Status.REJECTED
        report.save()
        _finish(order, actor, action, target, now, report=report.pk, kind=report.reason, unit=report.unit_id,
                note=note, mark=mark.pk if mark else None, expires_at=mark.expires_at if mark else None)
    return report


def do_uphold_unreasonable(order_id: int, *, actor: User, note: str) -> UnreasonableReport:
    """The centre upholds the pending report, with its reason. After: the report is upheld, the
    order is marked unreasonable (out of its units' response, resolution and satisfaction rates,
    still an order received), the caller's number is marked until HOTLINE_CALLER_MARK_MONTHS
    from now (no mark without a number), and one event."""
    return _decide_report(order_id, actor, A.UPHOLD_UNREASONABLE, _reason(note))


def do_reject_unreasonable(order_id: int, *, actor: User, note: str) -> UnreasonableReport:
    """The centre rejects the pending report, with its reason: the order counts as any other.
    The unit may report again with new facts."""
    return _decide_report(order_id, actor, A.REJECT_UNREASONABLE, _reason(note))


def _mark_of(order: WorkOrder) -> CallerMark:
    mark = order.caller_marks.order_by("-created_at").first()
    if mark is None:
        raise InvalidTransition(_("这张工单没有来电人标记。"), code="no_mark")
    return mark


def do_contest_mark(order_id: int, *, actor: User, reason: str) -> MarkContest:
    """An agent records, on the caller's behalf, the caller's contest of the mark that came from
    this order, with the caller's reason. Before: the mark is active and has no pending contest.
    After: one pending contest and one event on the order; the mark stays active meanwhile."""
    reason = _reason(reason, "reason")
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.CONTEST_MARK)
        mark = _mark_of(order)
        now = clock.now()
        if not mark.is_active(now):
            raise InvalidTransition(_("该标记已撤销或已到期，无需提出异议。"), code="mark_inactive")
        if mark.contests.filter(outcome=MarkContest.Outcome.PENDING).exists():
            raise Conflict(_("该标记已有一项待处理的异议。"), code="contest_pending")
        contest = MarkContest.objects.create(mark=mark, order=order, reason=reason, by=actor, at=now)
        _finish(order, actor, A.CONTEST_MARK, target, now, mark=mark.pk, contest=contest.pk, reason=reason)
    return contest


def _decide_contest(order_id: int, actor: User, action: A, note: str) -> MarkContest:
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, action)
        mark = _mark_of(order)
        contest = mark.contests.filter(outcome=MarkContest.Outcome.PENDING).first()
        if contest is None:
            raise InvalidTransition(_("该标记没有待处理的异议。"), code="no_pending_contest")
        now = clock.now()
        contest.decided_by, contest.decided_at, contest.decision_note = actor, now, note
        if action is A.LIFT_MARK:
            contest.outcome = MarkContest.Outcome.LIFTED
            mark.lifted_at = now
            mark.save(update_fields=["lifted_at"])
        else:
            contest.outcome = MarkContest.Outcome.KEPT
        contest.save()
        _finish(order, actor, action, target, now, mark=mark.pk, contest=contest.pk, note=note)
    return contest


def do_lift_mark(order_id: int, *, actor: User, note: str) -> MarkContest:
    """A supervisor finds the caller's contest well founded: the mark is lifted now (no longer
    shown at intake). The order's own decision stands (it was taken on the unit's report)."""
    return _decide_contest(order_id, actor, A.LIFT_MARK, _reason(note))


def do_keep_mark(order_id: int, *, actor: User, note: str) -> MarkContest:
    """A supervisor finds the contest unfounded, with the reason: the mark stays until it expires."""
    return _decide_contest(order_id, actor, A.KEEP_MARK, _reason(note))
