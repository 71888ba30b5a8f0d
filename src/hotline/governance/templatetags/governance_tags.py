"""The hotspot sparkline (inline SVG, no script, no outside request) and the dispatch board's
burst banner."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from hotline.governance.models import SHAPE_CHOICES
from hotline.governance.selectors import active_bursts
from hotline.orders.models import WorkOrder

register = template.Library()
SHAPE_LABELS = dict(SHAPE_CHOICES)


@register.simple_tag
def sparkline(counts: list[int] | None, width: int = 120, height: int = 24) -> str:
    """Weekly counts as a polyline; its label says the numbers for a screen reader."""
    counts = [int(c) for c in (counts or [])][-52:]
    if not counts:
        return ""
    top = max(max(counts), 1)
    step = width / max(len(counts) - 1, 1)
    points = " ".join(f"{i * step:.1f},{height - 2 - (c / top) * (height - 4):.1f}" for i, c in enumerate(counts))
    label = "/".join(str(c) for c in counts)
    return format_html(
        '<svg class="sparkline" width="{}" height="{}" viewBox="0 0 {} {}" role="img" aria-label="{}">'
        '<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{}"/></svg>',
        width, height, width, height, label, points)


@register.filter
def shape_label(code: str) -> str:
    return str(SHAPE_LABELS.get(code, code))


@register.inclusion_tag("governance/_bursts.html")
def burst_banner() -> dict[str, Any]:
    """The bursts of the last day, for the dispatch board (an additive include)."""
    bursts = list(active_bursts()[:5])
    numbers = dict(WorkOrder.objects.filter(pk__in=[h.root_order_id for h in bursts]).values_list("id", "number"))
    for h in bursts:
        h.main = numbers.get(h.root_order_id, "")
    return {"bursts": bursts}
