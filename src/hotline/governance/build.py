"""Building hotspots from orders: the full (nightly) build, the incremental join of one order,
and the summaries of the groups. The grouping rule is governance.core's; this module reads
orders (any state, imported history included) and writes only the governance tables.

    build()            # every order again, in time order (nightly; `hotline hotspots --rebuild`)
    join(order_id)     # one new order, as the worker takes it in (the outbox's governance channel)
    catch_up()         # every order that has no signature yet, in time order (`hotline hotspots`)
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from hotline.orders.models import Callback, WorkOrder
from hotline.orders.states import PROACTIVE_SOURCES, is_open

from . import core
from .models import Hotspot, OrderSignature

log = logging.getLogger("hotline.governance")

ORDER_FIELDS = ("id", "title", "description", "address", "area_id", "latitude", "longitude", "caller_phone",
                "received_at")
CHUNK = 900  # ids per IN (...) query


def doc_of(row: dict[str, Any]) -> core.Doc:
    """An order's signature (governance.core.Doc) from its values()."""
    place = core.place_key(row["address"] or "", f"{row['title']} {row['description'] or ''}",
                           latitude=row["latitude"], longitude=row["longitude"])
    return core.Doc(id=row["id"], at=row["received_at"].timestamp(), area=row["area_id"] or 0, place=place,
                    sig=core.topic_shingles(row["title"], row["description"] or "", place, row["address"] or ""),
                    caller=core.caller_hash(row["caller_phone"]))


def _pack(sig: frozenset[int]) -> bytes:
    return np.array(sorted(sig), dtype="<u4").tobytes()


def _unpack(blob: bytes | memoryview) -> frozenset[int]:
    return frozenset(np.frombuffer(bytes(blob), dtype="<u4").tolist())


def _signature(doc: core.Doc, root: int, parent: int | None, score: float) -> OrderSignature:
    return OrderSignature(order_id=doc.id, received_at=dt.datetime.fromtimestamp(doc.at, tz=dt.UTC),
                          area_id_value=doc.area, place=doc.place[:60], shingles=_pack(doc.sig), caller=doc.caller,
                          parent_id_value=parent, root_id_value=root, score=round(score, 4))


def _stored_doc(row: dict[str, Any]) -> core.Doc:
    return core.Doc(id=row["order_id"], at=row["received_at"].timestamp(), area=row["area_id_value"],
                    place=row["place"], sig=_unpack(row["shingles"]), caller=row["caller"], root=row["root_id_value"])


_SIG_FIELDS = ("order_id", "received_at", "area_id_value", "place", "shingles", "caller", "root_id_value")


# ---- the full build ----------------------------------------------------------------------------------


def _calls() -> Any:
    """The orders hotspots group: callers' requests. A proactive order (未诉先办) is the centre's
    own work on a matter, not a call about it: it would make a hotspot of its own inspections."""
    return WorkOrder.objects.exclude(source__in=sorted(PROACTIVE_SOURCES))


def _orders_in_time_order(qs: Any = None, chunk: int = 2000) -> Iterator[dict[str, Any]]:
    qs = _calls() if qs is None else qs
    return qs.order_by("received_at", "id").values(*ORDER_FIELDS).iterator(chunk_size=chunk)


@dataclass
class BuildReport:
    orders: int
    groups: int
    hotspots: int
    seconds: float


