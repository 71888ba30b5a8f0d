"""Recovery of tasks whose worker died: django-tasks-db marks a claimed task RUNNING and has no
lease, so a worker killed with -9 (or a machine lost) would leave it RUNNING forever.

Every worker runs this sweep when it starts and every lease period while it runs. A RUNNING
task whose worker has no fresh heartbeat goes back to READY (its worker_ids keep the history,
so their count is the attempt count); after HOTLINE_TASK_MAX_ATTEMPTS it is FAILED with the
reason instead, so a task that kills its worker cannot loop for ever. Each change is a
conditional UPDATE on (status, started_at): two workers sweeping at once, or a worker claiming
the task again in between, never both win. The tasks themselves are idempotent (triage marks
each order done in the order's own transaction), so a task run again after a false alarm
(a worker that stalled past its lease) does no harm."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .models import WorkerHeartbeat


@dataclass
class RecoveryReport:
    requeued: int = 0
    failed: int = 0


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.HOTLINE_WORKER_LEASE_SECONDS)


def recover_lost_tasks(*, now: dt.datetime | None = None) -> RecoveryReport:
    """Return the RUNNING tasks of dead workers to the queue (or fail them after too many tries)."""
    now = now or timezone.now()
    expired = now - lease()
    beats = dict(WorkerHeartbeat.objects.values_list("worker_id", "beat_at"))
    report = RecoveryReport()
    for task in DBTaskResult.objects.running().only("id", "worker_ids", "started_at"):
        worker = task.worker_ids[-1] if task.worker_ids else ""
        beat = beats.get(worker)
        if beat is not None and beat >= expired:
            continue  # its worker is alive
        if beat is None and task.started_at is not None and task.started_at >= expired:
            continue  # a worker without a heartbeat row yet (starting up, or a stock worker): give it a lease
        claim = DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING, started_at=task.started_at)
        if len(task.worker_ids) >= settings.HOTLINE_TASK_MAX_ATTEMPTS:
            report.failed += claim.update(
                status=TaskResultStatus.FAILED, finished_at=now, return_value=None,
                exception_class_path="hotline.worker.recovery.WorkerLost",
                traceback=(f"The worker running this task stopped its heartbeat {len(task.worker_ids)} times "
                           f"(workers {', '.join(task.worker_ids)}); given up."),
            )
        else:
            report.requeued += claim.update(status=TaskResultStatus.READY)
    WorkerHeartbeat.objects.filter(beat_at__lt=expired).delete()
    return report
