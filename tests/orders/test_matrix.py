"""Every (state, action, role) combination through the real actions.

For each state an order is walked there through the loop; then every action is tried by every
persona. An allowed one moves the order to its intended state and writes exactly one event; a
refused one raises the right DomainError and leaves the order, its events and its rows as they
were. One test per state keeps the district to one build per state.
"""

from __future__ import annotations

import pytest

from hotline.directory.roles import UNIT_ROLES, Role
from hotline.errors import DomainError, InvalidTransition, NotAllowed
from hotline.orders import actions, states
from hotline.orders.models import Event, WorkOrder
from hotline.orders.states import Action, State
from tests.conftest import make_order
from tests.orders.loop import (
    APPEAL_ACTIONS,
    CALLS,
    NEEDS_REPORT,
    NEEDS_SUPERVISION,
    STAYS,
    SUPERVISION_ACTIONS,
    UNREASONABLE_ACTIONS,
    Ctx,
    bring_appealable_to,
    bring_to,
    intended_allowed,
    intended_for_source,
    intended_target,
    prepare,
    snapshot,
)

# One persona per role and scope: 李强 and 李长 belong to the lead unit (东湖街道办事处),
# 郑执 to a co-unit (城管执法局, added at dispatch), 赵敏 to an unrelated street (西城街道).
ACTORS = ["wangfang", "chengang", "zhoushen", "sunhui", "liudu", "admin", "liqiang", "lizhang", "zhengzhi",
          "zhaomin", "system"]


def _relation(actor, order: WorkOrder) -> str:
    if actor.unit_id is None:
        return "none"
    if actor.unit_id == order.lead_unit_id:
        return "lead"
    if order.co_units.filter(pk=actor.unit_id).exists():
        return "co"
    return "other"


def _expected(actor, action: Action, state: State, order: WorkOrder) -> type[DomainError] | None:
    """None when the action should succeed, else the error it should raise."""
    if intended_target(state, action) is None:
        return InvalidTransition
    role = Role(actor.role)
    allowed = intended_allowed(role, action, state, _relation(actor, order))
    if action is Action.CLAIM and role in UNIT_ROLES:
        # a unit claims only orders from the area it governs (the ones it can see)
        allowed = order.area is not None and order.area.unit_id == actor.unit_id
    if action is Action.VIEW_EVIDENCE and role in UNIT_ROLES:
        # a unit sees the files of the orders it sees: those it leads or co-handles, and those
        # waiting in its area to be claimed
        in_area = state is State.RECEIVED and order.area is not None and order.area.unit_id == actor.unit_id
        allowed = _relation(actor, order) in ("lead", "co") or in_area
    if allowed and not intended_for_source(action, proactive=False):
        return InvalidTransition  # a verification is for proactive orders: a caller's is called back
    return None if allowed else NotAllowed


def _with_co_unit(d):
    """bring_to, with 城管执法局 as co-unit of every dispatched order."""
    orig = actions.do_dispatch

    def dispatch(oid, **kw):
        kw.setdefault("co_unit_ids", [d.units["enforcement"].pk])
        return orig(oid, **kw)

    return dispatch


@pytest.mark.parametrize("state", list(State))
def test_it_allows_exactly_the_intended_actions_in_each_state(district, state, monkeypatch):
    d = district
    d.people["system"] = actions.system_user()
    monkeypatch.setattr(actions, "do_dispatch", _with_co_unit(d))
    ctx = Ctx(d, main_order_id=make_order(d, title="主工单"))
    shared = bring_to(d, state, **FROM_CITY)
    prepare(d, shared, state)
    problems: list[str] = []
    # refused actions leave the shared order as it is, so it is read once
    order = WorkOrder.objects.select_related("area").get(pk=shared)
    baseline = snapshot(shared)
    for action in states.ALL_ACTIONS:
        for name in ACTORS:
            actor = d.people[name]
            want = _expected(actor, action, state, order)
            if want is None:
                problems += _check_allowed(d, ctx, state, action, name)
            else:
                problems += _check_refused(ctx, shared, action, name, want, baseline)
    assert problems == []


# Every order of the matrix came from the city (上级转办), so that the actions only such orders
# take (return to the city) are in the table too; test_return_to_city covers the other channels.
FROM_CITY = {"channel": "transfer"}

