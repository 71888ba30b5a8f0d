"""`hotline demo`: every state of the loop, the scenarios, and --if-empty."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hotline.demo import scenarios
from hotline.directory.models import StaffPhone
from hotline.orders.models import (
    Callback,
    Event,
    ExtensionRequest,
    Note,
    OrderReturn,
    Review,
    WorkOrder,
)
from hotline.orders.states import State
from hotline.orders.trace import verify_all
from tests.conftest import make_order


@pytest.fixture
def demo_output(db) -> str:
    out = StringIO()
    call_command("demo", "--orders", "150", "--seed", "7", "--taxonomy", "", stdout=out)
    return out.getvalue()


def test_it_builds_orders_in_every_state_with_an_intact_trace(demo_output):
    states = set(WorkOrder.objects.values_list("state", flat=True))
    assert states == {s.value for s in State}
    assert WorkOrder.objects.count() == 150
    received = list(WorkOrder.objects.values_list("received_at", flat=True))
    assert max(received) - min(received) > dt.timedelta(days=45)
    assert list(verify_all()) == []
    assert "hotline123" in demo_output and "chengang" in demo_output and "派单员" in demo_output


def test_it_plays_all_nine_scenarios(demo_output):
    # 1. a one-line reply rejected for redo, answered properly the second time
    redo = Review.objects.get(decision="redo", reply__process__contains=scenarios.BRUSH_OFF)
    assert "brush_off" in redo.reasons
    assert redo.order.replies.count() == 2 and redo.order.state == State.CLOSED
    # 2. the airport returns flight-path noise as beyond its authority; escalated to the CAAC
    noise = WorkOrder.objects.get(category__name="航空器噪声", lead_unit__code="caac")
    assert noise.outside_authority
    assert noise.returns.get().kind == "no_authority" and noise.returns.get().outcome == "escalated"
    # 3. heating pushed back twice; the second return rejected on the responsibility list
    heating = WorkOrder.objects.get(category__name="新建小区未供暖")
    outcomes = list(heating.returns.order_by("at").values_list("unit__code", "outcome"))
    assert outcomes == [("housing", "accepted"), ("enforcement", "rejected")]
    assert heating.returns.get(outcome="rejected").decision_rule is not None
    assert heating.lead_unit.code == "enforcement"
    # 4. wage arrears: an extension approved, the reply clock moved
    ext = ExtensionRequest.objects.get(status="approved", order__category__name="拖欠农民工工资")
    assert ext.new_due > ext.old_due and ext.order.reply_due == ext.new_due
    # 5. staff phones call in trivial requests to one unit and rate them satisfied
    staff = set(StaffPhone.objects.filter(unit__code=scenarios.GAMING_UNIT).values_list("phone", flat=True))
    friendly = Callback.objects.filter(order__caller_phone__in=staff, unit__code=scenarios.GAMING_UNIT)
    assert friendly.count() >= 5 and set(friendly.values_list("satisfaction", flat=True)) == {"satisfied"}
    assert friendly.filter(resolved=False).exists()
    assert Event.objects.filter(action="claim", order__caller_phone__in=staff).exists()
    # 6. a private contract dispute screened out with advice
    court = WorkOrder.objects.get(category__name="私人合同纠纷")
    assert court.state == State.SCREENED_OUT and court.screen_reason == "litigation"
    assert "法院" in Note.objects.get(order=court, kind="screening").text
    # 7. thirty pothole reports within two days, merged into the first; every caller called back
    main = WorkOrder.objects.get(address=scenarios.POTHOLE_ADDRESS, main_order__isnull=True)
    merged = WorkOrder.objects.filter(main_order=main)
    assert merged.count() == 29 and set(merged.values_list("state", flat=True)) == {State.MERGED}
    times = [main.received_at, *merged.values_list("received_at", flat=True)]
    assert max(times) - min(times) <= dt.timedelta(days=2)
    assert Callback.objects.filter(order__in=[main, *merged], reached=True).count() == 30
    # 8. one caller every day for a month, each order linked to the one before
    dog = list(WorkOrder.objects.filter(caller_phone=scenarios.DOG_CALLER[1]).order_by("received_at"))
    assert len(dog) == 30
    assert [o.repeat_of_id for o in dog[1:]] == [o.pk for o in dog[:-1]]
    # 9. a cluster of restaurant fumes complaints on one commercial street
    fumes = WorkOrder.objects.filter(category__name="餐饮油烟噪声", address__contains=scenarios.FUMES_STREET)
    assert fumes.count() >= 20


def test_it_plays_the_unreasonable_requests_of_issue_14(demo_output):
    from hotline.orders.models import CallerMark, UnreasonableReport
    from hotline.orders.selectors import active_marks

    calls = list(WorkOrder.objects.filter(caller_phone=scenarios.LIFT_CALLER[1]).order_by("received_at"))
    assert [o.state for o in calls] == ["closed", "closed", "closed", "received"]
    assert calls[2].unreasonable and not calls[1].unreasonable
    mark = CallerMark.objects.get(order=calls[2])
    assert list(active_marks(scenarios.LIFT_CALLER[1])) == [mark]  # today's call shows it
    assert sorted(UnreasonableReport.objects.values_list("status", flat=True)) == ["pending", "rejected", "upheld"]
    upheld = Event.objects.get(order=calls[2], action="uphold_unreasonable")
    reported = Event.objects.get(order=calls[2], action="report_unreasonable")
    assert reported.at < upheld.at < calls[2].closed_at  # each step at its own time
    assert list(verify_all()) == []


def test_it_only_prints_the_logins_when_orders_exist_with_if_empty(district):
    make_order(district)
    out = StringIO()
    call_command("demo", "--if-empty", "--taxonomy", "", stdout=out)
    assert WorkOrder.objects.count() == 1
    assert "跳过生成" in out.getvalue() and "wangfang" in out.getvalue()
    with pytest.raises(CommandError, match="已有工单"):
        call_command("demo", "--taxonomy", "", stdout=StringIO())
    assert WorkOrder.objects.count() == 1
    assert OrderReturn.objects.count() == 0


def test_it_reuses_a_district_that_exists_without_orders(district):
    out = StringIO()
    call_command("demo", "--orders", "0", "--taxonomy", "", stdout=out)
    assert WorkOrder.objects.filter(state=State.MERGED).count() == 29
    out2 = StringIO()
    call_command("demo", "--if-empty", "--taxonomy", "", stdout=out2)
    assert "跳过生成" in out2.getvalue()


def test_a_new_checkout_without_the_taxonomy_file_hears_nothing_about_it(db, tmp_path, monkeypatch):
    from hotline.demo.management.commands import demo

    monkeypatch.setattr(demo, "DEFAULT_TAXONOMY", tmp_path / "not-here" / "taxonomy.csv")
    out = StringIO()
    call_command("demo", "--orders", "0", stdout=out)
    assert "taxonomy" not in out.getvalue() and "分类文件" not in out.getvalue()
    assert "演示账号" in out.getvalue()


def test_a_taxonomy_file_named_but_missing_is_reported_with_what_to_do(db, tmp_path):
    out = StringIO()
    call_command("demo", "--orders", "0", "--taxonomy", str(tmp_path / "mine.csv"), stdout=out)
    said = out.getvalue()
    assert "mine.csv" in said and "--taxonomy" in said


def test_the_demo_ships_deadline_rules_and_its_orders_keep_the_version_they_were_dispatched_under(demo_output):
    from hotline.directory.models import DeadlineRule

    wages = list(DeadlineRule.objects.filter(category__path="劳动和社会保障/工资福利").order_by("version"))
    assert [(r.reply_amount, r.kind, r.version) for r in wages] == [(10, "limit", 1), (15, "standing", 2)]
    assert wages[0].effective_to == wages[1].effective_from and wages[1].effective_to is None
    assert wages[1].approved_by and wages[1].approved_on and wages[1].basis
    assert DeadlineRule.objects.filter(category__path="城乡建设/房屋质量", reply_amount=15).exists()
    assert set(DeadlineRule.objects.filter(reply_unit="hours").values_list("category__path", flat=True)) == {
        "城乡建设/供暖", "公共服务/供水"}
    # scenario 4's wage arrears order was dispatched under the standing 15 working days
    wage_order = WorkOrder.objects.get(title__contains="湖畔雅苑装修队拖欠")
    assert wage_order.deadline_rule == wages[1]
    # heating and water orders dispatched in the demo carry their 24-hour rule
    assert WorkOrder.objects.filter(deadline_rule__reply_unit="hours").exists()


def test_the_fumes_street_is_a_governance_task_with_a_proactive_inspection(demo_output):
    from hotline.governance import task_actions
    from hotline.governance.models import GovernanceTask, SeasonalRule

    task = GovernanceTask.objects.get(title__contains=scenarios.FUMES_STREET)
    assert task.state == "active" and task_actions.verify(task)
    done, waiting = list(task.measures.order_by("seq"))
    assert done.done_at is not None and done.progress.exists() and waiting.done_at is None
    proactive = task.links.get(proactive=True).order
    assert (proactive.source, proactive.source_ref, proactive.caller_phone) == ("task", task.pk, "")
    assert task.started_at < proactive.received_at < task.events.order_by("-seq").first().at + dt.timedelta(seconds=1)
    rule = SeasonalRule.objects.get(name="供暖前排查")
    assert rule.active and set(rule.categories.values_list("name", flat=True)) == {"室温不达标", "新建小区未供暖"}
