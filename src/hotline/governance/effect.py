"""Did it work? (治理成效) The calls on a task's matter before and after it started, against a
comparison, with an interval: a fall that the comparison shows too is not credited.

The matter is the task's categories (with their sub-categories) in the task's areas (none: the
whole district). Two windows of equal length L meet at the start: before [start-L, start) and
after [start, start+L), L being the task's target period, or the part of it that has passed.
The comparison is either
- the same categories in the district's other areas over the same windows (a fall everywhere,
  such as the end of the heating season or a city-wide campaign, is not the task's), or
- the same matter over the same weeks a year earlier (for a seasonal matter, or a task that
  covers the whole district).
The effect is the ratio of rate ratios, (after/before) / (after'/before'), with a 95% interval
from the counts' Poisson variance on the log scale (var = 1/a + 1/b + 1/c + 1/d, 0.5 added to
each count when one is zero). A fall is credited only when the whole interval lies below 1; the
target is met when, in addition, the estimated fall reaches it.

Reads only: counts of orders by received_at (indexed)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Q, QuerySet

from hotline.directory.models import Category
from hotline.orders import clock
from hotline.orders.models import WorkOrder
from hotline.orders.selectors import calls

Z95 = 1.959964
MIN_DAYS = 7  # shorter than a week after the start: too early to measure


@dataclass(frozen=True)
class Effect:
    method: str  # "areas" or "last_year"
    days: int  # the length of each window
    start: dt.datetime
    before: int
    after: int
    comparison_before: int
    comparison_after: int
    ratio: float | None  # (after/before) / (comparison_after/comparison_before)
    low: float | None  # its 95% interval
    high: float | None
    credited: bool  # the whole interval lies below 1
    target_met: bool  # credited, and the estimated fall reaches the target
    complete: bool  # the after window is the whole target period
    too_early: bool = False

    @property
    def change(self) -> float | None:
        """The estimated change credited to the task (-0.45: calls down 45% beyond the comparison)."""
        return None if self.ratio is None else self.ratio - 1

    @property
    def raw_change(self) -> float | None:
        return None if not self.before else self.after / self.before - 1

    @property
    def comparison_change(self) -> float | None:
        return None if not self.comparison_before else self.comparison_after / self.comparison_before - 1

    @property
    def change_pct(self) -> int | None:
        return None if self.ratio is None else round((self.ratio - 1) * 100)

    @property
    def low_pct(self) -> int | None:
        return None if self.low is None else round((self.low - 1) * 100)

    @property
    def high_pct(self) -> int | None:
        return None if self.high is None else round((self.high - 1) * 100)

    @property
    def raw_pct(self) -> int | None:
        return None if self.raw_change is None else round(self.raw_change * 100)

    @property
    def comparison_pct(self) -> int | None:
        return None if self.comparison_change is None else round(self.comparison_change * 100)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["start"] = self.start.isoformat()
        d["change"] = self.change
        return d


def ratio_interval(a: int, b: int, c: int, d: int) -> tuple[float, float, float]:
    """(ratio, low, high) of (a/b)/(c/d): a, b the matter after and before, c, d the comparison's."""
    if min(a, b, c, d) == 0:
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5  # type: ignore[assignment]
    log_rr = math.log(a / b) - math.log(c / d)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return math.exp(log_rr), math.exp(log_rr - Z95 * se), math.exp(log_rr + Z95 * se)


def matter_orders(category_ids: list[int]) -> QuerySet[WorkOrder]:
    """Calls about the categories (with their sub-categories): proactive orders are not calls."""
    paths = list(Category.objects.filter(pk__in=category_ids).values_list("path", flat=True))
    q = Q(category_id__in=category_ids)
    for p in paths:
        q |= Q(category__path__startswith=p + "/")
    return calls(WorkOrder.objects.filter(q))


def _count(qs: QuerySet[WorkOrder], start: dt.datetime, end: dt.datetime) -> int:
    return qs.filter(received_at__gte=start, received_at__lt=end).count()


def measure(*, category_ids: list[int], area_ids: list[int], start: dt.datetime, days: int, method: str,
            target_reduction: int, now: dt.datetime | None = None) -> Effect:
    """The effect of work that began at `start` on the calls about `category_ids` in `area_ids`."""
    now = now or clock.now()
    span = min(dt.timedelta(days=days), max(now - start, dt.timedelta(0)))
    length = span.days
    if not area_ids and method == "areas":
        method = "last_year"  # the whole district has no other areas to compare with
    calls = matter_orders(category_ids)
    matter = calls.filter(area_id__in=area_ids) if area_ids else calls
    if length < MIN_DAYS:
        return Effect(method, length, start, 0, 0, 0, 0, None, None, None, False, False, False, too_early=True)
    window = dt.timedelta(days=length)
    before, after = _count(matter, start - window, start), _count(matter, start, start + window)
    if method == "areas":
        others = calls.exclude(area_id__in=area_ids).exclude(area__isnull=True)
        cb, ca = _count(others, start - window, start), _count(others, start, start + window)
    else:
        year_ago = _year_before(start)
        cb, ca = _count(matter, year_ago - window, year_ago), _count(matter, year_ago, year_ago + window)
    if before + after == 0 or cb + ca == 0:
        return Effect(method, length, start, before, after, cb, ca, None, None, None, False, False, length >= days)
    ratio, low, high = ratio_interval(after, before, ca, cb)
    credited = high < 1.0
    met = credited and (1 - ratio) * 100 >= target_reduction
    return Effect(method, length, start, before, after, cb, ca, ratio, low, high, credited, met, length >= days)


def _year_before(moment: dt.datetime) -> dt.datetime:
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - 1, day=28)


def of_task(task: Any, *, now: dt.datetime | None = None) -> Effect:
    """The effect of a governance task (before it starts: measured as if it started now, so the
    page says it is too early)."""
    now = now or clock.now()
    return measure(category_ids=list(task.categories.values_list("id", flat=True)),
                   area_ids=list(task.areas.values_list("id", flat=True)), start=task.started_at or now,
                   days=task.target_weeks * 7, method=task.comparison, target_reduction=task.target_reduction,
                   now=now)
