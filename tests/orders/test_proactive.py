"""Proactive orders (未诉先办): no caller, opened and dispatched by the centre in one action, round
the same loop, closed by the centre's verification (VERIFY) instead of a callback."""

from __future__ import annotations

import itertools

import pytest

from hotline.directory.roles import UNIT_ROLES, Role
from hotline.errors import DomainError, InvalidInput, InvalidTransition, NotAllowed
from hotline.orders import actions, policies, states
from hotline.orders.models import Event, WorkOrder
from hotline.orders.states import Action, State
from tests.conftest import make_order
from tests.orders.loop import (
    APPEAL_ACTIONS,
    CALLS,
    FEEDBACK_TEXT,
    NEEDS_SUPERVISION,
    PROACTIVE_CREATORS,
    PROACTIVE_STATES,
    STAYS,
    SUPERVISION_ACTIONS,
    SUPERVISION_TEXT,
    Ctx,
    bring_proactive_appealable_to,
    bring_proactive_to,
    bring_to,
    intended_allowed,
    intended_for_source,
    intended_target,
    new_proactive,
    snapshot,
)
from tests.orders.test_matrix import ACTORS, _relation

RELATIONS = ("lead", "co", "other", "none")


# ---- the tables, without a database ---------------------------------------------------------------


def test_the_rights_on_a_proactive_order_are_the_intended_ones():
    wrong = []
    for role, action, state, relation in itertools.product(Role, states.ALL_ACTIONS, State, RELATIONS):
        if role not in UNIT_ROLES and relation != "none":
            continue
        unit = {"lead": 11, "co": 22, "other": 33, "none": None}[relation]
        got = states.next_state(state, action) is not None and policies.decide(
            role=role, action=action, state=state, actor_unit_id=unit, lead_unit_id=11, co_unit_ids=[22],
            proactive=True).allowed
        if got != intended_allowed(role, action, state, relation, proactive=True):
            wrong.append((role.value, action.value, state.value, relation, got))
    assert wrong == []


def test_verification_and_callbacks_apply_to_one_source_each():
    for action in states.ALL_ACTIONS:
        for proactive in (True, False):
            assert policies.applies_to_source(action, proactive) is intended_for_source(action, proactive)
    assert states.next_state(State.AWAITING_CALLBACK, Action.VERIFY) is State.CLOSED
    assert all(states.next_state(s, Action.VERIFY) is None for s in State if s is not State.AWAITING_CALLBACK)


@pytest.mark.parametrize("role", list(Role))
def test_only_the_centre_and_the_system_open_proactive_orders(district, role):
    from hotline.directory.models import User

    actor = User.objects.create(username=f"p-{role}", role=role.value, unit=district.units["street-a"])
    before = WorkOrder.objects.count()
    if role in PROACTIVE_CREATORS:
        order = WorkOrder.objects.get(pk=new_proactive(district, actor=actor))
        assert (order.state, order.event_seq, order.source) == (State.DISPATCHED, 2, "patrol")
    else:
        with pytest.raises(NotAllowed):
            new_proactive(district, actor=actor)
        assert WorkOrder.objects.count() == before


# ---- every (state, action, actor) on a proactive order ---------------------------------------------


def _expected(actor, action: Action, state: State, order: WorkOrder) -> type[DomainError] | None:
    if intended_target(state, action) is None:
        return InvalidTransition
    role = Role(actor.role)
    allowed = intended_allowed(role, action, state, _relation(actor, order), proactive=True)
    if action is Action.VIEW_EVIDENCE and role in UNIT_ROLES:
        allowed = _relation(actor, order) in ("lead", "co")
    if allowed and not intended_for_source(action, proactive=True):
        return InvalidTransition  # no caller to call back
    if allowed and action is Action.RETURN_TO_CITY:
        return InvalidInput  # the city did not hand it down: the centre opened it
    if allowed and action is Action.CO_URGE and not order.co_units.exists():
        return InvalidInput  # the lead may urge a co-unit, and this order has none
    return None if allowed else NotAllowed


REUSABLE = set(STAYS) - {Action.REQUEST_EXTENSION, Action.APPROVE_EXTENSION, Action.DENY_EXTENSION} - APPEAL_ACTIONS - SUPERVISION_ACTIONS


def _supervised(d, state):
    """A proactive order in `state` that 刘督 put under supervision while it was open (督办), for
    the supervision steps; for closing one, the lead unit has fed back."""
    oid = bring_proactive_to(d, State.AWAITING_CALLBACK if state is State.CLOSED else state)
    actions.do_supervise(oid, actor=d.people["liudu"], text=SUPERVISION_TEXT)
    if state is State.CLOSED:
        actions.do_verify(oid, actor=d.people["chengang"], note="已到现场核验，路面修复完好")
    return oid


