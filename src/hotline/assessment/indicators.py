"""The indicators of a period: three rates with small-sample marks, process indicators,
difficulty adjustment, rankings within groups of comparable units, breakdowns, institutional
gaps and the "negative energy" diagnostics. Reads only (aggregates from the stats package, plus a few
live queries on open or flagged orders)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from hotline.directory.calendar import load_calendar
from hotline.directory.models import Area, Category, Unit, UnitKind, User
from hotline.directory.roles import UNIT_ROLES
from hotline.orders import selectors
from hotline.orders.models import (
    Callback,
    OrderReturn,
    ReturnKind,
    Satisfaction,
    UnreasonableReport,
    WorkOrder,
)

from . import appeal_actions, rechecks, scoring, stats
from . import burden as burden_of
from . import warnings as warning_rules
from .models import COUNTERS, UnitDayStats
from .rates import config, figures, r4, rank, ratio, three_rates, wilson

# Marked for translation; each use translates at request time (_()).
GROUP_LABELS = {
    "street": gettext_noop("街道（乡镇）"), "community": gettext_noop("社区"), "department": gettext_noop("委办局"), "company": gettext_noop("公共服务企业"),
    "authority": gettext_noop("上级或垂直管理部门"), "other": gettext_noop("其他单位"), "centre": gettext_noop("热线中心"),
}
GROUP_ORDER = ["street", "department", "company", "authority", "community", "other", "centre"]


def handling_units() -> list[Unit]:
    return list(Unit.objects.filter(handles_orders=True).order_by("kind", "name"))


def _sum(rows: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for r in rows:
        for k, v in r.items():
            total[k] += v
    return {k: total.get(k, 0) for k in COUNTERS}


def difficulty(first: dt.date, last: dt.date, cfg: dict[str, Any] | None = None, *,
               mix: dict[tuple, dict[str, int]] | None = None) -> dict[int, dict[str, Any]]:
    """Observed against expected resolution and satisfaction for each unit's mix of categories
    and urgency. A cell's expected rate is the district's rate in that (category, urgency),
    shrunk towards the district's overall rate by `difficulty_prior` pseudo-callbacks so a cell
    of two callbacks does not set anyone's standard."""
    cfg = cfg or config()
    k, bw = cfg["difficulty_prior"], cfg["basic_weight"]
    cells: dict[tuple, dict[str, float]] = defaultdict(lambda: {"n": 0, "res": 0, "sat": 0.0})
    per_unit: dict[int, list[tuple[tuple, int, int, float]]] = defaultdict(list)
    for (unit, cat, urg), c in (mix if mix is not None else stats.mix_totals(first, last)).items():
        if unit is None or not c["valid"]:
            continue
        sat = c["satisfied"] + bw * c["basic"]
        cell = cells[(cat, urg)]
        cell["n"] += c["valid"]
        cell["res"] += c["resolved"]
        cell["sat"] += sat
        per_unit[unit].append(((cat, urg), c["valid"], c["resolved"], sat))
    n_all = sum(c["n"] for c in cells.values())
    if not n_all:
        return {}
    p_res = sum(c["res"] for c in cells.values()) / n_all
    p_sat = sum(c["sat"] for c in cells.values()) / n_all
    expected_res = {key: (c["res"] + k * p_res) / (c["n"] + k) for key, c in cells.items()}
    expected_sat = {key: (c["sat"] + k * p_sat) / (c["n"] + k) for key, c in cells.items()}
    out: dict[int, dict[str, Any]] = {}
    for unit, items in per_unit.items():
        n = sum(i[1] for i in items)
        e_res = sum(expected_res[key] * m for key, m, _r1, _s in items) / n
        e_sat = sum(expected_sat[key] * m for key, m, _r1, _s in items) / n
        o_res = sum(i[2] for i in items) / n
        o_sat = sum(i[3] for i in items) / n
        out[unit] = {
            "expected_resolution": r4(e_res), "expected_satisfaction": r4(e_sat),
            "resolution_vs_expected": r4(o_res - e_res), "satisfaction_vs_expected": r4(o_sat - e_sat),
            # the unit's rate had it handled the district's mix of matters: the district's rate
            # plus the unit's lead over (or gap to) what its own mix predicts (scoring.py)
            "adjusted_resolution": r4(min(1.0, max(0.0, p_res + o_res - e_res))),
            "adjusted_satisfaction": r4(min(1.0, max(0.0, p_sat + o_sat - e_sat))),
        }
    return out


