"""Formatting for assessment tables: percentages, signed differences, dict lookups."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.web.templatetags.hotline_tags import join_list, percent

register = template.Library()

PERCENT_KEYS = ("_rate", "on_time", "composite", "expected_", "_vs_expected", "idle_gap", "load", "share", "adjusted_")


@register.filter
def get(mapping: Any, key: str) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def pct(value: Any, digits: int = 1) -> str:
    # The one rate format of the site (hotline_tags.pct), so assessment pages need one library.
    return percent(value, digits)


@register.filter
def cell(row: Any, key: str) -> str:
    """A table cell: percentages for rates, signed points for differences, "—" for none."""
    value = row.get(key) if hasattr(row, "get") else None
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else ""
    if isinstance(value, float) and any(k in key for k in PERCENT_KEYS):
        if key.endswith("_vs_expected") or key == "idle_gap":
            return f"{100 * value:+.1f}"
        return percent(value)
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, list):
        return join_list(value)
    return str(value)


# What each piece of a gaming check's or a warning's evidence is called.
EVIDENCE_LABELS = {
    "valid_callbacks": gettext_lazy("有效回访"), "satisfaction_rate": gettext_lazy("满意率"),
    "resolution_rate": gettext_lazy("解决率"), "gap": gettext_lazy("满意率与解决率之差"),
    "unresolved_but_satisfied": gettext_lazy("未解决却满意"), "answered_by_other_number": gettext_lazy("非来电号码作答"),
    "share": gettext_lazy("占比"), "satisfaction_before": gettext_lazy("此前满意率"),
    "satisfaction_now": gettext_lazy("本期满意率"), "resolution_before": gettext_lazy("此前解决率"),
    "resolution_now": gettext_lazy("本期解决率"), "valid_before": gettext_lazy("此前有效回访"),
    "valid_now": gettext_lazy("本期有效回访"), "orders": gettext_lazy("工单数"),
    "rated_satisfied": gettext_lazy("评价满意"), "staff": gettext_lazy("本单位人员"), "numbers": gettext_lazy("号码数"),
    "simple_requests": gettext_lazy("简单诉求"), "share_of_unit_satisfied": gettext_lazy("占本单位满意评价"),
    "by_number": gettext_lazy("各号码满意评价"), "redo_rate_now": gettext_lazy("近期重办率"),
    "redo_rate_before": gettext_lazy("此前重办率"), "replies_now": gettext_lazy("近期答复"),
    "redos_now": gettext_lazy("近期重办"), "replies_before": gettext_lazy("此前答复"),
    "late_now": gettext_lazy("近期超时答复"), "late_before": gettext_lazy("此前超时答复"),
    "received_7d": gettext_lazy("近7天受理"), "weekly_before": gettext_lazy("此前每周平均"),
}
RATE_EVIDENCE = {"satisfaction_rate", "resolution_rate", "gap", "share", "satisfaction_before", "satisfaction_now",
                 "resolution_before", "resolution_now", "share_of_unit_satisfied", "redo_rate_now", "redo_rate_before"}
HIDDEN_EVIDENCE = {"category_id"}  # ids for the machine; the warning names the category itself


def _evidence_value(key: str, value: Any) -> str | list[str]:
    if key in RATE_EVIDENCE:
        return percent(value)
    if isinstance(value, list):
        return [" ".join(str(v) for v in x.values()) if isinstance(x, dict) else str(x) for x in value]
    if isinstance(value, float):
        return f"{value:.2f}"
    return "—" if value is None else str(value)


def evidence_items(evidence: Any) -> list[dict[str, Any]]:
    """A check's evidence as labelled items: rates as percentages, lists as lists of strings
    ({"label", "value", "list"}: "list" holds the strings of a list, else None)."""
    if not hasattr(evidence, "items"):
        return []
    out = []
    for key, raw in evidence.items():
        if key in HIDDEN_EVIDENCE:
            continue
        value = _evidence_value(key, raw)
        label = str(EVIDENCE_LABELS.get(key, key))
        if isinstance(value, list):
            out.append({"label": label, "value": join_list(value), "list": value})
        else:
            out.append({"label": label, "value": value, "list": None})
    return out


@register.filter(name="evidence_items")
def evidence_items_filter(evidence: Any) -> list[dict[str, Any]]:
    return evidence_items(evidence)


def evidence_text(evidence: Any) -> str:
    """The same evidence on one line (for exports and table cells)."""
    parts = [_("%(label)s：%(value)s") % {"label": e["label"], "value": e["value"]} for e in evidence_items(evidence)]
    return _("；").join(parts)
