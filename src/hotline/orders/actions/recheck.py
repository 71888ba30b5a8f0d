"""Re-checking a suspect callback (复核回访): the consequence of a gaming check.

When the assessment finds a unit's satisfaction suspect (hotline.assessment.gaming), the centre
calls the caller again, independently of whoever made the callback under suspicion, and asks
whether the earlier answers were theirs. The verdict is traced on the order as one event:

- confirmed: the caller confirms the answers; nothing changes;
- fabricated: the caller says the answers were not theirs (never called, or called and answered
  otherwise): the earlier rating is voided with its reason (the row keeps its answers but stops
  counting) and the caller's own answers now are recorded as the real rating, in this
  transaction; the assessment restates the built days (assessment/restate.py) and the unit
  takes the administrator's deduction (assessment/rechecks.py);
- not reached: recorded; the callback stays to be re-checked.

The order's state does not change."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from hotline.directory.models import User
from hotline.errors import Conflict, InvalidInput, NotAllowed

from .. import clock
from ..models import Callback, CallbackChannel, CallbackRecheck, Satisfaction
from ..validation import as_id
from ._base import A, _atomic, _check, _finish, _lock, _reason

Verdict = CallbackRecheck.Verdict


def _bool(value: Any, field: str, *, required: bool) -> bool | None:
    if value is None and not required:
        return None
    if not isinstance(value, bool):
        raise InvalidInput(_("请选择“是”或“否”。"), details={field: [_("必填。")]})
    return value


def do_recheck(order_id: int, *, actor: User, callback_id: Any, reached: Any, confirmed: Any = None,
               contacted: Any = None, resolved: Any = None, satisfaction: str = "", note: str = "") -> CallbackRecheck:
    """Record the centre's second callback of `callback_id` (a valid callback on this order).

    Before: the order is closed or merged; the callback is a valid, reached, not voided rating of
    this order with no verdict yet; the actor did not make it. `reached` says whether the caller
    was reached; then `confirmed` whether they confirm the earlier answers as theirs. Fabricated
    (reached, not confirmed): a reason in `note` and the caller's answers now (`resolved`,
    `satisfaction`, optionally `contacted`) are required.
    After: one CallbackRecheck and one event; when fabricated, the callback voided and a new
    valid callback with the caller's real answers that replaces it."""
    reached = _bool(reached, "reached", required=True)
    confirmed = _bool(confirmed, "confirmed", required=bool(reached))
    contacted = _bool(contacted, "contacted", required=False)
    resolved = _bool(resolved, "resolved", required=False)
    satisfaction = satisfaction or ""
    if satisfaction and satisfaction not in Satisfaction.values:
        raise InvalidInput(_("满意度不是可选的值之一。"), details={"satisfaction": [_("未知的满意度。")]})
    note = (note or "").strip()
    if not reached:
        verdict = Verdict.NOT_REACHED
        confirmed = contacted = resolved = None
        satisfaction = ""
    elif confirmed:
        verdict = Verdict.CONFIRMED
    else:
        verdict = Verdict.FABRICATED
        note = _reason(note, "note")
        if resolved is None or not satisfaction:
            raise InvalidInput(_("回访不实时须记录来电人本人对是否解决和满意度的回答。"),
                               details={"resolved": [_("必填。")], "satisfaction": [_("必填。")]})
    if len(note) > 4000:
        raise InvalidInput(_("说明不能超过%(n)d个字。") % {"n": 4000}, details={"note": [_("过长。")]})
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.RECHECK)
        pk = as_id(callback_id)
        callback = Callback.objects.filter(pk=pk, order=order).first() if pk is not None else None
        if callback is None:
            raise InvalidInput(_("要复核的回访记录不存在，或不属于这张工单。"),
                               details={"callback_id": [_("请选择这张工单的一次有效回访。")]})
        if not (callback.valid and callback.reached) or callback.voided_at is not None or callback.replaces_id:
            raise InvalidInput(_("只能复核本工单一次有效且未作废的回访（复核记录本身不再复核）。"),
                               details={"callback_id": [_("该回访不能复核。")]})
        if callback.agent_id == actor.pk:
            raise NotAllowed(_("复核须由未参与原回访的人员进行：您不能复核自己做的回访。"), code="not_independent",
                             details={"action": str(A.RECHECK)})
        done = callback.rechecks.exclude(verdict=Verdict.NOT_REACHED).first()
        if done is not None:
            raise Conflict(_("这次回访已复核，结论为“%(v)s”。") % {"v": done.get_verdict_display()},
                           code="already_rechecked")
        now = clock.now()
        real = None
        if verdict is Verdict.FABRICATED:
            callback.voided_at, callback.voided_by, callback.void_reason = now, actor, note
            callback.save(update_fields=["voided_at", "voided_by", "void_reason"])
            real = Callback.objects.create(
                order=order, agent=actor, at=now, reached=True, phone=order.caller_phone, valid=True,
                contacted=contacted, resolved=resolved, satisfaction=satisfaction, unit_id=callback.unit_id,
                channel=CallbackChannel.PHONE, note=_("复核回访：来电人本人的回答"), replaces=callback)
        recheck = CallbackRecheck.objects.create(
            order=order, callback=callback, unit_id=callback.unit_id, by=actor, at=now, verdict=verdict,
            reached=reached, confirmed=confirmed, contacted=contacted, resolved=resolved,
            satisfaction=satisfaction, note=note, real_callback=real)
        _finish(order, actor, A.RECHECK, target, now, recheck=recheck.pk, callback=callback.pk,
                verdict=verdict.value, reached=reached, confirmed=confirmed, contacted=contacted, resolved=resolved,
                satisfaction=satisfaction or None, unit=callback.unit_id, note=note or None,
                voided=callback.pk if real is not None else None, real_callback=real.pk if real else None)
    return recheck