def _prepare(d, oid, state, action=None):
    if state is State.IN_PROGRESS and action in (None, Action.APPROVE_EXTENSION, Action.DENY_EXTENSION):
        actions.do_request_extension(oid, actor=d.people["liqiang"], days=3, reason="需协调市政养护单位排期施工，时间不够")
    if state in (State.DISPATCHED, State.RETURNED, State.IN_PROGRESS) and action in (None, Action.VIEW_EVIDENCE,
                                                                                      Action.REPLY):
        from tests.orders.loop import photo

        actions.do_attach(oid, actor=d.people["liqiang"] if state is State.IN_PROGRESS else d.people["chengang"],
                          file=photo())


@pytest.mark.parametrize("state", PROACTIVE_STATES)
def test_it_allows_exactly_the_intended_actions_on_a_proactive_order(district, state):
    d = district
    d.people["system"] = actions.system_user()
    ctx = Ctx(d, main_order_id=make_order(d, title="主工单"))
    shared = bring_proactive_to(d, state)
    _prepare(d, shared, state)
    order = WorkOrder.objects.select_related("area").get(pk=shared)
    baseline = snapshot(shared)
    problems: list[str] = []
    for action in states.ALL_ACTIONS:
        for name in ACTORS:
            actor = d.people[name]
            want = _expected(actor, action, state, order)
            if want is None:
                if action in REUSABLE:
                    if "stay" not in ctx.extra:
                        ctx.extra["stay"] = bring_proactive_to(d, state)
                        _prepare(d, ctx.extra["stay"], state)
                    oid = ctx.extra["stay"]
                elif action in APPEAL_ACTIONS:  # an appeal needs a redo; a decision a pending appeal
                    oid = bring_proactive_appealable_to(d, state)
                    if action in (Action.UPHOLD_APPEAL, Action.REJECT_APPEAL):
                        CALLS[Action.APPEAL_REDO](oid, d.people["lizhang"], ctx)
                elif action in NEEDS_SUPERVISION:
                    oid = _supervised(d, state)
                    if action is Action.CLOSE_SUPERVISION:
                        actions.do_supervision_feedback(oid, actor=d.people["liqiang"], text=FEEDBACK_TEXT)
                else:
                    oid = bring_proactive_to(d, state)
                    _prepare(d, oid, state, action)
                seq = WorkOrder.objects.get(pk=oid).event_seq
                try:
                    CALLS[action](oid, actor, ctx)
                except DomainError as exc:
                    problems.append(f"{state}/{action}/{name}: refused {exc.code} {exc.message}")
                    continue
                after = WorkOrder.objects.get(pk=oid)
                if after.state != intended_target(state, action) or after.event_seq != seq + 1:
                    problems.append(f"{state}/{action}/{name}: {after.state}, {after.event_seq - seq} events")
            else:
                try:
                    CALLS[action](shared, actor, ctx)
                except DomainError as exc:
                    if type(exc) is not want:
                        problems.append(f"{state}/{action}/{name}: raised {exc.code}, wanted {want.code}")
                else:
                    problems.append(f"{state}/{action}/{name}: allowed, wanted {want.code}")
                if snapshot(shared) != baseline:
                    problems.append(f"{state}/{action}/{name}: refused but changed the order")
                    baseline = snapshot(shared)
    assert problems == []


# ---- the action itself ---------------------------------------------------------------------------


def test_create_and_dispatch_are_one_action_with_two_events(district):
    d = district
    order = WorkOrder.objects.get(pk=new_proactive(d, source="hotspot", source_ref=4321))
    ev = list(Event.objects.filter(order=order).order_by("seq").values_list("action", "from_state", "to_state"))
    assert ev == [("create", "", "received"), ("dispatch", "received", "dispatched")]
    created = Event.objects.get(order=order, seq=1)
    assert (created.data["source"], created.data["source_ref"]) == ("hotspot", 4321)
    assert (order.source, order.source_ref, order.channel, order.caller_phone) == ("hotspot", 4321, "proactive", "")
    assert order.lead_unit_id == d.units["street-a"].pk and order.rule is not None  # by the list
    assert order.contact_due is None and order.sign_due is not None and order.reply_due is not None
    assert not hasattr(order, "triage_job") or not WorkOrder.objects.filter(pk=order.pk, triage_job__isnull=False)


def test_a_person_who_sends_it_off_the_list_says_why(district):
    d = district
    with pytest.raises(InvalidInput) as exc:
        new_proactive(d, unit_id=d.units["enforcement"].pk)
    assert exc.value.code == "outside_responsibility_list"
    assert not WorkOrder.objects.filter(source="patrol").exists()
    oid = new_proactive(d, unit_id=d.units["enforcement"].pk, note="巡查由城管执法局先行处置")
    assert Event.objects.get(order_id=oid, seq=2).data["basis"] == "override"


BAD = [
    ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"description": ""}, "description"),
    ({"source": "call"}, "source"),
    ({"source": "nonsense"}, "source"),
    ({"source": "task", "source_ref": None}, "source_ref"),
    ({"source": "task", "source_ref": "abc"}, "source_ref"),
    ({"source": "task", "source_ref": 0}, "source_ref"),
    ({"source": "task", "source_ref": 2**63}, "source_ref"),
    ({"source": "task", "source_ref": True}, "source_ref"),
    ({"source": "patrol", "source_ref": 5}, "source_ref"),
    ({"address": "路" * 201}, "address"),
    ({"address": "东湖路\x00"}, "address"),
    ({"note": "x" * 1001}, "note"),
    ({"urgency": "whenever"}, "urgency"),
    ({"latitude": 91.0}, "latitude"),
    ({"category": None, "category_id": 99999999}, "category"),
]


