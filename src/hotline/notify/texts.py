"""The text of a notification: the administrator's template (models.Template, seeded with
DEFAULTS) rendered by Django's template engine over a safe context.

The engine is a bare one: no loaders (no {% include %} / {% extends %} of files), no tag
libraries beyond the built-ins, no autoescape (SMS text is plain; "&" stays "&"), and the
context holds strings only, so a template can reach nothing but what is given to it."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError
from django.utils import timezone
from django.utils.translation import gettext as _

from .rules import Kind

# The texts the data migration seeds (and the fallback when a saved template cannot render).
DEFAULTS: dict[str, tuple[str, str]] = {
    Kind.NEW_ORDER: ("新工单{{ number }}", "【新工单】{{ unit }}：工单{{ number }}“{{ title }}”已派至本单位，"
                     "请于{{ due }}前签收办理。{{ link }}"),
    Kind.REDO: ("工单{{ number }}被驳回重办", "【驳回重办】工单{{ number }}“{{ title }}”的答复未通过，请重新办理，"
                "答复时限{{ due }}。{{ text }} {{ link }}"),
    Kind.URGE: ("工单{{ number }}催办", "【催办】工单{{ number }}“{{ title }}”被催办：{{ text }}。答复时限{{ due }}。{{ link }}"),
    Kind.SUPERVISE: ("工单{{ number }}督办", "【督办】工单{{ number }}“{{ title }}”已列入督办：{{ text }}。"
                     "答复时限{{ due }}。{{ link }}"),
    Kind.DUE_SOON: ("工单{{ number }}即将超时", "【即将超时】工单{{ number }}“{{ title }}”将于{{ due }}到期"
                    "（{{ clock }}），请抓紧办理。{{ link }}"),
    Kind.OVERDUE: ("工单{{ number }}已超时", "【已超时】工单{{ number }}“{{ title }}”已超过{{ clock }}（{{ due }}），"
                   "请立即办理。{{ link }}"),
    Kind.WARNING: ("{{ rule }}：{{ subject }}", "【预警】{{ rule }}：{{ text }} {{ link }}"),
}

# The names a template may use (the admin's help text lists them).
CONTEXT_NAMES = ("number", "title", "unit", "due", "link", "urgency", "person", "text", "clock", "rule", "subject")

ENGINE = Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, autoescape=False, debug=False,
                string_if_invalid="")


# Tags a notification template may use: conditions, loops, defaults. Not {% load %}, {% include %},
# {% debug %} (it prints the loaded modules), {% url %}, {% csrf_token %} and the like.
ALLOWED_TAGS = frozenset({"if", "elif", "else", "endif", "for", "empty", "endfor", "with", "endwith", "firstof",
                          "comment", "endcomment", "now", "spaceless", "endspaceless", "filter", "endfilter"})
_TAG = re.compile(r"{%-?\s*(\w+)")


class TemplateError(ValueError):
    pass


def _refuse_tags(source: str) -> None:
    bad = sorted({m.group(1) for m in _TAG.finditer(source)} - ALLOWED_TAGS)
    if bad:
        raise TemplateError(_("不允许使用的模板标签：%(tags)s") % {"tags": "、".join(bad)})


def check(source: str) -> None:
    """Raise TemplateError when `source` does not compile or does not render on a sample."""
    _refuse_tags(source)
    try:
        ENGINE.from_string(source).render(Context(sample_context(), autoescape=False))
    except (TemplateSyntaxError, Exception) as e:  # noqa: BLE001 - any failure of an admin's template
        raise TemplateError(str(e)) from e


@functools.lru_cache(maxsize=256)
def _compiled(source: str) -> Any:
    # One compilation per template text, not per recipient: an edited template is a new text.
    _refuse_tags(source)
    return ENGINE.from_string(source)


def render(source: str, context: dict[str, Any], *, fallback: str = "") -> str:
    """The template rendered over `context` (values made strings); on any failure, `fallback`
    rendered instead (a broken template must not stop a notification)."""
    ctx = Context({k: _text(context.get(k, "")) for k in CONTEXT_NAMES}, autoescape=False)
    try:
        return _compiled(source).render(ctx).strip()
    except Exception:  # noqa: BLE001 - see above
        if fallback and fallback != source:
            return render(fallback, context)
        return ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def sample_context() -> dict[str, str]:
    return {"number": "202601010001", "title": "东湖路路面塌陷", "unit": "东湖街道", "due": "2026-01-02 18:00",
            "link": "http://127.0.0.1:8000/orders/1/", "urgency": "一般", "person": "李强", "text": "请尽快处理",
            "clock": "答复时限", "rule": "诉求类别激增", "subject": "道路"}
