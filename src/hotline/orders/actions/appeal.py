"""Appeals (申诉) by a unit against a redo decision or a callback of its order, decided by the
centre. docs/appeals.md has the whole design.

- do_appeal_redo: the lead unit's head appeals a redo (a Review with decision redo of the unit's
  reply), with reason codes, an explanation and files of the order as evidence;
- do_appeal_callback: the same against a valid callback of the order it believes invalid (the
  caller rated another matter, the person called was not the caller...);
- do_uphold_appeal / do_reject_appeal: a supervisor who took no part in the decision appealed
  (not the reviewer of the redo, not the agent of the callback) decides, with a reason. Upheld:
  the redo stops counting against the unit (Review.overturned_at), or the callback is voided
  with the appeal as its reason; the assessment restates the built days through the outbox
  (assessment/restate.py).

None of these moves the order. Each writes its one event on the order. One appeal per target,
ever: a rejected appeal is final (the unique targets of OrderAppeal)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.directory import snapshot
from hotline.directory.models import User
from hotline.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed

from .. import clock
from ..models import (
    CALLBACK_APPEAL_REASONS,
    REDO_APPEAL_REASONS,
    Callback,
    Evidence,
    OrderAppeal,
    Review,
    WorkOrder,
)
from ..validation import as_id
from ._base import A, _atomic, _calendar, _check, _finish, _int, _lock, _reason

MIN_APPEAL_CHARS = 10
MAX_APPEAL_CHARS = 4000
MAX_EVIDENCE = 20
Kind, Status = OrderAppeal.Kind, OrderAppeal.Status


def appeal_due(at: dt.datetime, copy: snapshot.Snapshot | None = None) -> dt.datetime:
    """When the centre must have decided an appeal filed at `at`: the end of the
    HOTLINE_APPEAL_DAYS-th working day after it (the working-day calendar)."""
    return _calendar(copy).add(at, (settings.HOTLINE_APPEAL_DAYS, "workdays"))


def filing_closes(decided_at: dt.datetime, copy: snapshot.Snapshot | None = None) -> dt.datetime:
    """The last moment to appeal a decision taken at `decided_at`: the end of the
    HOTLINE_APPEAL_FILING_DAYS-th working day after it."""
    return _calendar(copy).add(decided_at, (settings.HOTLINE_APPEAL_FILING_DAYS, "workdays"))


def is_overdue(appeal: OrderAppeal, now: dt.datetime | None = None) -> bool:
    """Pending past its deadline, or decided after it."""
    if appeal.decided_at is not None:
        return appeal.decided_at > appeal.due
    return (now or timezone.now()) > appeal.due


def _clean(reasons: Any, allowed: Sequence[str], explanation: Any, evidence_ids: Any) -> tuple[list[str], str, list[int]]:
    if isinstance(reasons, str) or not isinstance(reasons, list | tuple) or not reasons:
        raise InvalidInput(_("请至少选择一项申诉理由。"), details={"reasons": [_("必填。")]})
    codes = list(dict.fromkeys(reasons))
    unknown = [str(c)[:40] for c in codes if c not in allowed]
    if unknown:
        raise InvalidInput(_("申诉理由不是可选的值之一。"), details={"reasons": unknown})
    text = _reason(explanation if isinstance(explanation, str) else "", "explanation", min_chars=MIN_APPEAL_CHARS)
    if len(text) > MAX_APPEAL_CHARS:
        raise InvalidInput(_("说明不能超过%(n)d个字。") % {"n": MAX_APPEAL_CHARS}, details={"explanation": [_("过长。")]})
    if isinstance(evidence_ids, str | int) or evidence_ids is None:
        raise InvalidInput(_("参数格式不正确。"), details={"evidence_ids": [_("须为材料编号的列表。")]})
    ids = list(dict.fromkeys(_int(i, "evidence_ids") for i in evidence_ids))
    if len(ids) > MAX_EVIDENCE:
        raise InvalidInput(_("佐证材料最多选择%(n)d份。") % {"n": MAX_EVIDENCE}, details={"evidence_ids": [str(len(ids))]})
    return codes, text, ids


def _files(order: WorkOrder, ids: list[int]) -> list[Evidence]:
    files = list(Evidence.objects.filter(order=order, pk__in=ids)) if ids else []
    if len(files) != len(ids):
        unknown = sorted(set(ids) - {e.pk for e in files})
        raise InvalidInput(_("佐证材料须是本工单已上传的材料。"), details={"evidence_ids": [str(i) for i in unknown]})
    return files


def _mine(actor: User, unit_id: int | None) -> None:
    if unit_id is None or actor.unit_id != unit_id:
        raise NotAllowed(_("只能对本单位的答复或回访提出申诉。"), code="not_your_decision")


def _open_window(decided_at: dt.datetime, now: dt.datetime) -> None:
    closes = filing_closes(decided_at)
    if now > closes:
        raise InvalidTransition(
            _("已超过申诉期限（决定作出后%(n)d个工作日内，至%(at)s止）。")
            % {"n": settings.HOTLINE_APPEAL_FILING_DAYS, "at": timezone.localtime(closes).strftime("%Y-%m-%d %H:%M")},
            code="appeal_window_closed")


def _file(order: WorkOrder, actor: User, action: A, target: Any, kind: str, codes: list[str], text: str,
          files: list[Evidence], now: dt.datetime, **refs: Any) -> OrderAppeal:
    appeal = OrderAppeal.objects.create(order=order, kind=kind, unit_id=actor.unit_id, reasons=codes,
                                        explanation=text, by=actor, at=now, due=appeal_due(now), **refs)
    if files:
        appeal.evidence.set(files)
    _finish(order, actor, action, target, now, appeal=appeal.pk, kind=kind, reasons=codes, explanation=text,
            evidence=sorted(f.pk for f in files), unit=actor.unit_id, due=appeal.due,
            review=refs.get("review").pk if refs.get("review") else None,
            callback=refs.get("callback").pk if refs.get("callback") else None)
    return appeal


def _chosen(qs: Any, given: Any) -> Any:
    """The decision appealed: the one named by id among `qs`, or, when none is named, the latest."""
    if given in (None, ""):
        return qs.order_by("-at", "-pk").first()
    pk = as_id(given)
    return qs.filter(pk=pk).first() if pk is not None else None


def do_appeal_redo(order_id: int, *, actor: User, review_id: Any = None, reasons: Sequence[str],
                   explanation: str, evidence_ids: Sequence[int] = ()) -> OrderAppeal:
    """The unit's head appeals a redo decision of the unit's reply (`review_id`; by default the
    order's latest redo), with reason codes, an explanation and, optionally, files of the order.

    Before: the actor heads the unit that leads the order and whose reply was sent back; the redo
    is not appealed already (one appeal per redo, ever) and was decided at most
    HOTLINE_APPEAL_FILING_DAYS working days ago. After: one pending appeal due in
    HOTLINE_APPEAL_DAYS working days and one event; the order's state and clocks are as they were."""
    codes, text, ids = _clean(reasons, REDO_APPEAL_REASONS, explanation, evidence_ids)
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.APPEAL_REDO)
        redos = Review.objects.filter(order=order, decision=Review.Decision.REDO).select_related("reply")
        review = _chosen(redos, review_id)
        if review is None:
            raise InvalidInput(_("这张工单没有可申诉的驳回重办决定。"), details={"review_id": [_("请选择本工单的一次驳回重办。")]})
        _mine(actor, review.reply.unit_id)
        if OrderAppeal.objects.filter(review=review).exists():
            raise Conflict(_("这次驳回重办已经申诉过（每项决定只能申诉一次）。"), code="already_appealed")
        now = clock.now()
        _open_window(review.at, now)
        appeal = _file(order, actor, A.APPEAL_REDO, target, Kind.REDO, codes, text, _files(order, ids), now,
                       review=review)
    return appeal


