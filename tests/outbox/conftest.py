"""A test channel and selector for the outbox: every order event becomes one message on the
order's stream; the deliverer records what it was given and answers what the test says."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from hotline import outbox
from hotline.outbox import Message, Outcome

CHANNEL = "test"


def order_selector(event) -> list[Message]:
    return [Message(channel=CHANNEL, stream=f"order:{event.order.number}", kind=f"order.{event.action}",
                    payload={"event_seq": event.seq, "action": event.action})]


class Recorder:
    """The test channel's deliverer: records every row, answers with `answer(row)`."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int, int]] = []  # (stream, seq, row id)
        self.answer: Callable[[object], Outcome] = lambda row: Outcome(ok=True)
        self.lock = threading.Lock()

    def __call__(self, row) -> Outcome:
        with self.lock:
            self.sent.append((row.stream, row.seq, row.pk))
        return self.answer(row)


@pytest.fixture
def recorder():
    rec = Recorder()
    # The apps' own selectors (notifications, the city link) set aside: only the test channel's rows count here.
    others = outbox.selectors()
    for selector in others:
        outbox.unsubscribe(selector)
    outbox.register_channel(CHANNEL, rec, label="test")
    outbox.subscribe(order_selector)
    yield rec
    outbox.unsubscribe(order_selector)
    outbox.unregister_channel(CHANNEL)
    for selector in others:
        outbox.subscribe(selector)
