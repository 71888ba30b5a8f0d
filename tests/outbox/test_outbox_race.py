"""Deliverers and writers at once on PostgreSQL: no row is sent twice or by two deliverers at
once, no stream ever has two rows in flight, and no row is left behind by a writer racing the
deliverer that finishes the row before it (SQLite has one writer: these races cannot happen there)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from hotline import outbox
from hotline.outbox import Message, Outcome
from hotline.outbox.models import OutboxMessage
from tests.race import race

from .conftest import CHANNEL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and SKIP LOCKED race only on PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class Tracker:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight: dict[str, int] = {}
        self.sent: list[tuple[str, int, int]] = []
        self.overlaps = 0

    def __call__(self, row) -> Outcome:
        with self.lock:
            if self.in_flight.get(row.stream):
                self.overlaps += 1
            self.in_flight[row.stream] = self.in_flight.get(row.stream, 0) + 1
            self.sent.append((row.stream, row.seq, row.pk))
        time.sleep(0.001)
        with self.lock:
            self.in_flight[row.stream] -= 1
        return Outcome(ok=True)


def _drain(total: int, deadline: float) -> int:
    rounds = 0
    while time.monotonic() < deadline:
        rounds += 1
        if not outbox.deliver_due(CHANNEL, limit=20):
            if OutboxMessage.objects.filter(state="delivered").count() >= total:
                return rounds
            time.sleep(0.005)
    return rounds


def test_racing_deliverers_send_every_row_once_and_in_order():
    tracker = Tracker()
    outbox.register_channel(CHANNEL, tracker, label="test")
    try:
        streams, per = 40, 5
        with transaction.atomic():
            outbox.enqueue([Message(CHANNEL, f"s{s}", "k", {"i": i}) for s in range(streams) for i in range(per)])
        deadline = time.monotonic() + 60
        race([lambda: _drain(streams * per, deadline) for _ in range(6)])
    finally:
        outbox.unregister_channel(CHANNEL)
    ids = [pk for _s, _q, pk in tracker.sent]
    assert len(ids) == streams * per and len(set(ids)) == len(ids)  # every row once
    assert tracker.overlaps == 0  # never two rows of one stream (or one row twice) in flight
    by_stream: dict[str, list[int]] = {}
    for stream, seq, _pk in tracker.sent:
        by_stream.setdefault(stream, []).append(seq)
    assert all(seqs == list(range(1, per + 1)) for seqs in by_stream.values())


def test_writers_racing_the_deliverer_of_their_stream_leave_no_row_behind():
    tracker = Tracker()
    outbox.register_channel(CHANNEL, tracker, label="test")
    writers, each = 4, 25
    total = writers * each

    def write(w: int) -> int:
        for i in range(each):
            with transaction.atomic():
                outbox.enqueue([Message(CHANNEL, "one-stream", "k", {"w": w, "i": i})])
        return each

    try:
        deadline = time.monotonic() + 60
        results = race([lambda w=w: write(w) for w in range(writers)]
                       + [lambda: _drain(total, deadline) for _ in range(2)])
    finally:
        outbox.unregister_channel(CHANNEL)
    assert results[:writers] == [each] * writers
    assert [seq for _s, seq, _pk in tracker.sent] == list(range(1, total + 1))
    assert not OutboxMessage.objects.exclude(state="delivered").exists()
