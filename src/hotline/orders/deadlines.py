"""Working-time clocks: sign-for, first contact and reply, by urgency tier.

Limits are configuration (settings.HOTLINE_CLOCKS), each (amount, "hours" | "workdays").
"hours" are calendar hours (an emergency does not wait for Monday). "workdays" end at the close
of the N-th working day after the start day, by the working-day calendar, which belongs to the
reference data (hotline.directory.calendar).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from hotline.directory.calendar import Limit, WorkCalendar, calendar_of, load_calendar

__all__ = ["Clocks", "Limit", "WorkCalendar", "calendar_of", "clock_limit", "clocks_from", "extend", "load_calendar"]


def clock_limit(urgency: str, clock: str) -> Limit:
    limits = settings.HOTLINE_CLOCKS.get(urgency) or settings.HOTLINE_CLOCKS["general"]
    amount, unit = limits[clock]
    return float(amount), str(unit)


@dataclass(frozen=True)
class Clocks:
    sign_due: dt.datetime
    contact_due: dt.datetime
    reply_due: dt.datetime


def clocks_from(start: dt.datetime, urgency: str, calendar: WorkCalendar) -> Clocks:
    """The three clocks of an order dispatched at `start`."""
    return Clocks(
        sign_due=calendar.add(start, clock_limit(urgency, "sign")),
        contact_due=calendar.add(start, clock_limit(urgency, "contact")),
        reply_due=calendar.add(start, clock_limit(urgency, "reply")),
    )


def extend(due: dt.datetime, days: int, calendar: WorkCalendar) -> dt.datetime:
    """The reply deadline after an approved extension of `days` working days."""
    local = timezone.localtime(due)
    day = calendar.nth_workday_after(local.date(), days)
    return dt.datetime.combine(day, local.timetz())


