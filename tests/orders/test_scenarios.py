"""Scenarios 1-4 of SCENARIOS.md, end to end through the actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from hotline.errors import InvalidInput, NotAllowed
from hotline.orders import actions, procedures, selectors, trace
from hotline.orders.models import OrderReturn, Review, WorkOrder
from hotline.orders.states import State
from tests.conftest import make_order
from tests.orders.loop import cst, frozen

WAGES = dict(category="拖欠农民工工资", area="north-hill", title="包工头拖欠工资",
             description="来电人在北山镇某工地务工三个月，包工头拖欠工资两万元，没有签订书面合同。")
BRUSH_OFF = "来电人诉求应通过法律途径解决"


def test_scenario_1_a_one_line_reply_is_refused_then_sent_back_for_redo(district):
    d, p = district, district.people
    oid = make_order(d, **WAGES)
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["housing"].pk)
    actions.do_sign(oid, actor=p["wujian"])
    profile = procedures.profile_for(WorkOrder.objects.get(pk=oid))
    # the reply page tells the unit, before it presses send, what the procedure requires
    assert [code for code, _label in procedures.checklist(profile)] == ["responder", "process", "outcome", "contact"]

    # the one-line reply is refused by the procedure check: no process, no outcome
    with pytest.raises(InvalidInput) as exc:
        actions.do_reply(oid, actor=p["wujian"], responder="吴建", process="", outcome=BRUSH_OFF)
    assert exc.value.code == "reply_incomplete"
    assert set(exc.value.details["missing"]) >= {"process", "contact"}
    assert WorkOrder.objects.get(pk=oid).state == State.IN_PROGRESS

    # padded just enough to pass the field checks, it is still a brush-off: the reviewer sends it back
    process, outcome = f"经核实，{BRUSH_OFF}", "建议来电人向法院起诉解决"
    assert procedures.looks_like_brush_off(process, outcome)
    actions.do_reply(oid, actor=p["wujian"], responder="吴建", process=process, outcome=outcome, contacted_caller=True,
                     result="explained")
    assert WorkOrder.objects.get(pk=oid).state == State.REPLIED
    actions.do_redo(oid, actor=p["zhoushen"], reasons=["brush_off", "not_solved"], note="只让来电人去法院，没有写做了什么")
    order = WorkOrder.objects.get(pk=oid)
    assert (order.state, order.redo_count) == (State.IN_PROGRESS, 1)
    review = Review.objects.get(order=order)
    assert (review.decision, review.reasons) == ("redo", ["brush_off", "not_solved"])

    # the real work, written down, passes
    process = "约谈施工单位项目经理和劳务班组长，调取考勤记录，与来电人逐日核对出工天数。"
    outcome = "施工单位确认欠薪两万元，已于本周五前通过银行转账足额支付，来电人确认收到。"
    assert not procedures.looks_like_brush_off(process, outcome)
    actions.do_reply(oid, actor=p["wujian"], responder="吴建", process=process, outcome=outcome)
    actions.do_approve(oid, actor=p["zhoushen"])
    actions.do_callback(oid, actor=p["sunhui"], contacted=True, resolved=True, satisfaction="satisfied")
    assert WorkOrder.objects.get(pk=oid).state == State.CLOSED
    assert list(trace.verify_all()) == []


def test_scenario_2_the_airport_returns_a_flight_path_complaint_and_it_is_escalated(district):
    d, p = district, district.people
    oid = make_order(d, category="航空器噪声", area="north-hill", title="飞机噪声扰民",
                     description="每天早上六点起飞机从小区上空低空飞过，噪声很大，要求调整航线。")
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["airport"].pk)
    assert WorkOrder.objects.get(pk=oid).rule_id == d.rules["航空器噪声"].pk
    actions.do_return(oid, actor=p["qianji"], kind="no_authority", reason="航线由民航管理部门审批，机场无权调整。",
                      suggested_unit_id=d.units["caac"].pk)
    actions.do_escalate(oid, actor=p["chengang"], unit_id=d.units["caac"].pk, note="超出机场权限，提交民航华北地区管理局")
    order = WorkOrder.objects.get(pk=oid)
    assert order.outside_authority is True
    assert (order.state, order.lead_unit_id) == (State.DISPATCHED, d.units["caac"].pk)
    ret = OrderReturn.objects.get(order=order)
    assert (ret.unit_id, ret.kind, ret.outcome) == (d.units["airport"].pk, "no_authority", "escalated")
    # the airport is no longer in charge: it cannot act on the order or see it
    with pytest.raises(NotAllowed):
        actions.do_sign(oid, actor=p["qianji"])
    assert selectors.order_for(p["qianji"], oid) is None
    actions.do_sign(oid, actor=p["minhang"])
    assert WorkOrder.objects.get(pk=oid).state == State.IN_PROGRESS


def test_scenario_3_heating_ping_pong_is_stopped_by_the_responsibility_list(district):
    d, p = district, district.people
    rule = d.rules["新建小区未供暖"]
    assert rule.lead_unit == d.units["enforcement"]
    oid = make_order(d, category="新建小区未供暖", area="south-park", title="新建小区没有供暖",
                     description="南苑街道新建的锦绣家园小区入住两个月，至今没有通暖气，室内只有十二度。")
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["enforcement"].pk)
    first_reply_due = WorkOrder.objects.get(pk=oid).reply_due
    for _round in range(2):
        actions.do_return(oid, actor=p["zhengzhi"], kind="not_remit",
                          reason="小区由开发商建设，配套供热未验收，应由住建委负责。", suggested_unit_id=d.units["housing"].pk)
        actions.do_reject_return(oid, actor=p["chengang"], note="权责清单规定新建小区供暖由城管执法局主办",
                                 rule_id=rule.pk)
    order = WorkOrder.objects.get(pk=oid)
    assert (order.state, order.lead_unit_id, order.return_count) == (
        State.DISPATCHED, d.units["enforcement"].pk, 2)
    # pushing the order back bought no time
    assert order.reply_due == first_reply_due
    returns = list(OrderReturn.objects.filter(order=order).order_by("at", "id"))
    assert [(r.unit_id, r.suggested_unit_id, r.outcome, r.decision_rule_id) for r in returns] == [
        (d.units["enforcement"].pk, d.units["housing"].pk, "rejected", rule.pk)] * 2
    events = [e.action for e in order.events.order_by("seq")]
    assert events == ["create", "dispatch", "return", "reject_return", "return", "reject_return"]
    actions.do_sign(oid, actor=p["zhengzhi"])
    assert WorkOrder.objects.get(pk=oid).state == State.IN_PROGRESS


@override_settings(HOTLINE_CLOCKS={
    "general": {"sign": (1, "workdays"), "contact": (1, "workdays"), "reply": (5, "workdays")},
})
def test_scenario_4_an_approved_extension_keeps_wage_arrears_from_going_overdue(district):
    d, p = district, district.people
    with frozen(cst(2026, 11, 2, 9)):  # a Monday
        oid, twin = make_order(d, **WAGES), make_order(d, **WAGES)
        for o in (oid, twin):
            actions.do_dispatch(o, actor=p["chengang"], unit_id=d.units["housing"].pk)
            actions.do_sign(o, actor=p["wujian"])
            actions.do_contact(o, actor=p["wujian"], text="已联系来电人，约定双方到场核对出工记录")
    original = WorkOrder.objects.get(pk=oid).reply_due
    assert original == cst(2026, 11, 9, 18)
    with frozen(cst(2026, 11, 6, 10)):
        actions.do_request_extension(oid, actor=p["wujian"], days=5,
                                     reason="没有书面合同，需与施工方和来电人逐日核对出工记录，五个工作日内无法完成")
        req = actions.do_approve_extension(oid, actor=p["chengang"], note="情况属实，同意延期")
    order = WorkOrder.objects.get(pk=oid)
    assert (req.status, req.old_due, req.new_due) == ("approved", original, order.reply_due)
    assert order.reply_due == cst(2026, 11, 16, 18)  # five more working days
    qs = WorkOrder.objects.all()
    between = cst(2026, 11, 10, 12)
    assert original < between < order.reply_due
    assert order not in selectors.overdue(qs, now=between)
    assert order in selectors.overdue(qs, now=order.reply_due + dt.timedelta(minutes=1))
    # the same order without an extension is overdue at that moment
    assert set(selectors.overdue(qs, now=between)) == {WorkOrder.objects.get(pk=twin)}
