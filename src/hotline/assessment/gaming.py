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

from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from hotline.directory.models import StaffPhone
from hotline.orders.models import Callback, Satisfaction

from . import stats
from .models import COUNTERS
from .rates import config, figures

simple_categories = stats.simple_categories

# Marked for translation; each use translates at request time (_()).
CHECKS = {
    "satisfaction_above_resolution": gettext_noop("满意率远高于解决率"),
    "other_phone": gettext_noop("回访由非来电号码作答"),
    "staff_callers": gettext_noop("来电人是本单位工作人员"),
    "satisfied_cluster": gettext_noop("少数号码集中给出“满意”"),
    "satisfaction_jump": gettext_noop("满意率跃升而解决率未变"),
    "shared_device": gettext_noop("同一设备或网络地址为多个工单网上评价"),
}
DIRECT = {"other_phone", "staff_callers", "satisfied_cluster"}

def mask(phone: str) -> str:
    """138****5678: enough to see that numbers repeat, not enough to call them."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else phone


def _counted() -> Q:
    return stats.counted_q()


def check(first: dt.date, last: dt.date, *, unit_ids: list[int] | None = None) -> dict[int, list[dict[str, Any]]]:
    """The gaming checks that fire for each unit in days first..last (units with none fired
    are absent). Figures come from the daily aggregates (days not built yet, live)."""
    with stats.memo():
        return _check(first, last, unit_ids)


def _check(first: dt.date, last: dt.date, unit_ids: list[int] | None) -> dict[int, list[dict[str, Any]]]:
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

    # Online answers (the public page) from one device and address for several orders of one
    # unit: one person rating many requests. The device is a keyed digest of the address and
    # browser (public/citizen.py device_of); it is shown shortened, never the address.
    device_min = cfg["gaming_device_min"]
    shared: dict[tuple[int, str], list[tuple[str, str]]] = defaultdict(list)
    for unit_id, device, number, sat in (cbs.exclude(device="").order_by("pk")
                                         .values_list("unit_id", "device", "order__number", "satisfaction")):
        shared[(unit_id, device)].append((number, sat))
    by_device: dict[int, list[tuple[str, list[tuple[str, str]]]]] = defaultdict(list)
    for (unit_id, device), rows in sorted(shared.items()):
        if len({n for n, _s in rows}) >= device_min:
            by_device[unit_id].append((device, rows))
    for unit_id, devices in by_device.items():
        fired[unit_id].append(_fire("shared_device", {
            "devices": len(devices), "orders": sum(len(r) for _d, r in devices),
            "by_device": [{"device": d[:8], "orders": len(r),
                           "rated_satisfied": sum(1 for _n, s in r if s == Satisfaction.SATISFIED)}
                          for d, r in devices]},
            [n for _d, r in devices for n, _s in r][:20]))

    # Callers (or callback answerers) whose numbers are on the unit's own staff list. Callers are
    # found through the orders' index on caller_phone; answers from another number come from the
    # aggregates (OtherAnswerDay), so neither scans the period's callbacks.
    staff_q = StaffPhone.objects.all()
    if unit_ids is not None:
        staff_q = staff_q.filter(unit_id__in=unit_ids)
    names: dict[tuple[int, str], str] = {}
    for s_unit, s_phone, s_name in staff_q.values_list("unit_id", "phone", "name"):
        names[(s_unit, s_phone)] = s_name
    per_unit: dict[int, dict[int, tuple]] = defaultdict(dict)
    if names:
        phones = {p for _u, p in names}
        for pk, unit_id, number, caller, phone, sat in (
                cbs.filter(order__caller_phone__in=phones)
                .values_list("pk", "unit_id", "order__number", "order__caller_phone", "phone", "satisfaction")):
            if (unit_id, caller) in names or (unit_id, phone) in names:
                per_unit[unit_id][pk] = (number, caller, phone, sat)
        answered = [r for r in stats.other_answers(first, last, phones=phones, unit_ids=unit_ids)
                    if (r[1], r[4]) in names and r[0] not in per_unit[r[1]]]
        numbers = dict(Callback.objects.filter(pk__in=[r[0] for r in answered])
                       .values_list("pk", "order__number"))
        for pk, unit_id, _day, caller, phone, sat in answered:
            per_unit[unit_id][pk] = (numbers[pk], caller, phone, sat)
    for unit_id, by_pk in per_unit.items():
        rows = [by_pk[pk] for pk in sorted(by_pk)]
        if not rows or len(rows) < cfg["gaming_staff_min"]:
            continue
        phones_of = sorted({p for r in rows for p in (r[1], r[2]) if (unit_id, p) in names})
        fired[unit_id].append(_fire("staff_callers", {
            "orders": len(rows), "rated_satisfied": sum(1 for r in rows if r[3] == Satisfaction.SATISFIED),
            "staff": [f"{names[(unit_id, p)] or ''} {mask(p)}".strip() for p in phones_of]},
            [r[0] for r in rows][:20]))

    # A few numbers calling the unit again and again with simple requests and always rating them
    # "satisfied". Real repeat callers call back because something is not solved (scenario 8), and
    # real requests are not all simple: both keep honest units out. Summed from CallerDayStats.
    share = cfg["gaming_cluster_satisfied_share"]
    by_unit: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for (unit_id, phone), (n, x_sat) in sorted(
            stats.caller_totals(first, last, at_least=cfg["gaming_cluster_repeat"], unit_ids=unit_ids).items()):
        if x_sat >= n * share:
            by_unit[unit_id].append((phone, x_sat))
    simple = Q(order__category_id__in=simple_categories())
    for unit_id, members in by_unit.items():
        total = sum(n for _p, n in members)
        if total < cfg["gaming_cluster_min_orders"]:
            continue
        phones = [p for p, _n in members]
        member_cbs = cbs.filter(simple, unit_id=unit_id, satisfaction=Satisfaction.SATISFIED,
                                order__caller_phone__in=phones).order_by("pk")
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
