"""The monthly list of the district's high-frequency problems (清单式管理, 每月一题): what the
supervisor picks next month's governance tasks from, beside last month's tasks and where they
stand. Reads only: hotspots (built by the worker), order counts, tasks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.utils import timezone

from hotline import periods
from hotline.orders.models import WorkOrder

from . import effect
from .models import GovernanceTask, Hotspot
from .taskflow import OPEN_TASK_STATES

TOP_HOTSPOTS = 15
TOP_CATEGORIES = 10


@dataclass
class MonthlyList:
    first: dt.date
    last: dt.date
    hotspots: list[Hotspot]  # .task: the task that already covers it, if any
    categories: list[dict[str, Any]]  # {"name", "orders", "previous", "change"}
    tasks: list[GovernanceTask]  # tasks open at some time in the previous month (.effect, .measures_*)
    total: int = 0
    notes: list[str] = field(default_factory=list)


def _bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(first, dt.time.min, tzinfo=tz),
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


def tasks_during(start: dt.datetime, end: dt.datetime, *, now: dt.datetime | None = None) -> list[GovernanceTask]:
    """The tasks that were open at some time in [start, end), each with its measures done, total
    and overdue at the end of the period, and its effect measured at that moment."""
    tasks = list(GovernanceTask.objects.select_related("lead_unit").prefetch_related("measures")
                 .filter(created_at__lt=end).exclude(closed_at__lt=start).order_by("number"))
    moment = min(now or timezone.now(), end)
    day = timezone.localtime(moment).date()
    for task in tasks:
        measures = list(task.measures.all())
        task.measures_done = sum(1 for m in measures if m.done_at is not None and m.done_at < end)
        task.measures_total = len(measures)
        task.measures_overdue = sum(1 for m in measures if (m.done_at is None or m.done_at >= end) and m.due_on < day)
        task.effect = effect.of_task(task, now=moment) if task.started_at and task.started_at < moment else None
        task.is_open = task.state in OPEN_TASK_STATES
    return tasks


def build(first: dt.date, *, now: dt.datetime | None = None) -> MonthlyList:
    """The list for the month that begins on `first`."""
    first, last = periods.month_bounds(first)
    start, end = _bounds(first, last)
    prev_first, prev_last = periods.month_bounds(first - dt.timedelta(days=1))
    prev_start, prev_end = _bounds(prev_first, prev_last)
    hotspots = list(Hotspot.objects.select_related("area").filter(last_at__gte=start, first_at__lt=end)
                    .order_by("-score", "-last_at")[:TOP_HOTSPOTS])
    covering: dict[int, GovernanceTask] = {}
    for task in GovernanceTask.objects.exclude(state="cancelled").only("id", "number", "title", "state",
                                                                      "hotspot_roots"):
        for root in task.hotspot_roots:
            covering.setdefault(root, task)
    for h in hotspots:
        h.task = covering.get(h.root_order_id)
    calls = WorkOrder.objects.filter(category__isnull=False)
    now_counts = dict(calls.filter(received_at__gte=start, received_at__lt=end).values_list("category__name")
                      .annotate(n=Count("id")).values_list("category__name", "n"))
    prev_counts = dict(calls.filter(received_at__gte=prev_start, received_at__lt=prev_end)
                       .values_list("category__name").annotate(n=Count("id")).values_list("category__name", "n"))
    categories = [{"name": name, "orders": n, "previous": prev_counts.get(name, 0),
                   "change": (n / prev_counts[name] - 1) if prev_counts.get(name) else None}
                  for name, n in sorted(now_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CATEGORIES]]
    tasks = tasks_during(prev_start, start, now=now)
    total = WorkOrder.objects.filter(received_at__gte=start, received_at__lt=end).count()
    return MonthlyList(first, last, hotspots, categories, tasks, total)
