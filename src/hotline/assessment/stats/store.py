"""Storing the daily aggregates: `rebuild(first, last)` recomputes and stores a range of past
days and moves the build mark (the worker and `hotline assess --rebuild` call it);
`invalidate(first)` sends days back to live after a history import. Writers only: pages never
call these."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from hotline.orders.models import WorkOrder

from ..models import (
    AreaDayStats,
    CallerDayStats,
    MixDayStats,
    MixMonthStats,
    OtherAnswerDay,
    StatsBuild,
    UnitDayStats,
)
from .compute import MIX_COUNTERS, compute
from .sql import local_tz, month_start, next_month


def rebuild(first: dt.date, last: dt.date) -> dict[str, int]:
    """Recompute and store the aggregates of days first..last; move the build mark forward
    when the range reaches it. Today and later are never stored (they are still changing and
    are computed live). Returns how many rows were written."""
    last = min(last, timezone.localdate() - dt.timedelta(days=1))
    if first > last:
        return {"unit_rows": 0, "mix_rows": 0}
    units, mix, areas, callers, answers = compute(first, last)
    with transaction.atomic():
        UnitDayStats.objects.filter(day__gte=first, day__lte=last).delete()
        MixDayStats.objects.filter(day__gte=first, day__lte=last).delete()
        AreaDayStats.objects.filter(day__gte=first, day__lte=last).delete()
        CallerDayStats.objects.filter(day__gte=first, day__lte=last).delete()
        OtherAnswerDay.objects.filter(day__gte=first, day__lte=last).delete()
        CallerDayStats.objects.bulk_create(
            [CallerDayStats(unit_id=u, day=d, phone=p, callbacks=n, satisfied=x) for (u, d, p), (n, x) in callers.items()],
            batch_size=2000)
        OtherAnswerDay.objects.bulk_create(
            [OtherAnswerDay(callback_id=pk, unit_id=u, day=d, caller_phone=cp or "", phone=p, satisfaction=sat)
             for pk, u, d, cp, p, sat in answers], batch_size=2000)
        AreaDayStats.objects.bulk_create(
            [AreaDayStats(area_id=a, day=d, **c) for (a, d), c in areas.items()], batch_size=2000)
        UnitDayStats.objects.bulk_create(
            [UnitDayStats(unit_id=u, day=d, **c) for (u, d), c in units.items()], batch_size=2000)
        MixDayStats.objects.bulk_create(
            [MixDayStats(unit_id=u, day=d, category_id=cat, urgency=urg, **c) for (u, d, cat, urg), c in mix.items()],
            batch_size=2000)
        _roll_up_months(first, last)
        mark, _ = StatsBuild.objects.select_for_update().get_or_create(key="default")
        if mark.built_through is None or (first <= mark.built_through + dt.timedelta(days=1) and last > mark.built_through):
            mark.built_through = last
        if mark.built_from is None or first < mark.built_from:
            mark.built_from = first
        mark.built_at = timezone.now()
        mark.save()
    return {"unit_rows": len(units), "mix_rows": len(mix)}


def _roll_up_months(first: dt.date, last: dt.date) -> None:
    """Re-sum the case-mix month rows of every month that days first..last touch."""
    month = month_start(first)
    while month <= last:
        nxt = next_month(month)
        MixMonthStats.objects.filter(month=month).delete()
        rows = (MixDayStats.objects.filter(day__gte=month, day__lt=nxt).values("unit", "category", "urgency")
                .annotate(**{f"x_{c}": Sum(c) for c in MIX_COUNTERS}))
        MixMonthStats.objects.bulk_create(
            [MixMonthStats(unit_id=r["unit"], month=month, category_id=r["category"], urgency=r["urgency"],
                           **{c: r[f"x_{c}"] or 0 for c in MIX_COUNTERS}) for r in rows], batch_size=2000)
        month = nxt


def rebuild_all(*, until: dt.date | None = None) -> dict[str, int]:
    """Rebuild from the first order's day through `until` (default: yesterday)."""
    until = until or timezone.localdate() - dt.timedelta(days=1)
    first = WorkOrder.objects.order_by("received_at").values_list("received_at", flat=True).first()
    if first is None:
        return {"unit_rows": 0, "mix_rows": 0}
    start = timezone.localtime(first, local_tz()).date()
    # Forget how far it was built (not the row: it also holds the worker's schedule).
    StatsBuild.objects.filter(key="default").update(built_through=None, built_from=None)
    return rebuild(start, until)


def invalidate(first: dt.date) -> None:
    """Past days changed (a history import): from `first` on, compute live until rebuilt."""
    mark = StatsBuild.objects.filter(key="default").first()
    if mark is not None and mark.built_through is not None and mark.built_through >= first:
        if mark.built_from is not None and first <= mark.built_from:
            mark.built_through = None
        else:
            mark.built_through = first - dt.timedelta(days=1)
        mark.save()

