"""The state machine and the rights table, exhaustively, without a database."""

from __future__ import annotations

import inspect
import itertools
from collections import deque

import pytest

from hotline.directory.roles import UNIT_ROLES, Role
from hotline.orders import actions, policies, states
from hotline.orders.states import Action, State
from hotline.orders.supervisions import ACTIVE, FINAL, WAITING_FOR_UNIT, Step, SupervisionState, next_state
from tests.orders.loop import CREATORS, MOVES, STAYS, intended_allowed, intended_target

RELATIONS = ("lead", "co", "other", "none")
LEAD, CO, OTHER = 11, 22, 33


def _decide(role: Role, action: Action, state: State | None, relation: str) -> policies.Decision:
    actor_unit = {"lead": LEAD, "co": CO, "other": OTHER, "none": None}[relation]
    return policies.decide(role=role, action=action, state=state, actor_unit_id=actor_unit,
                           lead_unit_id=LEAD, co_unit_ids=[CO])


def test_it_maps_every_state_and_action_to_the_intended_target():
    wrong = [
        (s.value, a.value, states.next_state(s, a), intended_target(s, a))
        for s, a in itertools.product(states.ALL_STATES, states.ALL_ACTIONS)
        if states.next_state(s, a) != intended_target(s, a)
    ]
    assert wrong == []


def test_it_allows_exactly_the_intended_role_state_action_combinations():
    wrong = []
    for role, action, state, relation in itertools.product(Role, states.ALL_ACTIONS, State, RELATIONS):
        if role not in UNIT_ROLES and relation != "none":
            continue  # district roles have no unit relation to an order
        got = states.next_state(state, action) is not None and _decide(role, action, state, relation).allowed
        if got != intended_allowed(role, action, state, relation):
            wrong.append((role.value, action.value, state.value, relation, got))
    assert wrong == []


@pytest.mark.parametrize("role", list(Role))
def test_it_lets_only_intake_roles_create(role):
    assert _decide(role, Action.CREATE, None, "none").allowed is (role in CREATORS)


def test_it_explains_why_a_decision_is_refused():
    assert _decide(Role.REVIEWER, Action.SIGN, State.DISPATCHED, "none").reason == "role"
    assert _decide(Role.HANDLER, Action.SIGN, State.DISPATCHED, "other").reason == "scope"
    assert _decide(Role.HANDLER, Action.CLAIM, State.RECEIVED, "none").reason == "scope"
    assert _decide(Role.CALLBACK, Action.REOPEN, State.CLOSED, "none").reason == "state"
    assert _decide(Role.HANDLER, Action.SIGN, State.DISPATCHED, "lead").reason == ""


def test_it_lets_a_co_unit_work_on_but_not_decide_an_order():
    for action in (Action.CONTACT, Action.PROGRESS, Action.ATTACH, Action.ANNOTATE, Action.VIEW_PHONE):
        assert _decide(Role.HANDLER, action, State.IN_PROGRESS, "co").allowed, action
    for action in (Action.SIGN, Action.RETURN, Action.REPLY, Action.REQUEST_EXTENSION):
        assert not _decide(Role.HANDLER, action, State.IN_PROGRESS, "co").allowed, action


def test_it_reaches_every_state_from_received():
    seen, todo = {State.RECEIVED}, deque([State.RECEIVED])
    while todo:
        s = todo.popleft()
        for a in states.actions_from(s):
            t = states.next_state(s, a)
            if t not in seen:
                seen.add(t)
                todo.append(t)
    assert seen == set(State)


def test_it_keeps_the_state_groups_consistent():
    assert set(State) == states.OPEN_STATES | states.FINAL_STATES
    assert not states.OPEN_STATES & states.FINAL_STATES
    assert states.LED_STATES <= states.OPEN_STATES
    assert states.UNIT_CLOCK_STATES <= states.LED_STATES
    # every open state has a way forward that changes the state
    for s in states.OPEN_STATES:
        assert any(states.next_state(s, a) != s for a in states.actions_from(s)), s
    # only reopen, restore and unmerge lead out of a final state into an open one
    for (s, a), t in states.TRANSITIONS.items():
        if s in states.FINAL_STATES and t in states.OPEN_STATES:
            assert a in {Action.REOPEN, Action.RESTORE, Action.UNMERGE}, (s, a)
    # a merged order follows its main order until a person undoes the merge: back to received
    assert {(a, t) for (s, a), t in states.TRANSITIONS.items() if s is State.MERGED and t is not State.MERGED} == {
        (Action.UNMERGE, State.RECEIVED)}