# Allowed actions that leave the state as it is can share one order per state; the extension
# actions cannot (each needs, or uses up, a pending request).
# Nor can the unreasonable-request actions (each needs, or makes, the one open report or contest).
# Nor can a re-check (each gives a callback its one verdict, and needs one its actor did not make),
# nor the supervision actions (one active supervision per order, each step once).
REUSABLE = (set(STAYS) - {Action.REQUEST_EXTENSION, Action.APPROVE_EXTENSION, Action.DENY_EXTENSION}
            - UNREASONABLE_ACTIONS - {Action.RECHECK} - APPEAL_ACTIONS - SUPERVISION_ACTIONS
            # a part is signed once and replied once (joint handling)
            - {Action.CO_SIGN, Action.CO_REPLY})
# An appeal needs an order with a redo and a callback of the lead unit to appeal, and a decision
# a pending appeal (李长, the unit's head, appeals the redo first).
NEEDS_APPEAL = frozenset({Action.UPHOLD_APPEAL, Action.REJECT_APPEAL})


def _check_allowed(d, ctx, state, action, name) -> list[str]:
    if action in REUSABLE:
        if "stay" not in ctx.extra:
            ctx.extra["stay"] = bring_to(d, state, **FROM_CITY)
            prepare(d, ctx.extra["stay"], state)
        oid = ctx.extra["stay"]
    elif action in APPEAL_ACTIONS:
        oid = bring_appealable_to(d, state, **FROM_CITY)
        if action in NEEDS_APPEAL:
            CALLS[Action.APPEAL_REDO](oid, d.people["lizhang"], ctx)
    else:
        oid = bring_to(d, state, report=action in NEEDS_REPORT, supervise=action in NEEDS_SUPERVISION, **FROM_CITY)
        prepare(d, oid, state, action)
    before = WorkOrder.objects.get(pk=oid)
    main_before = WorkOrder.objects.get(pk=ctx.main_order_id).event_seq
    try:
        CALLS[action](oid, d.people[name], ctx)
    except DomainError as exc:
        return [f"{state}/{action}/{name}: refused with {exc.code} {exc.message}"]
    after = WorkOrder.objects.get(pk=oid)
    target = intended_target(state, action)
    out = []
    if after.state != target:
        out.append(f"{state}/{action}/{name}: went to {after.state}, not {target}")
    if after.event_seq != before.event_seq + 1 or Event.objects.filter(order_id=oid).count() != after.event_seq:
        out.append(f"{state}/{action}/{name}: {after.event_seq - before.event_seq} events written")
    last = Event.objects.get(order_id=oid, seq=after.event_seq)
    if (last.action, last.from_state, last.to_state) != (action.value, state.value, target.value):
        out.append(f"{state}/{action}/{name}: last event {last.action} {last.from_state}->{last.to_state}")
    main_after = WorkOrder.objects.get(pk=ctx.main_order_id).event_seq
    if main_after != main_before + (1 if action is Action.MERGE else 0):
        out.append(f"{state}/{action}/{name}: main order got {main_after - main_before} events")
    return out


def _check_refused(ctx, oid, action, name, want, before) -> list[str]:
    main = ctx.main_order_id if action is Action.MERGE else None
    main_before = snapshot(main) if main else None
    try:
        CALLS[action](oid, ctx.d.people[name], ctx)
    except DomainError as exc:
        if type(exc) is not want:
            return [f"{action}/{name}: raised {exc.code}, wanted {want.code}"]
    else:
        return [f"{action}/{name}: was allowed, wanted {want.code}"]
    out = []
    if snapshot(oid) != before:
        out.append(f"{action}/{name}: refused but changed the order")
    if main and snapshot(main) != main_before:
        out.append(f"{action}/{name}: refused but changed the main order")
    return out


