"""Formats every page shares, so a figure or a code reads the same wherever it appears: rates as
a percentage with one decimal, action codes as their labels, lists with the language's separator."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.translation import gettext as _

from hotline.orders.actions import EFFECT_QUESTIONS, REDO_REASON_LABELS
from hotline.orders.models import action_label as _action_label
from hotline.web.menu import ASSESSMENT_MENU, MAIN_MENU, menu

register = template.Library()


def percent(value: Any, digits: int = 1) -> str:
    """A rate (0.816) as people read it: "81.6%"; "—" when there is none."""
    if value is None or value == "":
        return "—"
    return f"{100 * float(value):.{int(digits)}f}%"


@register.filter
def pct(value: Any, digits: int = 1) -> str:
    return percent(value, digits)


@register.filter
def redo_labels(codes: Any) -> str:
    """A review's redo reason codes as the reviewer ticked them, in words and in the user's
    language ("未写明处办过程、缺少现场证据")."""
    return listing([str(REDO_REASON_LABELS.get(str(c), c)) for c in (codes or [])])


@register.filter
def effect_noes(checks: Any) -> str:
    """The effect questions a reviewer answered "no" (审核要点), in words; "" when none or when
    the review predates the checklist."""
    if not isinstance(checks, dict):
        return ""
    return listing([str(label) for key, label in EFFECT_QUESTIONS.items() if checks.get(key) is False])


@register.filter
def action_label(code: Any) -> str:
    """An event's action code ("reply") as its label ("答复")."""
    return _action_label(str(code))


def join_list(values: Iterable[Any]) -> str:
    return _("、").join(str(v) for v in values)


@register.filter
def listing(values: Any) -> str:
    """Items joined with the language's list separator (、 in Chinese, ", " in English)."""
    if values is None:
        return ""
    if isinstance(values, str):
        return values
    return join_list(values)


# A label that already ends in punctuation (a question: "您的问题是否解决？") takes no colon after it.
_ENDS_A_LABEL = "：:？?。.！!"


@register.filter
def field_label(field: Any) -> str:
    """A form field's <label> with one colon in the user's language ("：" or ":"), never "？:"."""
    label = str(field.label or "")
    suffix = "" if not label or label[-1] in _ENDS_A_LABEL else _("：")
    return field.label_tag(label_suffix=suffix)


@register.simple_tag(takes_context=True)
def main_menu(context: Any) -> list[dict[str, Any]]:
    """The main menu's links for the person looking at the page."""
    request = context["request"]
    return menu(MAIN_MENU, request.user, _view_name(request))


@register.simple_tag(takes_context=True)
def assessment_menu(context: Any) -> list[dict[str, Any]]:
    request = context["request"]
    return menu(ASSESSMENT_MENU, request.user, _view_name(request), context.get("query", ""))


def _view_name(request: Any) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match else ""
