"""review_decision is one transaction with the decision row locked: the verdict and the action it
takes (a screen-out, an undone merge) are kept together or not at all, and of two people
reviewing one decision at once exactly one wins."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection

from hotline.errors import InvalidInput
from hotline.orders import trace
from hotline.orders.models import Event, WorkOrder
from hotline.orders.states import State
from hotline.triage import pipeline
from hotline.triage.models import DecisionKind, ReviewOutcome, TriageDecision
from tests.conftest import make_order
from tests.race import race

ADVICE = "属民事合同纠纷，请向人民调解委员会申请调解或向人民法院起诉。"


def _litigation_flag(district) -> TriageDecision:
    oid = make_order(district, category="私人合同纠纷", title="和邻居的合同纠纷",
                     description="我和邻居签了借款合同，他借钱不还，要求热线帮我判决，让他还钱。")
    pipeline.triage_order(oid)
    return TriageDecision.objects.get(order_id=oid, kind=DecisionKind.FLAG, code="litigation")


def test_a_verdict_that_cannot_be_saved_undoes_the_screen_out(district):
    flag = _litigation_flag(district)
    with mock.patch.object(TriageDecision, "save", side_effect=RuntimeError("disk full")), \
            pytest.raises(RuntimeError):
        pipeline.review_decision(flag.pk, actor=district.people["wangfang"], outcome=ReviewOutcome.ACCEPT,
                                 advice=ADVICE)
    assert WorkOrder.objects.get(pk=flag.order_id).state == State.RECEIVED
    assert not Event.objects.filter(order_id=flag.order_id, action="screen_out").exists()
    flag.refresh_from_db()
    assert flag.review_outcome == "" and flag.reviewed_at is None


def test_a_refused_screen_out_leaves_the_decision_unreviewed(district):
    flag = _litigation_flag(district)
    with pytest.raises(InvalidInput):  # the advice is required
        pipeline.review_decision(flag.pk, actor=district.people["wangfang"], outcome=ReviewOutcome.ACCEPT, advice="")
    flag.refresh_from_db()
    assert flag.review_outcome == "" and WorkOrder.objects.get(pk=flag.order_id).state == State.RECEIVED


def test_a_second_review_is_refused_as_already_reviewed(district):
    flag = _litigation_flag(district)
    agent = district.people["wangfang"]
    pipeline.review_decision(flag.pk, actor=agent, outcome=ReviewOutcome.ACCEPT, advice=ADVICE)
    with pytest.raises(InvalidInput) as refused:
        pipeline.review_decision(flag.pk, actor=agent, outcome=ReviewOutcome.CORRECT, correction={"note": "错了"})
    assert refused.value.code == "already_reviewed"
    assert Event.objects.filter(order_id=flag.order_id, action="screen_out").count() == 1




@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks race only on PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_two_concurrent_corrections_one_wins_and_the_other_is_told(district, category_model):
    oid = make_order(district, category=None, title="反映", description="东湖路路灯坏了，晚上没有照明")
    pipeline.triage_order(oid)
    d = TriageDecision.objects.get(order_id=oid, kind=DecisionKind.CLASSIFIED)
    people, cats = district.people, district.categories
    calls = [
        lambda who=who, cat=cat: pipeline.review_decision(
            d.pk, actor=people[who], outcome=ReviewOutcome.CORRECT, correction={"category": cats[cat].pk})
        for who, cat in [("wangfang", "停水"), ("chengang", "路灯不亮")] * 4
    ]
    out = race(calls)
    winners = [o for o in out if isinstance(o, TriageDecision)]
    refused = [o for o in out if isinstance(o, InvalidInput)]
    assert len(winners) == 1 and len(refused) == 7, out
    assert all(r.code == "already_reviewed" for r in refused)
    d.refresh_from_db()
    assert d.reviewed_by == winners[0].reviewed_by and d.correction == winners[0].correction


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks race only on PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_two_concurrent_screen_outs_one_wins_and_the_other_is_told_it_was_reviewed(district):
    flag = _litigation_flag(district)
    calls = [lambda: pipeline.review_decision(flag.pk, actor=district.people["wangfang"],
                                              outcome=ReviewOutcome.ACCEPT, advice=ADVICE)] * 6
    out = race(calls)
    refused = [o for o in out if isinstance(o, Exception)]
    assert len(refused) == 5 and all(getattr(r, "code", "") == "already_reviewed" for r in refused), out
    assert Event.objects.filter(order_id=flag.order_id, action="screen_out").count() == 1
    assert list(trace.verify_all()) == []
