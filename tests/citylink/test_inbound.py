"""POST /citylink/inbound: signatures, replays, orders taken once, updates applied once (even
before their order), and every bad body a clear 4xx with nothing written."""

from __future__ import annotations

import json
import time

import pytest

from hotline.citylink import signing
from hotline.citylink.inbound import city_number_of
from hotline.citylink.models import CityOrder, CityUpdate, SeenSignature
from hotline.directory.roles import Role
from hotline.orders import actions
from hotline.orders.models import Event, WorkOrder

from .conftest import SECRET, city_order, city_update, post

pytestmark = pytest.mark.usefixtures("citylink_settings")


def test_a_city_order_becomes_a_transfer_order_with_the_city_number_as_its_key(client, district):
    response = post(client, city_order())
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "created"
    order = WorkOrder.objects.get()
    assert order.channel == "transfer" and order.idempotency_key == "city:SZ20261203-0001"
    assert city_number_of(order) == "SZ20261203-0001"
    assert order.area == district.areas["east-lake"] and order.caller_phone == "13912345678"
    assert order.created_by.role == Role.CITY and order.created_by.username == "citylink"
    link = CityOrder.objects.get()
    assert link.order == order and link.city_reply_due.isoformat() == "2026-12-10T10:00:00+00:00"
    assert "caller_phone" not in link.payload
    assert response.json()["number"] == order.number


def test_the_same_order_sent_again_or_changed_is_taken_once(client, district):
    assert post(client, city_order()).json()["status"] == "created"
    again = post(client, city_order())  # a retry after a timeout: signed anew
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    changed = post(client, city_order(title="东湖路路灯不亮（补充）"))
    assert changed.status_code == 200 and changed.json()["status"] == "duplicate" and changed.json()["detail"]
    assert WorkOrder.objects.count() == 1 and CityOrder.objects.count() == 1
    assert Event.objects.filter(action="create").count() == 1


def test_an_unknown_code_takes_the_order_unclassified(client, district):
    response = post(client, city_order(category_code="no-such-code", area_code="nowhere", urgency="whatever"))
    assert response.status_code == 200
    order = WorkOrder.objects.get()
    assert order.category is None and order.area is None and order.urgency == "general"
    assert CityOrder.objects.get().category_code == "no-such-code"


def test_an_update_before_its_order_waits_and_is_applied_once(client, district):
    early = post(client, city_update(kind="supervise"))
    assert early.status_code == 202 and early.json()["status"] == "queued"
    assert post(client, city_update(kind="supervise")).status_code == 202  # sent twice while waiting
    assert CityUpdate.objects.count() == 1
    assert post(client, city_order()).status_code == 200
    update = CityUpdate.objects.get()
    assert update.applied_at is not None and update.result == "applied"
    events = Event.objects.filter(action="supervise")
    assert events.count() == 1 and events.get().actor.username == "citylink"
    again = post(client, city_update(kind="supervise"))
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert Event.objects.filter(action="supervise").count() == 1


def test_updates_after_the_order_are_applied_in_the_citys_order(client, district):
    post(client, city_order())
    assert post(client, city_update(message_id="U-2", kind="urge", seq=2)).json()["status"] == "applied"
    assert post(client, city_update(message_id="U-3", kind="withdraw", seq=3, text="市民已撤诉，市级平台撤回")).json()[
        "status"] == "applied"
    assert [e.action for e in Event.objects.order_by("seq")] == ["create", "urge", "annotate"]
    assert CityOrder.objects.get().withdrawn_at is not None


def test_an_update_the_order_cannot_take_is_recorded_not_retried(client, district):
    post(client, city_order())
    order = WorkOrder.objects.get()
    actions.do_answer(order.pk, actor=district.people["wangfang"], answer="已当场解释说明，来电人表示理解。")
    response = post(client, city_update(message_id="U-9", kind="urge"))  # urging a closed order is refused
    assert response.status_code == 200 and response.json()["status"] == "not_applied"
    assert CityUpdate.objects.get().applied_at is not None
    assert not Event.objects.filter(action="urge").exists()


@pytest.mark.parametrize("case", ["no-headers", "wrong-secret", "stale", "future", "tampered", "bad-timestamp"])
def test_a_request_without_a_good_signature_is_refused(client, district, case):
    body = city_order()
    if case == "no-headers":
        response = post(client, body, headers={})
    elif case == "wrong-secret":
        response = post(client, body, secret="not-the-secret")
    elif case == "stale":
        response = post(client, body, at=time.time() - 301)
    elif case == "future":
        response = post(client, body, at=time.time() + 330)  # past the window by more than a slow run takes
    elif case == "tampered":
        headers = signing.signed_headers(SECRET, b'{"type": "order"}')
        response = post(client, body, headers=headers)
    else:
        response = post(client, body, headers={"X-Citylink-Timestamp": "12e3", "X-Citylink-Signature": "sha256=00"})
    assert response.status_code == 401 and response.json()["error"] == "bad_signature"
    assert not WorkOrder.objects.exists()


def test_a_replayed_request_is_refused(client, district):
    data = json.dumps(city_update(), ensure_ascii=False).encode()
    headers = signing.signed_headers(SECRET, data)
    first = post(client, None, raw=data, headers=headers)
    assert first.status_code == 202
    replay = post(client, None, raw=data, headers=headers)
    assert replay.status_code == 409 and replay.json()["error"] == "replayed"
    assert SeenSignature.objects.count() == 1


def test_without_a_secret_the_endpoint_is_closed(client, district, settings):
    settings.HOTLINE_CITYLINK_SECRET = ""
    response = post(client, city_order())
    assert response.status_code == 503 and not WorkOrder.objects.exists()


@pytest.mark.parametrize("body, field", [
    (city_order(title=""), "title"),
    (city_order(text=12), "text"),
    (city_order(city_number="SZ 1/../x"), "city_number"),
    (city_order(city_number=""), "city_number"),
    (city_order(received_at="yesterday"), "received_at"),
    (city_order(received_at="2026-12-03T09:30:00"), "received_at"),
    (city_order(reply_deadline="1900-01-01T00:00:00+08:00"), "reply_deadline"),
    (city_order(caller_phone="\x00139"), "caller_phone"),
    (city_update(kind="explode"), "kind"),
    (city_update(seq=-1), "seq"),
    (city_update(seq=True), "seq"),
    (city_update(message_id="x" * 101), "message_id"),
    ({"type": "launch"}, "type"),
])
def test_a_bad_body_is_a_400_naming_the_field(client, district, body, field):
    response = post(client, body)
    assert response.status_code == 400, response.content
    assert field in response.json()["details"]
    assert not WorkOrder.objects.exists() and not CityUpdate.objects.exists()


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", "\"文本\"".encode(), b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_a_400(client, district, raw):
    response = post(client, None, raw=raw)
    assert response.status_code == 400
    assert not WorkOrder.objects.exists()


def test_a_huge_body_and_a_get_are_refused(client, district):
    assert post(client, None, raw=b"{" + b" " * (300 * 1024) + b"}").status_code == 413
    assert client.get("/citylink/inbound").status_code == 405