def build(*, now: dt.datetime | None = None, batch: int = 5000) -> BuildReport:
    """Group every order again (in time order), replacing every signature and hotspot. Bounded
    memory: the orders are read and their signatures written in batches; the grouping keeps
    only what core.Builder keeps. A burst already announced stays announced."""
    import time

    start = time.perf_counter()
    now = now or timezone.now()
    announced = dict(Hotspot.objects.exclude(announced_at=None).values_list("root_order_id", "announced_at"))
    builder = core.Builder()
    sizes: Counter[int] = Counter()
    span: dict[int, tuple[float, float]] = {}  # root -> (first, last) POSIX seconds
    n = 0
    with transaction.atomic():
        Hotspot.objects.all().delete()
        OrderSignature.objects.all().delete()
        pending: list[OrderSignature] = []
        for row in _orders_in_time_order():
            doc = doc_of(row)
            root, parent, score = builder.add(doc)
            sizes[root] += 1
            span[root] = (span[root][0] if root in span else doc.at, doc.at)
            pending.append(_signature(doc, root, parent, score))
            n += 1
            if len(pending) >= batch:
                OrderSignature.objects.bulk_create(pending)
                pending = []
        OrderSignature.objects.bulk_create(pending)
        # only a group that spans a quiet spell can have returned with the season
        long = [r for r, c in sizes.items() if c >= core.MIN_ORDERS and span[r][1] - span[r][0] >= core.SEASON_GAP_DAYS * 86400]
        for root, into in merge_seasons(long).items():
            sizes[into] += sizes.pop(root)
        roots = sorted(r for r, c in sizes.items() if c >= core.MIN_ORDERS)
        made = refresh(roots, now=now, announced=announced)
    return BuildReport(orders=n, groups=len(sizes), hotspots=made, seconds=round(time.perf_counter() - start, 3))


def merge_seasons(roots: Sequence[int]) -> dict[int, int]:
    """The grouping's second pass (core.seasonal_merges) over these groups, read back from their
    signatures; the signatures of a merged group move to the root it joins. Returns root -> root
    joined. The incremental join does not merge (one order cannot make a season): the nightly
    build does. A finding recorded on a merged group's hotspot stays on its own root."""
    facts: list[core.GroupFacts] = []
    for part in _chunks(sorted(roots), 200):
        members: dict[int, list[dict[str, Any]]] = {}
        for s in (OrderSignature.objects.filter(root_id_value__in=part).order_by("received_at", "order_id")
                  .values("order_id", "root_id_value", "received_at", "area_id_value", "place")):
            members.setdefault(s["root_id_value"], []).append(s)
        ids = [m["order_id"] for ms in members.values() for m in ms]
        category: dict[int, int | None] = {}
        for chunk in _chunks(ids):
            category.update(WorkOrder.objects.filter(pk__in=chunk).values_list("id", "category_id"))
        for root, ms in members.items():
            first = next((m for m in ms if m["order_id"] == root), ms[0])
            mix = Counter(category[m["order_id"]] for m in ms if category.get(m["order_id"]) is not None)
            facts.append(core.GroupFacts(root, (first["area_id_value"], first["place"]),
                                         [m["received_at"] for m in ms], mix))
    merges = core.seasonal_merges(facts)
    into: dict[int, list[int]] = {}
    for root, target in merges.items():
        into.setdefault(target, []).append(root)
    for target, froms in into.items():
        OrderSignature.objects.filter(root_id_value__in=froms).update(root_id_value=target)
    return merges


# ---- the incremental join -----------------------------------------------------------------------------


@dataclass
class Joined:
    order_id: int
    root: int
    hotspot: Hotspot | None
    new_burst: bool  # this order made its group an announced burst


def _candidates(doc: core.Doc) -> list[core.Doc]:
    at = dt.datetime.fromtimestamp(doc.at, tz=dt.UTC)
    lo = at - dt.timedelta(days=core.LINK_DAYS)
    rows = (OrderSignature.objects.filter(area_id_value=doc.area, place=doc.place[:60], received_at__gte=lo)
            .filter(Q(received_at__lt=at) | Q(received_at=at, order_id__lt=doc.id))
            .order_by("-received_at", "-order_id").values(*_SIG_FIELDS)[: core.MAX_CANDIDATES])
    return [_stored_doc(r) for r in rows]


