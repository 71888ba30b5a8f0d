"""Form widgets shared by the staff pages and the public part.

`QuickSelect` renders a `<select>` in plain Python. Django's own Select renders every `<option>`
through a template include: with a district's ~700 categories that was ~20 ms of CPU on every
view of the public filing form (80% of the page), and the page is the public part's busiest. The
context is Django's own (`get_context`), so attributes, the selected value, option groups and the
accessible attributes a bound field adds are the same; only the rendering is not a template, and
the escaping is the standard library's (Django's lazy-aware escape costs more than the rest).
"""

from __future__ import annotations

import html
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import SafeString, mark_safe


def _text(value: Any) -> str:
    """Escaped text, leaving what is already marked safe as it is (as Django's templates do)."""
    if value is None:
        return ""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value), quote=True)


def _option(option: dict[str, Any]) -> str:
    attrs = option["attrs"]
    extra = "" if not attrs else " selected" if attrs == {"selected": True} else flatatt(attrs)
    return f'<option value="{_text(option["value"])}"{extra}>{_text(option["label"])}</option>'


class QuickSelect(forms.Select):
    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{_text(widget["name"])}"{flatatt(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'<optgroup label="{_text(group_name)}">')
                parts.extend(_option(o) for o in options)
                parts.append("</optgroup>")
            else:
                parts.extend(_option(o) for o in options)
        parts.append("</select>")
        return mark_safe("".join(parts))


MAX_ID = 2**63 - 1  # the largest value an id column holds on every database


def _is_id(value: Any) -> bool:
    text = str(value).strip()
    return text.isascii() and text.isdigit() and int(text) <= MAX_ID


class IdSafeAutocompleteMixin:
    """For a ModelAdmin with `autocomplete_fields`: the admin's autocomplete widget shows the
    posted value again by looking it up (`pk__in`), and on SQLite a number past a 64-bit column
    (a guessed or hostile id) raised OverflowError there: a 500 after the form had already
    refused the value. Values that cannot be ids are left out of that lookup; the form's own
    error ("select a valid choice") is what the user sees."""

    def formfield_for_foreignkey(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        widget = getattr(field, "widget", None)
        inner = getattr(widget, "widget", widget)  # the related-field wrapper holds the real widget
        if inner is not None and hasattr(inner, "optgroups") and type(inner).__name__.startswith("Autocomplete"):
            original = inner.optgroups

            def optgroups(name: str, value: list[Any], attr: Any = None) -> Any:
                return original(name, [v for v in value if v in (None, "") or _is_id(v)], attr)

            inner.optgroups = optgroups
        return field
