"""Reading the daily aggregates back as sums for any period: the stored days from the tables,
plus a live computation of the days not built yet (usually today). Pure reads: a page that finds
past days not built computes them live and says so (`freshness`); catching up is the worker's
job (assessment.tasks), never a page's."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from ..models import (
    COUNTERS,
    AreaDayStats,
    CallerDayStats,
    MixDayStats,
    MixMonthStats,
    OtherAnswerDay,
    StatsBuild,
    UnitDayStats,
)
from .compute import AREA_COUNTERS, MIX_COUNTERS, OtherAnswer, compute
from .sql import month_start, next_month

Range = tuple[dt.date, dt.date]


def build_mark() -> StatsBuild | None:
    """How far the aggregates are built (None before the first build)."""
    return StatsBuild.objects.filter(key="default").first()


def split(first: dt.date, last: dt.date, mark: StatsBuild | None = None) -> tuple[Range | None, list[Range]]:
    """The part of first..last that is stored, and the parts to compute live."""
    mark = mark if mark is not None else build_mark()
    if mark is None or mark.built_through is None or mark.built_from is None:
        return None, [(first, last)]
    lo, hi = max(first, mark.built_from), min(last, mark.built_through)
    if lo > hi:
        return None, [(first, last)]
    live = []
    if first < lo:
        live.append((first, lo - dt.timedelta(days=1)))
    if last > hi:
        live.append((hi + dt.timedelta(days=1), last))
    return (lo, hi), live


def freshness(first: dt.date, last: dt.date) -> dict[str, Any]:
    """What a page says about its figures for days first..last: the last day built and when
    (None before the first build), and the ranges computed live from the orders at this view."""
    mark = build_mark()
    _stored, live = split(first, last, mark)
    text = _("、").join(f"{a:%Y-%m-%d}" if a == b else _("%(a)s 至 %(b)s") % {"a": f"{a:%Y-%m-%d}", "b": f"{b:%Y-%m-%d}"}
                    for a, b in live)
    return {"built_through": mark.built_through if mark else None, "built_at": mark.built_at if mark else None,
            "live": live, "live_text": text}


def unit_totals(first: dt.date, last: dt.date, *, unit_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """Each unit's counters summed over days first..last."""
    stored, live = split(first, last)
    out: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    if stored is not None:
        qs = UnitDayStats.objects.filter(day__gte=stored[0], day__lte=stored[1])
        if unit_ids is not None:
            qs = qs.filter(unit_id__in=unit_ids)
        for row in qs.values("unit").annotate(**{c: Sum(c) for c in COUNTERS}):
            bucket = out[row["unit"]]
            for c in COUNTERS:
                bucket[c] += row[c] or 0
    for a, b in live:
        units = compute(a, b).units
        for (u, _d), counters in units.items():
            if unit_ids is not None and u not in unit_ids:
                continue
            for c, v in counters.items():
                out[u][c] += v
    return dict(out)


def unit_days(first: dt.date, last: dt.date, unit_id: int) -> dict[dt.date, dict[str, int]]:
    """One unit's counters day by day (for its charts)."""
    stored, live = split(first, last)
    out: dict[dt.date, dict[str, int]] = {}
    if stored is not None:
        for row in UnitDayStats.objects.filter(unit_id=unit_id, day__gte=stored[0], day__lte=stored[1]).values():
            out[row["day"]] = {c: row[c] for c in COUNTERS}
    for a, b in live:
        units = compute(a, b).units
        for (u, d), counters in units.items():
            if u == unit_id:
                out[d] = counters
    return dict(sorted(out.items()))