def _season_groups(doc: core.Doc) -> list[core.Group]:
    at = dt.datetime.fromtimestamp(doc.at, tz=dt.UTC)
    hs = list(Hotspot.objects.filter(
        area_id_value=doc.area, place=doc.place[:60], orders__gte=core.MIN_ORDERS,
        last_at__gte=at - dt.timedelta(days=core.SEASON_DAYS[1]), last_at__lte=at - dt.timedelta(days=core.SEASON_DAYS[0]),
    ).values_list("root_order_id", flat=True))
    groups = []
    for root in hs:
        tail = [_stored_doc(r) for r in OrderSignature.objects.filter(root_id_value=root)
                .order_by("-received_at", "-order_id").values(*_SIG_FIELDS)[: core.SEASON_SAMPLE]][::-1]
        if tail:
            groups.append(core.Group(tail[0], tail[-1], core.MIN_ORDERS, tail))
    return groups


def join(order_id: int, *, now: dt.datetime | None = None,
         on_burst: Callable[[Hotspot], None] | None = None) -> Joined | None:
    """Place one order in the grouping (an order that has a signature already is left where it
    is), and refresh the summary of its group. When this order makes its group an announced
    burst, `on_burst(hotspot)` is called inside the same transaction (the notifications are
    written with the join, or not at all). Returns None for an unknown order (and a proactive one:
    hotspots are made of calls)."""
    now = now or timezone.now()
    with transaction.atomic():
        row = _calls().filter(pk=order_id).values(*ORDER_FIELDS).first()
        if row is None:
            return None
        existing = OrderSignature.objects.filter(order_id=order_id).values_list("root_id_value", flat=True).first()
        if existing is not None:
            return Joined(order_id, existing, Hotspot.objects.filter(root_order_id=existing).first(), False)
        doc = doc_of(row)
        cands = _candidates(doc)
        best, score = core.best_link(doc, cands, {c.id: c.root for c in cands})
        parent: int | None
        if best is not None and core.linked(doc, best, score):
            parent = best.id
            root = best.root
        else:
            group, score = core.best_season(doc, _season_groups(doc))
            if group is not None and score >= core.threshold_for(doc.place):
                root, parent = group.root.id, group.last.id
            else:
                root, parent, score = doc.id, None, 0.0
        _signature(doc, root, parent, score).save(force_insert=True)
        size = OrderSignature.objects.filter(root_id_value=root).count()
        if size < core.MIN_ORDERS:
            return Joined(order_id, root, None, False)
        before = Hotspot.objects.filter(root_order_id=root).values_list("announced_at", flat=True).first()
        refresh([root], now=now)
        hotspot = Hotspot.objects.get(root_order_id=root)
        new_burst = before is None and hotspot.announced_at is not None
        if new_burst and on_burst is not None:
            on_burst(hotspot)
        return Joined(order_id, root, hotspot, new_burst)


def catch_up(*, start: dt.datetime | None = None, end: dt.datetime | None = None,
             now: dt.datetime | None = None) -> int:
    """Join every order (received between `start` and `end`, when given) that has no signature
    yet, in time order: imported history, orders taken in while no worker ran. Returns how many
    were joined."""
    n = 0
    qs = _calls()
    if start is not None:
        qs = qs.filter(received_at__gte=start)
    if end is not None:
        qs = qs.filter(received_at__lt=end)
    # NOT EXISTS, not NOT IN: PostgreSQL plans NOT IN (SELECT ...) over a million signatures as a
    # subplan per order when the ids do not fit in work_mem (minutes at 1,000,000 orders); NOT
    # EXISTS is an anti-join on the signatures' primary key on both databases.
    qs = qs.filter(~Exists(OrderSignature.objects.filter(order_id=OuterRef("pk"))))
    for row in _orders_in_time_order(qs):
        join(row["id"], now=now)
        n += 1
    return n


