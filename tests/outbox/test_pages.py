"""The failed-deliveries page (外发异常): supervisors and administrators inspect, retry and give up;
nobody else opens it; a bad give-up is a message on the page, never a 500."""

from __future__ import annotations

import threading

import pytest

from hotline import outbox
from hotline.outbox import Message, Outcome
from hotline.outbox.models import OutboxMessage
from hotline.worker.management.commands.db_worker import deliver_loop

from .conftest import CHANNEL


@pytest.fixture
def failed_row(db, recorder):
    recorder.answer = lambda row: Outcome(ok=False, retry=False, detail="HTTP 400: unknown order SZ-9")
    outbox.enqueue([Message(CHANNEL, "order:SZ-9", "order.replied", {"city_number": "SZ-9", "note": "答复内容"}),
                    Message(CHANNEL, "order:SZ-9", "order.closed", {"city_number": "SZ-9"})])
    outbox.deliver_due(CHANNEL)
    recorder.answer = lambda row: Outcome(ok=True)
    return OutboxMessage.objects.get(seq=1)


def _login(client, district, name):
    client.force_login(district.people[name])


@pytest.mark.parametrize("name", ["wangfang", "chengang", "liqiang", "zhoushen"])
def test_only_supervisors_and_admins_open_it(client, district, failed_row, name):
    _login(client, district, name)
    assert client.get("/outbox/failed/").status_code == 403
    assert client.post(f"/outbox/failed/{failed_row.pk}/retry").status_code == 403
    assert OutboxMessage.objects.get(pk=failed_row.pk).state == "failed"


def test_the_page_lists_a_failed_row_and_shows_its_payload_and_error(client, district, failed_row):
    _login(client, district, "liudu")
    page = client.get("/outbox/failed/").content.decode()
    assert "order:SZ-9" in page and "HTTP 400" in page and "外发异常" in page
    one = client.get(f"/outbox/failed/{failed_row.pk}/").content.decode()
    assert "答复内容" in one and "unknown order SZ-9" in one
    assert client.get("/outbox/failed/999999/").status_code == 404


def test_the_menu_offers_it_to_exactly_those_who_may_open_it(client, district):
    _login(client, district, "admin")
    assert "/outbox/failed/" in client.get("/orders/").content.decode()
    client.force_login(district.people["wangfang"])
    assert "/outbox/failed/" not in client.get("/intake/").content.decode()


def test_retry_from_the_page_sends_it_again(client, district, failed_row):
    _login(client, district, "admin")
    response = client.post(f"/outbox/failed/{failed_row.pk}/retry")
    assert response.status_code == 302
    assert outbox.deliver_due(CHANNEL) == 1
    assert OutboxMessage.objects.get(pk=failed_row.pk).state == "delivered"


def test_give_up_needs_a_reason_then_lets_the_stream_go_on(client, district, failed_row):
    _login(client, district, "liudu")
    short = client.post(f"/outbox/failed/{failed_row.pk}/give-up", {"reason": "算了"}, follow=True)
    assert short.status_code == 200 and "至少5个字" in short.content.decode()
    assert OutboxMessage.objects.get(pk=failed_row.pk).state == "failed"
    client.post(f"/outbox/failed/{failed_row.pk}/give-up", {"reason": "市级平台已电话确认并人工录入"})
    row = OutboxMessage.objects.get(pk=failed_row.pk)
    assert row.state == "given_up" and row.given_up_reason == "市级平台已电话确认并人工录入"
    assert outbox.deliver_due(CHANNEL) == 1  # the row behind it goes
    again = client.post(f"/outbox/failed/{failed_row.pk}/retry", follow=True)
    assert again.status_code == 200 and OutboxMessage.objects.get(pk=failed_row.pk).state == "given_up"


def test_get_on_an_action_is_refused(client, district, failed_row):
    _login(client, district, "admin")
    assert client.get(f"/outbox/failed/{failed_row.pk}/retry").status_code == 405


def test_the_page_in_english(client, district, failed_row):
    _login(client, district, "admin")
    client.cookies["django_language"] = "en"
    page = client.get("/outbox/failed/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Failed deliveries" in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_workers_delivery_thread_delivers_until_stopped(recorder, settings):
    settings.HOTLINE_OUTBOX_POLL_SECONDS = 0.01
    outbox.enqueue([Message(CHANNEL, f"s{i % 3}", "k", {"i": i}) for i in range(9)])
    stop = threading.Event()
    thread = threading.Thread(target=deliver_loop, args=(CHANNEL, stop))
    thread.start()
    try:
        # (no query from this thread meanwhile: SQLite's shared in-memory test database refuses a
        # reader beside a writer instead of waiting)
        for _ in range(500):
            if len(recorder.sent) >= 9:
                break
            stop.wait(0.02)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert OutboxMessage.objects.filter(state="delivered").count() == 9
