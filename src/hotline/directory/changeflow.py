"""Change requests to the responsibility list (清单回头看) as literal tables: (ChangeState,
ChangeAction) -> ChangeState, and who may take which action in which scope. Pure: no Django
import (the same rule as orders/states.py and orders/policies.py).

A unit or the centre proposes a change with the figures behind it (the rules report: dispatches
off the list, upheld returns citing the rule, matters no rule covers); the list's owner approves
it, effective from a date, or rejects it with a reason; the proposer may withdraw it while it is
open. Approval writes a new version of the list (directory/change_actions.py).

Who owns the list: the supervisor (督办领导, the centre's leadership) and the administrator
(系统管理员, who keeps the reference data). Either approves or rejects, but never their own
proposal: a change to who does what needs a second person.

Who proposes: the centre's dispatcher, supervisor and administrator, for any rule or matter; a
unit's handler or unit head only where the unit is concerned (scope CONCERNED): for a change or
retirement, a rule the unit is named in (lead or co-unit) or a rule for the area it governs; for
an addition, a matter in the area it governs, or one the proposal names it in (a unit offering
to take a matter on). The proposer withdraws their own proposal (scope OWN)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ChangeState(StrEnum):
    PROPOSED = "proposed"  # 待审批
    APPROVED = "approved"  # 已批准 (the new version is written)
    REJECTED = "rejected"  # 未批准
    WITHDRAWN = "withdrawn"  # 已撤回


class ChangeAction(StrEnum):
    PROPOSE = "propose"  # 提出 (writes the first event; no state before it)
    APPROVE = "approve"  # 批准
    REJECT = "reject"  # 不予批准
    WITHDRAW = "withdraw"  # 撤回


class ChangeKind(StrEnum):
    ADD = "add"  # 增补条目: a category (and area) no rule covers
    CHANGE = "change"  # 调整主办或协办单位
    RETIRE = "retire"  # 废止条目


class ChangeScope(StrEnum):
    ANY = "any"  # every rule and matter in the district
    CONCERNED = "concerned"  # rules and matters that concern the actor's unit (see above)
    OWN = "own"  # the actor's own proposal
    OTHERS = "others"  # anyone's proposal but the actor's own


S, A = ChangeState, ChangeAction

OPEN_CHANGE_STATES = frozenset({S.PROPOSED})
FINAL_CHANGE_STATES = frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN})

CHANGE_TRANSITIONS: dict[tuple[ChangeState, ChangeAction], ChangeState] = {
    (S.PROPOSED, A.APPROVE): S.APPROVED,
    (S.PROPOSED, A.REJECT): S.REJECTED,
    (S.PROPOSED, A.WITHDRAW): S.WITHDRAWN,
}

_CENTRE: dict[ChangeAction, ChangeScope] = {A.PROPOSE: ChangeScope.ANY, A.WITHDRAW: ChangeScope.OWN}
_OWNER: dict[ChangeAction, ChangeScope] = {**_CENTRE, A.APPROVE: ChangeScope.OTHERS, A.REJECT: ChangeScope.OTHERS}
_UNIT: dict[ChangeAction, ChangeScope] = {A.PROPOSE: ChangeScope.CONCERNED, A.WITHDRAW: ChangeScope.OWN}

CHANGE_RIGHTS: dict[str, dict[ChangeAction, ChangeScope]] = {
    "dispatcher": dict(_CENTRE),
    "supervisor": dict(_OWNER),
    "admin": dict(_OWNER),
    "handler": dict(_UNIT),
    "unit_head": dict(_UNIT),
}

# The owners of the list (who approve and reject).
LIST_OWNERS = frozenset(r for r, rights in CHANGE_RIGHTS.items() if ChangeAction.APPROVE in rights)
# Who reads change requests: the centre's roles see all of them; a unit those it proposed and
# those about rules it is named in.
CENTRE_READERS = frozenset({"dispatcher", "supervisor", "admin", "reviewer"})
UNIT_READERS = frozenset({"handler", "unit_head"})


@dataclass(frozen=True)
class ChangeDecision:
    allowed: bool
    reason: str = ""  # "role", "scope" or "own" when refused


def next_change_state(state: ChangeState, action: ChangeAction) -> ChangeState | None:
    return CHANGE_TRANSITIONS.get((state, action))


def decide_change(*, role: str, action: ChangeAction, actor_id: int | None = None, actor_unit_id: int | None = None,
                  proposer_id: int | None = None, concerned_unit_ids: frozenset[int] = frozenset()) -> ChangeDecision:
    """Whether `role` may take `action` (the state is checked by next_change_state). For PROPOSE,
    `concerned_unit_ids` are the units the rule or matter concerns; for the others, `proposer_id`
    is who proposed the change."""
    scope = CHANGE_RIGHTS.get(role, {}).get(action)
    if scope is None:
        return ChangeDecision(False, "role")
    if scope is ChangeScope.ANY:
        return ChangeDecision(True)
    if scope is ChangeScope.CONCERNED:
        ok = actor_unit_id is not None and actor_unit_id in concerned_unit_ids
        return ChangeDecision(ok, "" if ok else "scope")
    if scope is ChangeScope.OWN:
        ok = actor_id is not None and actor_id == proposer_id
        return ChangeDecision(ok, "" if ok else "scope")
    ok = actor_id is not None and actor_id != proposer_id  # OTHERS
    return ChangeDecision(ok, "" if ok else "own")
