"""triage_order: suggestions, routing, automatic dispatch, idempotence, the intake hook, review,
retraining and the intake helper."""

from __future__ import annotations

import pytest

from hotline.errors import InvalidInput, NotAllowed
from hotline.orders import actions
from hotline.orders.actions import Intake
from hotline.orders.models import Event, WorkOrder
from hotline.orders.states import State
from hotline.triage import pipeline, services, tasks, training
from hotline.triage.models import DecisionKind, ReviewOutcome, TriageDecision
from hotline.triage.textmodel import TextClassifier
from tests.conftest import make_order

from .conftest import PHRASES, generated_rows


def test_an_agent_categorised_order_is_dispatched_by_the_responsibility_list(district):
    oid = make_order(district, category="路灯不亮", title="路灯不亮", description="东湖路路灯不亮一周了")
    pipeline.triage_order(oid)
    order = WorkOrder.objects.get(pk=oid)
    assert order.state == State.DISPATCHED and order.lead_unit == district.units["enforcement"]
    event = Event.objects.get(order=order, action="dispatch")
    assert event.actor.username == "system" and event.actor_role == "system"
    assert event.data["confidence"] == 1.0 and district.rules["路灯不亮"].label in event.data["note"]
    auto = TriageDecision.objects.get(order=order, kind=DecisionKind.AUTO_DISPATCHED)
    assert auto.payload["basis"] == "rule" and auto.payload["rule"] == district.rules["路灯不亮"].pk


def test_a_model_category_is_suggested_and_dispatched_only_above_the_threshold(district, category_model, settings):
    settings.HOTLINE_AUTO_DISPATCH_CONFIDENCE = 0.9
    doubtful = make_order(district, category=None, title="反映问题", description="幸福里的情况请关注一下，谢谢")
    pipeline.triage_order(doubtful)
    order = WorkOrder.objects.get(pk=doubtful)
    assert order.state == State.RECEIVED and order.category is None  # waits on the board, with a suggestion
    classified = TriageDecision.objects.get(order=order, kind=DecisionKind.CLASSIFIED)
    assert classified.confidence < 0.9 and classified.payload["top_words"]
    routed = TriageDecision.objects.get(order=order, kind=DecisionKind.ROUTED)
    assert routed.payload["unit"] is not None and routed.confidence == classified.confidence
    assert services.board_suggestions([WorkOrder.objects.get(pk=doubtful)])[doubtful].unit_id == routed.payload["unit"]

    settings.HOTLINE_AUTO_DISPATCH_CONFIDENCE = 0.3
    clear = make_order(district, category=None, title="停水", description="南苑小区停水了，没有自来水")
    pipeline.triage_order(clear)
    order = WorkOrder.objects.get(pk=clear)
    assert order.state == State.DISPATCHED and order.category == district.categories["停水"]
    model_confidence = TriageDecision.objects.get(order=order, kind=DecisionKind.CLASSIFIED).confidence
    assert Event.objects.get(order=order, action="dispatch").data["confidence"] == model_confidence >= 0.3


def test_the_machine_never_overwrites_the_agents_category(district, category_model):
    oid = make_order(district, category="路灯不亮", title="反映问题", description="幸福里小区停水，水龙头不出水")
    pipeline.triage_order(oid)
    order = WorkOrder.objects.get(pk=oid)
    assert order.category == district.categories["路灯不亮"]
    assert order.lead_unit == district.units["enforcement"]
    suggestion = TriageDecision.objects.get(order=order, kind=DecisionKind.CLASSIFIED)
    assert suggestion.payload["category"] == district.categories["停水"].pk
    assert suggestion.payload["agent_category"] == district.categories["路灯不亮"].pk


def test_without_a_rule_the_router_model_decides_and_says_so(district, model_dir):
    oid = make_order(district, category="入学咨询", title="入学", description="孩子小学报名需要什么材料")
    pipeline.triage_order(oid)
    routed = TriageDecision.objects.get(order_id=oid, kind=DecisionKind.ROUTED)
    assert routed.payload["basis"] == "none" and WorkOrder.objects.get(pk=oid).state == State.RECEIVED

    units = {"入学咨询": district.units["street-a"].pk, "停水": district.units["water"].pk}
    rows = [(services.router_text(PHRASES[n][0], "东湖街道", "", t), str(units[n]))
            for t, n, _p in generated_rows(n_per_class=15) if n in units]
    router = TextClassifier().fit([r[0] for r in rows], [r[1] for r in rows])
    training.save_model(router, model_dir / services.ROUTER_MODEL, kind="router")
    other = make_order(district, category="入学咨询", title="入学", description="东湖路附近孩子小学报名")
    decision = services.route(WorkOrder.objects.get(pk=other))
    assert decision.basis == "model" and decision.unit_id == district.units["street-a"].pk
    assert decision.rule_id is None and "模型建议" in decision.reason_text and decision.confidence > 0


