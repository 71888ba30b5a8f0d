"""The outbox's database side: writing rows (publish, enqueue) and delivering them (deliver_due),
plus what the failed-deliveries page does (retry, give up) and the figures of `hotline outbox status`.

How order per stream is kept without an anti-join: OutboxStream hands out seq 1, 2, 3... per
(channel, stream) and remembers done_seq, the last row delivered or given up. A new row is the
head of its stream when done_seq == seq - 1, and only a head has a next_attempt_at; the rows
behind it wait with NULL. When the deliverer finishes a head it moves done_seq on and schedules
seq + 1, both under the stream row's lock, which every writer of the stream takes too (the
upsert that gives out its seq): either the writer's row is committed before the deliverer looks
for it, or the writer sees the new done_seq and schedules its row itself. So at most one row per
stream is due at any time, and the due-rows query is a plain index range scan.

Leases: a round claims due rows (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has one writer)
by writing leased_until and lease_owner, sends them outside any transaction, and records each
outcome only where it still holds the lease. A worker killed mid-round leaves its rows leased;
they are due again when the lease expires. A row is sent only while its lease has at least the
send timeout left, so two deliverers never send one row at once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, DateTimeField, F, Min, PositiveBigIntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.directory.models import User
from hotline.directory.roles import Role
from hotline.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound

from . import Message, Outcome, channels, selectors
from .models import OutboxMessage, OutboxStream

log = logging.getLogger("hotline.outbox")
S = OutboxMessage.State
MAX_ERROR_CHARS = 2000
# Transport failures in a row after which a round stops (the receiver is down: the rest of the
# round is released, not tried one timeout after another).
BREAKER = 3
OPERATOR_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def _setting(name: str, default: float) -> float:
    return getattr(settings, name, default)


def lease_seconds() -> float:
    return _setting("HOTLINE_OUTBOX_LEASE_SECONDS", 60)


def send_timeout() -> float:
    return _setting("HOTLINE_OUTBOX_SEND_TIMEOUT_SECONDS", 10)


def max_attempts() -> int:
    return int(_setting("HOTLINE_OUTBOX_MAX_ATTEMPTS", 30))


def backoff(attempts: int, *, rng: random.Random | None = None) -> float:
    """Seconds to wait after the `attempts`-th failure: base × 2^(attempts-1), capped, with "equal
    jitter" (half of it fixed, half random) so many streams failing together do not retry together."""
    base = _setting("HOTLINE_OUTBOX_BACKOFF_SECONDS", 2)
    cap = _setting("HOTLINE_OUTBOX_BACKOFF_MAX_SECONDS", 300)
    delay = min(cap, base * 2 ** max(0, min(attempts, 40) - 1))
    return delay / 2 + (rng or random).uniform(0, delay / 2)


# ---- writing ------------------------------------------------------------------------------------------


def publish(events: Iterable[Any]) -> int:
    """Run the selectors over new events and write their messages, in the caller's transaction
    (an orders action, right after saving its events). Imported history publishes nothing."""
    messages: list[Message] = []
    chosen = selectors()
    for event in events:
        if getattr(event, "imported", False):
            continue
        for selector in chosen:
            messages.extend(selector(event) or ())
    return enqueue(messages) if messages else 0


def _check(message: Message) -> None:
    if not isinstance(message, Message):
        raise TypeError(f"outbox.enqueue takes Message objects, not {type(message).__name__}")
    for name, limit in (("channel", 40), ("stream", 200), ("kind", 60)):
        value = getattr(message, name)
        if not isinstance(value, str) or not value or len(value) > limit:
            raise ValueError(f"Message.{name} {value!r}: 1 to {limit} characters")
    if message.dedupe_key is not None and (not message.dedupe_key or len(message.dedupe_key) > 200):
        raise ValueError(f"Message.dedupe_key {message.dedupe_key!r}: 1 to 200 characters")
    if not isinstance(message.payload, dict):
        raise TypeError("Message.payload must be a dict")
    json.dumps(message.payload)  # TypeError now, inside the action, rather than at delivery


