"""Joint handling (联合处办): each co-unit's own part of the order, its clock and its reply, gathered
by the lead unit's reply; urging, redo and re-dispatch of the parts (docs/joint.md)."""

from __future__ import annotations

import pytest

from hotline.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from hotline.orders import actions, coparts, registry
from hotline.orders.coparts import PartState, PartStep
from hotline.orders.models import CoPart, Event, Evidence, Reply, WorkOrder
from hotline.orders.states import Action, State
from tests.conftest import make_order
from tests.orders.loop import CO_REPLY_TEXT, REPLY_TEXT, cst, frozen, photo, snapshot

# Monday 2 March 2026, 10:00 in Beijing: a plain working week (no holiday, no make-up day).
MONDAY = cst(2026, 3, 2, 10)


def _joint(d, *, at=MONDAY, co=("enforcement",), asks=None, **kw) -> int:
    """A road collapse returned by 东湖街道 and arranged as joint handling: the street leads,
    `co` co-handle."""
    p = d.people
    with frozen(at):
        oid = make_order(d, **kw)
        actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["street-a"].pk)
        actions.do_return(oid, actor=p["liqiang"], kind="needs_others", reason="需要城管执法局配合拆除占道设施，请联合处办。")
        actions.do_joint(oid, actor=p["chengang"], lead_unit_id=d.units["street-a"].pk,
                         co_unit_ids=[d.units[c].pk for c in co], note="街道主办，城管执法局协办拆除", co_asks=asks)
    return oid


def _part(oid, d, code="enforcement") -> CoPart:
    return CoPart.objects.get(order_id=oid, unit=d.units[code])


def _last(oid) -> Event:
    return Event.objects.filter(order_id=oid).order_by("-seq").first()


def _lead_ready(d, oid):
    p = d.people
    actions.do_sign(oid, actor=p["liqiang"])
    actions.do_contact(oid, actor=p["liqiang"], text="已电话联系来电人")
    actions.do_attach(oid, actor=p["liqiang"], file=photo())


# ---- the parts and their table --------------------------------------------------------------------


def test_the_part_table_is_closed_and_pure():
    assert coparts.next_part_state(PartState.ASSIGNED, PartStep.REPLY) is None  # sign first
    assert coparts.next_part_state(PartState.REPLIED, PartStep.URGE) is None  # nothing owed to urge
    assert coparts.next_part_state(PartState.REPLIED, PartStep.REOPEN) is PartState.SIGNED
    assert coparts.next_part_state(PartState.WITHDRAWN, PartStep.REASSIGN) is PartState.ASSIGNED
    # every state can be left, and only a withdrawn part is not owed, replied or active
    for state in PartState:
        assert any(coparts.next_part_state(state, step) not in (None, state) for step in PartStep), state
    assert {PartState.REPLIED} == coparts.ACTIVE - coparts.PENDING
    import ast
    import inspect
    tree = ast.parse(inspect.getsource(coparts))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(m and m.startswith("django") for m in imported)


def test_joint_handling_gives_each_co_unit_its_part_with_its_ask_and_clock(district):
    d = district
    oid = _joint(d, co=("enforcement", "housing"), asks={d.units["enforcement"].pk: "拆除占道违建设施"})
    order = WorkOrder.objects.get(pk=oid)
    parts = {p.unit_id: p for p in order.co_parts.all()}
    assert set(parts) == {d.units["enforcement"].pk, d.units["housing"].pk}
    enforcement = parts[d.units["enforcement"].pk]
    assert (enforcement.state, enforcement.ask) == ("assigned", "拆除占道违建设施")
    assert parts[d.units["housing"].pk].ask == ""
    # three working days from Monday: Thursday at the close of the day, before the lead's 7 days
    assert enforcement.due == cst(2026, 3, 5, 18)
    assert enforcement.due < order.reply_due
    event = _last(oid)
    assert event.action == "joint" and event.data["co_asks"] == {str(d.units["enforcement"].pk): "拆除占道违建设施"}


def test_a_part_leaves_the_lead_time_to_gather_it(district, settings):
    """协办时限不超过主办单位剩余工作日的一半：主办单位须有时间汇总，不能因等协办而被迫超期。
    (A part due at the lead's own deadline left the lead no way to reply in time but the co-unit's.)"""
    d, p = district, district.people
    settings.HOTLINE_CO_REPLY_DAYS = 30
    oid = _joint(d)
    order, part = WorkOrder.objects.get(pk=oid), _part(oid, d)
    assert order.reply_due == cst(2026, 3, 11, 18)  # 7 working days from Monday 2 March
    assert part.due == cst(2026, 3, 5, 18)  # 3 of them (half of 7, whole days), not 30
    # past the part's clock, before its own: the lead replies (stating the gap), on time
    with frozen(cst(2026, 3, 9, 10)):
        _lead_ready(d, oid)
        actions.do_reply(oid, actor=p["liqiang"], co_gap="城管执法局超期未答复，已催办。", **REPLY_TEXT)
    order.refresh_from_db()
    assert order.state == State.REPLIED and order.replied_at < order.reply_due


