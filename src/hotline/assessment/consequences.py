"""Rewards and penalties recorded against a unit's month (考用结合): what a month's assessment led
to. `record()` is the only writer (supervisors and administrators, through the consequences
page); `for_month()` and `for_unit()` read them for the pages, the monthly report and exports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.directory.models import Unit
from hotline.directory.roles import Role
from hotline.errors import InvalidInput, NotAllowed

from .models import MonthlyConsequence

RECORDERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
MAX_POINTS = Decimal("100")
MAX_DESCRIPTION = 200
MAX_REASON = 2000


def _points(value: Any) -> Decimal | None:
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    try:
        n = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(_("分值应为数字：%(v)s") % {"v": text[:40]}) from None
    if not n.is_finite() or n <= 0 or n > MAX_POINTS:
        raise InvalidInput(_("分值应大于0且不超过%(n)s（奖励或惩戒由类型区分）。") % {"n": MAX_POINTS})
    if n != n.quantize(Decimal("0.01")):
        raise InvalidInput(_("分值最多保留两位小数。"))
    return n


def record(*, actor: Any, unit_id: Any, month: Any, kind: Any, points: Any = None, description: Any = "",
           reason: Any = "", now: dt.datetime | None = None) -> MonthlyConsequence:
    """Record a reward or a penalty for a unit's month (a month that has begun). Points (0 < p ≤
    100) or a description, or both; a reason always. InvalidInput / NotAllowed in the user's
    language; nothing is written unless everything is right."""
    if getattr(actor, "role", None) not in RECORDERS:
        raise NotAllowed(_("只有督办人员或管理员可以记录奖惩。"))
    try:
        unit = Unit.objects.get(pk=int(unit_id), handles_orders=True)
    except (TypeError, ValueError, Unit.DoesNotExist):
        raise InvalidInput(_("请选择承办单位。")) from None
    if not isinstance(month, dt.date):
        raise InvalidInput(_("请选择考核月份。"))
    month = month.replace(day=1)
    now = now or timezone.now()
    if month > timezone.localdate(now).replace(day=1):
        raise InvalidInput(_("不能为尚未开始的月份记录奖惩。"))
    if kind not in MonthlyConsequence.Kind.values:
        raise InvalidInput(_("类型应为奖励或惩戒。"))
    pts = _points(points)
    description = str(description or "").strip()
    reason = str(reason or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(_("奖惩内容不能超过%(n)d字。") % {"n": MAX_DESCRIPTION})
    if pts is None and not description:
        raise InvalidInput(_("请填写分值或奖惩内容。"))
    if not reason:
        raise InvalidInput(_("请填写奖惩理由。"))
    if len(reason) > MAX_REASON:
        raise InvalidInput(_("理由不能超过%(n)d字。") % {"n": MAX_REASON})
    with transaction.atomic():
        return MonthlyConsequence.objects.create(unit=unit, month=month, kind=kind, points=pts,
                                                 description=description, reason=reason, recorded_by=actor,
                                                 recorded_at=now)


def rows(qs) -> list[dict[str, Any]]:
    out = []
    for c in qs.select_related("unit", "recorded_by").order_by("month", "unit__name", "recorded_at", "pk"):
        out.append({
            "id": c.pk, "unit_id": c.unit_id, "unit": c.unit.name, "month": f"{c.month:%Y-%m}", "kind": c.kind,
            "kind_label": c.get_kind_display(), "points": float(c.points) if c.points is not None else None,
            "description": c.description, "reason": c.reason,
            "recorded_by": c.recorded_by.display_name or c.recorded_by.username,
            "recorded_at": c.recorded_at,
        })
    return out


def for_month(first: dt.date, last: dt.date, unit_id: int | None = None) -> list[dict[str, Any]]:
    """The records of the months from first's to last's (a unit's only, when given)."""
    qs = MonthlyConsequence.objects.filter(month__gte=first.replace(day=1), month__lte=last.replace(day=1))
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    return rows(qs)