def test_flags_keep_an_order_from_automatic_dispatch(district):
    oid = make_order(district, category="路灯不亮", title="路灯", description="路灯不亮，你们这些狗官什么都不管")
    pipeline.triage_order(oid)
    assert WorkOrder.objects.get(pk=oid).state == State.RECEIVED
    assert TriageDecision.objects.filter(order_id=oid, kind=DecisionKind.FLAG, code="malicious").exists()


def test_triage_is_idempotent_and_leaves_handled_orders_alone(district):
    oid = make_order(district, category="路灯不亮")
    first = pipeline.triage_order(oid)
    assert first and pipeline.triage_order(oid) == []
    other = make_order(district, category="路灯不亮")
    actions.do_dispatch(other, actor=district.people["chengang"], unit_id=district.units["enforcement"].pk)
    assert pipeline.triage_order(other) == [] and pipeline.triage_order(999999) == []


def test_intake_queues_triage_for_the_worker_but_not_for_imported_history(district):
    oid = make_order(district, category="路灯不亮")
    assert tasks.triage_pending() == 1
    assert WorkOrder.objects.get(pk=oid).state == State.DISPATCHED
    result = actions.do_create_many([Intake(title="旧工单", description="历史导入的工单内容", channel="import")],
                                    actor=district.people["wangfang"])
    assert tasks.triage_pending() == 0 and not TriageDecision.objects.filter(order__in=result.created).exists()


def test_review_records_corrections_as_training_data(district, category_model):
    agent = district.people["wangfang"]
    oid = make_order(district, category=None, title="反映", description="东湖路路灯坏了，晚上没有照明")
    pipeline.triage_order(oid)
    d = TriageDecision.objects.get(order_id=oid, kind=DecisionKind.CLASSIFIED)
    with pytest.raises(NotAllowed):
        pipeline.review_decision(d.pk, actor=district.people["liqiang"], outcome="accept")
    with pytest.raises(InvalidInput):
        pipeline.review_decision(d.pk, actor=agent, outcome=ReviewOutcome.CORRECT, correction={})
    fixed = pipeline.review_decision(d.pk, actor=agent, outcome=ReviewOutcome.CORRECT,
                                     correction={"category": district.categories["停水"].pk})
    assert fixed.correction["path"] == "公共服务/供水/停水" and fixed.reviewed_by == agent
    with pytest.raises(InvalidInput):
        pipeline.review_decision(d.pk, actor=agent, outcome=ReviewOutcome.ACCEPT)
    texts, cats, _r, _u = pipeline.training_rows()
    assert cats.count("公共服务/供水/停水") == 1 and "路灯坏了" in texts[cats.index("公共服务/供水/停水")]


def test_retraining_from_orders_makes_a_new_active_model(district, model_dir):
    for i, (text, name, _path) in enumerate(generated_rows(n_per_class=4, seed=5)):
        oid = make_order(district, category=name, title=text[:10], description=text, caller_phone=f"1350000{i:04d}")
        pipeline.triage_order(oid)
    report = pipeline.retrain_from_orders(min_rows=5)
    assert report["category"]["trained"] is False  # nothing closed or corrected yet
    assert report["router"]["trained"] is True and report["router"]["classes"] >= 2
    assert services.active_model(services.ROUTER_MODEL) is not None


def test_suggest_gives_the_intake_form_category_unit_repeats_and_flags(district, category_model):
    earlier = make_order(district, category="停水", description="幸福里小区停水，水龙头不出水", caller_phone="13655556666")
    out = services.suggest("停水", "幸福里小区又停水了，水龙头不出水", "136 5555 6666", district.areas["east-lake"].pk)
    assert out["category"]["id"] == district.categories["停水"].pk and out["category_id"] == out["category"]["id"]
    assert out["unit"]["id"] == district.units["water"].pk and out["unit"]["basis"] == "rule"
    assert [r["order_id"] for r in out["repeats"]] == [earlier]
    assert out["flags"] == []
    odd = services.suggest("", "🐶" * 10, "not a phone", "no-such-area")
    assert odd["unit"] is None and odd["repeats"] == []


def test_suggest_without_a_model_still_helps(district):
    out = services.suggest("着火", "楼道里着火了", "", None)
    assert out["category"] is None and out["category_id"] is None
    assert [f["code"] for f in out["flags"]] == ["emergency"]
