"""The working-day calendar (by the Chinese calendar): weekends, statutory holidays and make-up
working days (调休), as entered in CalendarDay, and the arithmetic of working time on it. The
clocks of an order (orders/deadlines.py) are built on it.

A year with no entered schedule still works: weekends plus the fixed-date statutory holidays
(元旦, 劳动节, 国庆节 1–3), and `missing_years()` tells administrators to enter it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from . import models, snapshot

# Fixed-date statutory holidays used when a year's schedule has not been entered. The lunar
# holidays (Spring Festival, Qingming, Dragon Boat, Mid-Autumn) cannot be guessed reliably.
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)})
WORKDAY_END = dt.time(18, 0)
Limit = tuple[float, str]  # (amount, "hours" | "workdays")


@dataclass
class WorkCalendar:
    """Which days are working days. Built from the CalendarDay exceptions of a date range."""

    overrides: dict[dt.date, bool] = field(default_factory=dict)
    known_years: frozenset[int] = frozenset()

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day.weekday() >= 5:
            return False
        if day.year not in self.known_years and (day.month, day.day) in FIXED_HOLIDAYS:
            return False
        return True

    def nth_workday_after(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day strictly after `day` (n >= 1); n == 0 gives `day` itself."""
        current = day
        left = n
        guard = 0
        while left > 0:
            current += dt.timedelta(days=1)
            if self.is_workday(current):
                left -= 1
            guard += 1
            if guard > 3660:  # ten years of no working days means the calendar is broken
                raise ValueError("calendar has no working days")
        return current

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]."""
        if end <= start:
            return 0
        return sum(1 for i in range(1, (end - start).days + 1) if self.is_workday(start + dt.timedelta(days=i)))

    def add(self, start: dt.datetime, limit: Limit) -> dt.datetime:
        amount, unit = limit
        if unit == "hours":
            return start + dt.timedelta(hours=float(amount))
        if unit == "workdays":
            local = timezone.localtime(start)
            days = int(amount)
            # A working day that has already closed does not count as the start day's share.
            end_day = self.nth_workday_after(local.date(), max(days, 0))
            tz = timezone.get_current_timezone()
            due = dt.datetime.combine(end_day, WORKDAY_END).replace(tzinfo=tz)
            return max(due, start)
        raise ValueError(f"unknown limit unit {unit!r}")


def load_calendar() -> WorkCalendar:
    """The working-day calendar as entered (every year), from this process's copy of the
    reference data (directory.snapshot), which follows every committed change."""
    return calendar_of(snapshot.current())


def calendar_of(copy: Any) -> WorkCalendar:
    """The calendar of one copy of the reference data (built once per copy)."""
    calendar = copy.memo.get("calendar")
    if calendar is None:
        calendar = copy.memo["calendar"] = WorkCalendar(
            overrides=copy.calendar_overrides, known_years=copy.calendar_years
        )
    return calendar


def missing_years(today: dt.date | None = None) -> list[int]:
    """Years whose holiday schedule is needed soon but not entered: this year, and next year
    from the fourth quarter on (the State Council publishes it late in the year before)."""
    today = today or timezone.localdate()
    wanted = [today.year] + ([today.year + 1] if today.month >= 10 else [])
    known = set(models.CalendarYear.objects.filter(year__in=wanted).values_list("year", flat=True))
    return [y for y in wanted if y not in known]


def seed_from_chinese_calendar() -> tuple[int, list[int]]:
    """Enter every year that the chinese-calendar package knows (what is already entered stays).
    Returns (rows, years). Migration 0002 does the same with its own copy of this logic."""
    import chinese_calendar

    CalendarDay, CalendarYear = models.CalendarDay, models.CalendarYear  # noqa: N806

    rows: dict[dt.date, tuple[bool, str]] = {}
    for day, name in chinese_calendar.holidays.items():
        if day.weekday() < 5:
            rows[day] = (False, _holiday_label(name))
    for day, name in chinese_calendar.workdays.items():
        if day.weekday() >= 5:
            rows[day] = (True, f"{_holiday_label(name)}调休上班")
    years = sorted({d.year for d in rows})
    existing = set(CalendarDay.objects.filter(date__in=list(rows)).values_list("date", flat=True))
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=d, is_workday=w, note=n) for d, (w, n) in sorted(rows.items()) if d not in existing]
    )
    known = set(CalendarYear.objects.values_list("year", flat=True))
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=y, source="chinese-calendar 1.11.0") for y in years if y not in known]
    )
    snapshot.bump()  # bulk_create sends no signals: mark the calendar changed by hand
    return len(rows) - len(existing), years


_HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def _holiday_label(name: object) -> str:
    text = str(name) if name is not None else ""
    return _HOLIDAY_NAMES.get(text, text)[:40]