def unit_table(first: dt.date, last: dt.date, *, cfg: dict[str, Any] | None = None,
               unit_ids: list[int] | None = None, totals: dict[int, dict[str, int]] | None = None,
               mix: dict[tuple, dict[str, int]] | None = None) -> list[dict[str, Any]]:
    """One row per handling unit: its figures, the difficulty adjustment and its group; ranked
    within its group by its group's score (scoring.py; small samples unranked)."""
    cfg = cfg or config()
    totals = totals if totals is not None else stats.unit_totals(first, last)
    adjusted = difficulty(first, last, cfg, mix=mix)
    repeats = repeat_calls(first, last)
    schemes = scoring.schemes_for(first)
    # the lines outside the scheme (scoring.adjust): the gaming deduction, upheld score appeals
    deductions = rechecks.deductions(first, last, unit_ids=unit_ids)
    corrections = appeal_actions.corrections(first, last, unit_ids=unit_ids)
    overdue = dict(selectors.overdue(selectors.open_orders(WorkOrder.objects.all()))
                   .values_list("lead_unit").annotate(n=Count("pk")).values_list("lead_unit", "n"))
    rows: list[dict[str, Any]] = []
    for unit in handling_units():
        if unit_ids is not None and unit.pk not in unit_ids:
            continue
        counters = totals.get(unit.pk, dict.fromkeys(COUNTERS, 0))
        row = {"unit_id": unit.pk, "unit": unit.name, "unit_code": unit.code, "group": unit.group,
               "group_label": _(GROUP_LABELS.get(unit.group, unit.group)), **figures(counters, cfg)}
        row.update(adjusted.get(unit.pk, {"expected_resolution": None, "expected_satisfaction": None,
                                          "resolution_vs_expected": None, "satisfaction_vs_expected": None,
                                          "adjusted_resolution": None, "adjusted_satisfaction": None}))
        row["overdue_now"] = overdue.get(unit.pk, 0)
        n_repeat, n_base = repeats.get(unit.pk, (0, 0))
        row["repeat_calls"], row["repeat_rate"] = n_repeat, r4(ratio(n_repeat, n_base))
        scheme = schemes[unit.group]
        total, lines = scoring.score(row, scheme)
        row["score"], row["score_lines"] = scoring.adjust(total, lines, deduction=deductions.get(unit.pk),
                                                          correction=corrections.get(unit.pk))
        row["scheme_version"], row["scheme_adjusted"] = scheme.version, scheme.adjusted
        rows.append(row)
    by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_group[row["group"]].append(row)
    ranked: list[dict[str, Any]] = []
    for group in sorted(by_group, key=lambda g: GROUP_ORDER.index(g) if g in GROUP_ORDER else 99):
        ranked.extend(rank(by_group[group], key="score"))
    return ranked


# An order repeats an earlier call when the same caller phoned the same unit's matter within
# this many days before it (scored by the "repeat calls" indicator; fewer is better).
REPEAT_DAYS = 30


