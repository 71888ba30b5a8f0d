"""A co-unit's part of a joint order (协办任务) as a literal table: (PartState, PartStep) -> PartState.
Pure: no Django import (docs/joint.md).

The order's own actions that touch a part (CO_SIGN, CO_REPLY, CO_URGE in states.py; the centre's
JOINT, DISPATCH, ACCEPT_RETURN, ESCALATE that set the co-units; the reviewer's REDO that reopens
the parts it names) each take one step here. A step not in the table is refused.
"""

from __future__ import annotations

from enum import StrEnum


class PartState(StrEnum):
    ASSIGNED = "assigned"  # 待签收: the centre asked the co-unit for its part
    SIGNED = "signed"  # 办理中: the co-unit signed for it
    REPLIED = "replied"  # 已答复: the co-unit replied its part to the lead unit
    WITHDRAWN = "withdrawn"  # 已撤销: the centre re-dispatched the order without this co-unit


class PartStep(StrEnum):
    SIGN = "sign"  # 协办签收
    REPLY = "reply"  # 协办答复
    URGE = "urge"  # 主办单位催办
    REOPEN = "reopen"  # 驳回重办 names the part: the co-unit replies it again
    WITHDRAW = "withdraw"  # the order is re-dispatched without this co-unit
    REASSIGN = "reassign"  # ... or with it again, after it was withdrawn


P, T = PartState, PartStep

PART_TRANSITIONS: dict[tuple[PartState, PartStep], PartState] = {
    (P.ASSIGNED, T.SIGN): P.SIGNED,
    (P.ASSIGNED, T.URGE): P.ASSIGNED,
    (P.ASSIGNED, T.WITHDRAW): P.WITHDRAWN,
    (P.SIGNED, T.REPLY): P.REPLIED,
    (P.SIGNED, T.URGE): P.SIGNED,
    (P.SIGNED, T.WITHDRAW): P.WITHDRAWN,
    (P.REPLIED, T.REOPEN): P.SIGNED,
    (P.REPLIED, T.WITHDRAW): P.WITHDRAWN,
    (P.WITHDRAWN, T.REASSIGN): P.ASSIGNED,
}

# Parts still owed to the lead unit (their clock runs), and parts that count at all.
PENDING = frozenset({P.ASSIGNED, P.SIGNED})
ACTIVE = frozenset({P.ASSIGNED, P.SIGNED, P.REPLIED})


def next_part_state(state: PartState, step: PartStep) -> PartState | None:
    """The part's state after `step`, or None when the step does not apply in `state`."""
    return PART_TRANSITIONS.get((state, step))


def is_overdue(state: str, due: object, now: object) -> bool:
    """Whether a part still owed is past its due time (`due` and `now` comparable, `due` may be None)."""
    return state in PENDING and due is not None and now > due  # type: ignore[operator]
