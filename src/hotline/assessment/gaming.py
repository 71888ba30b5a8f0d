"""Gaming checks: signs that a unit's satisfaction is fabricated or lobbied for (the study's
"idle governance"; scenario 5). Each check that fires carries its evidence: the figures, and the
orders and numbers behind them, so a person can look before anyone is blamed.

A unit is a *suspect* when a direct check fires (callbacks answered by another number, staff
calling their own unit, a cluster of "satisfied" ratings from a few numbers) or when two or more
checks of any kind fire. A gap between satisfaction and resolution alone is common in honest
units and is shown, not judged."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils.translation import gettext as _

from hotline.directory.models import StaffPhone
from hotline.orders.models import Callback, Satisfaction

from . import stats
from .indicators import figures
from .models import COUNTERS
from .rates import config

CHECKS = {
    "satisfaction_above_resolution": "满意率远高于解决率",
    "other_phone": "回访由非来电号码作答",
    "staff_callers": "来电人是本单位工作人员",
    "satisfied_cluster": "少数号码集中给出“满意”",
    "satisfaction_jump": "满意率跃升而解决率未变",
}
DIRECT = {"other_phone", "staff_callers", "satisfied_cluster"}

def mask(phone: str) -> str:
    """138****5678: enough to see that numbers repeat, not enough to call them."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else phone


def _counted() -> Q:
    return stats.counted_q()