def repeat_calls(first: dt.date, last: dt.date) -> dict[int, tuple[int, int]]:
    """Per lead unit: (orders received in the period that repeat a call of the same caller to the
    same unit in the REPEAT_DAYS before, orders received in the period with a caller phone)."""
    lo, hi = stats.day_bounds(first, last)
    base = WorkOrder.objects.filter(received_at__gte=lo, received_at__lt=hi, lead_unit__isnull=False).exclude(
        caller_phone="")
    earlier = WorkOrder.objects.filter(
        caller_phone=OuterRef("caller_phone"), lead_unit=OuterRef("lead_unit"), received_at__lt=OuterRef("received_at"),
        received_at__gte=OuterRef("received_at") - dt.timedelta(days=REPEAT_DAYS)).exclude(pk=OuterRef("pk"))
    out: dict[int, tuple[int, int]] = {}
    for unit_id, n, rep in (base.annotate(rep=Exists(earlier)).values("lead_unit")
                            .annotate(n=Count("pk"), r=Count("pk", filter=Q(rep=True)))
                            .values_list("lead_unit", "n", "r")):
        out[unit_id] = (rep, n)
    return out


def groups(first: dt.date, last: dt.date, *, totals: dict[int, dict[str, int]] | None = None) -> list[dict[str, Any]]:
    """The three rates per unit group (unit type)."""
    totals = totals if totals is not None else stats.unit_totals(first, last)
    kinds = {u.pk: u.group for u in handling_units()}
    by_group: dict[str, list[dict[str, int]]] = defaultdict(list)
    for unit_id, counters in totals.items():
        if unit_id in kinds:
            by_group[kinds[unit_id]].append(counters)
    out = []
    for group in GROUP_ORDER:
        if group in by_group:
            out.append({"group": group, "group_label": _(GROUP_LABELS[group]), **figures(_sum(by_group[group]))})
    return out


def by_category(first: dt.date, last: dt.date, *, level: int = 1,
                mix: dict[tuple, dict[str, int]] | None = None) -> list[dict[str, Any]]:
    """Intake volume and the three rates per category, rolled up to `level` (1 = top)."""
    cfg = config()
    cats = {c.pk: c for c in Category.objects.all()}

    def top(cat_id: int | None) -> str:
        if cat_id is None or cat_id not in cats:
            return _("未分类")
        parts = cats[cat_id].path.split("/")
        return "/".join(parts[:level])

    acc: dict[str, dict[str, int]] = defaultdict(lambda: {"received": 0, "valid": 0, "resolved": 0,
                                                          "satisfied": 0, "basic": 0})
    for (_unit, cat, _urg), c in (mix if mix is not None else stats.mix_totals(first, last)).items():
        bucket = acc[top(cat)]
        for key in bucket:
            bucket[key] += c[key]
    out = []
    for name, c in sorted(acc.items(), key=lambda kv: -kv[1]["received"]):
        r = three_rates(c["valid"], 0, c["resolved"], c["satisfied"], c["basic"], cfg)
        out.append({"category": name, "received": c["received"], "valid_callbacks": c["valid"],
                    "resolution_rate": r4(r.resolution), "satisfaction_rate": r4(r.satisfaction),
                    "small_sample": r.small_sample})
    return out


