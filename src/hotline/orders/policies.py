"""Who may take which action, in which scope. Pure: no Django import.

RIGHTS[role][action] -> Scope. A role missing an action has no right to it. Unit roles act only
on orders their unit leads (LEAD) or takes part in (INVOLVED); district roles act everywhere.
STATE_LIMITS narrows a right to some states (a callback agent reopens only an order awaiting
callback; reopening a closed order is a supervisor's decision).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from hotline.directory.roles import Role

from .states import Action, State


class Scope(StrEnum):
    ANY = "any"  # every order in the district
    LEAD = "lead"  # orders whose lead unit is the actor's unit
    INVOLVED = "involved"  # orders the actor's unit leads or co-handles
    UNIT = "unit"  # the actor must belong to a handling unit (claiming an undispatched order)
    CO = "co"  # orders the actor's unit co-handles (its own part of a joint order), not those it leads


A, R = Action, Role
_ANY, _LEAD, _INV, _UNIT, _CO = Scope.ANY, Scope.LEAD, Scope.INVOLVED, Scope.UNIT, Scope.CO

_UNIT_RIGHTS: dict[Action, Scope] = {
    A.CLAIM: _UNIT,
    A.SIGN: _LEAD,
    A.RETURN: _LEAD,
    A.CONTACT: _INV,
    A.PROGRESS: _INV,
    A.REQUEST_EXTENSION: _LEAD,
    A.REPLY: _LEAD,
    A.ANNOTATE: _INV,
    A.ATTACH: _INV,
    A.VIEW_PHONE: _INV,
    # Every order a unit sees (it leads or co-handles it, or it waits in the unit's area to be
    # claimed): do_view_evidence narrows it to those, as do_claim narrows claiming.
    A.VIEW_EVIDENCE: _UNIT,
    # only the unit that leads the order reports it as unreasonable (a co-unit tells the lead unit)
    A.REPORT_UNREASONABLE: _LEAD,
    # supervision (督办): the lead unit answers the supervisor (a co-unit reports to the lead unit)
    A.SUPERVISION_FEEDBACK: _LEAD,
    # joint handling (docs/joint.md): a co-unit signs and replies its own part; the lead urges it
    A.CO_SIGN: _CO,
    A.CO_REPLY: _CO,
    A.CO_URGE: _LEAD,
}

RIGHTS: dict[Role, dict[Action, Scope]] = {
    R.AGENT: {
        A.CREATE: _ANY,
        # the caller contests a mark on their record by calling the hotline: the agent records it
        A.CONTEST_MARK: _ANY,
        A.ANSWER: _ANY,
        A.SCREEN_OUT: _ANY,
        A.MERGE: _ANY,
        A.UNMERGE: _ANY,
        A.URGE: _ANY,
        A.ANNOTATE: _ANY,
        A.ATTACH: _ANY,
        A.VIEW_EVIDENCE: _ANY,
    },
    R.DISPATCHER: {
        A.CREATE: _ANY,
        A.DISPATCH: _ANY,
        A.VERIFY: _ANY,
        A.REOPEN: _ANY,  # a failed verification of a proactive order only (SOURCE_STATE_LIMITS)
        A.ANSWER: _ANY,
        A.SCREEN_OUT: _ANY,
        A.RESTORE: _ANY,
        A.MERGE: _ANY,
        A.UNMERGE: _ANY,
        A.ACCEPT_RETURN: _ANY,
        A.REJECT_RETURN: _ANY,
        A.JOINT: _ANY,
        A.ESCALATE: _ANY,
        A.RETURN_TO_CITY: _ANY,
        A.APPROVE_EXTENSION: _ANY,
        A.DENY_EXTENSION: _ANY,
        A.URGE: _ANY,
        A.ANNOTATE: _ANY,
        A.ATTACH: _ANY,
        A.VIEW_EVIDENCE: _ANY,
    },
    R.HANDLER: dict(_UNIT_RIGHTS),
    # An appeal (申诉) is the unit's formal position against the centre's decision: its head files
    # it (a handler drafts it with the head off the system; docs/appeals.md).
    R.UNIT_HEAD: {**_UNIT_RIGHTS, A.APPEAL_REDO: _LEAD, A.APPEAL_CALLBACK: _LEAD},
    R.REVIEWER: {
        A.APPROVE: _ANY,
        A.REDO: _ANY,
        A.ANNOTATE: _ANY,
        A.VIEW_EVIDENCE: _ANY,
    },
    R.CALLBACK: {
        A.CALLBACK: _ANY,
        A.CALLBACK_ATTEMPT: _ANY,
        A.REOPEN: _ANY,
        A.ANNOTATE: _ANY,
        A.VIEW_EVIDENCE: _ANY,
        # the second, independent callback of a suspect one (do_recheck refuses the person who
        # made the callback under suspicion)
        A.RECHECK: _ANY,
    },
    R.SUPERVISOR: {
        A.VERIFY: _ANY,
        A.SUPERVISE: _ANY,
        A.URGE: _ANY,
        A.REOPEN: _ANY,
        A.RESTORE: _ANY,
        A.UNMERGE: _ANY,
        A.APPROVE_EXTENSION: _ANY,
        A.DENY_EXTENSION: _ANY,
        A.ANNOTATE: _ANY,
        A.VIEW_EVIDENCE: _ANY,
        # Unreasonable requests are the supervisors' to decide, not the dispatchers': the decision
        # takes the order out of a unit's assessment and marks a citizen's record, and a dispatcher
        # already arbitrates the same units' returns (docs/unreasonable.md).
        A.UPHOLD_UNREASONABLE: _ANY,
        A.REJECT_UNREASONABLE: _ANY,
        A.LIFT_MARK: _ANY,
        A.KEEP_MARK: _ANY,
        A.RECHECK: _ANY,
        # appeals (申诉) are decided by the centre's leadership; do_uphold_appeal / do_reject_appeal
        # refuse the reviewer who made the redo and the agent who made the callback appealed
        A.UPHOLD_APPEAL: _ANY,
        A.REJECT_APPEAL: _ANY,
        # supervision (督办): the supervisors open it (SUPERVISE above), close it on the unit's
        # feedback, lift it, and escalate it to the city by hand
        A.CLOSE_SUPERVISION: _ANY,
        A.LIFT_SUPERVISION: _ANY,
        A.ESCALATE_SUPERVISION: _ANY,
    },
    R.ADMIN: {
        A.ANNOTATE: _ANY,
        A.VIEW_EVIDENCE: _ANY,
    },
    # The triage service proposes and acts like any actor, but never closes or screens out an
    # order by itself: those flags go to a person (the study: nothing wrongly filtered).
    R.SYSTEM: {
        A.CREATE: _ANY,
        A.DISPATCH: _ANY,
        A.MERGE: _ANY,
        A.ANNOTATE: _ANY,
        # the worker escalates a supervision whose deadline passed without feedback (联合督办)
        A.ESCALATE_SUPERVISION: _ANY,
        # No APPROVE: a reply not drawn for sampled review is passed by do_reply itself, in the
        # same transaction. A right here would let the system approve a drawn reply unseen.
    },
    # The city platform (through the city link): it hands orders down, chases them (催办) and puts
    # them under joint supervision (联合督办); everything else is the district's to do.
    R.CITY: {
        A.CREATE: _ANY,
        A.URGE: _ANY,
        A.SUPERVISE: _ANY,
        A.ANNOTATE: _ANY,
    },
    # The citizens' web channel (hotline.public): it files the citizen's request, attaches the
    # photos sent with it, and records the citizen's own answers to the callback questions.
    R.PUBLIC: {
        A.CREATE: _ANY,
        A.ATTACH: _ANY,
        A.CALLBACK: _ANY,
    },
}

STATE_LIMITS: dict[tuple[Role, Action], frozenset[State]] = {
    (R.CALLBACK, A.REOPEN): frozenset({State.AWAITING_CALLBACK}),
    (R.SUPERVISOR, A.REOPEN): frozenset({State.CLOSED}),
    (R.DISPATCHER, A.REOPEN): frozenset(),  # never on a caller's order: that is the callback's
    # photos come with the request, before anyone has acted on it
    (R.PUBLIC, A.ATTACH): frozenset({State.RECEIVED}),
    # the citizen answers once the reply is approved (a merged order's caller is called by staff)
    (R.PUBLIC, A.CALLBACK): frozenset({State.AWAITING_CALLBACK}),
}


# For proactive orders (no caller) the state limits differ: the centre, which verifies the result,
# reopens one that fails verification (awaiting verification), and the callback agent has no
# caller to ask, so reopens none.
SOURCE_STATE_LIMITS: dict[tuple[Role, Action], frozenset[State]] = {
    (R.DISPATCHER, A.REOPEN): frozenset({State.AWAITING_CALLBACK}),
    (R.SUPERVISOR, A.REOPEN): frozenset({State.AWAITING_CALLBACK, State.CLOSED}),
    (R.CALLBACK, A.REOPEN): frozenset(),
}

# Who may open a proactive order (未诉先办) and dispatch it at once: the centre, and the system
# for the seasonal rules.
PROACTIVE_CREATORS = frozenset({R.DISPATCHER, R.SUPERVISOR, R.SYSTEM})


def may_create_proactive(role: Role) -> bool:
    return role in PROACTIVE_CREATORS


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # machine-readable: "" | "role" | "scope" | "state"


def decide(
    *,
    role: Role,
    action: Action,
    state: State | None,
    actor_unit_id: int | None,
    lead_unit_id: int | None,
    co_unit_ids: Iterable[int] = (),
    proactive: bool = False,
) -> Decision:
    """May a person of `role` in `actor_unit_id` take `action` on an order in `state` that
    `lead_unit_id` leads with `co_unit_ids` (a proactive order, with no caller, when `proactive`)?
    (State validity itself is states.py's business.)"""
    scope = RIGHTS.get(role, {}).get(action)
    if scope is None:
        return Decision(False, "role")
    limit = STATE_LIMITS.get((role, action))
    if proactive and (role, action) in SOURCE_STATE_LIMITS:
        limit = SOURCE_STATE_LIMITS[(role, action)]
    if limit is not None and state is not None and state not in limit:
        return Decision(False, "state")
    if scope is Scope.ANY:
        return Decision(True)
    if actor_unit_id is None:
        return Decision(False, "scope")
    if scope is Scope.UNIT:
        return Decision(True)
    if scope is Scope.LEAD:
        return Decision(actor_unit_id == lead_unit_id, "" if actor_unit_id == lead_unit_id else "scope")
    if scope is Scope.CO:
        co = actor_unit_id != lead_unit_id and actor_unit_id in set(co_unit_ids)
        return Decision(co, "" if co else "scope")
    involved = actor_unit_id == lead_unit_id or actor_unit_id in set(co_unit_ids)
    return Decision(involved, "" if involved else "scope")


def actions_for(role: Role) -> frozenset[Action]:
    return frozenset(RIGHTS.get(role, {}))


# Actions that apply only to orders from some channels: an order goes back to the city only if the
# city handed it down (上级转办).
ONLY_FOR_CHANNELS: dict[Action, frozenset[str]] = {
    A.RETURN_TO_CITY: frozenset({"transfer"}),
}


def applies_to_channel(action: Action, channel: str) -> bool:
    """Whether `action` can apply to an order that came in through `channel`."""
    only = ONLY_FOR_CHANNELS.get(action)
    return only is None or channel in only


# Actions that apply only to a caller's order (there is someone to call back), or only to a
# proactive one (no caller: the centre verifies the result instead).
# A proactive order has no caller: nobody to call back, no request to find unreasonable, no
# caller's record to mark or contest.
CALLER_ACTIONS = frozenset({A.REPORT_UNREASONABLE, A.UPHOLD_UNREASONABLE, A.REJECT_UNREASONABLE, A.CONTEST_MARK,
                            A.LIFT_MARK, A.KEEP_MARK})
# (a re-check calls the caller again about a callback: a proactive order has none; nor has it a
# callback to appeal)
ONLY_FOR_CALLS = frozenset({A.CALLBACK, A.CALLBACK_ATTEMPT, A.RECHECK, A.APPEAL_CALLBACK}) | CALLER_ACTIONS
ONLY_FOR_PROACTIVE = frozenset({A.VERIFY})


def applies_to_source(action: Action, proactive: bool) -> bool:
    """Whether `action` can apply to a proactive order (`proactive`) or to a caller's."""
    if action in ONLY_FOR_CALLS:
        return not proactive
    if action in ONLY_FOR_PROACTIVE:
        return proactive
    return True