def test_it_refuses_a_handler_of_another_street(district):
    """李强 (东湖街道) may not touch an order that 赵敏's street (西城街道) leads."""
    d, p = district, district.people
    oid = make_order(d, area="west-city")
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["street-b"].pk)
    before = snapshot(oid)
    for call in (
        lambda: actions.do_sign(oid, actor=p["liqiang"]),
        lambda: actions.do_return(oid, actor=p["liqiang"], kind="not_remit", reason="不属于本街道辖区的事项"),
        lambda: actions.do_annotate(oid, actor=p["liqiang"], text="看看"),
        lambda: actions.do_view_phone(oid, actor=p["liqiang"]),
        lambda: actions.do_view_evidence(oid, actor=p["liqiang"], evidence_id=Ctx(d).evidence_of(oid)),
    ):
        with pytest.raises(NotAllowed):
            call()
    assert snapshot(oid) == before
    actions.do_sign(oid, actor=p["zhaomin"])
    assert WorkOrder.objects.get(pk=oid).state == State.IN_PROGRESS


def test_it_refuses_a_claim_from_outside_the_units_area(district):
    d, p = district, district.people
    oid = make_order(d, area="west-city")
    before = snapshot(oid)
    for name in ("liqiang", "zhengzhi"):
        with pytest.raises(NotAllowed):
            actions.do_claim(oid, actor=p[name])
    assert snapshot(oid) == before
    actions.do_claim(oid, actor=p["zhaomin"])
    order = WorkOrder.objects.get(pk=oid)
    assert (order.state, order.lead_unit_id) == (State.DISPATCHED, d.units["street-b"].pk)


@pytest.mark.parametrize("role", list(Role))
def test_it_lets_only_intake_roles_create_orders(district, role):
    from hotline.directory.models import User

    actor = User.objects.create(username=f"x-{role}", role=role.value, unit=district.units["street-a"])
    before = WorkOrder.objects.count()
    # the city hands its orders down; the web channel files the citizens' requests
    if role in {Role.AGENT, Role.DISPATCHER, Role.SYSTEM, Role.CITY, Role.PUBLIC}:
        oid = make_order_as(district, actor)
        order = WorkOrder.objects.get(pk=oid)
        assert (order.state, order.event_seq) == (State.RECEIVED, 1)
    else:
        with pytest.raises(NotAllowed):
            make_order_as(district, actor)
        assert WorkOrder.objects.count() == before


def make_order_as(d, actor) -> int:
    data = actions.Intake(title="路灯不亮", description="东湖路路灯连续三晚不亮。", area_id=d.areas["east-lake"].pk,
                          category_id=d.categories["路灯不亮"].pk)
    return actions.do_create(data, actor=actor).pk


def test_it_writes_two_events_when_a_reply_is_not_drawn_for_review(district):
    """Under sampled review a reply that is not drawn passes at once: the reply event and the
    system's approval, both in the trace."""
    d, p = district, district.people
    profile = d.profiles["consult"]
    profile.sample_rate = 0.0
    profile.save()
    oid = make_order(d, category="社保政策咨询", title="社保咨询")
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["hrss"].pk)
    actions.do_sign(oid, actor=p["renshe"])
    before = WorkOrder.objects.get(pk=oid).event_seq
    actions.do_reply(oid, actor=p["renshe"], responder="任社", process="", outcome="已电话解答社保缴费年限的政策规定。")
    order = WorkOrder.objects.get(pk=oid)
    assert order.state == State.AWAITING_CALLBACK
    assert order.event_seq == before + 2
    events = list(Event.objects.filter(order_id=oid, seq__gt=before).order_by("seq"))
    assert [(e.action, e.to_state, e.actor_role) for e in events] == [
        ("reply", "replied", "handler"), ("approve", "awaiting_callback", "system")]
    assert events[0].data["review"] == "not_drawn"


def test_it_sends_a_drawn_reply_to_a_reviewer_and_the_system_may_not_approve_it(district):
    d, p = district, district.people
    profile = d.profiles["consult"]
    profile.sample_rate = 1.0
    profile.save()
    oid = make_order(d, category="社保政策咨询", title="社保咨询")
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["hrss"].pk)
    actions.do_sign(oid, actor=p["renshe"])
    actions.do_reply(oid, actor=p["renshe"], responder="任社", process="", outcome="已电话解答社保缴费年限的政策规定。")
    assert WorkOrder.objects.get(pk=oid).state == State.REPLIED
    before = snapshot(oid)
    with pytest.raises(NotAllowed):
        actions.do_approve(oid, actor=actions.system_user())
    assert snapshot(oid) == before