_UPSERT = (
    "INSERT INTO {t} (channel, stream, last_seq, done_seq) VALUES (%s, %s, %s, 0) "
    "ON CONFLICT (channel, stream) DO UPDATE SET last_seq = {t}.last_seq + excluded.last_seq "
    "RETURNING last_seq, done_seq"
)


def _take_seqs(channel: str, stream: str, count: int) -> tuple[int, bool]:
    """Reserve `count` seqs of a stream (locking its row to the end of the transaction): the first
    of them, and whether it is the stream's head (everything before it done)."""
    table = connection.ops.quote_name(OutboxStream._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(t=table), [channel, stream, count])
        last, done = cursor.fetchone()
    first = last - count + 1
    return first, done == first - 1


def enqueue(messages: Sequence[Message] | Iterable[Message]) -> int:
    """Write messages in the caller's transaction; the rows written (a message whose dedupe_key
    its channel already has is left out)."""
    messages = list(messages)
    for m in messages:
        _check(m)
    if not messages:
        return 0
    now = timezone.now()
    keyed = [m for m in messages if m.dedupe_key is not None]
    taken: set[tuple[str, str]] = set()
    if keyed:
        by_channel: dict[str, list[str]] = defaultdict(list)
        for m in keyed:
            by_channel[m.channel].append(m.dedupe_key)  # type: ignore[arg-type]
        for channel, keys in by_channel.items():
            taken.update((channel, k) for k in OutboxMessage.objects.filter(channel=channel, dedupe_key__in=keys)
                         .values_list("dedupe_key", flat=True))
    plain: list[Message] = []
    deduped: list[Message] = []
    for m in messages:
        if m.dedupe_key is None:
            plain.append(m)
        elif (m.channel, m.dedupe_key) not in taken:
            taken.add((m.channel, m.dedupe_key))
            deduped.append(m)
    written = _write(plain, now) if plain else 0
    for m in deduped:
        # One savepoint each: a twin committed meanwhile by another transaction undoes only this
        # row and its seq (a seq handed out and not used would stop its stream for ever).
        try:
            with transaction.atomic():
                written += _write([m], now)
        except IntegrityError:
            if not OutboxMessage.objects.filter(channel=m.channel, dedupe_key=m.dedupe_key).exists():
                raise
    return written


