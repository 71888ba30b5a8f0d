"""Supervision (督办) in the assessment: per unit, the supervisions it received in a period, how
many it answered by their deadline, how many it missed (answered late, or not answered and past
the deadline), and how many were escalated to the city (联合督办). Read from the supervision
records (orders.Supervision: a small table, one row per supervision), not from the daily
aggregates. Shown in `hotline assess --json` ("supervision") and the monthly report; not scored
(docs/supervision.md says why)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from hotline.directory.models import Unit
from hotline.orders.models import Supervision

from .stats import day_bounds

EMPTY = {"received": 0, "answered": 0, "on_time": 0, "missed": 0, "escalated": 0, "open": 0, "on_time_rate": None}


def empty() -> dict[str, Any]:
    return dict(EMPTY)


def per_unit(first: dt.date, last: dt.date, *, now: dt.datetime | None = None,
             unit_ids: list[int] | None = None) -> dict[int, dict[str, Any]]:
    """{unit id: figures} for the supervisions opened in days first..last (units without any are
    absent). A supervision counts against the unit it was addressed to (the one that fed back or
    missed it, Supervision.unit). on_time_rate = on time / (on time + missed): a supervision still
    within its deadline and unanswered is neither yet; a lifted one counts only if it was missed
    before it was lifted."""
    now = now or timezone.now()
    lo, hi = day_bounds(first, last)
    qs = Supervision.objects.filter(opened_at__gte=lo, opened_at__lt=hi, unit__isnull=False)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    out: dict[int, dict[str, Any]] = {}
    for unit_id, state, due, feedback_at, escalated_at, ended_at in qs.values_list(
            "unit_id", "state", "due", "feedback_at", "escalated_at", "ended_at"):
        row = out.setdefault(unit_id, empty())
        row["received"] += 1
        if feedback_at is not None:
            row["answered"] += 1
        if feedback_at is not None and feedback_at <= due:
            row["on_time"] += 1
        elif feedback_at is not None or (state in ("open", "escalated") and due < now) or (
                state == "lifted" and ended_at is not None and ended_at > due):
            row["missed"] += 1  # answered late, still owed past the deadline, or lifted only after it
        if escalated_at is not None:
            row["escalated"] += 1
        if state in ("open", "answered", "escalated"):
            row["open"] += 1
    for row in out.values():
        decided = row["on_time"] + row["missed"]
        row["on_time_rate"] = round(row["on_time"] / decided, 4) if decided else None
    return out


def table(first: dt.date, last: dt.date, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The monthly report's rows: one per unit that received a supervision, most missed first."""
    figures = per_unit(first, last, now=now)
    names = dict(Unit.objects.filter(pk__in=list(figures)).values_list("pk", "name"))
    rows = [{"unit": names.get(u, str(u)), "unit_id": u, **f} for u, f in figures.items()]
    return sorted(rows, key=lambda r: (-r["missed"], -r["escalated"], r["unit"]))
