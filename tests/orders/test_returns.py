"""Returns and their arbitration: who leads afterwards, on what basis, and what it costs."""

from __future__ import annotations

import pytest

from hotline.errors import InvalidInput, InvalidTransition
from hotline.orders import actions
from hotline.orders.models import OrderReturn, WorkOrder
from hotline.orders.states import Action, State
from tests.conftest import make_order
from tests.orders.loop import bring_to, snapshot


def _returned(d, kind="not_remit") -> int:
    oid = bring_to(d, State.DISPATCHED)
    actions.do_return(oid, actor=d.people["liqiang"], kind=kind, reason="该路段属于市政道路，由区城管执法局负责。",
                      suggested_unit_id=d.units["enforcement"].pk)
    return oid


def test_it_keeps_the_list_as_basis_only_while_the_order_goes_where_the_list_says(district):
    d, p = district, district.people
    oid = bring_to(d, State.DISPATCHED)
    assert WorkOrder.objects.get(pk=oid).rule_id == d.rules["道路塌陷破损@east-lake"].pk
    actions.do_return(oid, actor=p["liqiang"], kind="not_remit", reason="该路段属于市政道路，由区城管执法局负责。")
    actions.do_accept_return(oid, actor=p["chengang"], unit_id=d.units["enforcement"].pk, note="经核实属于城管职责")
    order = WorkOrder.objects.get(pk=oid)
    # the list names 东湖街道; the order now rests on the dispatcher's decision, not on the list
    assert (order.lead_unit_id, order.rule_id, order.dispatch_count) == (d.units["enforcement"].pk, None, 2)
    assert order.outside_authority is False
    ret = OrderReturn.objects.get(order=order)
    assert (ret.outcome, ret.decided_by_id, ret.suggested_unit_id) == ("accepted", p["chengang"].pk, None)


def test_it_marks_an_accepted_no_authority_return_as_outside_the_units_authority(district):
    d = district
    oid = _returned(d, kind="no_authority")
    actions.do_accept_return(oid, actor=d.people["chengang"], unit_id=d.units["enforcement"].pk, note="同意改派城管")
    assert WorkOrder.objects.get(pk=oid).outside_authority is True


def test_joint_handling_names_one_lead_and_its_co_units(district):
    d, p = district, district.people
    oid = _returned(d)
    actions.do_joint(oid, actor=p["chengang"], lead_unit_id=d.units["street-a"].pk,
                     co_unit_ids=[d.units["enforcement"].pk, d.units["enforcement"].pk], note="街道牵头、城管配合")
    order = WorkOrder.objects.get(pk=oid)
    assert (order.state, order.lead_unit_id, order.rule_id) == (
        State.DISPATCHED, d.units["street-a"].pk, d.rules["道路塌陷破损@east-lake"].pk)
    assert list(order.co_units.values_list("id", flat=True)) == [d.units["enforcement"].pk]
    assert OrderReturn.objects.get(order=order).outcome == "joint"
    # the lead signs; the co-unit works on it but does not decide it
    actions.do_sign(oid, actor=p["liqiang"])
    actions.do_progress(oid, actor=p["zhengzhi"], text="已派执法队员到场")
    assert WorkOrder.objects.get(pk=oid).state == State.IN_PROGRESS


def test_joint_handling_needs_a_co_unit_other_than_the_lead(district):
    d = district
    oid = _returned(d)
    before = snapshot(oid)
    for co in ([], [d.units["street-a"].pk]):
        with pytest.raises(InvalidInput):
            actions.do_joint(oid, actor=d.people["chengang"], lead_unit_id=d.units["street-a"].pk, co_unit_ids=co,
                             note="街道牵头、城管配合")
    assert snapshot(oid) == before


def test_an_escalated_order_no_longer_rests_on_the_list(district):
    d = district
    oid = _returned(d, kind="no_authority")
    actions.do_escalate(oid, actor=d.people["chengang"], unit_id=d.units["caac"].pk, note="超出街道权限，提级处理")
    order = WorkOrder.objects.get(pk=oid)
    assert (order.lead_unit_id, order.rule_id, order.outside_authority) == (d.units["caac"].pk, None, True)


