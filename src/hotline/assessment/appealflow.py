"""Appeals against a unit's monthly score (考核得分申诉) as literal tables: (AppealState,
AppealAction) -> AppealState, and who may take which action in which scope. Pure: no Django
import (the same rule as orders/states.py and directory/changeflow.py).

The unit's head files an appeal for a month of its own unit, naming the indicators it contests
and why; a supervisor (督办领导) upholds it, with a correction of the score in points, or rejects
it, with the reason; the unit's head may withdraw it while it is pending. docs/appeals.md."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AppealState(StrEnum):
    PENDING = "pending"  # 待裁定
    UPHELD = "upheld"  # 申诉成立 (the score is corrected)
    REJECTED = "rejected"  # 申诉不成立
    WITHDRAWN = "withdrawn"  # 已撤回


class AppealAction(StrEnum):
    FILE = "file"  # 提出申诉 (writes the first event; no state before it)
    UPHOLD = "uphold"  # 申诉成立
    REJECT = "reject"  # 申诉不成立
    WITHDRAW = "withdraw"  # 撤回


class AppealScope(StrEnum):
    ANY = "any"  # every unit's appeal
    OWN_UNIT = "own_unit"  # an appeal of the actor's own unit


S, A = AppealState, AppealAction

OPEN_APPEAL_STATES = frozenset({S.PENDING})
FINAL_APPEAL_STATES = frozenset({S.UPHELD, S.REJECTED, S.WITHDRAWN})

APPEAL_TRANSITIONS: dict[tuple[AppealState, AppealAction], AppealState] = {
    (S.PENDING, A.UPHOLD): S.UPHELD,
    (S.PENDING, A.REJECT): S.REJECTED,
    (S.PENDING, A.WITHDRAW): S.WITHDRAWN,
}

APPEAL_RIGHTS: dict[str, dict[AppealAction, AppealScope]] = {
    # the unit's formal position: its head files and withdraws it
    "unit_head": {A.FILE: AppealScope.OWN_UNIT, A.WITHDRAW: AppealScope.OWN_UNIT},
    # the centre's leadership decides
    "supervisor": {A.UPHOLD: AppealScope.ANY, A.REJECT: AppealScope.ANY},
}
DECIDERS = frozenset(r for r, rights in APPEAL_RIGHTS.items() if A.UPHOLD in rights)
# Who reads score appeals: the centre's roles all of them, a unit its own.
CENTRE_READERS = frozenset({"dispatcher", "supervisor", "admin", "reviewer"})
UNIT_READERS = frozenset({"handler", "unit_head"})


@dataclass(frozen=True)
class AppealDecision:
    allowed: bool
    reason: str = ""  # "role" or "scope" when refused


def next_appeal_state(state: AppealState, action: AppealAction) -> AppealState | None:
    return APPEAL_TRANSITIONS.get((state, action))


def decide_appeal(*, role: str, action: AppealAction, actor_unit_id: int | None,
                  appeal_unit_id: int | None) -> AppealDecision:
    """Whether `role` (of `actor_unit_id`) may take `action` on an appeal of `appeal_unit_id`."""
    scope = APPEAL_RIGHTS.get(role, {}).get(action)
    if scope is None:
        return AppealDecision(False, "role")
    if scope is AppealScope.ANY:
        return AppealDecision(True)
    ok = actor_unit_id is not None and actor_unit_id == appeal_unit_id
    return AppealDecision(ok, "" if ok else "scope")
