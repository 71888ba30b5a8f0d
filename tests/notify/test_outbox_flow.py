"""Notifications through the outbox: written in the action's transaction (none when it rolls
back), delivered by the notify channel (a real local SMS gateway), status recorded; the scans'
rows deduplicated in the outbox too; quiet hours as the row's not_before."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from hotline import outbox
from hotline.notify import delivery, services
from hotline.notify.models import Notification
from hotline.notify.rules import Kind, Medium
from hotline.orders import actions
from hotline.orders.models import Event, WorkOrder
from hotline.outbox.models import OutboxMessage
from tests.conftest import make_order
from tests.orders.loop import S, bring_to

from .server import Behaviour, LocalServer


@pytest.fixture(autouse=True)
def _one_at_a_time():
    # The channel's send pool runs in threads with connections of their own, which cannot see the
    # rows of a test's transaction: here the rows of a round are sent one after another.
    spec = outbox.channels()["notify"]
    outbox.register_channel("notify", spec.deliver, label=spec.label, concurrency=1)
    yield
    outbox.register_channel("notify", spec.deliver, label=spec.label, concurrency=spec.concurrency)


@pytest.fixture
def gateway(settings):
    with LocalServer() as s:
        settings.HOTLINE_NOTIFY_SENDERS = {"sms": {"BACKEND": "hotline.notify.senders.sms.SmsGatewaySender",
                                                   "OPTIONS": {"url": s.url + "/sms", "token": "t", "timeout": 0.3}}}
        settings.HOTLINE_NOTIFY_QUIET_HOURS = ""
        yield s


def _dispatch(district, **kw):
    oid = make_order(district, **kw)
    actions.do_dispatch(oid, actor=district.people["chengang"], unit_id=district.units["street-a"].pk)
    return oid


def test_the_channel_and_the_subscriber_are_registered():
    assert "notify" in outbox.channels()
    assert delivery.messages_for_event in outbox.selectors()


def test_an_action_writes_its_notifications_and_their_outbox_rows_and_the_worker_sends_them(district, gateway):
    oid = _dispatch(district)
    rows = list(Notification.objects.filter(order_id=oid).order_by("pk"))
    assert [r.person.username for r in rows] == ["liqiang", "lizhang"]
    boxed = list(OutboxMessage.objects.filter(channel="notify").order_by("pk"))
    assert [m.payload["notification"] for m in boxed] == [r.pk for r in rows]
    assert {m.kind for m in boxed} == {"notify.new_order"}
    assert outbox.deliver_due("notify") == 2
    assert sorted(g.body["to"] for g in gateway.received) == ["13900000001", "13900000016"]
    ids = {g.body["message_id"] for g in gateway.received}
    assert ids == {f"hotline-{m.pk}-{m.seq}" for m in boxed}
    assert set(Notification.objects.filter(order_id=oid).values_list("state", flat=True)) == {"sent"}


def test_nothing_is_written_when_the_action_rolls_back(district):
    oid = make_order(district)
    before = (Notification.objects.count(), OutboxMessage.objects.count(), Event.objects.count())
    with pytest.raises(RuntimeError), actions.one_transaction():
        actions.do_dispatch(oid, actor=district.people["chengang"], unit_id=district.units["street-a"].pk)
        assert Notification.objects.filter(order_id=oid).count() == 2  # written inside it
        raise RuntimeError("the rest of the unit of work failed")
    assert (Notification.objects.count(), OutboxMessage.objects.count(), Event.objects.count()) == before
    assert WorkOrder.objects.get(pk=oid).state == "received"


def test_a_refused_action_writes_no_notification(district):
    oid = make_order(district)
    with pytest.raises(Exception):  # noqa: B017 - any DomainError
        actions.do_dispatch(oid, actor=district.people["liqiang"], unit_id=district.units["street-a"].pk)
    assert not Notification.objects.exists() and not OutboxMessage.objects.filter(channel="notify").exists()


def test_a_gateway_500_is_retried_by_the_outbox_and_then_sent(district, gateway):
    gateway.behaviour = Behaviour(status=500)
    oid = _dispatch(district)
    assert outbox.deliver_due("notify") == 0
    row = Notification.objects.filter(order_id=oid).first()
    assert (row.state, row.attempts) == ("queued", 1) and "HTTP 500" in row.last_error
    gateway.behaviour = Behaviour()
    assert outbox.deliver_due("notify", now=timezone.now() + dt.timedelta(hours=1)) == 2
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 2)


def test_a_gateway_400_fails_the_notification_and_the_outbox_row_at_once(district, gateway):
    gateway.behaviour = Behaviour(status=400, reply={"error": "invalid number"})
    oid = _dispatch(district)
    outbox.deliver_due("notify")
    assert set(Notification.objects.filter(order_id=oid).values_list("state", flat=True)) == {"failed"}
    assert set(OutboxMessage.objects.filter(channel="notify").values_list("state", flat=True)) == {"failed"}


def test_quiet_hours_hold_the_outbox_row_until_they_end(district, gateway):
    person = district.people["liqiang"]
    now = timezone.localtime()
    start = (now - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now + dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    services.save_preferences(person, {Kind.NEW_ORDER: [Medium.SMS]}, (start, end))
    oid = _dispatch(district)
    mine = Notification.objects.get(order_id=oid, person=person)
    assert mine.not_before is not None and mine.not_before > timezone.now()
    boxed = OutboxMessage.objects.get(channel="notify", payload__notification=mine.pk)
    assert boxed.not_before == mine.not_before
    assert outbox.deliver_due("notify") == 1  # the unit head's, not liqiang's
    assert [g.body["to"] for g in gateway.received] == ["13900000016"]
    assert outbox.deliver_due("notify", now=mine.not_before + dt.timedelta(seconds=1)) == 1
    mine.refresh_from_db()
    assert mine.state == "sent"


def test_an_emergency_is_sent_during_quiet_hours(district, gateway):
    person = district.people["liqiang"]
    now = timezone.localtime()
    services.save_preferences(person, {Kind.NEW_ORDER: [Medium.SMS]},
                              ((now - dt.timedelta(hours=1)).time(), (now + dt.timedelta(hours=1)).time()))
    oid = _dispatch(district, urgency="emergency")
    assert outbox.deliver_due("notify") == 2
    assert gateway.received[0].body["priority"] == "high"
    assert Notification.objects.get(order_id=oid, person=person).state == "sent"


def test_the_scan_queues_a_due_soon_order_once(district, gateway):
    oid = bring_to(district, S.DISPATCHED)
    outbox.deliver_due("notify")
    due = WorkOrder.objects.get(pk=oid).sign_due
    assert delivery.scan(due - dt.timedelta(hours=1)) == 2
    assert delivery.scan(due - dt.timedelta(minutes=30)) == 0
    assert OutboxMessage.objects.filter(channel="notify", kind="notify.due_soon").count() == 2
    assert outbox.deliver_due("notify") == 2
    assert Notification.objects.filter(order_id=oid, kind="due_soon", state="sent").count() == 2


def test_a_suppressed_notification_has_no_outbox_row(district):
    services.save_preferences(district.people["liqiang"], {}, None)
    oid = _dispatch(district)
    assert Notification.objects.get(order_id=oid, person=district.people["liqiang"]).state == "suppressed"
    assert OutboxMessage.objects.filter(channel="notify").count() == 1
