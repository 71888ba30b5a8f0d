"""The outbox: rows written with the action or not at all, order per stream, leases, backoff,
give-up and retry, dedupe keys, quiet hours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from hotline import outbox
from hotline.errors import InvalidInput, InvalidTransition, NotAllowed
from hotline.orders import actions
from hotline.orders.models import Event, WorkOrder
from hotline.outbox import Message, Outcome, engine
from hotline.outbox.models import OutboxMessage, OutboxStream
from tests.conftest import make_order

from .conftest import CHANNEL

S = OutboxMessage.State


def _msg(stream: str, n: int = 0, **kw) -> Message:
    return Message(channel=CHANNEL, stream=stream, kind="test.kind", payload={"n": n}, **kw)


def _later(seconds: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def test_an_action_writes_its_message_in_its_transaction(district, recorder):
    order_id = make_order(district)
    order = WorkOrder.objects.get(pk=order_id)
    row = OutboxMessage.objects.get()
    assert (row.stream, row.seq, row.kind, row.state) == (f"order:{order.number}", 1, "order.create", S.PENDING)
    assert row.next_attempt_at is not None  # the head of its stream: due now
    actions.do_dispatch(order_id, actor=district.people["chengang"], unit_id=district.units["street-a"].pk)
    second = OutboxMessage.objects.get(seq=2)
    assert second.kind == "order.dispatch" and second.next_attempt_at is None  # waits behind seq 1


def test_an_action_rolled_back_leaves_no_row(district, recorder):
    order_id = make_order(district)
    before = OutboxMessage.objects.count()
    with pytest.raises(RuntimeError), actions.one_transaction():
        actions.do_dispatch(order_id, actor=district.people["chengang"], unit_id=district.units["street-a"].pk)
        assert OutboxMessage.objects.count() == before + 1  # written inside the transaction ...
        raise RuntimeError("the caller's own step fails")
    assert OutboxMessage.objects.count() == before  # ... and gone with it
    assert not Event.objects.filter(order_id=order_id, action="dispatch").exists()
    assert OutboxStream.objects.get().last_seq == 1  # no seq handed out and lost


def test_a_selector_that_fails_refuses_the_action(district, recorder):
    order_id = make_order(district)

    def broken(event):
        raise ValueError("selector bug")

    outbox.subscribe(broken)
    try:
        with pytest.raises(ValueError):
            actions.do_dispatch(order_id, actor=district.people["chengang"], unit_id=district.units["street-a"].pk)
    finally:
        outbox.unsubscribe(broken)
    assert WorkOrder.objects.get(pk=order_id).state == "received"


def test_imported_history_publishes_nothing(district, recorder):
    event = Event(imported=True)
    assert outbox.publish([event]) == 0
    assert not OutboxMessage.objects.exists()


def test_each_stream_is_delivered_in_order_one_row_at_a_time(db, recorder):
    outbox.enqueue([_msg("a", i) for i in range(4)] + [_msg("b", i) for i in range(3)])
    assert outbox.deliver_due(CHANNEL) == 2  # only the two heads are due
    assert sorted(recorder.sent)[0][:2] == ("a", 1) and {s for s, *_ in recorder.sent} == {"a", "b"}
    while outbox.deliver_due(CHANNEL):
        pass
    by_stream: dict[str, list[int]] = {}
    for stream, seq, _pk in recorder.sent:
        by_stream.setdefault(stream, []).append(seq)
    assert by_stream == {"a": [1, 2, 3, 4], "b": [1, 2, 3]}
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {S.DELIVERED}
    assert OutboxStream.objects.get(stream="a").done_seq == 4


def test_a_row_written_behind_a_delivered_head_is_due_at_once(db, recorder):
    outbox.enqueue([_msg("a", 1)])
    assert outbox.deliver_due(CHANNEL) == 1
    outbox.enqueue([_msg("a", 2)])
    row = OutboxMessage.objects.get(seq=2)
    assert row.next_attempt_at is not None
    assert outbox.deliver_due(CHANNEL) == 1


def test_a_crashed_deliverers_lease_expires_and_the_row_is_sent_again(db, recorder, settings):
    settings.HOTLINE_OUTBOX_LEASE_SECONDS = 30
    outbox.enqueue([_msg("a", 1), _msg("a", 2)])
    claimed = engine._claim(CHANNEL, 10, timezone.now(), "dead-worker")  # claimed, then killed -9
    assert [r.seq for r in claimed] == [1]
    assert outbox.deliver_due(CHANNEL) == 0  # still leased: nobody else sends it
    assert recorder.sent == []
    assert outbox.deliver_due(CHANNEL, now=_later(31)) == 1  # lease over: sent again
    assert [s for _st, s, _pk in recorder.sent] == [1]
    row = OutboxMessage.objects.get(seq=1)
    assert row.state == S.DELIVERED and row.lease_owner != "dead-worker"


def test_a_late_outcome_from_a_lost_lease_is_not_recorded(db, recorder):
    outbox.enqueue([_msg("a", 1)])
    (row,) = engine._claim(CHANNEL, 10, timezone.now(), "slow-worker")
    OutboxMessage.objects.filter(pk=row.pk).update(lease_owner="another-worker")  # its lease was taken over
    assert engine._record([engine._Result(row, Outcome(ok=True))], "slow-worker", None) == 0
    assert OutboxMessage.objects.get(pk=row.pk).state == S.PENDING


def test_a_failure_is_retried_after_an_exponential_backoff(db, recorder, settings):
    settings.HOTLINE_OUTBOX_BACKOFF_SECONDS = 10
    settings.HOTLINE_OUTBOX_BACKOFF_MAX_SECONDS = 1000
    recorder.answer = lambda row: Outcome(ok=False, detail="HTTP 503")
    outbox.enqueue([_msg("a", 1), _msg("a", 2)])
    t0 = timezone.now()
    assert outbox.deliver_due(CHANNEL, now=t0) == 0
    row = OutboxMessage.objects.get(seq=1)
    assert row.attempts == 1 and row.last_error == "HTTP 503" and row.state == S.PENDING
    assert t0 + dt.timedelta(seconds=5) <= row.next_attempt_at <= t0 + dt.timedelta(seconds=10)
    assert outbox.deliver_due(CHANNEL, now=t0 + dt.timedelta(seconds=4)) == 0
    assert len(recorder.sent) == 1  # not tried again before its time
    t1 = row.next_attempt_at
    outbox.deliver_due(CHANNEL, now=t1)
    row.refresh_from_db()
    assert row.attempts == 2 and t1 + dt.timedelta(seconds=10) <= row.next_attempt_at <= t1 + dt.timedelta(seconds=20)
    recorder.answer = lambda row: Outcome(ok=True)
    assert outbox.deliver_due(CHANNEL, now=row.next_attempt_at) == 1
    assert [s for _st, s, _pk in recorder.sent] == [1, 1, 1]  # seq 2 never overtook seq 1


def test_backoff_is_capped_and_jittered(settings):
    settings.HOTLINE_OUTBOX_BACKOFF_SECONDS = 2
    settings.HOTLINE_OUTBOX_BACKOFF_MAX_SECONDS = 300
    delays = [outbox.backoff(n) for n in (1, 2, 3, 30, 30, 30, 1000)]
    assert 1 <= delays[0] <= 2 and 2 <= delays[1] <= 4 and 4 <= delays[2] <= 8
    assert all(150 <= d <= 300 for d in delays[3:])
    assert len(set(delays[3:6])) > 1


def test_a_deliverer_that_raises_counts_as_a_failed_attempt(db, recorder):
    def boom(row):
        raise ConnectionResetError("peer reset")

    recorder.answer = boom
    outbox.enqueue([_msg("a", 1)])
    assert outbox.deliver_due(CHANNEL) == 0
    row = OutboxMessage.objects.get()
    assert row.attempts == 1 and "peer reset" in row.last_error and row.state == S.PENDING


def test_too_many_failures_go_to_the_failed_page_and_block_the_stream(db, recorder, settings, district):
    settings.HOTLINE_OUTBOX_MAX_ATTEMPTS = 3
    recorder.answer = lambda row: Outcome(ok=False, detail="timeout")
    outbox.enqueue([_msg("a", 1), _msg("a", 2)])
    at = timezone.now()
    for _ in range(3):
        outbox.deliver_due(CHANNEL, now=at)
        at += dt.timedelta(seconds=10_000)
    head = OutboxMessage.objects.get(seq=1)
    assert head.state == S.FAILED and head.attempts == 3
    assert list(outbox.failed_rows()) == [head]
    recorder.answer = lambda row: Outcome(ok=True)
    assert outbox.deliver_due(CHANNEL, now=_later(10**6)) == 0  # seq 2 waits behind the failed head
    with pytest.raises(NotAllowed):
        outbox.give_up(head.pk, actor=district.people["wangfang"], reason="城市平台已人工录入")
    with pytest.raises(InvalidInput):
        outbox.give_up(head.pk, actor=district.people["liudu"], reason="no")
    outbox.give_up(head.pk, actor=district.people["liudu"], reason="城市平台已人工录入")
    head.refresh_from_db()
    assert head.state == S.GIVEN_UP and head.given_up_by == district.people["liudu"]
    assert outbox.deliver_due(CHANNEL) == 1
    assert OutboxMessage.objects.get(seq=2).state == S.DELIVERED
    with pytest.raises(InvalidTransition):
        outbox.retry(head.pk, actor=district.people["admin"])  # given up is final


def test_a_permanent_failure_fails_at_once_and_can_be_retried(db, recorder, district):
    recorder.answer = lambda row: Outcome(ok=False, retry=False, detail="HTTP 400 bad payload")
    outbox.enqueue([_msg("a", 1)])
    outbox.deliver_due(CHANNEL)
    row = OutboxMessage.objects.get()
    assert row.state == S.FAILED and row.attempts == 1 and "400" in row.last_error
    recorder.answer = lambda row: Outcome(ok=True)
    outbox.retry(row.pk, actor=district.people["admin"])
    assert outbox.deliver_due(CHANNEL) == 1
    assert OutboxMessage.objects.get().state == S.DELIVERED


def test_a_dedupe_key_keeps_one_row(db, recorder):
    assert outbox.enqueue([_msg("a", 1, dedupe_key="due-soon:7"), _msg("a", 2, dedupe_key="due-soon:7")]) == 1
    assert outbox.enqueue([_msg("b", 1, dedupe_key="due-soon:7")]) == 0
    assert OutboxMessage.objects.count() == 1
    assert OutboxStream.objects.get(stream="a").last_seq == 1 and not OutboxStream.objects.filter(stream="b").exists()


def test_not_before_holds_a_message_back(db, recorder):
    quiet_until = _later(3600)
    outbox.enqueue([_msg("a", 1, not_before=quiet_until)])
    assert outbox.deliver_due(CHANNEL) == 0
    assert outbox.deliver_due(CHANNEL, now=quiet_until + dt.timedelta(seconds=1)) == 1


def test_bad_messages_are_refused_before_anything_is_written(db, recorder):
    with pytest.raises(TypeError):
        outbox.enqueue([Message(channel=CHANNEL, stream="a", kind="k", payload={"t": object()})])
    with pytest.raises(ValueError):
        outbox.enqueue([Message(channel="", stream="a", kind="k", payload={})])
    assert not OutboxMessage.objects.exists()


def test_status_counts_rows_per_channel_and_state(db, recorder):
    outbox.enqueue([_msg("a", 1), _msg("a", 2), _msg("b", 1)])
    outbox.deliver_due(CHANNEL, limit=1)
    figures = outbox.status()[CHANNEL]
    assert figures["delivered"] == 1 and figures["pending"] == 2 and figures["due"] == 2


def test_a_round_for_an_unknown_channel_says_so(db):
    with pytest.raises(LookupError):
        outbox.deliver_due("nobody")


def test_a_round_stops_trying_a_receiver_that_is_down(db, recorder):
    recorder.answer = lambda row: Outcome(ok=False, detail="connection refused")
    outbox.enqueue([_msg(f"s{i}", i) for i in range(10)])
    assert outbox.deliver_due(CHANNEL) == 0
    assert len(recorder.sent) == engine.BREAKER  # not ten timeouts one after another
    tried = OutboxMessage.objects.filter(attempts=1)
    assert tried.count() == engine.BREAKER
    untouched = OutboxMessage.objects.filter(attempts=0)
    assert untouched.count() == 10 - engine.BREAKER
    assert all(r.leased_until is None and r.lease_owner == "" for r in untouched)  # released, due again


def test_a_round_sends_no_row_once_its_lease_could_run_out(db, recorder, settings, monkeypatch):
    settings.HOTLINE_OUTBOX_LEASE_SECONDS = 30
    settings.HOTLINE_OUTBOX_SEND_TIMEOUT_SECONDS = 10
    clock = iter([0.0, 5.0, 12.0])  # the round starts; 5 s, 12 s, then 21 s have gone by at each check
    monkeypatch.setattr(engine.time, "monotonic", lambda: next(clock, 21.0))
    outbox.enqueue([_msg(f"s{i}", i) for i in range(3)])
    assert outbox.deliver_due(CHANNEL) == 2
    assert len(recorder.sent) == 2
    assert OutboxMessage.objects.filter(state="pending", leased_until__isnull=True).count() == 1


def test_prune_deletes_only_rows_delivered_long_ago_and_streams_keep_their_order(db, recorder):
    outbox.enqueue([_msg("p", 1), _msg("p", 2), _msg("q", 1)])
    assert outbox.deliver_due(CHANNEL) >= 1
    while outbox.deliver_due(CHANNEL):
        pass
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {S.DELIVERED}
    old = OutboxMessage.objects.get(stream="p", seq=1)
    OutboxMessage.objects.filter(pk=old.pk).update(delivered_at=timezone.now() - dt.timedelta(days=40))
    outbox.enqueue([_msg("f", 1)])
    failed = OutboxMessage.objects.get(stream="f")
    OutboxMessage.objects.filter(pk=failed.pk).update(state=S.FAILED, created_at=timezone.now() - dt.timedelta(days=90))

    assert outbox.prune(days=30) == 1
    assert not OutboxMessage.objects.filter(pk=old.pk).exists()
    assert OutboxMessage.objects.filter(pk=failed.pk).exists()  # failed rows stay for the page
    assert OutboxMessage.objects.filter(stream="p", seq=2).exists()  # delivered recently: kept
    # a new message on the pruned stream takes the next number, not a reused one
    outbox.enqueue([_msg("p", 3)])
    assert OutboxMessage.objects.filter(stream="p").order_by("-seq").first().seq == 3
    assert outbox.prune(days=0, now=timezone.now() + dt.timedelta(seconds=1)) == 2
    with pytest.raises(ValueError):
        outbox.prune(days=-1)


def test_the_prune_command(db, recorder):
    from io import StringIO

    from django.core.management import CommandError, call_command

    outbox.enqueue([_msg("c", 1)])
    while outbox.deliver_due(CHANNEL):
        pass
    OutboxMessage.objects.update(delivered_at=timezone.now() - dt.timedelta(days=3))
    out = StringIO()
    call_command("outbox", "prune", "--days", "7", stdout=out)
    assert out.getvalue().startswith("0 ") and OutboxMessage.objects.count() == 1
    call_command("outbox", "prune", "--days", "2", stdout=out)
    assert "1 delivered rows deleted" in out.getvalue() and OutboxMessage.objects.count() == 0
    with pytest.raises(CommandError):
        call_command("outbox", "prune", "--days", "-1")
