"""The SQL building blocks of the daily aggregates: local days and durations computed by the
database itself, and the local-day bounds of a range."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models
from django.db.models import Count, F, Func, Q
from django.db.models.functions import TruncDate
from django.utils import timezone


def local_tz() -> ZoneInfo:
    """The district's time zone (days are local days)."""
    return ZoneInfo(settings.TIME_ZONE)


def day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of `first`, start of the day after `last`) in local time, as aware datetimes."""
    tz = local_tz()
    return (dt.datetime.combine(first, dt.time.min, tzinfo=tz),
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


class _SqliteLocalDate(Func):
    """date(at, '+480 minutes'): SQLite's own date arithmetic, for zones with a fixed offset
    (China has had no daylight saving since 1991). Django's TruncDate calls a Python function per
    row on SQLite, which dominated the cost of a rebuild."""

    output_field = models.DateField()

    def __init__(self, field: str, minutes: int) -> None:
        super().__init__(F(field))
        self.template = f"date(%(expressions)s, '{minutes:+d} minutes')"


class _Seconds(Func):
    """Seconds from b to a, computed natively (julianday on SQLite, EXTRACT(EPOCH) elsewhere)."""

    output_field = models.FloatField()

    def __init__(self, a: str, b: str) -> None:
        super().__init__(F(a), F(b))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="((julianday(%(expressions)s)) * 86400.0)",
                           arg_joiner=") - julianday(", **extra)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # PostgreSQL
        extra.setdefault("template", "EXTRACT(EPOCH FROM (%(expressions)s))")
        extra.setdefault("arg_joiner", " - ")
        return super().as_sql(compiler, connection, **extra)


def fixed_offset_minutes() -> int | None:
    tz = local_tz()
    year = timezone.now().year
    offsets = {dt.datetime(year, m, 1, tzinfo=tz).utcoffset() for m in (1, 4, 7, 10)}
    if len(offsets) != 1:
        return None
    return int(offsets.pop().total_seconds() // 60)


def local_day(field: str) -> Func:
    minutes = fixed_offset_minutes()
    if connection.vendor == "sqlite" and minutes is not None:
        return _SqliteLocalDate(field, minutes)
    return TruncDate(field, tzinfo=local_tz())


def seconds_between(a: str, b: str) -> _Seconds:
    return _Seconds(a, b)


def as_seconds(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.timedelta):
        return int(value.total_seconds())
    return int(round(float(value)))


def count_where(**filters: Any) -> Count:
    return Count("pk", filter=Q(**filters)) if filters else Count("pk")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
