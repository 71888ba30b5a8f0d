"""Delivering one notification through its sender (a real local HTTP gateway) records the status:
sent, still queued with the error (to be retried), or failed (permanent); never sent twice."""

from __future__ import annotations

import pytest
from django.utils import timezone

from hotline.notify import services
from hotline.notify.models import Notification

from .server import Behaviour, LocalServer


@pytest.fixture
def gateway(settings):
    with LocalServer() as s:
        settings.HOTLINE_NOTIFY_SENDERS = {"sms": {"BACKEND": "hotline.notify.senders.sms.SmsGatewaySender",
                                                   "OPTIONS": {"url": s.url + "/sms", "token": "t", "timeout": 0.3}}}
        yield s


def _queued(district, **kw):
    return Notification.objects.create(person=district.people["liqiang"], kind="urge", medium="sms",
                                       address="13900000001", text="【催办】工单1", created_at=timezone.now(), **kw)


def test_a_delivered_notification_is_marked_sent(district, gateway):
    row = _queued(district)
    out = services.deliver(row.pk, message_id="notify-5-1")
    assert out.ok
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == ("sent", 1, "")
    assert row.sent_at is not None
    assert gateway.received[0].body["message_id"] == "notify-5-1"
    assert gateway.received[0].body["to"] == "13900000001"
    # a redelivered outbox row does not send it again
    assert services.deliver(row.pk, message_id="notify-5-1").ok
    assert len(gateway.received) == 1


@pytest.mark.parametrize(("behaviour", "state", "retry"), [
    (Behaviour(status=500), "queued", True),
    (Behaviour(delay=1.0), "queued", True),
    (Behaviour(status=400, reply={"error": "bad number"}), "failed", False),
])
def test_a_failed_attempt_is_recorded_with_its_error(district, gateway, behaviour, state, retry):
    gateway.behaviour = behaviour
    row = _queued(district)
    out = services.deliver(row.pk, message_id="m")
    assert not out.ok and out.retry is retry
    row.refresh_from_db()
    assert (row.state, row.attempts) == (state, 1)
    assert row.last_error and row.sent_at is None


def test_a_retry_after_a_500_succeeds_and_counts_both_attempts(district, gateway):
    gateway.behaviour = Behaviour(status=503)
    row = _queued(district)
    assert not services.deliver(row.pk, message_id="m").ok
    gateway.behaviour = Behaviour()
    assert services.deliver(row.pk, message_id="m").ok
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, "")


def test_a_person_made_inactive_meanwhile_is_not_sent_to(district, gateway):
    row = _queued(district)
    row.person.is_active = False
    row.person.save()
    assert services.deliver(row.pk, message_id="m").ok
    row.refresh_from_db()
    assert row.state == "suppressed" and gateway.received == []


def test_a_notification_that_is_gone_is_a_permanent_failure(district):
    out = services.deliver(987654, message_id="m")
    assert not out.ok and out.retry is False


def test_a_sender_that_crashes_is_a_retry_not_a_dead_worker(district, settings):
    settings.HOTLINE_NOTIFY_SENDERS = {"sms": "tests.notify.test_delivery_record.Broken"}
    row = _queued(district)
    out = services.deliver(row.pk, message_id="m")
    assert not out.ok and out.retry and "boom" in out.detail


class Broken:
    def __init__(self, **options):
        pass

    def send(self, message):
        raise RuntimeError("boom")


def test_the_last_attempt_the_outbox_makes_marks_the_notification_failed(district, gateway):
    gateway.behaviour = Behaviour(status=500)
    row = _queued(district)
    assert services.deliver(row.pk, message_id="m", final=True).retry
    row.refresh_from_db()
    assert row.state == "failed" and "HTTP 500" in row.last_error
    # an operator's retry of the outbox row sends it again
    gateway.behaviour = Behaviour()
    assert services.deliver(row.pk, message_id="m").ok
    row.refresh_from_db()
    assert row.state == "sent" and row.attempts == 2
