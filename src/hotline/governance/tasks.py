"""The nightly hotspot build, queued by the worker itself (pages never queue it): a starting
worker queues the next run (on_worker_start), and each run queues the one after it. The
incremental join runs all day in the outbox's governance channel (delivery.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from . import build
from .models import HotspotBuild

NIGHTLY_AT = dt.time(1, 0)  # local time: after the assessment's 00:30 run
LOST_AFTER = dt.timedelta(hours=6)


@task()
def rebuild_hotspots(nightly: bool = False) -> dict[str, Any]:
    """Build every hotspot again (build.build), record it, and queue the next nightly run."""
    if nightly:
        HotspotBuild.objects.filter(key="default", nightly_queued_for__lte=timezone.now()).update(nightly_queued_for=None)
    report = build.build()
    HotspotBuild.objects.update_or_create(key="default", defaults={"built_at": timezone.now(), "seconds": report.seconds})
    schedule_nightly()
    return {"orders": report.orders, "hotspots": report.hotspots, "seconds": report.seconds}


def next_nightly(now: dt.datetime | None = None) -> dt.datetime:
    local = timezone.localtime(now or timezone.now())
    at = local.replace(hour=NIGHTLY_AT.hour, minute=NIGHTLY_AT.minute, second=0, microsecond=0)
    return at if at > local else at + dt.timedelta(days=1)


def schedule_nightly(now: dt.datetime | None = None) -> bool:
    """Queue the next nightly build unless one is queued (and not lost). A backend that cannot
    run tasks later (tests, the demo) gets none. Returns whether it queued one."""
    if not rebuild_hotspots.get_backend().supports_defer:
        return False
    now = now or timezone.now()
    at = next_nightly(now)
    HotspotBuild.objects.get_or_create(key="default")
    free = Q(nightly_queued_for__isnull=True) | Q(nightly_queued_for__lt=now - LOST_AFTER)
    if not HotspotBuild.objects.filter(free, key="default").update(nightly_queued_for=at):
        return False
    transaction.on_commit(lambda: rebuild_hotspots.using(run_after=at).enqueue(nightly=True))
    return True


def on_worker_start() -> bool:
    return schedule_nightly()
