"""Joint handling (联合处办) in the assessment: each co-unit answers for its own part, and shares
in the callbacks of the orders it co-handled. The rules are docs/joint.md's ("Credit and blame"):

- a co-unit's part is on time when its first reply came by the part's due time; a part still owed
  past its due time is late (missed) from then on; the figure is the co-unit's own, never the lead's;
- a redo whose reviewer named a co-unit's part counts as a redo of that co-unit (co_redo); the
  lead's redo rate still counts it (the lead's reply went out), and the lead's row says how many of
  its redos named a co-unit (co_caused_redos);
- a valid callback of a joint order counts in full in the lead's three rates (as before) and, for
  each co-unit that had a part, once in that co-unit's separate co-handling rates (co_resolution_rate,
  co_satisfaction_rate: counted for each, weight 1), never in the co-unit's own three rates.

Reads only: a few grouped queries on the parts, the callbacks and the redo events of the period
(parts are a small table: one row per co-unit of a joint order)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from hotline.orders.models import Callback, CoPart, Event

from . import stats
from .rates import config, r4, ratio

FIELDS = ("co_parts", "co_replied", "co_on_time", "co_late", "co_missed", "co_urged", "co_redo", "co_callbacks",
          "co_resolved", "co_satisfied", "co_basic", "co_caused_redos")


def _empty() -> dict[str, Any]:
    return dict.fromkeys(FIELDS, 0)


def figures(first: dt.date, last: dt.date, *, now: dt.datetime | None = None) -> dict[int, dict[str, Any]]:
    """Per unit id: its co-handling figures for the parts assigned in the period (and the callbacks
    and redos in it), with the rates that follow. A unit with no part and no co-caused redo is
    absent (its row reads as all zero)."""
    lo, hi = stats.day_bounds(first, last)
    now = now or timezone.now()
    bw = config()["basic_weight"]
    out: dict[int, dict[str, Any]] = defaultdict(_empty)
    parts = (CoPart.objects.filter(assigned_at__gte=lo, assigned_at__lt=hi).exclude(state="withdrawn")
             .values("unit_id").annotate(
                 n=Count("pk"), replied=Count("pk", filter=Q(first_replied_at__isnull=False)),
                 on_time=Count("pk", filter=Q(first_late=False)), late=Count("pk", filter=Q(first_late=True)),
                 missed=Count("pk", filter=Q(first_replied_at__isnull=True, due__lt=now)),
                 urged=Count("pk", filter=Q(urge_count__gt=0)), redo=Count("pk", filter=Q(redo_count__gt=0))))
    for row in parts:
        r = out[row["unit_id"]]
        r.update(co_parts=row["n"], co_replied=row["replied"], co_on_time=row["on_time"], co_late=row["late"],
                 co_missed=row["missed"], co_urged=row["urged"], co_redo=row["redo"])
    # the callbacks of joint orders: credited to each co-unit that had a part of the order
    callbacks = (Callback.objects.filter(at__gte=lo, at__lt=hi, valid=True, reached=True, voided_at__isnull=True,
                                         order__unreasonable=False,
                                         order__co_parts__state__in=["assigned", "signed", "replied"])
                 .values("order__co_parts__unit_id").annotate(
                     n=Count("pk"), resolved=Count("pk", filter=Q(resolved=True)),
                     satisfied=Count("pk", filter=Q(satisfaction="satisfied")),
                     basic=Count("pk", filter=Q(satisfaction="basic"))))
    for row in callbacks:
        r = out[row["order__co_parts__unit_id"]]
        r.update(co_callbacks=row["n"], co_resolved=row["resolved"], co_satisfied=row["satisfied"],
                 co_basic=row["basic"])
    # the lead's redos that named a co-unit's part
    for unit_id, n in (Event.objects.filter(action="redo", at__gte=lo, at__lt=hi, data__co_reopened__isnull=False)
                       .values_list("order__lead_unit").annotate(n=Count("pk")).values_list("order__lead_unit", "n")):
        if unit_id is not None:
            out[unit_id]["co_caused_redos"] = n
    for r in out.values():
        settled = r["co_replied"] + r["co_missed"]
        r["co_on_time_rate"] = r4(ratio(r["co_on_time"], settled))
        r["co_redo_rate"] = r4(ratio(r["co_redo"], r["co_replied"]))
        r["co_resolution_rate"] = r4(ratio(r["co_resolved"], r["co_callbacks"]))
        r["co_satisfaction_rate"] = r4(ratio(r["co_satisfied"] + bw * r["co_basic"], r["co_callbacks"]))
    return dict(out)


def empty_row() -> dict[str, Any]:
    """The figures of a unit with no part in the period."""
    return {**_empty(), "co_on_time_rate": None, "co_redo_rate": None, "co_resolution_rate": None,
            "co_satisfaction_rate": None}
