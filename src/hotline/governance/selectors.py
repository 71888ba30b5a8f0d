"""Reading hotspots (pages, the CLI): they are derived data, built by the worker and the nightly
build; nothing here writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from hotline.directory.models import Area
from hotline.orders.models import WorkOrder

from .models import GovernanceTask, Hotspot, OrderSignature
from .taskflow import TASK_READERS, UNIT_READERS

BANNER_HOURS = 24  # a burst stays on the dispatch board this long after its latest call


def hotspots_between(start: dt.datetime | None = None, end: dt.datetime | None = None, *,
                     shape: str = "") -> QuerySet[Hotspot]:
    """Hotspots with orders between `start` and `end` (their time range overlaps it), hottest
    first."""
    qs = Hotspot.objects.select_related("area")
    if start is not None:
        qs = qs.filter(last_at__gte=start)
    if end is not None:
        qs = qs.filter(first_at__lt=end)
    if shape:
        qs = qs.filter(shape=shape)
    return qs.order_by("-score", "-last_at", "root_order_id")


_ROW_SQL = (
    "SELECT h.label, a.name, h.address, h.place, h.categories, h.units, h.first_at, h.last_at, h.orders, h.callers, "
    "h.numbers, h.shape, h.score, h.heat, h.weekly FROM {h} h LEFT JOIN {a} a ON a.id = h.area_id "
    "WHERE h.last_at >= %s AND h.first_at < %s{shape} ORDER BY h.score DESC, h.last_at DESC, h.root_order_id{limit}"
)
_ROW_KEYS = ("label", "area", "address", "place", "categories", "units", "first_at", "last_at", "orders", "callers",
             "numbers", "shape", "score", "heat", "weekly")


def hotspot_rows(start: dt.datetime, end: dt.datetime, *, shape: str = "", limit: int = 0,
                 chunk: int = 2000) -> Iterator[dict[str, Any]]:
    """The hotspots of hotspots_between as plain rows, streamed (for the CLI: tens of thousands of
    them for a city's quarter, without building a model instance for each). JSON columns come
    as the database gives them (text on SQLite and PostgreSQL), datetimes aware."""
    sql = _ROW_SQL.format(h=connection.ops.quote_name(Hotspot._meta.db_table),
                          a=connection.ops.quote_name(Area._meta.db_table),
                          shape=" AND h.shape = %s" if shape else "", limit=" LIMIT %s" if limit else "")
    params: list[Any] = [start, end] + ([shape] if shape else []) + ([int(limit)] if limit else [])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            batch = cursor.fetchmany(chunk)
            if not batch:
                return
            for values in batch:
                row = dict(zip(_ROW_KEYS, values, strict=True))
                for key in ("first_at", "last_at"):
                    row[key] = _aware(row[key])
                yield row


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, str):  # SQLite through a plain cursor: UTC text
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def active_bursts(now: dt.datetime | None = None) -> QuerySet[Hotspot]:
    """Bursts announced whose latest call is within BANNER_HOURS: the dispatch board's banner."""
    now = now or timezone.now()
    return (Hotspot.objects.select_related("area").filter(announced_at__isnull=False,
                                                           last_at__gte=now - dt.timedelta(hours=BANNER_HOURS))
            .order_by("-last_at"))


def members(root_order_id: int) -> QuerySet[WorkOrder]:
    """The orders of a hotspot, in time order."""
    ids = OrderSignature.objects.filter(root_id_value=root_order_id).values("order_id")
    return (WorkOrder.objects.filter(pk__in=ids).select_related("area", "category", "lead_unit")
            .order_by("received_at", "id"))


def tasks_visible_to(user: Any) -> QuerySet[Any]:
    """The governance tasks a user may read: the centre's roles every task; a unit the tasks it
    leads, co-handles or owns a measure of; nobody else any (the one rule for task pages)."""
    qs = GovernanceTask.objects.select_related("lead_unit")
    role = getattr(user, "role", None)
    if role in TASK_READERS:
        return qs
    if role in UNIT_READERS and user.unit_id:
        return qs.filter(Q(lead_unit_id=user.unit_id) | Q(co_units=user.unit_id)
                         | Q(measures__owner_id=user.unit_id)).distinct()
    return qs.none()