def do_appeal_callback(order_id: int, *, actor: User, callback_id: Any = None, reasons: Sequence[str],
                       explanation: str, evidence_ids: Sequence[int] = ()) -> OrderAppeal:
    """The unit's head appeals a callback of the order it believes invalid (`callback_id`; by
    default the order's latest counted callback): the caller rated another matter, the person
    called was not the caller, the answers contradict the trace...

    Before: the actor heads the unit that leads the order and to which the callback counts; the
    callback is valid, reached, not voided, not appealed already, and made at most
    HOTLINE_APPEAL_FILING_DAYS working days ago. After: one pending appeal and one event."""
    codes, text, ids = _clean(reasons, CALLBACK_APPEAL_REASONS, explanation, evidence_ids)
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.APPEAL_CALLBACK)
        counted = Callback.objects.filter(order=order, valid=True, reached=True, voided_at__isnull=True)
        callback = _chosen(counted, callback_id)
        if callback is None:
            raise InvalidInput(_("这张工单没有可申诉的有效回访。"), details={"callback_id": [_("请选择本工单的一次有效回访。")]})
        _mine(actor, callback.unit_id)
        if OrderAppeal.objects.filter(callback=callback).exists():
            raise Conflict(_("这次回访已经申诉过（每项决定只能申诉一次）。"), code="already_appealed")
        now = clock.now()
        _open_window(callback.at, now)
        appeal = _file(order, actor, A.APPEAL_CALLBACK, target, Kind.CALLBACK, codes, text, _files(order, ids), now,
                       callback=callback)
    return appeal


