"""The nightly hotspot build, queued by the worker itself (pages never queue it): a starting
worker queues the next run (on_worker_start), and each run queues the one after it. The
incremental join runs all day in the outbox's governance channel (delivery.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django_tasks import task

from hotline.assessment.tasks import queue_nightly

from . import build
from .models import HotspotBuild

NIGHTLY_AT = dt.time(1, 0)  # local time: after the assessment's 00:30 run


@task()
def rebuild_hotspots(nightly: bool = False) -> dict[str, Any]:
    """Build every hotspot again (build.build), record it, and queue the next nightly run."""
    if nightly:
        HotspotBuild.objects.filter(key="default", nightly_queued_for__lte=timezone.now()).update(nightly_queued_for=None)
    report = build.build()
    HotspotBuild.objects.update_or_create(key="default", defaults={"built_at": timezone.now(), "seconds": report.seconds})
    schedule_nightly()
    return {"orders": report.orders, "hotspots": report.hotspots, "seconds": report.seconds}


def schedule_nightly(now: dt.datetime | None = None) -> bool:
    """Queue the next nightly build unless one is queued (and not lost): the assessment's
    mechanism (assessment.tasks.queue_nightly) on this app's build mark."""
    return queue_nightly(rebuild_hotspots, HotspotBuild, at=NIGHTLY_AT, now=now)


def on_worker_start() -> bool:
    return schedule_nightly()
