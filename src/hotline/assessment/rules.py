"""How the responsibility list (权责清单) fares in use: the study's 回头看. For each rule, over a
period: orders dispatched as it says, orders dispatched off it (the dispatcher chose another
lead unit, with a reason) and to whom, returns that cite it and how they were decided; and the
matters no rule covers (dispatched on a person's or the model's judgement alone), by category
and area. A rule that is often overridden, or whose orders come back with upheld returns, is
flagged for review; a matter dispatched often with no rule is a line the list is missing.

Read from the trace: a dispatch event records the rule in force and its basis ("rule",
"override", "manual", "model"; orders/actions/centre.py do_dispatch); a return records the rule
it cites. Nothing here writes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from hotline.directory.models import ResponsibilityRule, Unit
from hotline.orders.models import Event, OrderReturn

from . import stats

UPHELD = [OrderReturn.Outcome.ACCEPTED, OrderReturn.Outcome.ESCALATED, OrderReturn.Outcome.TO_CITY]
# A rule is flagged when, with at least MIN_DISPATCHES dispatches under it, this share went
# elsewhere; or when this many of the returns citing it were upheld.
MIN_DISPATCHES = 5
OVERRIDE_SHARE = 0.2
UPHELD_RETURNS = 3
MIN_UNCOVERED = 3  # dispatches with no rule for one category and area before it is listed as a gap


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def report(first: dt.date, last: dt.date) -> dict[str, Any]:
    """{"rules": [...], "uncovered": [...]} for days first..last (local time), rules that saw
    something first by how much they need a look."""
    lo, hi = stats.day_bounds(first, last)
    dispatches = Event.objects.filter(action="dispatch", at__gte=lo, at__lt=hi)
    no_rule = Q(data__rule=None) | Q(data__rule__isnull=True)  # JSON null, or no such key
    per_rule: dict[int, dict[str, Any]] = defaultdict(lambda: {"on_list": 0, "off_list": 0, "instead": defaultdict(int),
                                                                "returns": 0, "upheld": 0, "rejected": 0, "pending": 0})
    for row in dispatches.exclude(no_rule).values("data__rule", "data__basis").annotate(n=Count("id")):
        rule_id = _int(row["data__rule"])
        if rule_id is None:
            continue
        per_rule[rule_id]["on_list" if row["data__basis"] == "rule" else "off_list"] += row["n"]
    for row in (dispatches.filter(data__basis="override").exclude(no_rule).values("data__rule", "data__unit")
                .annotate(n=Count("id"))):
        rule_id, unit_id = _int(row["data__rule"]), _int(row["data__unit"])
        if rule_id is not None and unit_id is not None:
            per_rule[rule_id]["instead"][unit_id] += row["n"]
    for row in (OrderReturn.objects.filter(at__gte=lo, at__lt=hi, rule_cited__isnull=False).values("rule_cited")
                .annotate(n=Count("id"), up=Count("id", filter=Q(outcome__in=UPHELD)),
                          rej=Count("id", filter=Q(outcome=OrderReturn.Outcome.REJECTED)),
                          pend=Count("id", filter=Q(outcome=OrderReturn.Outcome.PENDING)))):
        entry = per_rule[row["rule_cited"]]
        entry.update(returns=row["n"], upheld=row["up"], rejected=row["rej"], pending=row["pend"])

    rules = {r.pk: r for r in ResponsibilityRule.objects.filter(pk__in=list(per_rule))
             .select_related("category", "area", "lead_unit")}
    unit_ids = {u for e in per_rule.values() for u in e["instead"]}
    names = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "name"))
    rows = []
    for rule_id, e in per_rule.items():
        rule = rules.get(rule_id)
        if rule is None:  # a rule deleted since: its history is still in the trace, without a label
            continue
        total = e["on_list"] + e["off_list"]
        share = e["off_list"] / total if total else None
        reasons = []
        if total >= MIN_DISPATCHES and share is not None and share >= OVERRIDE_SHARE:
            reasons.append(_("%(p)d%%的派单未按本条执行") % {"p": round(share * 100)})
        if e["upheld"] >= UPHELD_RETURNS:
            reasons.append(_("%(n)d次引用本条的退单获准") % {"n": e["upheld"]})
        instead = sorted(e["instead"].items(), key=lambda kv: -kv[1])
        rows.append({
            "rule_id": rule_id, "rule": rule.label, "category": rule.category.path,
            "area": rule.area.name if rule.area_id else _("全区"), "lead_unit": rule.lead_unit.name,
            "version": rule.version, "dispatches": total, "on_list": e["on_list"], "off_list": e["off_list"],
            "off_list_share": round(share, 4) if share is not None else None,
            "instead": [{"unit": names.get(u, str(u)), "orders": n} for u, n in instead],
            "instead_text": "；".join(f"{names.get(u, str(u))} {n}" for u, n in instead),
            "returns": e["returns"], "returns_upheld": e["upheld"], "returns_rejected": e["rejected"],
            "returns_pending": e["pending"], "review": bool(reasons), "review_reasons": "；".join(reasons),
        })
    rows.sort(key=lambda r: (not r["review"], -(r["off_list"] + r["returns_upheld"]), -r["dispatches"], r["rule"]))

    uncovered = [
        {"category": row["order__category__path"] or _("未分类"), "area": row["order__area__name"] or _("未指定区域"),
         "dispatches": row["n"], "gap": row["n"] >= MIN_UNCOVERED,
         "category_id": row["order__category_id"], "area_id": row["order__area_id"]}
        for row in (dispatches.filter(no_rule).values("order__category__path", "order__area__name",
                                                      "order__category_id", "order__area_id")
                    .annotate(n=Count("id")).order_by("-n", "order__category__path", "order__area__name"))
    ]
    return {"rules": rows, "uncovered": uncovered,
            "thresholds": {"min_dispatches": MIN_DISPATCHES, "override_share": OVERRIDE_SHARE,
                           "upheld_returns": UPHELD_RETURNS, "min_uncovered": MIN_UNCOVERED}}


# The figures a change request to the list carries (directory/change_actions.propose): a rule's
# line of the report, or a matter's line among those no rule covers.
RULE_FIGURES = ("dispatches", "on_list", "off_list", "off_list_share", "instead", "instead_text", "returns",
                "returns_upheld", "returns_rejected", "returns_pending", "review_reasons")


def proposal_figures(first: dt.date, last: dt.date, *, rule_id: int | None = None, category_id: int | None = None,
                     area_id: int | None = None) -> dict[str, Any]:
    """The report's figures for one rule, or for the matter (category and area) no rule covers,
    over days first..last; zeros when the period saw nothing of it."""
    data = report(first, last)
    if rule_id is not None:
        row = next((r for r in data["rules"] if r["rule_id"] == rule_id), None)
        if row is None:
            return {"dispatches": 0, "returns": 0}
        return {k: row[k] for k in RULE_FIGURES}
    n = sum(r["dispatches"] for r in data["uncovered"] if r["category_id"] == category_id and r["area_id"] == area_id)
    return {"uncovered_dispatches": n}
