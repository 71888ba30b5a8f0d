"""Input checks shared by the actions, the forms and the importers. Messages in the user's
language; each check returns the message or None."""

from __future__ import annotations

import re

from django.conf import settings
from django.utils.translation import gettext as _

# Mainland mobile numbers, fixed lines with area code (optionally with an extension), and the
# short service numbers of public utilities (95598, 96777...).
MOBILE = re.compile(r"^(?:\+?86[- ]?)?1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(?:-\d{1,6})?$")
SERVICE = re.compile(r"^(?:9\d{4}|1\d{4})$")


def normalise_phone(raw: str) -> str:
    return re.sub(r"[\s()（）]", "", raw or "")


def phone_error(raw: str) -> str | None:
    phone = normalise_phone(raw)
    if not phone:
        return None
    if MOBILE.match(phone) or LANDLINE.match(phone) or SERVICE.match(phone):
        return None
    return _("电话号码格式不正确：请填写11位手机号或带区号的固定电话。")


def text_errors(*, title: str, description: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = [_("请填写标题。")]
    elif len(title) > settings.HOTLINE_MAX_TITLE:
        errors["title"] = [_("标题不能超过%(n)d个字。") % {"n": settings.HOTLINE_MAX_TITLE}]
    if not (description or "").strip():
        errors["description"] = [_("请填写诉求内容。")]
    elif len(description) > settings.HOTLINE_MAX_DESCRIPTION:
        errors["description"] = [
            _("诉求内容过长（%(len)d字），不能超过%(n)d字；请概括后填写，原文可作为附件上传。")
            % {"len": len(description), "n": settings.HOTLINE_MAX_DESCRIPTION}
        ]
    if "\x00" in (title or "") + (description or ""):
        errors.setdefault("description", []).append(_("内容含有无法保存的控制字符。"))
    return errors


def mask_phone(phone: str) -> str:
    """138****5678 for mobiles; the middle of other numbers hidden likewise."""
    p = normalise_phone(phone)
    if len(p) >= 7:
        return p[:3] + "*" * (len(p) - 7) + p[-4:] if len(p) > 7 else p[:2] + "***" + p[-2:]
    return "*" * len(p)


def as_int(value: object, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """The one integer parser for what comes from requests, forms, files and the API: an int, a
    float that is a whole number (JSON's 3.0), or a string of ASCII digits with an optional minus
    sign and spaces around. None for anything else (bools, fractions like 3.7 or "3.7", "3.0",
    "", lists, numbers too large for a 64-bit column, or outside minimum..maximum): 3.7 must not
    quietly mean 3, nor True mean 1."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]{1,18}\s*", value):
        value = int(value)
    if not isinstance(value, int) or not -(2**63) < value < 2**63:
        return None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        return None
    return value


def as_id(value: object) -> int | None:
    """A database id (a positive integer, read by `as_int`), or None."""
    return as_int(value, minimum=1)
