"""Reading hotspots (pages, the CLI): they are derived data, built by the worker and the nightly
build; nothing here writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import QuerySet
from django.utils import timezone

from hotline.orders.models import WorkOrder

from .models import Hotspot, OrderSignature

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


def active_bursts(now: dt.datetime | None = None) -> QuerySet[Hotspot]:
    """Bursts announced whose latest call is within BANNER_HOURS: the dispatch board's banner."""
    now = now or timezone.now()
    return (Hotspot.objects.select_related("area").filter(announced_at__isnull=False,
                                                           last_at__gte=now - dt.timedelta(hours=BANNER_HOURS))
            .order_by("-last_at"))


def member_ids(root_order_id: int) -> list[int]:
    return list(OrderSignature.objects.filter(root_id_value=root_order_id)
                .order_by("received_at", "order_id").values_list("order_id", flat=True))


def member_numbers(roots: Sequence[int]) -> dict[int, list[str]]:
    """root → its orders' numbers (as stored), in time order."""
    out: dict[int, list[str]] = {r: [] for r in roots}
    for i in range(0, len(roots), 500):
        part = roots[i : i + 500]
        rows = (OrderSignature.objects.filter(root_id_value__in=part).order_by("received_at", "order_id")
                .values_list("root_id_value", "order__number"))
        for root, number in rows:
            out[root].append(number)
    return out


def members(root_order_id: int) -> QuerySet[WorkOrder]:
    """The orders of a hotspot, in time order."""
    ids = OrderSignature.objects.filter(root_id_value=root_order_id).values("order_id")
    return (WorkOrder.objects.filter(pk__in=ids).select_related("area", "category", "lead_unit")
            .order_by("received_at", "id"))
