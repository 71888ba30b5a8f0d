"""Small template filters for the staff pages."""

from __future__ import annotations

from typing import Any

from django import template

from hotline.orders.actions import REDO_REASONS

from .hotline_tags import listing

register = template.Library()


@register.filter
def redo_labels(codes: Any) -> str:
    """A review's redo reason codes as the reviewer ticked them, in words and in the user's
    language ("未写明处办过程、缺少现场证据")."""
    return listing([str(REDO_REASONS.get(str(c), c)) for c in (codes or [])])