# ---- the summaries ----------------------------------------------------------------------------------


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def refresh(roots: Iterable[int], *, now: dt.datetime | None = None,
            announced: dict[int, dt.datetime] | None = None) -> int:
    """Write the Hotspot row of each group (by its root) with MIN_ORDERS orders or more: label
    (the medoid's title), area, address, shape, score, counts, categories, units, weekly trend.
    A group that is an announced burst (core.is_announced_burst) gets its announced_at once.
    Returns how many rows were written."""
    now = now or timezone.now()
    announced = announced or {}
    roots = list(roots)
    made = 0
    for part in _chunks(roots, 200):
        members: dict[int, list[dict[str, Any]]] = {}
        for s in (OrderSignature.objects.filter(root_id_value__in=part)
                  .order_by("received_at", "order_id").values("order_id", "root_id_value", "received_at", "shingles",
                                                               "caller", "place", "area_id_value")):
            members.setdefault(s["root_id_value"], []).append(s)
        ids = [m["order_id"] for ms in members.values() for m in ms]
        orders: dict[int, dict[str, Any]] = {}
        unresolved: set[int] = set()
        for chunk in _chunks(ids):
            for o in WorkOrder.objects.filter(pk__in=chunk).values(
                    "id", "number", "title", "address", "area_id", "category__name", "lead_unit__name", "urgency",
                    "state", "repeat_of_id", "reply_due"):
                orders[o["id"]] = o
                if is_open(o["state"]) and o["reply_due"] is not None and o["reply_due"] < now:
                    unresolved.add(o["id"])
            unresolved.update(Callback.objects.filter(order_id__in=chunk).filter(
                Q(resolved=False) | Q(satisfaction="unsatisfied")).values_list("order_id", flat=True))
        existing = {h.root_order_id: h for h in Hotspot.objects.filter(root_order_id__in=part)}
        write: list[Hotspot] = []
        stale: list[int] = []
        for root, ms in members.items():
            ms = [m for m in ms if m["order_id"] in orders]
            if len(ms) < core.MIN_ORDERS:
                stale.append(root)
                continue
            write.append(_summary(root, ms, orders, unresolved, existing.get(root), now, announced.get(root)))
        Hotspot.objects.filter(root_order_id__in=stale).delete()
        Hotspot.objects.filter(root_order_id__in=[h.root_order_id for h in write]).delete()
        Hotspot.objects.bulk_create(write)
        made += len(write)
    return made


def _summary(root: int, ms: list[dict[str, Any]], orders: dict[int, dict[str, Any]], unresolved: set[int],
             old: Hotspot | None, now: dt.datetime, announced: dt.datetime | None) -> Hotspot:
    times = [m["received_at"] for m in ms]
    rows = [orders[m["order_id"]] for m in ms]
    sigs = [_unpack(m["shingles"]) for m in ms]
    mid = rows[core.medoid(sigs)]
    h = core.heat(times, [m["caller"] for m in ms], repeats=sum(1 for r in rows if r["repeat_of_id"]),
                  unresolved=sum(1 for r in rows if r["id"] in unresolved), urgencies=[r["urgency"] for r in rows])
    score = h.score()
    addresses = Counter(r["address"] for r in rows if r["address"])
    areas = Counter(r["area_id"] for r in rows if r["area_id"])
    first = next((m for m in ms if m["order_id"] == root), ms[0])  # the root: the group's first order
    place = (first["place"], first["area_id_value"])
    announced_at = (old.announced_at if old is not None else None) or announced
    if announced_at is None and core.is_announced_burst(times):
        announced_at = now
    return Hotspot(
        root_order_id=root, label=mid["title"][:200], medoid_order_id=mid["id"],
        area_id=areas.most_common(1)[0][0] if areas else None, area_id_value=place[1], place=place[0],
        address=(mid["address"] or (addresses.most_common(1)[0][0] if addresses else ""))[:200],
        shape=core.shape_of(times), score=score, orders=len(ms), callers=h.callers, first_at=times[0],
        last_at=times[-1], categories=dict(Counter(r["category__name"] or "" for r in rows).most_common()),
        units=dict(Counter(r["lead_unit__name"] for r in rows if r["lead_unit__name"]).most_common()),
        weekly=core.weekly(times), heat=h.parts, numbers=[r["number"] for r in rows], announced_at=announced_at,
        updated_at=now,
    )