def check(first: dt.date, last: dt.date, *, unit_ids: list[int] | None = None) -> dict[int, list[dict[str, Any]]]:
    """The gaming checks that fire for each unit in days first..last (units with none fired
    are absent)."""
    cfg = config()
    fired: dict[int, list[dict[str, Any]]] = defaultdict(list)
    totals = stats.unit_totals(first, last)
    span = (last - first).days + 1
    before = stats.unit_totals(first - dt.timedelta(days=span), first - dt.timedelta(days=1))
    lo, hi = stats.day_bounds(first, last)
    cbs = Callback.objects.filter(Q(at__gte=lo, at__lt=hi, valid=True, reached=True, unit__isnull=False) & _counted())
    if unit_ids is not None:
        cbs = cbs.filter(unit_id__in=unit_ids)
    wanted = set(unit_ids) if unit_ids is not None else None

    min_valid = cfg["gaming_min_valid"]
    for unit_id, c in totals.items():
        if wanted is not None and unit_id not in wanted:
            continue
        f = figures(c, cfg)
        if c["valid"] >= min_valid and f["satisfaction_rate"] is not None:
            gap = f["satisfaction_rate"] - f["resolution_rate"]
            if gap >= cfg["gaming_gap"] and c["unresolved_satisfied"] >= cfg["gaming_min_unresolved_satisfied"]:
                examples = list(cbs.filter(unit_id=unit_id, resolved=False,
                                           satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC])
                                .values_list("order__number", flat=True)[:20])
                fired[unit_id].append(_fire("satisfaction_above_resolution", {
                    "valid_callbacks": c["valid"], "satisfaction_rate": f["satisfaction_rate"],
                    "resolution_rate": f["resolution_rate"], "gap": round(gap, 4),
                    "unresolved_but_satisfied": c["unresolved_satisfied"]}, examples))
        if c["other_phone"] >= cfg["gaming_other_phone_min"] and c["valid"] and \
                c["other_phone"] / c["valid"] >= cfg["gaming_other_phone_share"]:
            examples = list(cbs.filter(unit_id=unit_id).exclude(phone="").exclude(phone=F("order__caller_phone"))
                            .values_list("order__number", flat=True)[:20])
            fired[unit_id].append(_fire("other_phone", {
                "answered_by_other_number": c["other_phone"], "valid_callbacks": c["valid"],
                "share": round(c["other_phone"] / c["valid"], 4)}, examples))
        prev = before.get(unit_id, dict.fromkeys(COUNTERS, 0))
        if c["valid"] >= min_valid and prev["valid"] >= min_valid:
            now_f, prev_f = f, figures(prev, cfg)
            d_sat = now_f["satisfaction_rate"] - prev_f["satisfaction_rate"]
            d_res = now_f["resolution_rate"] - prev_f["resolution_rate"]
            if d_sat >= cfg["gaming_jump"] and abs(d_res) < cfg["gaming_jump_resolution"]:
                fired[unit_id].append(_fire("satisfaction_jump", {
                    "satisfaction_before": prev_f["satisfaction_rate"], "satisfaction_now": now_f["satisfaction_rate"],
                    "resolution_before": prev_f["resolution_rate"], "resolution_now": now_f["resolution_rate"],
                    "valid_before": prev["valid"], "valid_now": c["valid"]}, []))

    # Callers (or callback answerers) whose numbers are on the unit's own staff list.
    staff = StaffPhone.objects.filter(unit_id=OuterRef("unit_id"))
    staff_rows = (cbs.annotate(by_caller=Exists(staff.filter(phone=OuterRef("order__caller_phone"))),
                               by_answerer=Exists(staff.filter(phone=OuterRef("phone"))))
                  .filter(Q(by_caller=True) | Q(by_answerer=True))
                  .values_list("unit_id", "order__number", "order__caller_phone", "phone", "satisfaction"))
    per_unit: dict[int, list[tuple]] = defaultdict(list)
    for row in staff_rows:
        per_unit[row[0]].append(row)
    names = {(s.unit_id, s.phone): s.name for s in StaffPhone.objects.filter(unit_id__in=list(per_unit))}
    for unit_id, rows in per_unit.items():
        if len(rows) < cfg["gaming_staff_min"]:
            continue
        phones = sorted({p for r in rows for p in (r[2], r[3]) if (unit_id, p) in names})
        fired[unit_id].append(_fire("staff_callers", {
            "orders": len(rows), "rated_satisfied": sum(1 for r in rows if r[4] == Satisfaction.SATISFIED),
            "staff": [f"{names[(unit_id, p)] or ''} {mask(p)}".strip() for p in phones]}, [r[1] for r in rows][:20]))

    # A few numbers calling the unit again and again with simple requests and always rating them
    # "satisfied". Real repeat callers call back because something is not solved (scenario 8), and
    # real requests are not all simple: both keep honest units out.
    repeat = cfg["gaming_cluster_repeat"]
    simple = (Q(order__category__profile__review_mode="sample")
              | Q(order__category__parent__profile__review_mode="sample")
              | Q(order__category__parent__parent__profile__review_mode="sample"))
    clusters = (cbs.filter(simple).exclude(order__caller_phone="").values("unit_id", "order__caller_phone")
                .annotate(n=Count("pk"), x_sat=Count("pk", filter=Q(satisfaction=Satisfaction.SATISFIED)))
                .filter(n__gte=repeat, x_sat__gte=F("n") * cfg["gaming_cluster_satisfied_share"])
                .values_list("unit_id", "order__caller_phone", "x_sat"))
    by_unit: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for unit_id, phone, n in clusters:
        by_unit[unit_id].append((phone, n))
    for unit_id, members in by_unit.items():
        total = sum(n for _p, n in members)
        if total < cfg["gaming_cluster_min_orders"]:
            continue
        phones = [p for p, _n in members]
        member_cbs = cbs.filter(simple, unit_id=unit_id, satisfaction=Satisfaction.SATISFIED,
                                order__caller_phone__in=phones)
        satisfied = totals.get(unit_id, {}).get("satisfied", 0)
        fired[unit_id].append(_fire("satisfied_cluster", {
            "numbers": len(members), "orders": total, "simple_requests": total,
            "share_of_unit_satisfied": round(total / satisfied, 4) if satisfied else None,
            "by_number": [{"phone": mask(p), "satisfied": n} for p, n in sorted(members, key=lambda m: -m[1])]},
            list(member_cbs.values_list("order__number", flat=True)[:20])))
    return dict(fired)


def _fire(code: str, evidence: dict[str, Any], orders: list[str]) -> dict[str, Any]:
    return {"check": code, "label": _(CHECKS[code]), "direct": code in DIRECT, "evidence": evidence, "orders": orders}


def suspect(fired: list[dict[str, Any]]) -> bool:
    """A direct check, or two checks of any kind."""
    return any(f["direct"] for f in fired) or len(fired) >= 2
