"""Governance tasks (专项治理) as literal tables: (TaskState, TaskAction) -> TaskState, and who may
take which action in which scope. Pure: no Django import (the same rule as orders/states.py and
orders/policies.py).

A supervisor drafts a task from one or more hotspots, gives it a lead unit, co-units and measures
with deadlines and owners, and starts it; the owners report progress on their measures (with
evidence) and mark them done; the lead unit (or the supervisor) submits the task for assessment
once its measures are done; the supervisor assesses it against its target with the effect
measurement in front of them (governance/effect.py), or sends it back to work."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TaskState(StrEnum):
    DRAFT = "draft"  # 拟定中: the problem, units and measures are being settled
    ACTIVE = "active"  # 治理中: the units work on their measures
    EVALUATING = "evaluating"  # 待评估: submitted; the supervisor judges the effect
    CLOSED = "closed"  # 已结项: assessed (the verdict says whether the target was met)
    CANCELLED = "cancelled"  # 已撤销


class TaskAction(StrEnum):
    CREATE = "create"  # 立项 (writes the first event; no state before it)
    ADD_MEASURE = "add_measure"  # 增加措施
    START = "start"  # 启动治理
    REPORT = "report"  # 报告进展 (with evidence)
    COMPLETE_MEASURE = "complete_measure"  # 措施完成
    LINK = "link"  # 关联工单
    PROACTIVE = "proactive"  # 主动派发工单 (未诉先办: a work order with the task as its source)
    SUBMIT = "submit"  # 申请结项评估
    RESUME = "resume"  # 退回继续治理
    ASSESS = "assess"  # 评估结项
    CANCEL = "cancel"  # 撤销
    ANNOTATE = "annotate"  # 备注


class TaskScope(StrEnum):
    ANY = "any"  # every task in the district
    LEAD = "lead"  # tasks whose lead unit is the actor's unit
    OWNER = "owner"  # the measure's owner unit is the actor's unit
    INVOLVED = "involved"  # tasks the actor's unit leads, co-handles or owns a measure of


S, A = TaskState, TaskAction

OPEN_TASK_STATES = frozenset({S.DRAFT, S.ACTIVE, S.EVALUATING})
FINAL_TASK_STATES = frozenset({S.CLOSED, S.CANCELLED})

TASK_TRANSITIONS: dict[tuple[TaskState, TaskAction], TaskState] = {
    (S.DRAFT, A.ADD_MEASURE): S.DRAFT,
    (S.DRAFT, A.LINK): S.DRAFT,
    (S.DRAFT, A.START): S.ACTIVE,
    (S.DRAFT, A.CANCEL): S.CANCELLED,
    (S.DRAFT, A.ANNOTATE): S.DRAFT,
    (S.ACTIVE, A.ADD_MEASURE): S.ACTIVE,
    (S.ACTIVE, A.REPORT): S.ACTIVE,
    (S.ACTIVE, A.COMPLETE_MEASURE): S.ACTIVE,
    (S.ACTIVE, A.LINK): S.ACTIVE,
    (S.ACTIVE, A.PROACTIVE): S.ACTIVE,
    (S.ACTIVE, A.SUBMIT): S.EVALUATING,
    (S.ACTIVE, A.CANCEL): S.CANCELLED,
    (S.ACTIVE, A.ANNOTATE): S.ACTIVE,
    (S.EVALUATING, A.RESUME): S.ACTIVE,
    (S.EVALUATING, A.ASSESS): S.CLOSED,
    (S.EVALUATING, A.LINK): S.EVALUATING,
    (S.EVALUATING, A.ANNOTATE): S.EVALUATING,
    (S.CLOSED, A.ANNOTATE): S.CLOSED,
    (S.CANCELLED, A.ANNOTATE): S.CANCELLED,
}

_CENTRE = {a: TaskScope.ANY for a in TaskAction}
_UNIT: dict[TaskAction, TaskScope] = {
    A.REPORT: TaskScope.OWNER,
    A.COMPLETE_MEASURE: TaskScope.OWNER,
    A.ANNOTATE: TaskScope.INVOLVED,
}
# The unit head of the lead unit also submits the task once its measures are done.
_UNIT_HEAD = {**_UNIT, A.SUBMIT: TaskScope.LEAD}

TASK_RIGHTS: dict[str, dict[TaskAction, TaskScope]] = {
    "supervisor": dict(_CENTRE),
    "admin": dict(_CENTRE),
    "handler": dict(_UNIT),
    "unit_head": dict(_UNIT_HEAD),
}

# Who reads tasks: the centre's roles see every task; a unit sees the tasks it takes part in.
TASK_READERS = frozenset({"supervisor", "admin", "dispatcher", "reviewer"})
UNIT_READERS = frozenset({"handler", "unit_head"})


@dataclass(frozen=True)
class TaskDecision:
    allowed: bool
    reason: str = ""  # "role" or "scope" when refused


def next_task_state(state: TaskState, action: TaskAction) -> TaskState | None:
    return TASK_TRANSITIONS.get((state, action))


def decide_task(*, role: str, action: TaskAction, actor_unit_id: int | None, lead_unit_id: int | None,
                involved_unit_ids: frozenset[int] = frozenset(), owner_unit_id: int | None = None) -> TaskDecision:
    """Whether `role` may take `action` on a task (the state is checked by next_task_state)."""
    scope = TASK_RIGHTS.get(role, {}).get(action)
    if scope is None:
        return TaskDecision(False, "role")
    if scope is TaskScope.ANY:
        return TaskDecision(True)
    if actor_unit_id is None:
        return TaskDecision(False, "scope")
    if scope is TaskScope.LEAD:
        ok = actor_unit_id == lead_unit_id
    elif scope is TaskScope.OWNER:
        ok = actor_unit_id == owner_unit_id
    else:
        ok = actor_unit_id == lead_unit_id or actor_unit_id in involved_unit_ids
    return TaskDecision(ok, "" if ok else "scope")