def _pending(order: WorkOrder, appeal_id: Any) -> OrderAppeal:
    appeals = OrderAppeal.objects.filter(order=order, status=Status.PENDING).select_related("review", "callback")
    if appeal_id in (None, ""):
        found = list(appeals.order_by("at", "pk")[:2])
        if len(found) > 1:
            raise InvalidInput(_("这张工单有多项待裁定的申诉，请指明裁定哪一项。"), details={"appeal_id": [_("必填。")]})
        appeal = found[0] if found else None
    else:
        pk = as_id(appeal_id)
        appeal = appeals.filter(pk=pk).first() if pk is not None else None
    if appeal is None:
        raise InvalidTransition(_("这张工单没有待裁定的申诉。"), code="no_pending_appeal")
    return appeal


def _decide(order_id: int, actor: User, action: A, appeal_id: Any, note: str) -> OrderAppeal:
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, action)
        appeal = _pending(order, appeal_id)
        made_by = appeal.review.reviewer_id if appeal.review_id else appeal.callback.agent_id
        if made_by == actor.pk:
            raise NotAllowed(_("申诉须由未参与原决定的人员裁定：您不能裁定对自己所作决定的申诉。"),
                             code="not_independent", details={"action": str(action)})
        now = clock.now()
        appeal.decided_by, appeal.decided_at, appeal.decision_note = actor, now, note
        corrected: dict[str, Any] = {}
        if action is A.UPHOLD_APPEAL:
            appeal.status = Status.UPHELD
            if appeal.kind == Kind.REDO:
                appeal.review.overturned_at = now
                appeal.review.save(update_fields=["overturned_at"])
                corrected = {"review": appeal.review_id, "review_at": appeal.review.at}
            elif appeal.callback.voided_at is not None:
                # voided meanwhile (a re-check found it fabricated): it no longer counts; its own
                # reason and the caller's real answers stand
                corrected = {"already_voided": appeal.callback_id}
            else:
                cb = appeal.callback
                cb.voided_at, cb.voided_by = now, actor
                cb.void_reason = _("申诉成立（申诉%(id)d）：%(note)s") % {"id": appeal.pk, "note": note}
                cb.save(update_fields=["voided_at", "voided_by", "void_reason"])
                corrected = {"voided": cb.pk, "callback_at": cb.at}
        else:
            appeal.status = Status.REJECTED
        appeal.save()
        _finish(order, actor, action, target, now, appeal=appeal.pk, kind=appeal.kind, unit=appeal.unit_id,
                note=note, late=now > appeal.due or None, **corrected)
    return appeal


def do_uphold_appeal(order_id: int, *, actor: User, note: str, appeal_id: Any = None) -> OrderAppeal:
    """A supervisor upholds the order's pending appeal (`appeal_id` where it has more than one),
    with the reason. A redo appeal: the redo stops counting against the unit (the review keeps
    its place in the trace, marked overturned). A callback appeal: the callback is voided with the
    appeal as its reason and leaves the unit's rates. Either way the built days are restated."""
    return _decide(order_id, actor, A.UPHOLD_APPEAL, appeal_id, _reason(note))


def do_reject_appeal(order_id: int, *, actor: User, note: str, appeal_id: Any = None) -> OrderAppeal:
    """A supervisor rejects the pending appeal, with the reason: the decision appealed stands,
    and the same decision cannot be appealed again."""
    return _decide(order_id, actor, A.REJECT_APPEAL, appeal_id, _reason(note))
