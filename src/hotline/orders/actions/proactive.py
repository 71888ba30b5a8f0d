"""Acting before the call (未诉先办): a proactive order, with no caller, opened by the centre from
a governance task, a hotspot, a seasonal rule or a patrol, and dispatched at once; it goes round
the same loop (sign, work, reply, review) and is closed by the centre's verification of the result
(核验) instead of a callback. A failed verification reopens it (do_reopen)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline import outbox
from hotline.directory import snapshot
from hotline.directory.models import Area, Category, User
from hotline.errors import InvalidInput, NotAllowed

from .. import clock, policies, states
from ..models import Channel, Event, Urgency, WorkOrder
from ..states import PROACTIVE_SOURCES, State
from ..validation import as_id, text_errors
from ._base import (
    MIN_REASON_CHARS,
    A,
    _append_event,
    _assign,
    _atomic,
    _check,
    _finish,
    _lock,
    _role,
    _rule_of,
    _start_clocks,
    _unit,
    _units,
    check_key,
    key_reused,
)
from .intake import _intake_data, _numbers
from .joint import set_co_units

MAX_REF = 2**63 - 1
# A source that names what it came from (a task, a hotspot, a rule); a patrol names nothing.
SOURCES_WITH_REF = frozenset({"task", "hotspot", "seasonal"})


def _clean(*, title: Any, description: Any, area_id: Any, address: Any, category_id: Any, source: Any,
           source_ref: Any, note: Any, urgency: Any, latitude: Any, longitude: Any) -> dict[str, Any]:
    """Every field's problems at once (InvalidInput), or the cleaned values."""
    errors = text_errors(title=title if isinstance(title, str) else "",
                         description=description if isinstance(description, str) else "")
    if source not in PROACTIVE_SOURCES:
        errors["source"] = [_("请选择主动治理工单的来源（专项治理任务、热点、季节性规则或巡查发现）。")]
    ref = None
    if source in SOURCES_WITH_REF:
        ref = source_ref if isinstance(source_ref, int) and not isinstance(source_ref, bool) else as_id(source_ref)
        if ref is None or not 1 <= ref <= MAX_REF:
            errors["source_ref"] = [_("请填写来源的编号（任务、热点首单或规则的编号）。")]
            ref = None
    elif source == "patrol" and source_ref not in (None, ""):
        errors["source_ref"] = [_("巡查发现的工单没有来源编号。")]
    if not isinstance(address, str) or len(address) > 200:
        errors["address"] = [_("地址不能超过200字。")]
    if not isinstance(note, str) or len(note) > 1000:
        errors["note"] = [_("说明不能超过1000字。")]
    if urgency not in Urgency.values:
        errors["urgency"] = [_("未知的紧急程度。")]
    for name, value in (("address", address), ("note", note)):
        if isinstance(value, str) and "\x00" in value:
            errors.setdefault(name, []).append(_("内容含有无法保存的控制字符。"))
    for name, value, lo, hi in (("latitude", latitude, -90, 90), ("longitude", longitude, -180, 180)):
        if value is not None and not (isinstance(value, int | float) and not isinstance(value, bool)
                                      and lo <= value <= hi):
            errors[name] = [_("坐标超出范围。")]
    area = category = None
    if area_id not in (None, ""):
        pk = as_id(area_id)
        area = Area.objects.filter(pk=pk).first() if pk is not None else None
        if area is None:
            errors["area"] = [_("区域不存在。")]
    if category_id not in (None, ""):
        pk = as_id(category_id)
        category = Category.objects.filter(pk=pk, active=True).first() if pk is not None else None
        if category is None:
            errors["category"] = [_("诉求分类不存在。")]
    if errors:
        raise InvalidInput(_("主动治理工单信息有误，请修改后再提交。"), details=errors)
    return {"title": title.strip(), "description": description.strip(), "area": area, "category": category,
            "address": address.strip(), "source_ref": ref, "note": note.strip()}