def test_on_a_24_hour_clock_the_part_is_due_halfway(district):
    """停水等24小时时限的联合工单：协办单位12小时内答复，主办单位仍能按时汇总答复。"""
    d = district
    oid = _joint(d, urgency="utility")
    order, part = WorkOrder.objects.get(pk=oid), _part(oid, d)
    assert part.due == part.assigned_at + (order.reply_due - part.assigned_at) / 2 < order.reply_due


def test_asks_only_go_to_the_co_units_named(district):
    d = district
    with pytest.raises(InvalidInput):
        _joint(d, asks={d.units["housing"].pk: "不是协办单位"})
    with pytest.raises(InvalidInput):
        _joint(d, asks={"abc": "编号不是数字"})
    with pytest.raises(InvalidInput):
        _joint(d, asks={d.units["enforcement"].pk: "长" * 1001})


# ---- the co-unit signs and replies its part ---------------------------------------------------------


def test_the_co_unit_signs_and_replies_its_part_with_its_files(district):
    d, p = district, district.people
    oid = _joint(d)
    with frozen(cst(2026, 3, 3, 9)):
        before = WorkOrder.objects.get(pk=oid)
        part = actions.do_co_sign(oid, actor=p["zhengzhi"])
        after = WorkOrder.objects.get(pk=oid)
        assert (after.state, after.reply_due, after.event_seq) == (before.state, before.reply_due, before.event_seq + 1)
        assert (part.state, part.signed_at) == ("signed", cst(2026, 3, 3, 9))
        item = actions.do_attach(oid, actor=p["zhengzhi"], file=photo("demolished.jpg"))
        part = actions.do_co_reply(oid, actor=p["zhengzhi"], text=CO_REPLY_TEXT)
    assert (part.state, part.reply, part.first_late, part.replied_by_id) == ("replied", CO_REPLY_TEXT, False,
                                                                            p["zhengzhi"].pk)
    assert Evidence.objects.get(pk=item.pk).co_part_id == part.pk
    event = _last(oid)
    assert (event.action, event.data["evidence"], event.data["late"]) == ("co_reply", [item.pk], False)
    assert WorkOrder.objects.get(pk=oid).state == State.DISPATCHED  # the lead has not even signed


def test_who_may_sign_and_reply_a_part(district):
    d, p = district, district.people
    oid = _joint(d)
    baseline = snapshot(oid)
    for name, error in (("liqiang", NotAllowed), ("wujian", NotAllowed), ("chengang", NotAllowed),
                        ("zhoushen", NotAllowed)):
        with pytest.raises(error):
            actions.do_co_sign(oid, actor=p[name])
    with pytest.raises(InvalidTransition):  # sign first
        actions.do_co_reply(oid, actor=p["zhengzhi"], text=CO_REPLY_TEXT)
    assert snapshot(oid) == baseline and _part(oid, d).state == "assigned"
    actions.do_co_sign(oid, actor=p["zhengzhi"])
    with pytest.raises(InvalidTransition):  # once
        actions.do_co_sign(oid, actor=p["zhengzhi"])
    with pytest.raises(InvalidInput):  # a reply says something
        actions.do_co_reply(oid, actor=p["zhengzhi"], text="已办")


def test_a_part_is_not_replied_once_the_lead_has_replied(district):
    d, p = district, district.people
    oid = _joint(d)
    actions.do_co_sign(oid, actor=p["zhengzhi"])
    actions.do_co_reply(oid, actor=p["zhengzhi"], text=CO_REPLY_TEXT)
    _lead_ready(d, oid)
    actions.do_reply(oid, actor=p["liqiang"], **REPLY_TEXT)
    with pytest.raises(InvalidTransition):
        actions.do_co_reply(oid, actor=p["zhengzhi"], text=CO_REPLY_TEXT)


# ---- the lead's reply gathers the parts ------------------------------------------------------------


def test_the_lead_waits_for_a_part_not_yet_due(district):
    d, p = district, district.people
    oid = _joint(d)
    with frozen(cst(2026, 3, 4, 10)):
        _lead_ready(d, oid)
        baseline = snapshot(oid)
        with pytest.raises(Conflict) as err:
            actions.do_reply(oid, actor=p["liqiang"], **REPLY_TEXT)
    assert err.value.code == "co_parts_pending" and err.value.details["units"] == [d.units["enforcement"].pk]
    assert snapshot(oid) == baseline


