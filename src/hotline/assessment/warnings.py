"""Early warnings (预警提醒): rules evaluated on the aggregates and on open orders, each warning
with its evidence. Users subscribe to rules (Subscription); `for_user()` gives a user the
warnings of the rules they follow."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from hotline.directory.models import Category, Unit
from hotline.orders import selectors
from hotline.orders.models import WorkOrder

from . import stats
from .access import unit_scope
from .models import COUNTERS, Subscription
from .rates import config, figures

# Marked for translation; each use translates at request time (_()).
RULES = {
    "redo_jump": gettext_noop("重办率骤升"),
    "overdue_jump": gettext_noop("超时答复骤增"),
    "satisfaction_gap": gettext_noop("满意率远高于解决率"),
    "category_surge": gettext_noop("诉求类别激增"),
    "due_soon": gettext_noop("即将超时的工单"),
}
WINDOW = 30  # days compared with the window before
SURGE_WINDOW = 7


def evaluate(as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """Every warning raised on `as_of` (default today)."""
    cfg = config()
    as_of = as_of or timezone.localdate()
    units = {u.pk: u for u in Unit.objects.filter(handles_orders=True)}
    recent_first = as_of - dt.timedelta(days=WINDOW - 1)
    recent = stats.unit_totals(recent_first, as_of)
    before = stats.unit_totals(recent_first - dt.timedelta(days=WINDOW), recent_first - dt.timedelta(days=1))
    out: list[dict[str, Any]] = []
    zero = dict.fromkeys(COUNTERS, 0)
    for unit_id, c in recent.items():
        if unit_id not in units:
            continue
        name = units[unit_id].name
        p = before.get(unit_id, zero)
        f, pf = figures(c, cfg), figures(p, cfg)
        if c["replies"] >= cfg["warn_min_replies"] and f["redo_rate"] is not None:
            base = pf["redo_rate"] or 0.0
            if f["redo_rate"] - base >= cfg["warn_redo_jump"]:
                out.append(_warn("redo_jump", name, unit_id, _("%(u)s近%(d)d天重办率%(now).1f%%，此前%(before).1f%%。")
                                 % {"u": name, "d": WINDOW, "now": 100 * f["redo_rate"], "before": 100 * base},
                                 {"redo_rate_now": f["redo_rate"], "redo_rate_before": pf["redo_rate"],
                                  "replies_now": c["replies"], "redos_now": c["redos"], "replies_before": p["replies"]}))
        if c["replies_late"] >= cfg["warn_overdue_min"] and c["replies_late"] >= cfg["warn_overdue_jump"] * max(1, p["replies_late"]):
            out.append(_warn("overdue_jump", name, unit_id, _("%(u)s近%(d)d天超时答复%(now)d件，此前%(before)d件。")
                             % {"u": name, "d": WINDOW, "now": c["replies_late"], "before": p["replies_late"]},
                             {"late_now": c["replies_late"], "late_before": p["replies_late"], "replies_now": c["replies"]}))
        if c["valid"] >= cfg["min_sample"] and f["satisfaction_rate"] is not None:
            gap = f["satisfaction_rate"] - f["resolution_rate"]
            if gap >= cfg["warn_gap"]:
                out.append(_warn("satisfaction_gap", name, unit_id,
                                 _("%(u)s满意率%(s).1f%%，解决率仅%(r).1f%%。")
                                 % {"u": name, "s": 100 * f["satisfaction_rate"], "r": 100 * f["resolution_rate"]},
                                 {"satisfaction_rate": f["satisfaction_rate"], "resolution_rate": f["resolution_rate"],
                                  "valid_callbacks": c["valid"]}))
    out.extend(_surges(as_of, cfg))
    if as_of == timezone.localdate():
        out.extend(_due_soon(units))
    return out


def _surges(as_of: dt.date, cfg: dict[str, Any]) -> list[dict[str, Any]]:
    first = as_of - dt.timedelta(days=SURGE_WINDOW * 5 - 1)
    split = as_of - dt.timedelta(days=SURGE_WINDOW - 1)
    now: dict[int | None, int] = defaultdict(int)
    base: dict[int | None, int] = defaultdict(int)
    for (unit, day, cat, _urg), c in stats.mix_totals(first, as_of, by_day=True).items():
        if unit is None:
            (now if day >= split else base)[cat] += c["received"]
    names = dict(Category.objects.filter(pk__in=[k for k in now if k]).values_list("pk", "path"))
    out = []
    for cat, n in now.items():
        weekly = base.get(cat, 0) / 4
        if cat is not None and n >= cfg["warn_surge_min"] and n >= cfg["warn_surge_factor"] * max(weekly, 1):
            label = names.get(cat, "")
            out.append(_warn("category_surge", label, None, _("“%(c)s”近7天受理%(n)d件，此前四周平均每周%(w).1f件。")
                             % {"c": label, "n": n, "w": weekly},
                             {"received_7d": n, "weekly_before": round(weekly, 2), "category_id": cat}))
    return out


def _due_soon(units: dict[int, Unit]) -> list[dict[str, Any]]:
    hours = settings.HOTLINE_DUE_SOON_HOURS
    orders = (selectors.due_soon(selectors.open_orders(WorkOrder.objects.all()))
              .values_list("lead_unit", "number", "reply_due", "sign_due", "state").order_by("reply_due")[:1000])
    per: dict[int, list[str]] = defaultdict(list)
    for unit_id, number, *_rest in orders:
        if unit_id is not None:
            per[unit_id].append(number)
    out = []
    for unit_id, numbers in per.items():
        name = units[unit_id].name if unit_id in units else str(unit_id)
        out.append(_warn("due_soon", name, unit_id, _("%(u)s有%(n)d件工单将在%(h)d小时内到期。")
                         % {"u": name, "n": len(numbers), "h": hours}, {"orders": len(numbers)}, numbers[:50]))
    return out


def _warn(rule: str, subject: str, unit_id: int | None, message: str, evidence: dict[str, Any],
          orders: list[str] | None = None) -> dict[str, Any]:
    return {"rule": rule, "rule_label": _(RULES[rule]), "subject": subject, "unit_id": unit_id, "message": message,
            "evidence": evidence, "orders": orders or []}


def subscribed_rules(user: Any) -> set[str]:
    return set(Subscription.objects.filter(user=user).values_list("rule", flat=True))


def for_user(user: Any, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """The warnings of the rules this user subscribes to (unit people: their own unit's only)."""
    rules = subscribed_rules(user)
    out = [w for w in evaluate(as_of) if w["rule"] in rules]
    scope = unit_scope(user)
    if scope is not None:
        out = [w for w in out if w["unit_id"] == scope]
    return out


def subscribe(user: Any, rule: str, on: bool = True) -> None:
    """Follow (or stop following) a rule; unknown rules are ignored."""
    if rule not in RULES:
        return
    if on:
        Subscription.objects.get_or_create(user=user, rule=rule)
    else:
        Subscription.objects.filter(user=user, rule=rule).delete()
