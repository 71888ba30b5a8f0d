"""The one reader of the dates a page is asked for: `?month=YYYY-MM`, `?from=&to=` (YYYY-MM-DD)
and single days (`?as_of=`, `?date=`). Every page with such parameters reads them here, so the
same bad input gets the same answer everywhere: an InvalidInput (400, in the user's language)
that names the parameter, never a silent fallback to another period whose figures the user
would take for the ones asked for. An empty parameter counts as absent (a form's empty field).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.errors import InvalidInput

MAX_DAYS = 3 * 366  # a longer period would scan years of live figures for one page
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def month_bounds(first: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of `first`'s month."""
    first = first.replace(day=1)
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)


def parse_day(value: str, name: str) -> dt.date:
    """A date written YYYY-MM-DD (a real one: 2026-02-30 is refused)."""
    text = (value or "").strip()
    try:
        if not _DAY.fullmatch(text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(_("日期“%(v)s”无效，请按“年-月-日”填写，例如 2026-03-01。") % {"v": text[:20]},
                           details={name: [_("日期格式应为 YYYY-MM-DD。")]}) from None


def parse_month(value: str, name: str = "month") -> tuple[dt.date, dt.date]:
    """A month written YYYY-MM, as its first and last day."""
    text = (value or "").strip()
    m = _MONTH.fullmatch(text)
    if m is None or not 1 <= int(m[2]) <= 12 or int(m[1]) < 1:
        raise InvalidInput(_("月份“%(v)s”无效，请按“年-月”填写，例如 2026-03。") % {"v": text[:20]},
                           details={name: [_("月份格式应为 YYYY-MM，月份为01至12。")]})
    return month_bounds(dt.date(int(m[1]), int(m[2]), 1))


def day_param(params: Mapping[str, str], name: str, default: dt.date | None = None) -> dt.date:
    """One day from `params[name]`; `default` (today) when absent or empty."""
    raw = params.get(name) or ""
    if not raw.strip():
        return default or timezone.localdate()
    return parse_day(raw, name)


def period(params: Mapping[str, str], *, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The period a page is asked for: `month` if given, else `from` (default: the first of this
    month) to `to` (default: today), both days included. Refused: a malformed or impossible
    date or month, an end before the start, a period longer than MAX_DAYS."""
    today = today or timezone.localdate()
    if (params.get("month") or "").strip():
        return parse_month(params["month"])
    first = day_param(params, "from", today.replace(day=1))
    last = day_param(params, "to", today)
    if last < first:
        raise InvalidInput(_("截止日期 %(to)s 早于起始日期 %(from)s。") % {"to": last, "from": first},
                           details={"to": [_("截止日期不能早于起始日期。")]})
    if (last - first).days > MAX_DAYS:
        raise InvalidInput(_("统计期间不能超过%(n)d天。") % {"n": MAX_DAYS}, details={"from": [_("请缩短统计期间。")]})
    return first, last