def test_it_grants_every_action_in_the_table_to_someone_and_nothing_outside_it():
    granted = {a for role in Role for a in policies.actions_for(role)}
    in_table = {a for (_s, a) in states.TRANSITIONS}
    assert in_table <= granted
    assert granted <= in_table | {Action.CREATE}
    assert Action.CREATE not in in_table


def test_it_has_one_entry_per_action_in_the_intended_behaviour():
    assert set(MOVES) | set(STAYS) == set(states.ALL_ACTIONS)
    assert not set(MOVES) & set(STAYS)


# Every action DESIGN.md names, with the function that takes it.
DESIGN_ACTIONS = {
    "dispatch": "do_dispatch", "claim": "do_claim", "answer": "do_answer", "screen_out": "do_screen_out",
    "merge": "do_merge", "sign": "do_sign", "return": "do_return", "accept_return": "do_accept_return",
    "reject_return": "do_reject_return", "joint": "do_joint", "escalate": "do_escalate", "contact": "do_contact",
    "progress": "do_progress", "request_extension": "do_request_extension", "reply": "do_reply",
    "approve": "do_approve", "redo": "do_redo", "callback": "do_callback", "reopen": "do_reopen",
    "restore": "do_restore", "urge": "do_urge", "supervise": "do_supervise",
    "approve_extension": "do_approve_extension", "deny_extension": "do_deny_extension",
    "annotate": "do_annotate", "attach": "do_attach", "create": "do_create",
}


@pytest.mark.parametrize("action,func", sorted(DESIGN_ACTIONS.items()))
def test_it_has_every_action_of_the_design_as_a_keyword_only_function(action, func):
    assert Action(action)
    fn = getattr(actions, func)
    params = inspect.signature(fn).parameters
    assert params["actor"].kind is inspect.Parameter.KEYWORD_ONLY
    assert fn.__doc__, f"{func} needs a docstring saying what holds before and after"
    for name, p in params.items():
        if name not in ("order_id", "data", "rows"):
            assert p.kind is inspect.Parameter.KEYWORD_ONLY, (func, name)


def test_it_has_a_function_for_every_action_in_the_table():
    missing = [a.value for a in states.ALL_ACTIONS if not hasattr(actions, f"do_{a.value}")]
    assert missing == []


def test_the_supervision_table_escalates_at_most_once_and_ends_for_good():
    """督办单's own life (orders/supervisions.py), against the rules written out here: the unit's
    feedback is owed while open or escalated; only an open one is escalated (so never twice, and
    never after feedback); close only on feedback; lift from any active state; closed and lifted
    are final."""
    ss = SupervisionState
    for state in ss:
        assert (next_state(state, Step.FEEDBACK) is ss.ANSWERED) == (state in WAITING_FOR_UNIT)
        assert (next_state(state, Step.ESCALATE) is ss.ESCALATED) == (state is ss.OPEN)
        assert (next_state(state, Step.CLOSE) is ss.CLOSED) == (state is ss.ANSWERED)
        assert (next_state(state, Step.LIFT) is ss.LIFTED) == (state in ACTIVE)
        if state in FINAL:
            assert all(next_state(state, step) is None for step in Step)
    # walk every path from open: escalated at most once on each
    paths = deque([(ss.OPEN, 0)])
    while paths:
        state, escalations = paths.popleft()
        assert escalations <= 1
        for step in Step:
            target = next_state(state, step)
            if target is not None:
                paths.append((target, escalations + (step is Step.ESCALATE)))


def test_every_action_has_a_label_for_the_trace():
    """The order page's timeline names each step (an action without a label showed its code, in
    English, on the Chinese page: appeal_redo)."""
    from hotline.orders.models import ACTION_LABELS

    assert set(ACTION_LABELS) == set(Action)