def mix_totals(first: dt.date, last: dt.date, *, by_day: bool = False) -> dict[tuple, dict[str, int]]:
    """Case-mix cells summed over the period: key (unit, category, urgency), or with by_day
    (unit, day, category, urgency). Unit None rows carry intake volume by category."""
    stored, live = split(first, last)
    keys = ["unit", "day", "category", "urgency"] if by_day else ["unit", "category", "urgency"]
    out: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MIX_COUNTERS, 0))
    if stored is not None:
        # Whole months from the month table (not when asked day by day), the edges day by day.
        lo, hi = stored
        head = month_start(lo) if lo.day == 1 else next_month(lo)
        tail = head
        while not by_day and next_month(tail) - dt.timedelta(days=1) <= hi:
            tail = next_month(tail)
        parts = []
        if tail > head:
            parts.append(MixMonthStats.objects.filter(month__gte=head, month__lt=tail))
            parts.append(MixDayStats.objects.filter(Q(day__gte=lo, day__lt=head) | Q(day__gte=tail, day__lte=hi)))
        else:
            parts.append(MixDayStats.objects.filter(day__gte=lo, day__lte=hi))
        for qs in parts:
            for row in qs.values(*keys).annotate(**{f"x_{c}": Sum(c) for c in MIX_COUNTERS}):
                bucket = out[tuple(row[k] for k in keys)]
                for c in MIX_COUNTERS:
                    bucket[c] += row[f"x_{c}"] or 0
    for a, b in live:
        mix = compute(a, b).mix
        for (u, d, cat, urg), counters in mix.items():
            key = (u, d, cat, urg) if by_day else (u, cat, urg)
            for c, v in counters.items():
                out[key][c] += v
    return dict(out)


def area_totals(first: dt.date, last: dt.date) -> dict[int | None, dict[str, int]]:
    """Valid callbacks per area summed over the period."""
    stored, live = split(first, last)
    out: dict[int | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys(AREA_COUNTERS, 0))
    if stored is not None:
        for row in (AreaDayStats.objects.filter(day__gte=stored[0], day__lte=stored[1]).values("area")
                    .annotate(**{c: Sum(c) for c in AREA_COUNTERS})):
            for c in AREA_COUNTERS:
                out[row["area"]][c] += row[c] or 0
    for a, b in live:
        for (area, _d), counters in compute(a, b).areas.items():
            for c, v in counters.items():
                out[area][c] += v
    return dict(out)


def caller_totals(first: dt.date, last: dt.date, *, at_least: int,
                  unit_ids: list[int] | None = None) -> dict[tuple[int, str], list[int]]:
    """Simple requests' valid callbacks per (unit, caller phone) over days first..last, as
    [callbacks, satisfied], for the pairs with at least `at_least` callbacks (pairs with fewer
    are left out, which keeps a year's one-off callers out of the answer)."""
    stored, live = split(first, last)
    live_rows: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for a, b in live:
        for (u, _d, phone), (n, x) in compute(a, b).callers.items():
            if unit_ids is None or u in unit_ids:
                cell = live_rows[(u, phone)]
                cell[0] += n
                cell[1] += x
    out: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    if stored is not None:
        # A pair can reach `at_least` only if its stored days hold at least that minus the most
        # any pair gained live.
        need = max(1, at_least - max((n for n, _x in live_rows.values()), default=0))
        qs = CallerDayStats.objects.filter(day__gte=stored[0], day__lte=stored[1])
        if unit_ids is not None:
            qs = qs.filter(unit_id__in=unit_ids)
        for u, phone, n, x in (qs.values("unit", "phone").annotate(n=Sum("callbacks"), x=Sum("satisfied"))
                               .filter(n__gte=need).values_list("unit", "phone", "n", "x")):
            out[(u, phone)] = [n, x]
    for key, (n, x) in live_rows.items():
        out[key][0] += n
        out[key][1] += x
    return {k: v for k, v in out.items() if v[0] >= at_least}


def other_answers(first: dt.date, last: dt.date, *, phones: Iterable[str] | None = None,
                  unit_ids: list[int] | None = None) -> list[OtherAnswer]:
    """The valid, counted callbacks of days first..last answered from a number other than the
    caller's (optionally only those answered from `phones`), ordered by callback id."""
    stored, live = split(first, last)
    wanted = set(phones) if phones is not None else None
    out: list[OtherAnswer] = []
    if stored is not None:
        qs = OtherAnswerDay.objects.filter(day__gte=stored[0], day__lte=stored[1])
        if wanted is not None:
            qs = qs.filter(phone__in=wanted)
        if unit_ids is not None:
            qs = qs.filter(unit_id__in=unit_ids)
        out.extend(qs.values_list("callback_id", "unit_id", "day", "caller_phone", "phone", "satisfaction"))
    for a, b in live:
        out.extend(r for r in compute(a, b).answers
                   if (wanted is None or r[4] in wanted) and (unit_ids is None or r[1] in unit_ids))
    return sorted(out)
