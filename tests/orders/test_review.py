"""审核看实效 (review by effect, issue 14 point 7): the redo reasons and the review checklist are
about whether the request was answered and resolved; completeness is checked before the reply is
sent and is no reason for redo on its own."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.errors import InvalidInput
from hotline.orders import actions, registry
from hotline.orders.actions.unit import _redo_grounds
from hotline.orders.models import Event, Review, WorkOrder
from hotline.orders.states import Action, State
from tests.orders.loop import bring_to

ALL_YES = dict.fromkeys(actions.EFFECT_QUESTIONS, True)


def _untouched(oid: int, before: WorkOrder) -> None:
    after = WorkOrder.objects.get(pk=oid)
    assert (after.state, after.event_seq, after.redo_count) == (before.state, before.event_seq, before.redo_count)
    assert not Review.objects.filter(order_id=oid).exists()


def test_审核员想以字数不足驳回_系统不允许_完整性仅作提交前提示(district):
    """周审觉得东湖路塌陷的答复“处办过程字数不够”，想以“未写明处办过程”驳回。答复提交前系统已按
    流程检查过完整性，这个理由不能单独用来驳回：系统拒绝，工单仍待审核。"""
    p = district.people
    oid = bring_to(district, State.REPLIED)
    before = WorkOrder.objects.get(pk=oid)
    for code in ("no_process", "no_outcome", "no_contact", "no_evidence"):
        with pytest.raises(InvalidInput) as exc:
            actions.do_redo(oid, actor=p["zhoushen"], reasons=[code], note="处办过程字数不足，请补充。",
                            checks={**ALL_YES, "answered": False})
        assert exc.value.code == "completeness_not_a_reason"
        assert exc.value.details["codes"] == [code]
        # nor beside an effect reason: the form reason is refused, not silently dropped
        with pytest.raises(InvalidInput):
            actions.do_redo(oid, actor=p["zhoushen"], reasons=["not_solved", code], note="未解决且字数不足。",
                            checks={**ALL_YES, "resolved": False})
    _untouched(oid, before)
    # the API's schema no longer offers them either
    with pytest.raises(InvalidInput):
        registry.parse(Action.REDO, {"reasons": ["no_process"], "note": "处办过程字数不足"})
    assert set(actions.REDO_REASONS) >= {"brush_off", "not_solved", "inconsistent", "other"}
    assert not set(actions.REDO_REASONS) & set(actions.LEGACY_REDO_REASONS)


def test_以诉求未解决且未说明原因驳回_允许并重办(district):
    """答复写得很完整，但路面并没有修好，也没说什么时候修：周审在审核要点“问题是否解决”上选“否”，
    以“诉求未解决且未说明原因和后续安排”驳回，工单回到东湖街道重办，回答留在审核和留痕里。"""
    p = district.people
    oid = bring_to(district, State.REPLIED)
    checks = {**ALL_YES, "resolved": False}
    review = actions.do_redo(oid, actor=p["zhoushen"], reasons=["not_solved"], checks=checks,
                             note="答复只说已上报，没有说明何时修复、由谁修复。")
    order = WorkOrder.objects.get(pk=oid)
    assert (order.state, order.redo_count) == (State.IN_PROGRESS, 1)
    assert review.checks == checks and review.reasons == ["not_solved"]
    event = Event.objects.filter(order_id=oid, action="redo").get()
    assert event.data["checks"] == checks and event.data["reasons"] == ["not_solved"]


def test_没有一项为否_不能驳回(district):
    """四项审核要点都答“是”却要驳回：答复在哪一点上没做到？系统要求先指出来。"""
    p = district.people
    oid = bring_to(district, State.REPLIED)
    before = WorkOrder.objects.get(pk=oid)
    with pytest.raises(InvalidInput) as exc:
        actions.do_redo(oid, actor=p["zhoushen"], reasons=["not_solved"], checks=ALL_YES, note="感觉答复不太好。")
    assert exc.value.code == "redo_without_effect"
    _untouched(oid, before)


@pytest.mark.parametrize(("reason", "no", "ok"), [
    ("not_answered", "answered", True), ("brush_off", "resolved", True), ("inconsistent", "factual", True),
    ("promise_unkept", "factual", True), ("other", "contacted", True),
    ("inconsistent", "resolved", False), ("not_solved", "contacted", False), ("not_answered", "factual", False),
])
def test_驳回理由须与回答为否的要点一致(district, reason, no, ok):
    p = district.people
    oid = bring_to(district, State.REPLIED)
    call = lambda: actions.do_redo(oid, actor=p["zhoushen"], reasons=[reason], checks={**ALL_YES, no: False},  # noqa: E731
                                   note="答复与来电人反映的情况对不上。")
    if ok:
        call()
        assert WorkOrder.objects.get(pk=oid).state == State.IN_PROGRESS
    else:
        with pytest.raises(InvalidInput) as exc:
            call()
        assert exc.value.code == "reasons_do_not_match" and exc.value.details["codes"] == [reason]
        assert WorkOrder.objects.get(pk=oid).state == State.REPLIED


def test_有一项为否仍予通过_须写明理由(district):
    """咨询类答复当场已讲清楚，没有另行联系来电人：审核员在“来电人是否被联系”上答“否”仍通过，须写明理由。"""
    p = district.people
    oid = bring_to(district, State.REPLIED)
    with pytest.raises(InvalidInput) as exc:
        actions.do_approve(oid, actor=p["zhoushen"], checks={**ALL_YES, "contacted": False}, note="")
    assert exc.value.code == "approve_needs_note"
    assert WorkOrder.objects.get(pk=oid).state == State.REPLIED
    review = actions.do_approve(oid, actor=p["zhoushen"], checks={**ALL_YES, "contacted": False},
                                note="受理时坐席已当场解答，单位答复属实。")
    assert review.checks["contacted"] is False
    assert WorkOrder.objects.get(pk=oid).state == State.AWAITING_CALLBACK


def test_an_older_client_without_checks_still_redoes_on_the_reasons_questions(district):
    oid = bring_to(district, State.REPLIED)
    review = actions.do_redo(oid, actor=district.people["zhoushen"], reasons=["brush_off", "inconsistent"],
                             note="只让来电人去法院，且与来电人所述不符。")
    assert review.checks == {"answered": False, "factual": False, "resolved": False}
    # and through the registry, as the JSON API runs it
    oid = bring_to(district, State.REPLIED)
    inp = registry.parse(Action.REDO, {"reasons": ["not_solved"], "note": "未说明后续安排。"})
    registry.run_action(Action.REDO, oid, district.people["zhoushen"], inp)
    assert Review.objects.get(order_id=oid).checks == {"resolved": False}
    oid = bring_to(district, State.REPLIED)
    inp = registry.parse(Action.APPROVE, {"answered": True, "resolved": False, "note": "已说明原因和后续安排"})
    registry.run_action(Action.APPROVE, oid, district.people["zhoushen"], inp)
    assert Review.objects.get(order_id=oid).checks == {"answered": True, "resolved": False}


@pytest.mark.parametrize("checks", [{"answered": "否"}, {"answered": 0}, {"caller_happy": False}, ["answered"], "no"])
def test_hostile_checklist_answers_are_refused_with_nothing_written(district, checks):
    oid = bring_to(district, State.REPLIED)
    before = WorkOrder.objects.get(pk=oid)
    with pytest.raises(InvalidInput):
        actions.do_redo(oid, actor=district.people["zhoushen"], reasons=["other"], checks=checks, note="其他问题说明。")
    with pytest.raises(InvalidInput):
        actions.do_approve(oid, actor=district.people["zhoushen"], checks=checks, note="其他问题说明。")
    _untouched(oid, before)
    with pytest.raises(InvalidInput):
        registry.parse(Action.REDO, {"reasons": ["other"], "note": "其他问题说明。", "answered": "false"})


@pytest.mark.parametrize("reasons", ["not_solved", None, [], ["x" * 10_000], [["not_solved"]]])
def test_hostile_reasons_are_refused(district, reasons):
    oid = bring_to(district, State.REPLIED)
    with pytest.raises(InvalidInput):
        actions.do_redo(oid, actor=district.people["zhoushen"], reasons=reasons, note="其他问题说明。",
                        checks={"resolved": False})


@settings(max_examples=200, deadline=None)
@given(reasons=st.lists(st.sampled_from([*actions.REDO_REASONS, *actions.LEGACY_REDO_REASONS]), min_size=1,
                        max_size=4),
       checks=st.dictionaries(st.sampled_from(list(actions.EFFECT_QUESTIONS)), st.booleans()))
def test_a_redo_is_accepted_exactly_when_every_reason_stands_on_a_no(reasons, checks):
    noes = {q for q, v in checks.items() if not v}
    expected = (noes and not set(reasons) & set(actions.LEGACY_REDO_REASONS)
                and all(actions.REASON_QUESTIONS[r] & noes for r in reasons))
    try:
        kept, answered = _redo_grounds(reasons, checks)
    except InvalidInput:
        assert not expected
    else:
        assert expected and kept == list(dict.fromkeys(reasons)) and answered == checks
