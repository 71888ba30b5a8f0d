"""Background work: keep the daily aggregates built (the db_worker runs these).

The worker schedules its own work; pages never do (reads only read, DESIGN.md):

- `refresh_stats` rebuilds the last days and whatever fell behind, then makes sure the next
  nightly run is queued (`schedule_nightly`): once started, the worker keeps itself going.
- `hotline db_worker` (the db_worker with this start-up step) queues the nightly run and, when past
  days are not built, a catch-up at once (`on_worker_start`).
- A history import sends imported days back to live and asks for a catch-up
  (`request_catch_up`), at most once every CATCH_UP_EVERY.

The claims on the build mark are conditional UPDATEs, so several workers starting together
queue one run, not several."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from . import stats
from .models import StatsBuild

CATCH_UP_EVERY = dt.timedelta(minutes=30)
# Local time of the nightly run: after midnight, when yesterday is complete.
NIGHTLY_AT = dt.time(0, 30)
# A nightly run still marked queued this long after its time was lost (pruned, or its worker
# died): the next start or refresh queues another.
LOST_AFTER = dt.timedelta(hours=6)


@task()
def refresh_stats(days: int = 3, nightly: bool = False) -> dict[str, int]:
    """Rebuild the last `days` days up to yesterday, and any days since the build mark fell
    behind (a history import sends imported days back to live); then queue the next nightly
    run if none is queued."""
    if nightly:  # this is the queued nightly run: the slot is free for the next one
        StatsBuild.objects.filter(key="default", nightly_queued_for__lte=timezone.now()).update(nightly_queued_for=None)
    last = timezone.localdate() - dt.timedelta(days=1)
    first = last - dt.timedelta(days=max(days, 1) - 1)
    mark = stats.build_mark()
    if mark is None or mark.built_through is None:
        written = stats.rebuild_all(until=last)
    else:
        written = stats.rebuild(min(first, mark.built_through + dt.timedelta(days=1)), last)
    schedule_nightly()
    return written


@task()
def rebuild_all_stats() -> dict[str, int]:
    """Rebuild everything from the first order (after a history import)."""
    return stats.rebuild_all()


def behind(today: dt.date | None = None) -> bool:
    """Whether past days are not built (never built, or the mark stops before yesterday)."""
    yesterday = (today or timezone.localdate()) - dt.timedelta(days=1)
    mark = stats.build_mark()
    return mark is None or mark.built_through is None or mark.built_through < yesterday


def request_catch_up() -> bool:
    """Queue a refresh now unless one was queued in the last CATCH_UP_EVERY. For writers and the
    worker only (a history import, the worker's start). Returns whether it queued one."""
    now = timezone.now()
    StatsBuild.objects.get_or_create(key="default")
    due = Q(catch_up_requested_at__isnull=True) | Q(catch_up_requested_at__lt=now - CATCH_UP_EVERY)
    if not StatsBuild.objects.filter(due, key="default").update(catch_up_requested_at=now):
        return False
    transaction.on_commit(lambda: refresh_stats.enqueue(days=3))
    return True


def next_nightly(now: dt.datetime | None = None, *, at: dt.time = NIGHTLY_AT) -> dt.datetime:
    """The next `at` (NIGHTLY_AT by default), local time, after `now`."""
    local = timezone.localtime(now or timezone.now())
    moment = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return moment if moment > local else moment + dt.timedelta(days=1)


def queue_nightly(task_: Any, mark: Any, *, at: dt.time, now: dt.datetime | None = None, **kwargs: Any) -> bool:
    """Queue `task_(nightly=True, **kwargs)` for the next `at` unless the build mark `mark` (a
    model with a `key` and a `nightly_queued_for`) says one is queued and not lost. The claim is
    a conditional UPDATE, so workers starting together queue one run. A backend that cannot run
    tasks later (the immediate backend of a test or a demo) gets none. Whether it queued one."""
    if not task_.get_backend().supports_defer:
        return False
    now = now or timezone.now()
    moment = next_nightly(now, at=at)
    mark.objects.get_or_create(key="default")
    free = Q(nightly_queued_for__isnull=True) | Q(nightly_queued_for__lt=now - LOST_AFTER)
    if not mark.objects.filter(free, key="default").update(nightly_queued_for=moment):
        return False
    transaction.on_commit(lambda: task_.using(run_after=moment).enqueue(nightly=True, **kwargs))
    return True


def schedule_nightly(now: dt.datetime | None = None) -> bool:
    """Queue the next nightly refresh unless one is queued (and not lost)."""
    return queue_nightly(refresh_stats, StatsBuild, at=NIGHTLY_AT, now=now, days=3)


def on_worker_start() -> dict[str, bool]:
    """What a starting worker does before it takes tasks: make sure the nightly run is queued,
    and catch up at once when past days are not built."""
    return {"nightly": schedule_nightly(), "catch_up": behind() and request_catch_up()}