def test_the_lead_replies_without_an_overdue_part_only_stating_the_gap(district):
    d, p = district, district.people
    oid = _joint(d, co=("enforcement", "housing"))
    with frozen(cst(2026, 3, 3, 10)):
        actions.do_co_sign(oid, actor=p["wujian"])
        actions.do_co_reply(oid, actor=p["wujian"], text="住建委已核查，该设施无规划许可，支持依法拆除。")
    with frozen(cst(2026, 3, 6, 10)):  # the enforcement bureau's part was due on Thursday
        _lead_ready(d, oid)
        with pytest.raises(InvalidInput) as err:
            actions.do_reply(oid, actor=p["liqiang"], **REPLY_TEXT)
        assert err.value.code == "co_gap_required"
        reply = actions.do_reply(oid, actor=p["liqiang"], co_gap="城管执法局超期未答复拆除情况，已催办。", **REPLY_TEXT)
    housing, enforcement = _part(oid, d, "housing"), _part(oid, d, "enforcement")
    assert housing.gathered_by_id == reply.pk and enforcement.gathered_by_id is None
    assert Reply.objects.get(pk=reply.pk).co_gap == "城管执法局超期未答复拆除情况，已催办。"
    event = Event.objects.get(order_id=oid, action="reply")
    assert (event.data["co_gathered"], event.data["co_missing"]) == ([housing.pk], [enforcement.pk])


def test_the_leads_own_files_leave_the_co_units_files_to_their_part(district):
    d, p = district, district.people
    oid = _joint(d)
    actions.do_co_sign(oid, actor=p["zhengzhi"])
    co_file = actions.do_attach(oid, actor=p["zhengzhi"], file=photo("co.jpg"))
    actions.do_sign(oid, actor=p["liqiang"])
    actions.do_contact(oid, actor=p["liqiang"], text="已电话联系来电人")
    # the street's site photo is missing: the co-unit's file does not stand in for it
    actions.do_co_reply(oid, actor=p["zhengzhi"], text=CO_REPLY_TEXT)
    with pytest.raises(InvalidInput) as err:
        actions.do_reply(oid, actor=p["liqiang"], **REPLY_TEXT)
    assert err.value.code == "reply_incomplete"
    assert Evidence.objects.get(pk=co_file.pk).co_part_id == _part(oid, d).pk
    own = actions.do_attach(oid, actor=p["liqiang"], file=photo())
    reply = actions.do_reply(oid, actor=p["liqiang"], **REPLY_TEXT)
    assert list(reply.evidence.values_list("pk", flat=True)) == [own.pk]


# ---- urging, redo and re-dispatch -------------------------------------------------------------------


def test_the_lead_urges_a_part_it_waits_for(district):
    d, p = district, district.people
    oid = _joint(d)
    unit = d.units["enforcement"].pk
    actions.do_co_urge(oid, actor=p["liqiang"], unit_id=unit, text="请尽快反馈拆除情况")
    actions.do_co_urge(oid, actor=p["liqiang"], unit_id=unit, text="再次催办")
    assert _part(oid, d).urge_count == 2
    assert WorkOrder.objects.get(pk=oid).notes.filter(kind="urge").count() == 2
    with pytest.raises(NotAllowed):
        actions.do_co_urge(oid, actor=p["zhengzhi"], unit_id=unit, text="自己催自己")
    for bad in (d.units["housing"].pk, 2**70, "abc", None):
        with pytest.raises(InvalidInput):
            actions.do_co_urge(oid, actor=p["liqiang"], unit_id=bad, text="请尽快反馈")
    actions.do_co_sign(oid, actor=p["zhengzhi"])
    actions.do_co_reply(oid, actor=p["zhengzhi"], text=CO_REPLY_TEXT)
    with pytest.raises(InvalidTransition):  # nothing owed any more
        actions.do_co_urge(oid, actor=p["liqiang"], unit_id=unit, text="请尽快反馈")


