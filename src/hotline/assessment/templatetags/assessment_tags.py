"""Formatting for assessment tables: percentages, signed differences, dict lookups."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

PERCENT_KEYS = ("_rate", "on_time", "composite", "expected_", "_vs_expected", "idle_gap", "load", "share")


@register.filter
def get(mapping: Any, key: str) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def pct(value: Any, digits: int = 1) -> str:
    if value is None or value == "":
        return "—"
    return f"{100 * float(value):.{digits}f}%"


@register.filter
def cell(row: Any, key: str) -> str:
    """A table cell: percentages for rates, signed points for differences, "—" for none."""
    value = row.get(key) if hasattr(row, "get") else None
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else ""
    if isinstance(value, float) and any(k in key for k in PERCENT_KEYS):
        if key.endswith("_vs_expected") or key == "idle_gap":
            return f"{100 * value:+.1f}"
        return f"{100 * value:.1f}%"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)
