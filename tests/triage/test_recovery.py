"""Triage survives a crash: each order is triaged completely or not at all, a rerun finishes an
order that was not finished and leaves a finished one alone, and a new order waits in the
triage queue (written in the order's own transaction) until a worker has triaged it."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection

from hotline.orders import actions, trace
from hotline.orders.models import Event, TriageJob, WorkOrder
from hotline.orders.states import State
from hotline.triage import pipeline, tasks
from hotline.triage.models import DecisionKind, TriageDecision
from tests.conftest import make_order
from tests.race import race


def _lamp(district, **kw) -> int:
    # A street lamp in 东湖: the responsibility list names the unit, so triage dispatches it.
    return make_order(district, category="路灯不亮", title="路灯不亮", description="东湖路路灯不亮一周了", **kw)


def test_it_queues_a_new_order_for_triage_in_the_intake_transaction(district):
    oid = _lamp(district)
    job = TriageJob.objects.get(order_id=oid)
    assert job.done_at is None and job.attempts == 0
    assert not TriageDecision.objects.filter(order_id=oid).exists()


def test_it_does_not_queue_imported_history(district):
    result = actions.do_create_many([actions.Intake(title="旧工单", description="历史导入的工单内容", channel="import")],
                                    actor=district.people["wangfang"])
    assert not TriageJob.objects.filter(order__in=result.created).exists()


def test_the_sweep_triages_every_waiting_order_and_marks_it_done(district):
    ids = [_lamp(district, caller_phone=f"1381234{i:04d}") for i in range(3)]
    assert tasks.triage_pending() == 3
    assert all(job.done_at is not None for job in TriageJob.objects.filter(order_id__in=ids))
    assert WorkOrder.objects.get(pk=ids[0]).state == State.DISPATCHED
    assert tasks.triage_pending() == 0


def test_a_half_triaged_order_leaves_nothing_and_is_finished_by_the_rerun(district):
    oid = _lamp(district)
    with mock.patch.object(actions, "do_dispatch", side_effect=RuntimeError("worker killed")), \
            pytest.raises(RuntimeError):
        pipeline.triage_order(oid)
    # Complete or nothing: no decision and no note survive the failed attempt.
    assert not TriageDecision.objects.filter(order_id=oid).exists()
    assert not Event.objects.filter(order_id=oid).exclude(action="create").exists()
    assert TriageJob.objects.get(order_id=oid).done_at is None

    made = pipeline.triage_order(oid)
    assert {d.kind for d in made} >= {DecisionKind.ROUTED, DecisionKind.AUTO_DISPATCHED}
    order = WorkOrder.objects.get(pk=oid)
    assert order.state == State.DISPATCHED and order.lead_unit == district.units["enforcement"]
    assert TriageJob.objects.get(order_id=oid).done_at is not None
    assert list(trace.verify_all()) == []


def test_a_failed_attempt_is_counted_and_retried_by_the_sweep(district):
    oid = _lamp(district)
    with mock.patch.object(actions, "do_dispatch", side_effect=RuntimeError("boom")):
        assert tasks.triage_pending() == 0
    job = TriageJob.objects.get(order_id=oid)
    assert job.attempts == 1 and "boom" in job.last_error and job.done_at is None
    job.claimed_until = None  # the back-off has passed
    job.save()
    assert tasks.triage_pending() == 1
    assert WorkOrder.objects.get(pk=oid).state == State.DISPATCHED


def test_a_completed_order_is_untouched_by_a_rerun(district):
    oid = _lamp(district)
    first = pipeline.triage_order(oid)
    assert first
    decisions = TriageDecision.objects.filter(order_id=oid).count()
    events = Event.objects.filter(order_id=oid).count()
    job = TriageJob.objects.get(order_id=oid)
    job.claimed_until = None
    job.save()
    assert pipeline.triage_order(oid) == []
    assert tasks.triage_order_task.call(oid) == 0
    assert tasks.triage_pending() == 0
    assert TriageDecision.objects.filter(order_id=oid).count() == decisions
    assert Event.objects.filter(order_id=oid).count() == events


def test_an_order_a_person_dispatched_first_is_marked_done_without_decisions(district):
    oid = _lamp(district)
    actions.do_dispatch(oid, actor=district.people["chengang"], unit_id=district.units["enforcement"].pk)
    assert pipeline.triage_order(oid) == []
    assert TriageJob.objects.get(order_id=oid).done_at is not None
    assert not TriageDecision.objects.filter(order_id=oid).exists()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two workers race only on PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_triaging_one_order_at_once_triage_it_once(district):
    oid = _lamp(district)
    out = race([lambda: pipeline.triage_order(oid)] * 4)
    assert [o for o in out if isinstance(o, Exception)] == []
    assert sorted(len(o) for o in out)[:3] == [0, 0, 0]  # type: ignore[arg-type]
    assert TriageDecision.objects.filter(order_id=oid, kind=DecisionKind.ROUTED).count() == 1
    assert Event.objects.filter(order_id=oid, action="dispatch").count() == 1
