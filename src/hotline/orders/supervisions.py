"""The life of one supervision (督办单) as a literal table: (SupervisionState, Step) -> SupervisionState.
Pure: no Django import. docs/supervision.md has the whole design.

A supervisor (or the city, 联合督办) puts an order under supervision with an instruction and a
deadline of its own; the lead unit feeds back (督办反馈) by then; the supervisor closes the
supervision (督办办结) or lifts it (撤销督办). A supervision whose deadline passes without
feedback is escalated to the city platform (提请市级联合督办), by the worker or by a supervisor,
at most once. Each step is an order action (states.py, state-preserving for the order) with one
event; this table says which steps a supervision in a given state may take.
"""

from __future__ import annotations

from enum import StrEnum


class SupervisionState(StrEnum):
    OPEN = "open"  # 督办中: waiting for the unit's feedback
    ANSWERED = "answered"  # 已反馈: the unit fed back, the supervisor decides
    ESCALATED = "escalated"  # 已提请市级联合督办: the deadline passed without feedback
    CLOSED = "closed"  # 督办办结
    LIFTED = "lifted"  # 已撤销督办


class Step(StrEnum):
    FEEDBACK = "feedback"  # 督办反馈 (the lead unit)
    CLOSE = "close"  # 督办办结 (a supervisor accepts the feedback)
    LIFT = "lift"  # 撤销督办 (a supervisor, at any point before the end)
    ESCALATE = "escalate"  # 提请市级联合督办 (the worker when missed, or a supervisor)


SS, ST = SupervisionState, Step

TABLE: dict[tuple[SupervisionState, Step], SupervisionState] = {
    (SS.OPEN, ST.FEEDBACK): SS.ANSWERED,
    (SS.OPEN, ST.ESCALATE): SS.ESCALATED,
    (SS.OPEN, ST.LIFT): SS.LIFTED,
    # escalated: the unit still owes its feedback (late); the city's pressure does not end the supervision
    (SS.ESCALATED, ST.FEEDBACK): SS.ANSWERED,
    (SS.ESCALATED, ST.LIFT): SS.LIFTED,
    (SS.ANSWERED, ST.CLOSE): SS.CLOSED,
    (SS.ANSWERED, ST.LIFT): SS.LIFTED,
    # closed and lifted are final; no state escalates twice (ESCALATED and ANSWERED have no ESCALATE)
}

ACTIVE = frozenset({SS.OPEN, SS.ANSWERED, SS.ESCALATED})  # the order counts as supervised
FINAL = frozenset({SS.CLOSED, SS.LIFTED})
WAITING_FOR_UNIT = frozenset({SS.OPEN, SS.ESCALATED})  # the unit's feedback is owed

# Default feedback deadline in working days by the order's urgency (a supervisor may choose
# another number of working days, or a date): an emergency or a utility failure is chased the
# next working day, a general matter in three, a complex one in five.
DEFAULT_DAYS = {"emergency": 1, "utility": 1, "general": 3, "complex": 5}
MAX_DAYS = 30  # the longest a supervisor may give, in working days (or calendar days for a date)


def next_state(state: SupervisionState, step: Step) -> SupervisionState | None:
    """The supervision's state after `step`, or None when the step does not apply."""
    return TABLE.get((state, step))


def default_days(urgency: str) -> int:
    return DEFAULT_DAYS.get(urgency, DEFAULT_DAYS["general"])