def by_area(first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """The three rates per area of the orders."""
    cfg = config()
    names = dict(Area.objects.values_list("pk", "name"))
    out = []
    for area, c in sorted(stats.area_totals(first, last).items(), key=lambda kv: -kv[1]["valid"]):
        r = three_rates(c["valid"], c["contacted"], c["resolved"], c["satisfied"], c["basic"], cfg)
        out.append({"area": names.get(area, _("未填区域")) if area else _("未填区域"), **r.as_dict()})
    return out


def monthly(first: dt.date, last: dt.date, unit_id: int | None = None) -> list[dict[str, Any]]:
    """The three rates and redo rate month by month (for trend charts)."""
    months: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    if unit_id is not None:
        days = stats.unit_days(first, last, unit_id)
    else:
        days = _district_days(first, last)
    for day, counters in days.items():
        bucket = months[f"{day:%Y-%m}"]
        for k, v in counters.items():
            bucket[k] += v
    return [{"month": m, **figures(c)} for m, c in sorted(months.items())]


def _district_days(first: dt.date, last: dt.date) -> dict[dt.date, dict[str, int]]:
    stored, live = stats.split(first, last)
    out: dict[dt.date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    if stored is not None:
        for row in (UnitDayStats.objects.filter(day__gte=stored[0], day__lte=stored[1]).values("day")
                    .annotate(**{c: Sum(c) for c in COUNTERS})):
            out[row["day"]] = {c: row[c] or 0 for c in COUNTERS}
    for a, b in live:
        for (_u, d), counters in stats.compute(a, b).units.items():
            for k, v in counters.items():
                out[d][k] += v
    return dict(out)


def district_figures(period_start: dt.date, period_end: dt.date) -> dict[str, Any]:
    """The district's own rates and process indicators for a period (the supervisor's dashboard),
    without the per-unit tables, rankings and warnings that `overview` adds."""
    with stats.memo():
        return figures(_sum(list(stats.unit_totals(period_start, period_end).values())), config())


def overview(period_start: dt.date, period_end: dt.date) -> dict[str, Any]:
    """Everything the overview page and the supervisor's dashboard show for a period: the
    district's figures, each group's, each unit's (ranked within its group), and warnings."""
    with stats.memo():
        return _overview(period_start, period_end)


def _overview(period_start: dt.date, period_end: dt.date) -> dict[str, Any]:
    cfg = config()
    totals = stats.unit_totals(period_start, period_end)
    mix = stats.mix_totals(period_start, period_end)
    rows = unit_table(period_start, period_end, cfg=cfg, totals=totals, mix=mix)
    district = figures(_sum(list(totals.values())), cfg)
    received = sum(c["received"] for (u, _cat, _urg), c in mix.items() if u is None)
    district["received"] = received
    return {
        "period_start": period_start, "period_end": period_end, "district": district,
        "groups": groups(period_start, period_end, totals=totals), "units": rows,
        "warnings": warning_rules.evaluate(period_end),
        "categories": by_category(period_start, period_end, mix=mix), "areas": by_area(period_start, period_end),
        "config": {"weights": cfg["weights"], "basic_weight": cfg["basic_weight"], "min_sample": cfg["min_sample"]},
    }


# ---- institutional gaps --------------------------------------------------------------------------


def gaps(first: dt.date, last: dt.date) -> dict[str, Any]:
    """Orders confirmed beyond their unit's authority (a no-authority return accepted, or the
    order escalated), with the authority that could act and the return evidence: the list of
    institutional gaps for the district's leaders, and a summary by category and authority."""
    lo, hi = stats.day_bounds(first, last)
    orders = list(WorkOrder.objects.filter(outside_authority=True, received_at__gte=lo, received_at__lt=hi)
                  .select_related("category", "lead_unit").prefetch_related("returns__unit")
                  .order_by("-received_at")[:2000])
    items = []
    summary: dict[tuple[str, str], int] = defaultdict(int)
    for o in orders:
        rets = sorted(o.returns.all(), key=lambda r: r.at)
        items.append({
            "order_id": o.pk, "number": o.number, "title": o.title, "category": o.category.path if o.category else "",
            "authority": o.lead_unit.name if o.lead_unit else "", "state": o.state_label,
            "returned_by": [r.unit.name for r in rets],
            "returns": [{"unit": r.unit.name, "kind": r.get_kind_display(), "reason": r.reason,
                         "outcome": r.get_outcome_display()} for r in rets],
        })
        summary[(o.category.path if o.category else "", o.lead_unit.name if o.lead_unit else "")] += 1
    return {"orders": items, "summary": [{"category": c, "authority": a, "orders": n}
                                         for (c, a), n in sorted(summary.items(), key=lambda kv: -kv[1])]}


# ---- unreasonable requests ---------------------------------------------------------------------------


def unreasonable(first: dt.date, last: dt.date, *, totals: dict[int, dict[str, int]] | None = None) -> dict[str, Any]:
    """Per unit: the unreasonable requests it reported in the period, those the centre decided in
    the period (upheld: the orders taken out of its rates; rejected), those still pending, and
    the valid callbacks its rates left out for upheld orders (the counter behind the rates). No
    hidden effect on the figures: this is what the report and the overview say was excluded."""
    lo, hi = stats.day_bounds(first, last)
    totals = totals if totals is not None else stats.unit_totals(first, last)
    rows: dict[int, dict[str, Any]] = {}
    names = {u.pk: u.name for u in handling_units()}

    def row(unit_id: int) -> dict[str, Any]:
        return rows.setdefault(unit_id, {"unit_id": unit_id, "unit": names.get(unit_id, str(unit_id)), "reported": 0,
                                         "upheld": 0, "rejected": 0, "pending": 0, "excluded_callbacks": 0})

    for unit_id, n in (UnreasonableReport.objects.filter(at__gte=lo, at__lt=hi).values_list("unit")
                       .annotate(n=Count("pk")).values_list("unit", "n")):
        row(unit_id)["reported"] = n
    for unit_id, status, n in (UnreasonableReport.objects.filter(decided_at__gte=lo, decided_at__lt=hi)
                               .values_list("unit", "status").annotate(n=Count("pk")).values_list("unit", "status", "n")):
        row(unit_id)[status] = n
    for unit_id, n in (UnreasonableReport.objects.filter(status=UnreasonableReport.Status.PENDING, at__lt=hi)
                       .values_list("unit").annotate(n=Count("pk")).values_list("unit", "n")):
        row(unit_id)["pending"] = n
    for unit_id, c in totals.items():
        if c.get("excluded_unreasonable"):
            row(unit_id)["excluded_callbacks"] = c["excluded_unreasonable"]
    out = sorted(rows.values(), key=lambda r: (-r["upheld"], -r["reported"], r["unit"]))
    district = {k: sum(r[k] for r in out) for k in ("reported", "upheld", "rejected", "pending", "excluded_callbacks")}
    return {"units": out, "district": district}


# ---- diagnostics: the study's "negative energy", measured ---------------------------------------------


# The trace-measured burden (burden.MEASURES) shown beside the other diagnostics.
BURDEN_KEYS = ("chars_per_reply", "files_per_order", "photos_per_order", "unit_steps_per_order", "redos_per_order",
               "sign_to_reply_minutes", "contact_to_reply_minutes")


def diagnostics(first: dt.date, last: dt.date) -> dict[str, Any]:
    """Pressure, burden, idle governance, no authority and buck-passing, per unit and for the
    district, each computed from the period's data. The burden of the procedures is measured
    from the trace (assessment/burden.py: characters per reply, steps per order, minutes between
    events), per unit and per procedure profile ("profiles"); nothing is configured minutes."""
    cfg = config()
    totals = stats.unit_totals(first, last)
    units = handling_units()
    handlers = dict(User.objects.filter(role__in=[r.value for r in UNIT_ROLES], is_active=True)
                    .values_list("unit").annotate(n=Count("pk")).values_list("unit", "n"))
    cal = load_calendar()
    workdays = max(1, cal.workdays_between(first - dt.timedelta(days=1), last))
    lo, hi = stats.day_bounds(first, last)
    na_returns = dict(OrderReturn.objects.filter(at__gte=lo, at__lt=hi, kind=ReturnKind.NO_AUTHORITY)
                      .values_list("unit").annotate(n=Count("pk")).values_list("unit", "n"))
    measured = burden_of.burden(first, last)
    measured_by_unit = {r["unit_id"]: r for r in measured["units"]}
    rows = []
    for unit in units:
        c = totals.get(unit.pk, dict.fromkeys(COUNTERS, 0))
        f = figures(c, cfg)
        people = handlers.get(unit.pk, 0)
        capacity = people * workdays * cfg["capacity_per_handler_day"]
        unit_burden = measured_by_unit.get(unit.pk, {})
        gap = (None if f["satisfaction_rate"] is None or f["resolution_rate"] is None
               else round(f["satisfaction_rate"] - f["resolution_rate"], 4))
        rows.append({
            "unit_id": unit.pk, "unit": unit.name, "group_label": _(GROUP_LABELS.get(unit.group, unit.group)),
            "orders": c["dispatched"], "handlers": people, "load": r4(ratio(c["dispatched"], capacity)),
            "redo_rate": f["redo_rate"],
            "evidence_per_order": r4(ratio(c["evidence"], c["first_replies"])),
            "reviews_per_order": r4(ratio(c["reviews"], c["first_replies"])),
            # measured from the trace (burden.py), for the orders first replied in the period
            **{k: unit_burden.get(k) for k in BURDEN_KEYS},
            "idle_gap": gap, "small_sample": f["small_sample"],
            "no_authority_replies": c["no_authority_replies"], "no_authority_returns": na_returns.get(unit.pk, 0),
            "excluded_valid": c["excluded_valid"],
            "returns": c["returns"], "return_rate": f["return_rate"], "returns_rejected": c["returns_rejected"],
            "pingpong_orders": c["pingpong_orders"], "arbitration_hours": f["arbitration_hours"],
            "proactive_verified": c["proactive_verified"], "proactive_first_time": c["proactive_first_time"],
        })
    all_c = _sum(list(totals.values()))
    f = figures(all_c, cfg)
    people = sum(handlers.get(u.pk, 0) for u in units)
    district = {
        "orders": all_c["dispatched"], "load": r4(ratio(all_c["dispatched"], people * workdays * cfg["capacity_per_handler_day"])),
        "redo_rate": f["redo_rate"], "evidence_per_order": r4(ratio(all_c["evidence"], all_c["first_replies"])),
        "reviews_per_order": r4(ratio(all_c["reviews"], all_c["first_replies"])),
        "idle_gap": (None if f["satisfaction_rate"] is None else round(f["satisfaction_rate"] - f["resolution_rate"], 4)),
        "no_authority_replies": all_c["no_authority_replies"], "no_authority_returns": sum(na_returns.values()),
        "excluded_valid": all_c["excluded_valid"], "returns": all_c["returns"], "return_rate": f["return_rate"],
        "pingpong_orders": all_c["pingpong_orders"], "arbitration_hours": f["arbitration_hours"],
        "arbitration_hours_total": r4(all_c["arbitration_seconds"] / 3600), "workdays": workdays,
        **{k: measured["district"].get(k) for k in BURDEN_KEYS},
    }
    return {"district": district, "units": rows, "profiles": measured["profiles"]}


def lost_points(unit_id: int, first: dt.date, last: dt.date, *, kind: str) -> list[Callback]:
    """The callbacks behind a unit's lost points: kind "response" (caller not contacted),
    "resolution" (not resolved) or "satisfaction" (not satisfied), fairly attributed."""
    lo, hi = stats.day_bounds(first, last)
    qs = Callback.objects.filter(unit_id=unit_id, at__gte=lo, at__lt=hi, valid=True, reached=True,
                                 voided_at__isnull=True)
    if not Unit.objects.filter(pk=unit_id, kind=UnitKind.AUTHORITY).exists():
        qs = qs.filter(order__outside_authority=False)
    qs = qs.filter(order__unreasonable=False)  # upheld unreasonable requests cost the unit nothing
    if kind == "response":
        qs = qs.filter(contacted=False)
    elif kind == "resolution":
        qs = qs.filter(resolved=False)
    else:
        qs = qs.exclude(satisfaction=Satisfaction.SATISFIED)
    return list(qs.select_related("order", "order__category").order_by("-at")[:500])


def interval(successes: float, n: int) -> tuple[float, float] | None:
    return wilson(successes, n, config()["z"])