def _write(messages: list[Message], now: dt.datetime) -> int:
    groups: dict[tuple[str, str], list[Message]] = {}
    for m in messages:
        groups.setdefault((m.channel, m.stream), []).append(m)
    rows: list[OutboxMessage] = []
    # Stream rows are locked in one order by every writer and by the deliverer: no deadlock.
    for (channel, stream) in sorted(groups):
        group = groups[(channel, stream)]
        first, head = _take_seqs(channel, stream, len(group))
        for i, m in enumerate(group):
            due = _due_at(m.not_before, now) if head and i == 0 else None
            rows.append(OutboxMessage(
                channel=channel, stream=stream, seq=first + i, kind=m.kind, payload=m.payload,
                dedupe_key=m.dedupe_key, created_at=now, not_before=m.not_before, next_attempt_at=due,
            ))
    OutboxMessage.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _due_at(not_before: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    return not_before if not_before is not None and not_before > now else now


# ---- delivering -------------------------------------------------------------------------------------


@dataclass
class _Result:
    row: OutboxMessage
    outcome: Outcome | None  # None: not sent (released)


def _owner() -> str:
    return f"{socket.gethostname()[:20]}:{os.getpid()}:{threading.get_ident() % 100000}:{uuid.uuid4().hex[:8]}"


def _claim(channel: str, limit: int, now: dt.datetime, owner: str) -> list[OutboxMessage]:
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    with transaction.atomic():
        ids = list(
            OutboxMessage.objects.filter(channel=channel, state=S.PENDING, next_attempt_at__lte=now).filter(free)
            .order_by("next_attempt_at").select_for_update(skip_locked=True).values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        OutboxMessage.objects.filter(id__in=ids).update(
            leased_until=now + dt.timedelta(seconds=lease_seconds()), lease_owner=owner
        )
    return sorted(OutboxMessage.objects.filter(id__in=ids), key=lambda r: (r.next_attempt_at, r.id))


def _send(deliver: Any, row: OutboxMessage) -> Outcome:
    try:
        outcome = deliver(row)
    except Exception as exc:  # noqa: BLE001 - a deliverer's crash is a failed attempt, retried
        log.warning("deliverer of %s raised on row %s", row.channel, row.pk, exc_info=True)
        return Outcome(ok=False, retry=True, detail=f"{type(exc).__name__}: {exc}")
    if not isinstance(outcome, Outcome):
        return Outcome(ok=False, retry=False, detail=f"deliverer returned {outcome!r}, not an Outcome")
    return outcome


def _send_pooled(deliver: Any, row: OutboxMessage) -> Outcome:
    # A pool thread's own database connection (if its deliverer opens one) is kept for the next
    # send: closing it here closed the calling thread's connection under the test runner.
    return _send(deliver, row)


_pools: dict[tuple[str, int], ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(channel: str, size: int) -> ThreadPoolExecutor:
    # One pool per channel for the life of the process: its threads keep their connections to
    # the receiver open from one round to the next.
    with _pools_lock:
        pool = _pools.get((channel, size))
        if pool is None:
            pool = _pools[(channel, size)] = ThreadPoolExecutor(max_workers=size, thread_name_prefix=f"outbox-{channel}")
        return pool


def deliver_due(channel: str | None = None, *, limit: int = 100, now: dt.datetime | None = None) -> int:
    """One delivery round: claim up to `limit` due rows of `channel` (every registered channel when
    None), send them, record each outcome. Returns how many were delivered."""
    names = [channel] if channel is not None else sorted(channels())
    return sum(_round(name, limit, now) for name in names)


def _round(name: str, limit: int, now: dt.datetime | None) -> int:
    spec = channels().get(name)
    if spec is None:
        raise LookupError(f"no deliverer registered for outbox channel {name!r}")
    at = now or timezone.now()
    owner = _owner()
    rows = _claim(name, limit, at, owner)
    if not rows:
        return 0
    started = time.monotonic()
    budget = lease_seconds() - send_timeout()
    # Up to `concurrency` rows at once (each a different stream's head). A row is sent only while
    # its lease has a send timeout left; after BREAKER transport failures in a row (the receiver
    # is down) the rest of the round is released untouched, for the rows' own backoff to decide.
    breaker = {"failures": 0}
    lock = threading.Lock()

    def attempt(row: OutboxMessage) -> Outcome | None:
        with lock:
            if breaker["failures"] >= BREAKER or time.monotonic() - started > budget:
                return None
        outcome = _send_pooled(spec.deliver, row) if spec.concurrency > 1 else _send(spec.deliver, row)
        with lock:
            breaker["failures"] = 0 if outcome.ok or not outcome.retry else breaker["failures"] + 1
        return outcome

    if spec.concurrency > 1 and len(rows) > 1:
        outcomes = list(_pool(name, spec.concurrency).map(attempt, rows))
    else:
        outcomes = [attempt(row) for row in rows]
    results = [_Result(r, o) for r, o in zip(rows, outcomes, strict=True)]
    return _record(results, owner, now)


def _record(results: list[_Result], owner: str, now: dt.datetime | None) -> int:
    """Write the round's outcomes in one transaction: the delivered rows, their streams moved on
    and the next row of each scheduled in a few statements for the whole round; each failure
    with its own next attempt."""
    at = now or timezone.now()
    cap = max_attempts()
    ok = [r.row for r in results if r.outcome is not None and r.outcome.ok]
    released = [r.row.pk for r in results if r.outcome is None]
    failed = [r for r in results if r.outcome is not None and not r.outcome.ok]
    with transaction.atomic():
        delivered = _delivered(ok, owner, at) if ok else 0
        if released:
            OutboxMessage.objects.filter(pk__in=released, state=S.PENDING, lease_owner=owner).update(
                leased_until=None, lease_owner="")
        for res in failed:
            row, outcome = res.row, res.outcome
            assert outcome is not None
            mine = OutboxMessage.objects.filter(pk=row.pk, state=S.PENDING, lease_owner=owner)
            attempts = row.attempts + 1
            detail = (outcome.detail or _("未说明原因"))[:MAX_ERROR_CHARS]
            if not outcome.retry or attempts >= cap:
                if mine.update(state=S.FAILED, attempts=attempts, leased_until=None, next_attempt_at=None,
                               last_error=detail):
                    log.warning("outbox row %s (%s/%s#%s) failed: %s", row.pk, row.channel, row.stream, row.seq, detail)
            else:
                mine.update(attempts=attempts, leased_until=None, last_error=detail,
                            next_attempt_at=at + dt.timedelta(seconds=backoff(attempts)))
    return delivered


def _delivered(rows: list[OutboxMessage], owner: str, at: dt.datetime) -> int:
    # Only rows whose lease this round still holds (a lease lost to a slow send is another's now).
    held = set(OutboxMessage.objects.filter(pk__in=[r.pk for r in rows], state=S.PENDING, lease_owner=owner)
               .values_list("pk", flat=True))
    rows = [r for r in rows if r.pk in held]
    if not rows:
        return 0
    OutboxMessage.objects.filter(pk__in=held).update(
        state=S.DELIVERED, delivered_at=at, attempts=F("attempts") + 1, leased_until=None, next_attempt_at=None,
        last_error="")
    _advance_many(rows, at)
    return len(rows)


def _advance_many(rows: list[OutboxMessage], at: dt.datetime) -> None:
    """Rows done (delivered or given up), at most one per stream: move each stream's done_seq on
    and schedule the row after it. The stream rows are locked first, in the one order every writer
    uses, so this never deadlocks with an action writing to the same streams."""
    rows = sorted(rows, key=lambda r: (r.channel, r.stream))
    for channel in {r.channel for r in rows}:
        mine = [r for r in rows if r.channel == channel]
        list(OutboxStream.objects.select_for_update().filter(channel=channel, stream__in=[r.stream for r in mine])
             .order_by("channel", "stream").values_list("pk", flat=True))
        OutboxStream.objects.filter(channel=channel, stream__in=[r.stream for r in mine]).update(
            done_seq=Case(*[When(stream=r.stream, done_seq=r.seq - 1, then=Value(r.seq)) for r in mine],
                          default=F("done_seq"), output_field=PositiveBigIntegerField()))
        nxt = Q()
        for r in mine:
            nxt |= Q(stream=r.stream, seq=r.seq + 1)
        OutboxMessage.objects.filter(nxt, channel=channel, state=S.PENDING, next_attempt_at__isnull=True).update(
            next_attempt_at=Case(When(not_before__gt=at, then=F("not_before")), default=Value(at),
                                 output_field=DateTimeField()))


def _advance(row: OutboxMessage, at: dt.datetime) -> None:
    """Row `row` of its stream is done (delivered or given up): move done_seq on, schedule the next."""
    _advance_many([row], at)


# ---- the failed-deliveries page ----------------------------------------------------------------------


def _operator(actor: User) -> None:
    if Role(actor.role) not in OPERATOR_ROLES:
        raise NotAllowed(_("只有督办领导或系统管理员可以处理外发异常。"))


def _failed(message_id: Any) -> OutboxMessage:
    try:
        pk = int(message_id)
    except (TypeError, ValueError):
        raise NotFound(_("外发消息不存在。")) from None
    row = OutboxMessage.objects.select_for_update().filter(pk=pk).first()
    if row is None:
        raise NotFound(_("外发消息不存在。"))
    if row.state != S.FAILED:
        raise InvalidTransition(_("只有发送失败的消息可以重发或放弃（当前状态：%(s)s）。") % {"s": row.get_state_display()})
    return row


def failed_rows(channel: str | None = None) -> Any:
    rows = OutboxMessage.objects.filter(state=S.FAILED)
    return rows.filter(channel=channel) if channel else rows


def retry(message_id: Any, *, actor: User) -> OutboxMessage:
    """Send a failed row again now, with a fresh count of attempts."""
    _operator(actor)
    with transaction.atomic():
        row = _failed(message_id)
        now = timezone.now()
        row.state, row.attempts, row.next_attempt_at = S.PENDING, 0, now
        row.leased_until, row.lease_owner = None, ""
        row.save(update_fields=["state", "attempts", "next_attempt_at", "leased_until", "lease_owner"])
    return row


def give_up(message_id: Any, *, actor: User, reason: str) -> OutboxMessage:
    """Stop trying a failed row, with the reason; the rows behind it in its stream go on."""
    _operator(actor)
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise InvalidInput(_("请填写放弃的原因（至少5个字）。"), details={"reason": [_("理由过短。")]})
    if len(reason) > 500:
        raise InvalidInput(_("原因不能超过500字。"), details={"reason": [_("理由过长。")]})
    with transaction.atomic():
        row = _failed(message_id)
        now = timezone.now()
        row.state, row.given_up_by, row.given_up_reason = S.GIVEN_UP, actor, reason
        row.save(update_fields=["state", "given_up_by", "given_up_reason"])
        _advance(row, now)
    return row


# ---- keeping the table small --------------------------------------------------------------------------


def prune(*, days: float | None = None, now: dt.datetime | None = None, batch: int = 5000) -> int:
    """Delete rows delivered more than `days` ago (HOTLINE_OUTBOX_KEEP_DAYS by default), in
    batches; the number deleted. Pending, failed and given-up rows stay whatever their age (the
    failed-deliveries page and its trace need them). Order per stream does not depend on the
    rows: OutboxStream hands out the next seq. A dedupe key of a pruned row could be enqueued
    again; notifications keep theirs on their own rows, and a channel whose keys must hold
    longer keeps them longer with a larger setting."""
    keep = float(getattr(settings, "HOTLINE_OUTBOX_KEEP_DAYS", 30) if days is None else days)
    if keep < 0:
        raise ValueError("days must not be negative")
    cutoff = (now or timezone.now()) - dt.timedelta(days=keep)
    old = OutboxMessage.objects.filter(state=S.DELIVERED, delivered_at__lt=cutoff)
    deleted = 0
    while True:
        ids = list(old.order_by("id").values_list("id", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += OutboxMessage.objects.filter(id__in=ids).delete()[0]


# ---- figures ------------------------------------------------------------------------------------------


def status(now: dt.datetime | None = None) -> dict[str, dict[str, Any]]:
    """Per channel: rows by state, rows due now, and the oldest undelivered row's age in seconds."""
    now = now or timezone.now()
    out: dict[str, dict[str, Any]] = {}
    for channel, state, count in OutboxMessage.objects.values_list("channel", "state").annotate(n=Count("id")):
        out.setdefault(channel, {s: 0 for s in S.values})[state] = count
    for channel in list(out) + [c for c in channels() if c not in out]:
        entry = out.setdefault(channel, {s: 0 for s in S.values})
        pending = OutboxMessage.objects.filter(channel=channel, state=S.PENDING)
        entry["due"] = pending.filter(next_attempt_at__lte=now).count()
        oldest = pending.aggregate(t=Min("created_at"))["t"]
        entry["oldest_pending_seconds"] = round((now - oldest).total_seconds(), 1) if oldest else 0
    return out
