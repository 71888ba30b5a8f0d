"""What follows a gaming suspicion (issue 14, point 2): the queue of suspect callbacks for a
second, independent callback by the centre (复核回访), how each suspicion ended, and the
deduction for confirmed fabrications.

The suspect callbacks of a period are the valid callbacks, in the period, of a suspect unit
(gaming.suspect) on the orders that the evidence of its fired checks names. Each has a status
from its re-checks (orders.models.CallbackRecheck, written with the RECHECK event): pending
(none yet), not reached (tried, the caller not reached), confirmed, or fabricated.

The deduction is computed, never kept: per unit and month (of the voided rating), the number of
ratings found fabricated times the points of the administrator's rule in force that month
(GamingDeduction). Reads only: nothing here writes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline import periods
from hotline.directory.models import Unit
from hotline.orders.models import Callback, CallbackRecheck

from . import gaming, stats
from .models import GamingDeduction
from .stats.sql import local_tz

Verdict = CallbackRecheck.Verdict
PENDING = "pending"
STATUSES = {PENDING: _("待复核"), Verdict.NOT_REACHED.value: _("复核未接通"),
            Verdict.CONFIRMED.value: _("确认属实"), Verdict.FABRICATED.value: _("回访不实（已作废）")}


def last_month(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The month before `today`'s (the queue's default period)."""
    today = today or timezone.localdate()
    return periods.month_bounds(today.replace(day=1) - dt.timedelta(days=1))


def _suspect_orders(first: dt.date, last: dt.date, unit_ids: list[int] | None) -> dict[int, set[str]]:
    fired = gaming.check(first, last, unit_ids=unit_ids)
    return {unit_id: {n for c in checks for n in c["orders"]}
            for unit_id, checks in fired.items() if gaming.suspect(checks)}


def status_of(rechecks: list[CallbackRecheck]) -> tuple[str, CallbackRecheck | None]:
    """A callback's status from its re-checks (any order): the final verdict if there is one,
    else not reached if it was tried, else pending; with the re-check that decides it."""
    final = [r for r in rechecks if r.verdict != Verdict.NOT_REACHED]
    if final:
        return final[0].verdict, final[0]
    if rechecks:
        latest = max(rechecks, key=lambda r: (r.at, r.pk))
        return Verdict.NOT_REACHED.value, latest
    return PENDING, None


def queue(first: dt.date, last: dt.date, *, unit_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """The suspect callbacks of days first..last, oldest first, each with its status."""
    by_unit = _suspect_orders(first, last, unit_ids)
    if not by_unit:
        return []
    lo, hi = stats.day_bounds(first, last)
    rows: list[Callback] = []
    for unit_id, numbers in sorted(by_unit.items()):
        if not numbers:
            continue
        rows += list(Callback.objects.filter(
            unit_id=unit_id, order__number__in=sorted(numbers), at__gte=lo, at__lt=hi, valid=True, reached=True,
            replaces__isnull=True).select_related("order", "agent", "unit"))
    checks: dict[int, list[CallbackRecheck]] = defaultdict(list)
    for r in CallbackRecheck.objects.filter(callback_id__in=[cb.pk for cb in rows]).select_related("by"):
        checks[r.callback_id].append(r)
    out = []
    for cb in sorted(rows, key=lambda c: (c.at, c.pk)):
        status, decided = status_of(checks.get(cb.pk, []))
        out.append({
            "callback_id": cb.pk, "order_id": cb.order_id, "number": cb.order.number, "title": cb.order.title,
            "unit_id": cb.unit_id, "unit": cb.unit.name if cb.unit else "", "at": cb.at,
            "agent": cb.agent.display_name or cb.agent.username, "agent_id": cb.agent_id,
            "phone": gaming.mask(cb.phone), "other_phone": bool(cb.phone) and cb.phone != cb.order.caller_phone,
            "resolved": cb.resolved, "satisfaction": cb.get_satisfaction_display(), "status": status,
            "status_label": str(STATUSES[status]), "attempts": len(checks.get(cb.pk, [])),
            "rechecked_by": (decided.by.display_name or decided.by.username) if decided else "",
            "rechecked_at": decided.at if decided else None, "recheck_note": decided.note if decided else "",
        })
    return out


def rule_for(month_first: dt.date) -> GamingDeduction | None:
    """The administrator's deduction rule in force in the month starting `month_first`."""
    return GamingDeduction.objects.filter(effective_from__lte=month_first).order_by("-effective_from").first()


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, m = [], first.replace(day=1)
    while m <= last:
        out.append(m)
        m = periods.month_bounds(m)[1] + dt.timedelta(days=1)
    return out


def deductions(first: dt.date, last: dt.date, *, unit_ids: list[int] | None = None) -> dict[int, dict[str, Any]]:
    """{unit id: {"count": ratings found fabricated, "points": the deduction}} for the voided
    ratings made in days first..last (units without any are absent). Points per month of the
    rating, at that month's rule."""
    lo, hi = stats.day_bounds(first, last)
    qs = CallbackRecheck.objects.filter(verdict=Verdict.FABRICATED, callback__at__gte=lo, callback__at__lt=hi,
                                        unit__isnull=False)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    per: dict[tuple[int, dt.date], int] = defaultdict(int)
    for unit_id, at in qs.values_list("unit_id", "callback__at"):
        per[(unit_id, timezone.localtime(at, local_tz()).date().replace(day=1))] += 1
    if not per:
        return {}
    points = {m: (r.points if (r := rule_for(m)) else Decimal(0)) for m in _months(first, last)}
    out: dict[int, dict[str, Any]] = {}
    for (unit_id, month), n in sorted(per.items()):
        row = out.setdefault(unit_id, {"count": 0, "points": Decimal(0)})
        row["count"] += n
        row["points"] += points.get(month, Decimal(0)) * n
    for row in out.values():
        row["points"] = float(row["points"])
    return out


def outcomes(first: dt.date, last: dt.date, *, unit_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """How every suspicion of the period ended, per suspect unit: its suspect callbacks and how
    many were re-checked, confirmed, found fabricated, not reached, still pending; the deduction."""
    by_unit = _suspect_orders(first, last, unit_ids)
    rows = queue(first, last, unit_ids=list(by_unit) if unit_ids is None else unit_ids) if by_unit else []
    cut = deductions(first, last, unit_ids=list(by_unit)) if by_unit else {}
    names = dict(Unit.objects.filter(pk__in=list(by_unit)).values_list("pk", "name"))
    out = []
    for unit_id in sorted(by_unit, key=lambda u: names.get(u, "")):
        mine = [r for r in rows if r["unit_id"] == unit_id]
        count = {s: sum(1 for r in mine if r["status"] == s) for s in STATUSES}
        d = cut.get(unit_id, {"count": 0, "points": 0.0})
        out.append({"unit_id": unit_id, "unit": names.get(unit_id, ""), "suspect_callbacks": len(mine),
                    "rechecked": len(mine) - count[PENDING], "confirmed": count[Verdict.CONFIRMED.value],
                    "fabricated": count[Verdict.FABRICATED.value], "not_reached": count[Verdict.NOT_REACHED.value],
                    "pending": count[PENDING], "deduction_count": d["count"], "deduction_points": d["points"]})
    return out
