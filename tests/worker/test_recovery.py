"""`hotline db_worker` recovers tasks whose worker died (kill -9, a lost machine): a task left
RUNNING by a worker whose heartbeat has expired goes back to READY and is run again; a task
whose worker still beats is left alone; a task that has killed its worker too often is FAILED
with the reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from hotline.orders.models import TriageJob, WorkOrder
from hotline.orders.states import State
from hotline.triage import tasks
from hotline.worker import recovery
from hotline.worker.models import WorkerHeartbeat
from tests.conftest import make_order

# The worker commits and checks its connection between tasks (close_old_connections), which a
# test wrapped in one transaction cannot survive on PostgreSQL: these tests commit for real.
RUNS_THE_WORKER = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _no_delivery_threads(settings):
    # These tests are about tasks and their recovery: the outbox's delivery threads would only
    # contend with them for the test's SQLite database ("database table is locked").
    settings.HOTLINE_WORKER_DELIVERY = False


def _claimed_by(worker_id: str, *, beat_ago: dt.timedelta | None) -> DBTaskResult:
    """A triage task claimed by `worker_id`, whose last heartbeat was `beat_ago` (None: never)."""
    tasks.retrain_task.enqueue()
    task = DBTaskResult.objects.get()
    task.claim(worker_id)
    if beat_ago is not None:
        now = timezone.now()
        WorkerHeartbeat.objects.create(worker_id=worker_id, host="h", pid=1, started_at=now - beat_ago,
                                       beat_at=now - beat_ago)
    return task


@RUNS_THE_WORKER
def test_a_task_left_running_by_a_dead_worker_is_recovered_and_completes(district):
    task = _claimed_by("dead-worker", beat_ago=dt.timedelta(minutes=10))
    report = recovery.recover_lost_tasks()
    assert report.requeued == 1 and report.failed == 0
    task.refresh_from_db()
    assert task.status == "READY"
    assert not WorkerHeartbeat.objects.filter(worker_id="dead-worker").exists()

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--worker-id", "w2", verbosity=0)
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL" and task.worker_ids == ["dead-worker", "w2"]


def test_a_task_whose_worker_never_beat_is_recovered_once_its_lease_is_over(district, settings):
    task = _claimed_by("stock-worker", beat_ago=None)
    assert recovery.recover_lost_tasks().requeued == 0  # just claimed: its worker may be starting up
    DBTaskResult.objects.filter(pk=task.pk).update(
        started_at=timezone.now() - dt.timedelta(seconds=settings.HOTLINE_WORKER_LEASE_SECONDS + 1))
    assert recovery.recover_lost_tasks().requeued == 1


def test_a_task_whose_worker_still_beats_is_left_running(district):
    task = _claimed_by("live-worker", beat_ago=dt.timedelta(seconds=1))
    assert recovery.recover_lost_tasks().requeued == 0
    task.refresh_from_db()
    assert task.status == "RUNNING"


def test_a_task_that_killed_its_worker_too_often_is_failed_with_the_reason(district, settings):
    task = _claimed_by("w1", beat_ago=dt.timedelta(minutes=10))
    task.worker_ids = [f"w{i}" for i in range(settings.HOTLINE_TASK_MAX_ATTEMPTS)]
    task.save()
    WorkerHeartbeat.objects.filter(worker_id="w1").update(worker_id=task.worker_ids[-1])
    report = recovery.recover_lost_tasks()
    assert report.failed == 1
    task.refresh_from_db()
    assert task.status == "FAILED" and "heartbeat" in task.traceback


@RUNS_THE_WORKER
def test_the_worker_triages_new_orders_and_beats_while_it_runs(district):
    oid = make_order(district, category="路灯不亮", title="路灯不亮", description="东湖路路灯不亮一周了")
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--worker-id", "w3", verbosity=0)
    assert TriageJob.objects.get(order_id=oid).done_at is not None
    assert WorkOrder.objects.get(pk=oid).state == State.DISPATCHED
    assert not WorkerHeartbeat.objects.filter(worker_id="w3").exists()  # a clean exit signs off
