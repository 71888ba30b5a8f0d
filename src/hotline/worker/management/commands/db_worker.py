"""`hotline db_worker`: django-tasks-db's worker, plus what it lacks to survive a crash.

- A heartbeat (hotline.worker.models.WorkerHeartbeat) written from a thread every
  HOTLINE_WORKER_BEAT_SECONDS, so other workers can tell this one is alive.
- The recovery sweep (hotline.worker.recovery) at start and every lease period: tasks left
  RUNNING by a dead worker are run again.
- The triage queue: when no task is ready, the worker triages orders waiting in it
  (hotline.triage.tasks.triage_pending), so a new order is triaged within a poll interval.
- The outbox: one delivery thread per registered channel (hotline.outbox), each with its own
  database connection, so a city platform that is down never delays notifications or tasks.
- The notification scan: due-soon and overdue orders every HOTLINE_NOTIFY_SCAN_SECONDS, the
  early warnings hourly (hotline.notify.delivery.scan_loop), in a thread of its own.
- The assessment's own schedule, at start: the nightly refresh of the daily aggregates queued,
  and a catch-up queued at once when past days are not built (assessment.tasks.on_worker_start);
  pages never queue it; the same for the nightly hotspot build (governance.tasks).
- Supervision: every HOTLINE_SUPERVISION_SCAN_SECONDS the escalation of missed supervisions is
  queued as a task (orders.tasks.escalate_missed_supervisions; idempotent, so several workers
  queueing it escalate each supervision once).
- Hotspots: each new order is joined in the outbox's governance channel (governance.delivery).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.utils import OperationalError
from django.utils import timezone
from django_tasks_db.management.commands import db_worker as base
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from hotline import outbox
from hotline.assessment.tasks import on_worker_start
from hotline.governance.tasks import on_worker_start as governance_on_worker_start
from hotline.notify.delivery import scan_loop
from hotline.orders.tasks import escalate_missed_supervisions
from hotline.triage.tasks import triage_pending
from hotline.worker.models import WorkerHeartbeat
from hotline.worker.recovery import recover_lost_tasks

log = logging.getLogger("hotline.worker")
PRUNE_EVERY = 3600.0  # seconds between two prunings of the outbox


class HotlineWorker(base.Worker):
    def run(self) -> None:
        self._register()
        stop = threading.Event()
        threads = [threading.Thread(target=self._beat, args=(stop,), name="heartbeat", daemon=True)]
        if settings.HOTLINE_WORKER_DELIVERY:
            threads += [threading.Thread(target=deliver_loop, args=(name, stop), name=f"outbox-{name}", daemon=True)
                        for name in sorted(outbox.channels())]
            threads.append(threading.Thread(target=scan_loop, args=(stop,), name="notify-scan", daemon=True))
        for thread in threads:
            thread.start()
        last_sweep = 0.0
        last_prune = -PRUNE_EVERY
        last_supervision = -float(settings.HOTLINE_SUPERVISION_SCAN_SECONDS)
        try:
            while self.running:
                close_old_connections()
                if time.monotonic() - last_sweep >= settings.HOTLINE_WORKER_LEASE_SECONDS:
                    last_sweep = time.monotonic()
                    report = recover_lost_tasks()
                    if report.requeued or report.failed:
                        log.warning("recovered tasks of dead workers: %s", report)
                if time.monotonic() - last_prune >= PRUNE_EVERY:
                    last_prune = time.monotonic()
                    pruned = outbox.prune()
                    if pruned:
                        log.info("deleted %d outbox rows delivered long ago", pruned)
                if time.monotonic() - last_supervision >= settings.HOTLINE_SUPERVISION_SCAN_SECONDS:
                    last_supervision = time.monotonic()
                    escalate_missed_supervisions.enqueue()
                task_result = self._claim()
                if task_result is not None:
                    self.run_task(task_result)
                worked = task_result is not None or (self.running and triage_pending() > 0)
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    return
                if self.batch and not worked:
                    return
                close_old_connections()
                if self.running and not worked:
                    time.sleep(self.interval)
        finally:
            stop.set()
            # Each thread closes its own connection as it ends: wait for them (a round in progress
            # finishes), so none is left open on the database when the worker returns.
            for thread in threads:
                thread.join(timeout=settings.HOTLINE_WORKER_BEAT_SECONDS + 10)
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()

    def _claim(self) -> DBTaskResult | None:
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        try:
            with exclusive_transaction(tasks.db):
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
                return task_result
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return None
            raise

    def _register(self) -> None:
        now = timezone.now()
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"host": socket.gethostname()[:255], "pid": os.getpid(), "started_at": now, "beat_at": now},
        )

    def _beat(self, stop: threading.Event) -> None:
        # Its own thread and connection: a long task must not look like a dead worker.
        while not stop.wait(settings.HOTLINE_WORKER_BEAT_SECONDS):
            try:
                if not WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(beat_at=timezone.now()):
                    log.warning("worker %s was taken for dead; registering again", self.worker_id)
                    self._register()
            except Exception:  # noqa: BLE001 - a missed beat is retried; the lease allows several
                log.exception("heartbeat of %s failed", self.worker_id)
            finally:
                connection.close()


def deliver_loop(channel: str, stop: threading.Event) -> None:
    """Deliver one outbox channel until `stop` is set: a round after another while there is work,
    a short sleep when a round delivered nothing (nothing due, or the receiver failing: the rows'
    own backoff decides when they are tried again)."""
    idle = settings.HOTLINE_OUTBOX_POLL_SECONDS
    try:
        while not stop.is_set():
            delivered = 0
            try:
                close_old_connections()
                delivered = outbox.deliver_due(channel)
            except Exception:  # noqa: BLE001 - a database hiccup: the next round tries again
                log.exception("outbox delivery round of %s failed", channel)
                connection.close()
            if not delivered:
                stop.wait(idle)
    finally:
        connection.close()


class Command(base.Command):
    help = "Run the background worker (tasks, the triage queue, recovery of tasks of dead workers, the assessment's nightly schedule)"

    def handle(self, *args: Any, **options: Any) -> None:
        # The stock command builds its own Worker; ours is put in its place for this run.
        on_worker_start()
        governance_on_worker_start()  # the nightly hotspot build
        original = base.Worker
        base.Worker = HotlineWorker  # type: ignore[misc]
        try:
            super().handle(*args, **options)
        finally:
            base.Worker = original  # type: ignore[misc]
