"""The nightly hotspot build and the daily run of the seasonal rules, queued by the worker itself
(pages never queue them): a starting worker queues the next runs (on_worker_start), and each run
queues the one after it. The incremental join runs all day in the outbox's governance channel
(delivery.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django_tasks import task

from hotline.assessment.tasks import queue_nightly

from . import build, seasonal
from .models import HotspotBuild, SeasonalRun

NIGHTLY_AT = dt.time(1, 0)  # local time: after the assessment's 00:30 run
SEASONAL_AT = dt.time(2, 0)  # local time: the seasonal rules' daily run, after the hotspot build


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


@task()
def run_seasonal_rules(nightly: bool = False) -> dict[str, Any]:
    """Generate the proactive orders of the seasonal rules due today (seasonal.run, idempotent),
    record the run, and queue tomorrow's."""
    if nightly:
        SeasonalRun.objects.filter(key="default", nightly_queued_for__lte=timezone.now()).update(nightly_queued_for=None)
    report = seasonal.run()
    SeasonalRun.objects.update_or_create(key="default", defaults={"ran_at": timezone.now()})
    schedule_seasonal()
    return {"day": report.day.isoformat(), "created": report.created, "existing": report.existing}


def schedule_seasonal(now: dt.datetime | None = None) -> bool:
    """Queue the next daily seasonal run unless one is queued (and not lost)."""
    return queue_nightly(run_seasonal_rules, SeasonalRun, at=SEASONAL_AT, now=now)


def on_worker_start() -> bool:
    """A starting worker queues the nightly hotspot build and the daily seasonal run (each at most
    once, however many workers start); returns whether it queued the build."""
    queued = schedule_nightly()
    schedule_seasonal()
    return queued
