"""The trace (留痕): hash-chained events, one chain per order.

Each event's hash covers the previous hash and the event's own content, and the order keeps
the hash of its latest event. So a changed event, a removed event in the middle, and a removed
tail are all caught. One chain per order (not one global chain) keeps writes to different
orders independent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hotline.chain import GENESIS, canonical, link_hash

from .models import Event, WorkOrder

__all__ = ["GENESIS", "canonical", "event_hash"]


def event_hash(
    *,
    prev_hash: str,
    order_number: str,
    seq: int,
    action: str,
    from_state: str,
    to_state: str,
    actor_id: int | None,
    actor_role: str,
    at: dt.datetime,
    data: dict[str, Any],
) -> str:
    return link_hash([prev_hash, order_number, seq, action, from_state, to_state, actor_id, actor_role, at, data])


@dataclass(frozen=True)
class TraceProblem:
    order_number: str
    position: int  # the event's seq (1-based); 0 for a problem with the order row itself
    problem: str  # "hash" | "link" | "gap" | "tail"
    detail: str

    def __str__(self) -> str:
        return f"工单 {self.order_number} 第 {self.position} 条留痕：{self.detail}"


def verify_order(order: Any, events: list[Any]) -> list[TraceProblem]:
    """Check one order's chain. `events` in seq order."""
    problems: list[TraceProblem] = []
    prev = GENESIS
    expected_seq = 1
    for ev in events:
        if ev.seq != expected_seq:
            problems.append(TraceProblem(order.number, expected_seq, "gap", f"缺少第 {expected_seq} 条记录（发现第 {ev.seq} 条）"))
            expected_seq = ev.seq
        if ev.prev_hash != prev:
            problems.append(TraceProblem(order.number, ev.seq, "link", "与前一条记录的哈希不衔接"))
        digest = event_hash(
            prev_hash=ev.prev_hash,
            order_number=order.number,
            seq=ev.seq,
            action=ev.action,
            from_state=ev.from_state,
            to_state=ev.to_state,
            actor_id=ev.actor_id,
            actor_role=ev.actor_role,
            at=ev.at,
            data=ev.data,
        )
        if digest != ev.hash:
            problems.append(TraceProblem(order.number, ev.seq, "hash", "内容被改动（哈希不符）"))
        prev = ev.hash
        expected_seq += 1
    if order.event_seq != len(events) or (order.last_hash or GENESIS) != prev:
        problems.append(
            TraceProblem(order.number, order.event_seq, "tail", f"工单记录共 {order.event_seq} 条，实存 {len(events)} 条：末尾记录缺失或被改动")
        )
    return problems


def verify_all(batch: int = 2000) -> Iterator[TraceProblem]:
    """Verify every order's chain, reading in batches so memory stays flat."""
    last_id = 0
    while True:
        orders = list(
            WorkOrder.objects.filter(id__gt=last_id).order_by("id").only("id", "number", "event_seq", "last_hash")[:batch]
        )
        if not orders:
            return
        by_order: dict[int, list[Any]] = {o.id: [] for o in orders}
        events = Event.objects.filter(order_id__in=list(by_order)).order_by("order_id", "seq").only(
            "order_id", "seq", "action", "from_state", "to_state", "actor_id", "actor_role", "at", "data",
            "prev_hash", "hash",
        )
        for ev in events.iterator(chunk_size=5000):
            by_order[ev.order_id].append(ev)
        for order in orders:
            yield from verify_order(order, by_order[order.id])
        last_id = orders[-1].id
