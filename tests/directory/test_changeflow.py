"""The change requests' state and rights tables (directory/changeflow.py): every (state, action)
pair and every (role, action, scope) combination, read from the literal tables."""

from __future__ import annotations

import itertools

import pytest

from hotline.directory.changeflow import (
    CHANGE_RIGHTS,
    CHANGE_TRANSITIONS,
    FINAL_CHANGE_STATES,
    LIST_OWNERS,
    OPEN_CHANGE_STATES,
    ChangeAction,
    ChangeState,
    decide_change,
    next_change_state,
)

S, A = ChangeState, ChangeAction
ALL_ROLES = ["agent", "dispatcher", "handler", "unit_head", "reviewer", "callback", "supervisor", "admin", "system",
             "city", "public"]


def test_states_are_open_or_final_and_only_an_open_request_moves():
    assert set(S) == OPEN_CHANGE_STATES | FINAL_CHANGE_STATES
    assert not OPEN_CHANGE_STATES & FINAL_CHANGE_STATES
    for state, action in itertools.product(S, A):
        target = next_change_state(state, action)
        if state in FINAL_CHANGE_STATES or action is A.PROPOSE:
            assert target is None, (state, action)
        else:
            assert target is not None, (state, action)
    assert CHANGE_TRANSITIONS == {(S.PROPOSED, A.APPROVE): S.APPROVED, (S.PROPOSED, A.REJECT): S.REJECTED,
                                  (S.PROPOSED, A.WITHDRAW): S.WITHDRAWN}


def test_the_owners_of_the_list_are_the_supervisor_and_the_administrator():
    assert {"supervisor", "admin"} == LIST_OWNERS


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_may_approve(role):
    # someone else's proposal
    d = decide_change(role=role, action=A.APPROVE, actor_id=1, actor_unit_id=9, proposer_id=2)
    assert d.allowed is (role in {"supervisor", "admin"})
    assert decide_change(role=role, action=A.REJECT, actor_id=1, proposer_id=2).allowed is (
        role in {"supervisor", "admin"})


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_an_owner_never_approves_or_rejects_their_own_proposal(role):
    for action in (A.APPROVE, A.REJECT):
        d = decide_change(role=role, action=action, actor_id=5, proposer_id=5)
        assert (d.allowed, d.reason) == (False, "own")


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_may_propose_and_where(role):
    anywhere = decide_change(role=role, action=A.PROPOSE, actor_id=1, actor_unit_id=7, concerned_unit_ids=frozenset())
    concerned = decide_change(role=role, action=A.PROPOSE, actor_id=1, actor_unit_id=7,
                              concerned_unit_ids=frozenset({7, 8}))
    if role in {"dispatcher", "supervisor", "admin"}:
        assert anywhere.allowed and concerned.allowed
    elif role in {"handler", "unit_head"}:
        assert (anywhere.allowed, anywhere.reason) == (False, "scope")
        assert concerned.allowed
    else:
        assert (anywhere.allowed, anywhere.reason, concerned.allowed) == (False, "role", False)


def test_a_unit_without_a_unit_proposes_nothing():
    assert not decide_change(role="handler", action=A.PROPOSE, actor_unit_id=None,
                             concerned_unit_ids=frozenset({7})).allowed


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_the_proposer_withdraws(role):
    own = decide_change(role=role, action=A.WITHDRAW, actor_id=3, proposer_id=3)
    other = decide_change(role=role, action=A.WITHDRAW, actor_id=3, proposer_id=4)
    proposes = A.PROPOSE in CHANGE_RIGHTS.get(role, {})
    assert own.allowed is proposes
    assert other.allowed is False


def test_units_never_approve_reject_or_propose_outside_their_scope():
    for role in ("handler", "unit_head"):
        assert set(CHANGE_RIGHTS[role]) == {A.PROPOSE, A.WITHDRAW}
