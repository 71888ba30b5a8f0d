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