@pytest.mark.parametrize("change,field", BAD)
def test_it_refuses_bad_input_with_the_field_and_writes_nothing(district, change, field):
    d = district
    kw = dict(change)
    if "category_id" in kw:
        kw.pop("category")
        cat = kw.pop("category_id")
        kw["category"] = "道路塌陷破损"
        with pytest.raises(InvalidInput) as exc:
            actions.do_create_proactive(actor=d.people["chengang"], title="巡查", description="巡查发现路面塌陷",
                                        unit_id=d.units["street-a"].pk, source="patrol", category_id=cat)
    else:
        with pytest.raises(InvalidInput) as exc:
            new_proactive(d, **kw)
    assert field in exc.value.details, exc.value.details
    assert WorkOrder.objects.count() == 0 and Event.objects.count() == 0


def test_it_refuses_a_unit_that_handles_no_orders(district):
    with pytest.raises(InvalidInput):
        new_proactive(district, unit_id=district.units["district"].pk)
    assert WorkOrder.objects.count() == 0


def test_a_retried_submission_is_one_order(district):
    first = new_proactive(district, idempotency_key="patrol-2026-001")
    assert new_proactive(district, idempotency_key="patrol-2026-001") == first
    assert WorkOrder.objects.count() == 1


# ---- verification ----------------------------------------------------------------------------------


def test_the_reply_needs_no_contact_with_a_caller(district):
    oid = bring_proactive_to(district, State.REPLIED)
    assert WorkOrder.objects.get(pk=oid).first_contact_at is None  # no caller, and no gap for it


def test_verify_closes_and_says_it_passed_first_time(district):
    p = district.people
    oid = bring_proactive_to(district, State.AWAITING_CALLBACK)
    assert WorkOrder.objects.get(pk=oid).state_label == "待核验"
    actions.do_verify(oid, actor=p["liudu"], note="现场核验属实")
    order = WorkOrder.objects.get(pk=oid)
    assert order.state == State.CLOSED and order.closed_at is not None
    last = Event.objects.get(order=order, seq=order.event_seq)
    assert (last.action, last.data["first_time"], last.data["unit"]) == ("verify", True, district.units["street-a"].pk)
    assert not order.callbacks.exists()


def test_a_failed_verification_reopens_and_the_next_pass_is_not_first_time(district):
    p = district.people
    oid = bring_proactive_to(district, State.AWAITING_CALLBACK)
    actions.do_reopen(oid, actor=p["chengang"], reason="现场核验发现路面仍有裂缝")
    order = WorkOrder.objects.get(pk=oid)
    assert order.state == State.IN_PROGRESS
    assert Event.objects.get(order=order, seq=order.event_seq).data["failed_verification"] is True
    from tests.orders.loop import PROACTIVE_REPLY, photo

    actions.do_attach(oid, actor=p["liqiang"], file=photo())
    actions.do_reply(oid, actor=p["liqiang"], **PROACTIVE_REPLY)
    actions.do_approve(oid, actor=p["zhoushen"])
    actions.do_verify(oid, actor=p["chengang"])
    last = Event.objects.filter(order_id=oid).order_by("-seq").first()
    assert (last.action, last.data["first_time"], last.data["failed_before"]) == ("verify", False, 1)


def test_a_callers_order_is_not_verified_and_a_proactive_one_not_called_back(district):
    p = district.people
    call = bring_to(district, State.AWAITING_CALLBACK)
    before = snapshot(call)
    with pytest.raises(InvalidTransition) as exc:
        actions.do_verify(call, actor=p["chengang"])
    assert exc.value.code == "not_for_this_source" and "回访" in str(exc.value.message)
    assert snapshot(call) == before
    proactive = bring_proactive_to(district, State.AWAITING_CALLBACK)
    before = snapshot(proactive)
    for attempt in (lambda: actions.do_callback(proactive, actor=p["sunhui"], contacted=True, resolved=True,
                                                satisfaction="satisfied"),
                    lambda: actions.do_callback_attempt(proactive, actor=p["sunhui"])):
        with pytest.raises(InvalidTransition) as exc:
            attempt()
        assert "核验" in str(exc.value.message)
    with pytest.raises(NotAllowed):  # no caller to ask: the callback agent does not reopen it
        actions.do_reopen(proactive, actor=p["sunhui"], reason="来电人表示问题仍未解决")
    assert snapshot(proactive) == before


def test_the_verification_note_is_bounded(district):
    oid = bring_proactive_to(district, State.AWAITING_CALLBACK)
    with pytest.raises(InvalidInput):
        actions.do_verify(oid, actor=district.people["chengang"], note="x" * 2001)
    assert WorkOrder.objects.get(pk=oid).state == State.AWAITING_CALLBACK
