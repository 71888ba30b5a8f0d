"""The orders' own background task: the escalation of missed supervisions (督办逾期未反馈 →
提请市级联合督办). The worker queues it every HOTLINE_SUPERVISION_SCAN_SECONDS; `hotline
supervision run` does the same by hand. A thin wrapper over the action (actions.escalate_missed)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from .actions.supervision import escalate_missed


@task()
def escalate_missed_supervisions() -> dict[str, Any]:
    """Escalate every supervision past its deadline without feedback, once each."""
    report = escalate_missed()
    return {"escalated": report.escalated, "skipped": [list(s) for s in report.skipped]}
