"""Background work: keep the daily aggregates built (the db_worker runs these)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from . import stats


@task()
def refresh_stats(days: int = 3) -> dict[str, int]:
    """Rebuild the last `days` days up to yesterday (callbacks and late events still land on
    recent days); schedule nightly, or enqueue after bulk changes."""
    last = timezone.localdate() - dt.timedelta(days=1)
    return stats.rebuild(last - dt.timedelta(days=max(days, 1) - 1), last)


@task()
def rebuild_all_stats() -> dict[str, int]:
    """Rebuild everything from the first order (after a history import)."""
    return stats.rebuild_all()
