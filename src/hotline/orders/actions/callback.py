"""Callback: the caller is asked whether the matter was resolved; reopening."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from hotline.directory.models import User
from hotline.errors import InvalidInput, InvalidTransition

from .. import clock
from ..models import (
    Callback,
    CallbackChannel,
    Satisfaction,
    WorkOrder,
)
from ..states import State
from ..validation import normalise_phone, phone_error
from ._base import (
    A,
    _atomic,
    _calendar,
    _check,
    _finish,
    _later,
    _lock,
    _reason,
)

# ---- callback -----------------------------------------------------------------------------------------


def do_callback(
    order_id: int, *, actor: User, valid: bool = True, contacted: bool | None = None, resolved: bool | None = None,
    satisfaction: str = "", phone: str = "", note: str = "", channel: str = CallbackChannel.PHONE,
    verification: str = "", device: str = "",
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
    if channel not in CallbackChannel.values or len(verification) > 20 or len(device) > 64:
        raise InvalidInput(_("回访方式有误。"), details={"channel": [_("未知的回访方式。")]})
    msg = phone_error(phone)
    if msg:
        raise InvalidInput(msg, details={"phone": [msg]})
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.CALLBACK)
        if order.state == State.MERGED:
            main = _root(order)
            if main.state not in {State.AWAITING_CALLBACK, State.CLOSED}:
                raise InvalidTransition(_("主工单%(n)s尚未答复，暂不能回访。") % {"n": main.number})
            if order.callbacks.filter(reached=True).exists():
                raise InvalidTransition(_("已回访过。"))
        now = clock.now()
        unit_id = order.lead_unit_id if order.state != State.MERGED else _root(order).lead_unit_id
        callback = Callback.objects.create(
            order=order, agent=actor, at=now, reached=True, phone=normalise_phone(phone) or order.caller_phone,
            valid=valid, contacted=contacted if valid else None, resolved=resolved if valid else None,
            satisfaction=satisfaction if valid else "", note=note.strip(), unit_id=unit_id,
            channel=channel, verification=verification, device=device,
        )
        if order.state != State.MERGED:
            order.closed_at = now
        _finish(order, actor, A.CALLBACK, target, now, callback=callback.pk, valid=valid, contacted=contacted,
                resolved=resolved, satisfaction=satisfaction, unit=unit_id, channel=channel,
                verification=verification or None,
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
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.CALLBACK_ATTEMPT)
        now = clock.now()
        callback = Callback.objects.create(order=order, agent=actor, at=now, reached=False, valid=False,
                                           phone=order.caller_phone, note=(note or "").strip()[:500])
        _finish(order, actor, A.CALLBACK_ATTEMPT, target, now, callback=callback.pk, note=note)
    return callback


def do_reopen(order_id: int, *, actor: User, reason: str) -> WorkOrder:
    """Send an order back to its unit: the caller says it is not resolved (callback agent), a
    supervisor reopens a closed order, or the centre finds a proactive order's result fails
    verification (核验不通过)."""
    reason = _reason(reason, "reason")
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.REOPEN)
        # An order answered at intake was never dispatched: reopened, it would sit in progress
        # with no unit able to reply to it.
        if order.lead_unit_id is None:
            raise InvalidTransition(_("该工单受理时已直接答复，没有承办单位，不能重新办理；如需办理请新建工单。"),
                                    details={"state": order.state, "action": str(A.REOPEN)})
        now = clock.now()
        # A proactive order reopened before it was closed failed the centre's verification.
        failed_verification = order.is_proactive and order.state == State.AWAITING_CALLBACK
        order.closed_at = None
        order.reply_due = _later(order.reply_due, _calendar().add(now, settings.HOTLINE_REDO_LIMIT))
        _finish(order, actor, A.REOPEN, target, now, reason=reason, failed_verification=failed_verification or None)
    return order
