"""Background work: keep the daily aggregates built (the db_worker runs these)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from . import stats
from .models import StatsBuild


@task()
def refresh_stats(days: int = 3) -> dict[str, int]:
    """Rebuild the last `days` days up to yesterday, and any days since the build mark fell
    behind (a history import sends imported days back to live); schedule it nightly."""
    last = timezone.localdate() - dt.timedelta(days=1)
    first = last - dt.timedelta(days=max(days, 1) - 1)
    mark = StatsBuild.objects.filter(key="default").first()
    if mark is None or mark.built_through is None:
        return stats.rebuild_all(until=last)
    first = min(first, mark.built_through + dt.timedelta(days=1))
    return stats.rebuild(first, last)


@task()
def rebuild_all_stats() -> dict[str, int]:
    """Rebuild everything from the first order (after a history import)."""
    return stats.rebuild_all()
