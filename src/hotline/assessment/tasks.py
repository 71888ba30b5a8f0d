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


def next_nightly(now: dt.datetime | None = None) -> dt.datetime:
    """The next NIGHTLY_AT, local time, after `now`."""
    local = timezone.localtime(now or timezone.now())
    at = local.replace(hour=NIGHTLY_AT.hour, minute=NIGHTLY_AT.minute, second=0, microsecond=0)
    return at if at > local else at + dt.timedelta(days=1)


def schedule_nightly(now: dt.datetime | None = None) -> bool:
    """Queue the next nightly refresh unless one is queued (and not lost). A backend that cannot
    run tasks later (the immediate backend of a test or a demo) gets none. Returns whether it
    queued one."""
    if not refresh_stats.get_backend().supports_defer:
        return False
    now = now or timezone.now()
    at = next_nightly(now)
    StatsBuild.objects.get_or_create(key="default")
    free = Q(nightly_queued_for__isnull=True) | Q(nightly_queued_for__lt=now - LOST_AFTER)
    if not StatsBuild.objects.filter(free, key="default").update(nightly_queued_for=at):
        return False
    transaction.on_commit(lambda: refresh_stats.using(run_after=at).enqueue(days=3, nightly=True))
    return True


def on_worker_start() -> dict[str, bool]:
    """What a starting worker does before it takes tasks: make sure the nightly run is queued,
    and catch up at once when past days are not built."""
    return {"nightly": schedule_nightly(), "catch_up": behind() and request_catch_up()}