def test_a_redo_reopens_the_parts_it_names(district):
    d, p = district, district.people
    oid = _joint(d, co=("enforcement", "housing"))
    with frozen(cst(2026, 3, 3, 10)):
        for name in ("zhengzhi", "wujian"):
            actions.do_co_sign(oid, actor=p[name])
            actions.do_co_reply(oid, actor=p[name], text=CO_REPLY_TEXT)
        _lead_ready(d, oid)
        first = actions.do_reply(oid, actor=p["liqiang"], **REPLY_TEXT)
    with pytest.raises(InvalidInput):  # not a co-unit of the order
        actions.do_redo(oid, actor=p["zhoushen"], reasons=["inconsistent"], note="答复称已拆除，与现场情况不符",
                        co_unit_ids=[d.units["water"].pk])
    with frozen(cst(2026, 3, 9, 10)):
        actions.do_redo(oid, actor=p["zhoushen"], reasons=["inconsistent"], note="答复称已拆除，与现场情况不符",
                        co_unit_ids=[d.units["enforcement"].pk])
    enforcement, housing = _part(oid, d, "enforcement"), _part(oid, d, "housing")
    assert (enforcement.state, enforcement.round, enforcement.redo_count, enforcement.gathered_by_id) == (
        "signed", 2, 1, None)
    # the redo's clock ends Thursday 12 March: the reopened part gets half of its 3 working days
    assert enforcement.due == cst(2026, 3, 10, 18) and enforcement.first_late is False
    assert (housing.state, housing.redo_count, housing.gathered_by_id) == ("replied", 0, first.pk)
    assert Event.objects.get(order_id=oid, action="redo").data["co_reopened"] == [enforcement.pk]
    with frozen(cst(2026, 3, 10, 10)):
        actions.do_attach(oid, actor=p["liqiang"], file=photo("after.jpg"))
        with pytest.raises(Conflict):  # the reopened part is owed again and not yet due
            actions.do_reply(oid, actor=p["liqiang"], **REPLY_TEXT)
        actions.do_co_reply(oid, actor=p["zhengzhi"], text="已补充拆除前后对比照片，拆除工作已完成。")
        second = actions.do_reply(oid, actor=p["liqiang"], **REPLY_TEXT)
    assert _part(oid, d, "enforcement").gathered_by_id == second.pk
    assert _part(oid, d, "housing").gathered_by_id == first.pk


def test_a_redispatch_withdraws_the_parts_of_units_no_longer_asked(district):
    d, p = district, district.people
    oid = _joint(d)
    actions.do_return(oid, actor=p["liqiang"], kind="not_remit", reason="经核实该路段属于市政道路，不属于街道职责。")
    actions.do_accept_return(oid, actor=p["chengang"], unit_id=d.units["enforcement"].pk,
                             co_unit_ids=[d.units["housing"].pk], note="改由城管执法局主办，住建委协办")
    assert _part(oid, d, "enforcement").state == "withdrawn"
    assert _part(oid, d, "housing").state == "assigned"
    with pytest.raises(NotAllowed):  # it leads now: no part of its own to sign
        actions.do_co_sign(oid, actor=p["zhengzhi"])
    actions.do_return(oid, actor=p["zhengzhi"], kind="needs_others", reason="需要街道配合，请改由街道主办。")
    actions.do_accept_return(oid, actor=p["chengang"], unit_id=d.units["street-a"].pk,
                             co_unit_ids=[d.units["enforcement"].pk], note="仍由街道主办，城管执法局协办")
    assert _part(oid, d, "enforcement").state == "assigned"
    assert _part(oid, d, "housing").state == "withdrawn"
    assert CoPart.objects.filter(order_id=oid).count() == 2


# ---- the registry and the API -----------------------------------------------------------------------


def test_the_registry_runs_the_parts_actions_from_typed_input(district):
    d, p = district, district.people
    oid = _joint(d)
    registry.run_action(Action.CO_SIGN, oid, p["zhengzhi"], {})
    with pytest.raises(InvalidInput):
        registry.run_action(Action.CO_REPLY, oid, p["zhengzhi"], {"text": "太短"})
    with pytest.raises(InvalidInput):
        registry.run_action(Action.CO_URGE, oid, p["liqiang"], {"unit_id": "3", "text": "请尽快"})
    registry.run_action(Action.CO_REPLY, oid, p["zhengzhi"], {"text": CO_REPLY_TEXT})
    assert _part(oid, d).state == "replied"
    assert Action.CO_SIGN in registry.allowed_actions(WorkOrder.objects.get(pk=_joint(d)), p["zhengzhi"])
    assert Action.CO_SIGN not in registry.allowed_actions(WorkOrder.objects.get(pk=oid), p["liqiang"])


def test_the_api_takes_a_joint_order_with_asks_per_co_unit(district, client):
    d, p = district, district.people
    oid = make_order(d)
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["street-a"].pk)
    actions.do_return(oid, actor=p["liqiang"], kind="needs_others", reason="需要城管执法局配合拆除占道设施，请联合处办。")
    registry.run_action(Action.JOINT, oid, p["chengang"], {
        "lead_unit_id": d.units["street-a"].pk, "co_unit_ids": [d.units["enforcement"].pk, d.units["housing"].pk],
        "note": "街道主办，两部门协办", "co_ask": "配合核查",
        "co_asks": [{"unit_id": d.units["housing"].pk, "ask": "核查规划许可"}]})
    assert _part(oid, d, "enforcement").ask == "配合核查"
    assert _part(oid, d, "housing").ask == "核查规划许可"
