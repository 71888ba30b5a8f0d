"""Daily aggregates: computed from the orders' own tables, stored in UnitDayStats/MixDayStats
(and, for the gaming checks, CallerDayStats/OtherAnswerDay), and read back as sums for any period.

    sql.py      the database's own local-day and duration arithmetic
    compute.py  `compute(first, last)`: the counters of a range of local days (pure reads), `memo()`
    store.py    `rebuild()`, `rebuild_all()`, `invalidate()`: the writers (worker and CLI only)
    read.py     `unit_totals()`, `mix_totals()`...: stored days plus the days not built yet
                computed live, so pages never scan a year of events, never write, and say how
                fresh they are (`freshness()`)

Scheduling the rebuilds is the worker's (assessment/tasks.py), which imports this package and
never the other way round."""

from .compute import (
    AREA_COUNTERS,
    MIX_COUNTERS,
    Computed,
    OtherAnswer,
    compute,
    counted_q,
    memo,
    simple_categories,
)
from .read import (
    area_totals,
    build_mark,
    caller_totals,
    freshness,
    mix_totals,
    other_answers,
    split,
    unit_days,
    unit_totals,
)
from .sql import day_bounds
from .store import invalidate, rebuild, rebuild_all

__all__ = [
    "AREA_COUNTERS", "MIX_COUNTERS", "Computed", "OtherAnswer", "area_totals", "build_mark", "caller_totals",
    "compute", "counted_q", "day_bounds", "freshness", "invalidate", "memo", "mix_totals", "other_answers",
    "rebuild", "rebuild_all", "simple_categories", "split", "unit_days", "unit_totals",
]
