"""Demo scenario 12 (issue 14): on a fresh demo the units' side has content: joint parts replied
and gathered or overdue and urged, an upheld appeal of a redo and one waiting, a supervision
answered on time and one escalated to the city; the centre's lists show them."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from hotline.demo import scenarios
from hotline.orders.models import CoPart, OrderAppeal, Supervision, WorkOrder
from hotline.outbox.models import OutboxMessage


@pytest.mark.django_db
def test_the_demo_district_shows_joint_parts_appeals_and_supervision(tmp_path):
    out = io.StringIO()
    call_command("demo", orders=80, seed=5, taxonomy=str(tmp_path / "none.csv"), stdout=out)
    titles = set(WorkOrder.objects.values_list("title", flat=True))
    assert {"北山镇工地拖欠农民工工资", "东湖路人行道地砖塌陷", "西城小区反复停水", "南苑工地夜间施工噪声"} <= titles

    wages = WorkOrder.objects.filter(title="北山镇工地拖欠农民工工资").order_by("received_at")
    done, late = CoPart.objects.get(order=wages[0]), CoPart.objects.get(order=wages[1])
    assert wages[0].state == "closed" and done.state == "replied" and done.gathered_by_id is not None
    assert done.replied_at <= done.due
    assert late.state == "assigned" and late.urge_count == 1 and late.due < wages[1].events.last().at

    upheld = OrderAppeal.objects.get(order__title="东湖路人行道地砖塌陷")
    assert (upheld.kind, upheld.status) == ("redo", "upheld") and upheld.review.overturned_at is not None
    waiting = OrderAppeal.objects.get(order__title="湖滨路窨井盖破损")
    assert (waiting.kind, waiting.status) == ("callback", "pending")

    answered = Supervision.objects.get(order__title="西城小区反复停水")
    assert answered.state == "closed" and answered.feedback_at is not None
    missed = Supervision.objects.get(order__title="南苑工地夜间施工噪声")
    assert missed.state == "escalated" and missed.escalation == "missed" and missed.feedback_at is None
    assert OutboxMessage.objects.filter(dedupe_key=f"supervision-escalated:{missed.pk}").exists()

    supervisor = Client()
    supervisor.force_login(scenarios_person("liudu"))
    page = supervisor.get("/appeals/").content.decode()
    assert waiting.order.number in page
    page = supervisor.get("/supervision/?tab=escalated").content.decode()
    assert missed.order.number in page


def scenarios_person(username):
    from hotline.directory.models import User
    return User.objects.get(username=username)


def test_scenario_12_is_played():
    assert scenarios.SCENARIOS[12] is scenarios.grassroots_voice