def test_it_refuses_to_accept_a_return_back_to_the_same_unit_or_escalate_to_it(district):
    d = district
    oid = _returned(d)
    before = snapshot(oid)
    with pytest.raises(InvalidInput):
        actions.do_accept_return(oid, actor=d.people["chengang"], unit_id=d.units["street-a"].pk, note="还是你们办")
    with pytest.raises(InvalidInput):
        actions.do_escalate(oid, actor=d.people["chengang"], unit_id=d.units["street-a"].pk, note="还是你们办理吧")
    assert snapshot(oid) == before


def test_a_rejected_return_gives_a_new_sign_clock_but_not_a_new_reply_clock(district):
    d, p = district, district.people
    oid = bring_to(d, State.DISPATCHED)
    first = WorkOrder.objects.get(pk=oid)
    actions.do_return(oid, actor=p["liqiang"], kind="not_remit", reason="该路段属于市政道路，由区城管执法局负责。")
    actions.do_reject_return(oid, actor=p["chengang"], note="权责清单规定由属地街道负责")
    order = WorkOrder.objects.get(pk=oid)
    assert order.reply_due == first.reply_due
    assert order.sign_due >= first.sign_due
    ret = OrderReturn.objects.get(order=order)
    assert (ret.outcome, ret.decision_rule_id) == ("rejected", d.rules["道路塌陷破损@east-lake"].pk)


def test_it_refuses_a_second_return_while_the_first_is_pending(district):
    d = district
    oid = _returned(d)
    with pytest.raises(InvalidTransition):
        actions.do_return(oid, actor=d.people["liqiang"], kind="not_remit", reason="再次回退：不属于本街道职责")
    assert OrderReturn.objects.filter(order_id=oid).count() == 1


def test_a_rejection_cannot_cite_a_rule_about_another_matter(district):
    d = district
    oid = bring_to(d, State.RETURNED)
    order = WorkOrder.objects.get(pk=oid)
    foreign = next(r for name, r in d.rules.items() if r.category_id != order.category_id and "@" not in name)
    before = order.event_seq
    with pytest.raises(InvalidInput):
        actions.do_reject_return(oid, actor=d.people["chengang"], note="按权责清单由原单位办理", rule_id=foreign.pk)
    assert WorkOrder.objects.get(pk=oid).event_seq == before
    own = actions.rule_for(order.category, order.area)
    actions.do_reject_return(oid, actor=d.people["chengang"], note="按权责清单由原单位办理", rule_id=own.pk if own else None)
    assert WorkOrder.objects.get(pk=oid).state == State.DISPATCHED


# ---- returning an order to the city (退回市级) ------------------------------------------------------


def test_only_an_order_the_city_handed_down_goes_back_to_it(district):
    from hotline.orders.registry import allowed_actions

    p = district.people
    own = make_order(district)
    assert Action.RETURN_TO_CITY not in allowed_actions(WorkOrder.objects.get(pk=own), p["chengang"])
    with pytest.raises(InvalidInput) as refused:
        actions.do_return_to_city(own, actor=p["chengang"], reason="属于市级部门职责，退回市级")
    assert refused.value.code == "not_a_city_order"
    assert WorkOrder.objects.get(pk=own).state == State.RECEIVED
    city = make_order(district, channel="transfer")
    assert Action.RETURN_TO_CITY in allowed_actions(WorkOrder.objects.get(pk=city), p["chengang"])
    assert Action.RETURN_TO_CITY not in allowed_actions(WorkOrder.objects.get(pk=city), p["wangfang"])


def test_a_units_return_that_the_city_must_take_back_is_upheld(district):
    p = district.people
    oid = make_order(district, channel="transfer")
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=district.units["street-a"].pk)
    actions.do_return(oid, actor=p["liqiang"], kind="not_remit", reason="该路段属于市管道路，不在本辖区。")
    with pytest.raises(InvalidInput):
        actions.do_return_to_city(oid, actor=p["chengang"], reason="短")
    order = actions.do_return_to_city(oid, actor=p["chengang"], reason="市管道路，属于市级部门职责，请市级平台改派。")
    assert order.state == State.RETURNED_TO_CITY and order.closed_at is not None
    ret = OrderReturn.objects.get(order_id=oid)
    assert ret.outcome == OrderReturn.Outcome.TO_CITY and ret.decided_by == p["chengang"]
    event = order.events.get(action="return_to_city")
    assert event.data["reason"].startswith("市管道路") and event.to_state == "returned_to_city"
