"""`hotline db_worker` queues the escalation of missed supervisions (督办逾期提请市级联合督办) and
runs it: a supervision past its deadline without feedback is escalated, once, with its outbox row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from hotline.citylink.outbound import ESCALATION_KIND
from hotline.orders import actions, clock
from hotline.orders.models import Supervision
from hotline.orders.states import State
from hotline.outbox.models import OutboxMessage
from tests.orders.loop import bring_to

# The worker commits between tasks: this test commits for real (as tests/worker/test_recovery.py).
RUNS_THE_WORKER = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _no_delivery_threads(settings):
    settings.HOTLINE_WORKER_DELIVERY = False


@RUNS_THE_WORKER
def test_the_worker_escalates_a_missed_supervision_once(district):
    d = district
    late, fine = bring_to(d, State.IN_PROGRESS), bring_to(d, State.IN_PROGRESS)
    actions.do_supervise(late, actor=d.people["liudu"], text="请1个工作日内反馈", days=1)
    actions.do_supervise(fine, actor=d.people["liudu"], text="请5个工作日内反馈", days=5)
    moment = Supervision.objects.get(order_id=late).due + dt.timedelta(hours=1)
    with clock.at(moment):
        for worker in ("s1", "s2"):  # a second worker (or a second round) escalates nothing again
            call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--worker-id", worker,
                         verbosity=0)
    states = dict(Supervision.objects.values_list("order_id", "state"))
    assert states == {late: "escalated", fine: "open"}
    assert OutboxMessage.objects.filter(channel="citylink", kind=ESCALATION_KIND).count() == 1
