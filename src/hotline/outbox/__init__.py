"""The transactional outbox (DESIGN.md "The rule of the house"; its use: docs/citylink.md, docs/notify.md).

A message that must not be lost (an update for the city platform, a notification) is written as a
row in the same transaction as the change that causes it, and delivered by the background worker:
leased, retried with exponential backoff and jitter, strictly in order per (channel, stream), a
row that keeps failing shown on the failed-deliveries page (inspect, retry, give up with a reason).

    from hotline import outbox
    outbox.subscribe(selector)               # selector(event) -> Iterable[Message], in AppConfig.ready()
    outbox.register_channel("citylink", deliver, label=_("市级平台"))  # deliver(row) -> Outcome
    outbox.publish(events)                   # orders' actions, right after saving their events
    outbox.enqueue(messages)                 # scheduled messages not born of an event
    outbox.deliver_due(channel)              # one delivery round (the worker loops on it)
    outbox.prune()                           # delete rows delivered long ago (the worker, hourly)

This package sits below orders (orders' actions import it) and knows nothing of orders: an event
is whatever the actions pass, and the selectors (in the apps above) read it.

The pure part (Message, Outcome, the registry) is defined here; the functions that touch the
database live in `engine` and are loaded on first use (PEP 562 `__getattr__`), because Django
imports this package while it is still loading the apps, before any model may be imported.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Message:
    channel: str  # which deliverer sends it: "citylink", "notify", ...
    stream: str  # ordering key: one (channel, stream) is delivered strictly in order
    kind: str  # e.g. "order.replied", "notify.new_order"
    payload: dict  # JSON-serialisable
    dedupe_key: str | None = None  # unique per channel: the same key enqueued twice keeps one row
    not_before: datetime | None = None  # not delivered before this time (quiet hours)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    retry: bool = True  # False: a permanent failure (to the failed-deliveries page at once)
    detail: str = ""  # what went wrong (shown on the page, truncated)


Selector = Callable[[Any], Iterable[Message]]
Deliver = Callable[[Any], Outcome]


@dataclass(frozen=True)
class Channel:
    name: str
    deliver: Deliver
    label: Any
    concurrency: int = 1  # rows of one round sent at once (each a different stream)
    extra: dict = field(default_factory=dict)


_selectors: list[Selector] = []
_channels: dict[str, Channel] = {}


def subscribe(selector: Selector) -> None:
    """Have `selector(event)` called inside the transaction of every action, for each new event;
    the messages it returns are written with the action. Register it in an AppConfig.ready()."""
    if selector not in _selectors:
        _selectors.append(selector)


def unsubscribe(selector: Selector) -> None:
    """Take a selector away again (tests)."""
    if selector in _selectors:
        _selectors.remove(selector)


def selectors() -> list[Selector]:
    return list(_selectors)


def register_channel(channel: str, deliver: Deliver, *, label: Any, concurrency: int = 1) -> None:
    """Name the deliverer of a channel: `deliver(row) -> Outcome`, which must be idempotent at the
    receiver (send the row's id or (stream, seq) as the message id). `concurrency` > 1 sends that
    many rows of one round at once (always of different streams, so order per stream holds)."""
    if not channel or len(channel) > 40:
        raise ValueError(f"channel name {channel!r}: 1 to 40 characters")
    _channels[channel] = Channel(channel, deliver, label, max(1, int(concurrency)))


def unregister_channel(channel: str) -> None:
    """Take a channel's deliverer away again (tests)."""
    _channels.pop(channel, None)


def channels() -> dict[str, Channel]:
    return dict(_channels)


_ENGINE_NAMES = {"publish", "enqueue", "deliver_due", "retry", "give_up", "status", "backoff", "failed_rows", "prune"}


def __getattr__(name: str) -> Any:
    if name in _ENGINE_NAMES:
        return getattr(importlib.import_module("hotline.outbox.engine"), name)
    raise AttributeError(f"module 'hotline.outbox' has no attribute {name!r}")


__all__ = [
    "Channel", "Message", "Outcome", "backoff", "channels", "deliver_due", "enqueue", "failed_rows", "give_up",
    "prune", "publish", "register_channel", "retry", "selectors", "status", "subscribe", "unregister_channel",
    "unsubscribe",
]