def do_create_proactive(
    *, actor: User, title: str, description: str, unit_id: int, source: str, source_ref: int | None = None,
    area_id: int | None = None, address: str = "", category_id: int | None = None, note: str = "",
    co_unit_ids: Sequence[int] = (), urgency: str = Urgency.GENERAL, latitude: float | None = None,
    longitude: float | None = None, idempotency_key: str | None = None,
) -> WorkOrder:
    """Open a proactive order (未诉先办) and dispatch it to its unit: one action, two events in the
    trace (受理 with its source, then 派单), in one transaction. There is no caller: no phone, no
    first-contact clock, no callback; the centre verifies the result (do_verify).

    `source` is task, hotspot, seasonal or patrol; `source_ref` the task's id, the hotspot's first
    order's id or the seasonal rule's id (none for a patrol). The responsibility list is the
    basis where it names `unit_id`; a person who sends it elsewhere says why (`note`), as for a
    dispatch; the system (a seasonal rule) may, its rule being the basis. With an idempotency key
    a retried submission returns the order the first one created."""
    role = _role(actor)
    if not policies.may_create_proactive(role):
        raise NotAllowed(_("只有热线中心（派单员、督办人员）可以发起主动治理工单。"))
    clean = _clean(title=title, description=description, area_id=area_id, address=address, category_id=category_id,
                   source=source, source_ref=source_ref, note=note, urgency=urgency, latitude=latitude,
                   longitude=longitude)
    lead = _unit(unit_id)
    co = _units(co_unit_ids)
    key = check_key(idempotency_key) if idempotency_key else None
    if key is not None:
        earlier = _earlier(key, actor)
        if earlier is not None:
            return earlier
    try:
        with _atomic():
            return _create(actor, clean, lead, co, source=source, urgency=urgency, latitude=latitude,
                           longitude=longitude, key=key)
    except IntegrityError:
        if key is not None:
            earlier = _earlier(key, actor)
            if earlier is not None:
                return earlier
        raise


def _earlier(key: str, actor: User) -> WorkOrder | None:
    order = WorkOrder.objects.filter(idempotency_key=key).first()
    if order is None:
        return None
    if order.created_by_id != actor.pk or not order.is_proactive:
        raise key_reused()
    return order


def _create(actor: User, clean: dict[str, Any], lead: Any, co: list[Any], *, source: str, urgency: str,
            latitude: float | None, longitude: float | None, key: str | None) -> WorkOrder:
    now = clock.now()
    (number,) = _numbers(timezone.localdate(now), 1)
    order = WorkOrder(
        number=number, channel=Channel.PROACTIVE, address=clean["address"], area=clean["area"],
        latitude=latitude, longitude=longitude, title=clean["title"], description=clean["description"],
        category=clean["category"], urgency=urgency, state=State.RECEIVED, received_at=now, created_by=actor,
        updated_at=now, source=source, source_ref=clean["source_ref"], idempotency_key=key,
    )
    created = _append_event(order, actor, A.CREATE, "", State.RECEIVED, now,
                            {**_intake_data(order), "source": source, "source_ref": clean["source_ref"]})
    order.save()
    created.order = order
    created.save()
    outbox.publish([created])
    # Dispatch, as do_dispatch does: the list decides; elsewhere a person says why.
    copy = snapshot.current()
    rule = _rule_of(order, copy, timezone.localdate(now))
    if rule is not None and rule.lead_unit_id == lead.pk:
        basis = "rule"
    elif rule is None:
        basis = "manual"
    else:
        basis = "override"
        if _role(actor).value != "system" and len(clean["note"]) < MIN_REASON_CHARS:
            raise InvalidInput(
                _("权责清单（%(rule)s）规定由“%(unit)s”主办；改派其他单位须说明理由。")
                % {"rule": rule.label, "unit": rule.lead_unit.name},
                code="outside_responsibility_list",
                details={"unit": [_("不在权责清单规定的主办单位。")], "note": [_("请说明理由。")]},
            )
    target = states.next_state(State.RECEIVED, A.DISPATCH)
    assert target is not None
    _assign(order, lead, co, now)
    order.rule = rule if basis == "rule" else None
    _start_clocks(order, now, copy)
    parts = set_co_units(order, co, now)
    _finish(order, actor, A.DISPATCH, target, now, unit=lead.pk, co_units=[u.pk for u in co],
            rule=rule.pk if rule else None, basis=basis, note=clean["note"], category=order.category_id,
            source=source, **parts)
    return order


def do_verify(order_id: int, *, actor: User, note: str = "") -> WorkOrder:
    """The centre verifies a proactive order's result (核验) and closes it. Only for proactive
    orders (a caller's order is called back); a failed verification is a reopen (do_reopen).
    The event says whether it passed at the first verification (no earlier failed one): the
    assessment credits the unit with it."""
    note = (note or "").strip() if isinstance(note, str) else ""
    if len(note) > 2000:
        raise InvalidInput(_("核验意见不能超过2000字。"), details={"note": [_("不能超过2000字。")]})
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.VERIFY)
        now = clock.now()
        failed = Event.objects.filter(order=order, action=A.REOPEN, from_state=State.AWAITING_CALLBACK).count()
        order.closed_at = now
        _finish(order, actor, A.VERIFY, target, now, unit=order.lead_unit_id, first_time=failed == 0,
                failed_before=failed, note=note, source=order.source)
    return order
