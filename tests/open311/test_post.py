"""POST requests: the spec's form encoding, the API key, the order made by the intake action,
retries, and hostile input."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from hotline.api.keys import create_system_key
from hotline.open311.models import Open311Request
from hotline.orders.models import Channel, Event, WorkOrder
from tests.open311.conftest import errors_of, form, post

pytestmark = pytest.mark.django_db


def test_a_post_makes_an_order_through_the_intake_action(client, district, key, raw_key):
    response = post(client, raw_key, form(district, **{"attribute[urgency]": "utility",
                                                        "attribute[area]": "east-lake"}))
    assert response.status_code == 201
    (answer,) = response.json()
    assert set(answer) == {"service_request_id", "service_notice", "account_id"} and answer["account_id"] is None
    order = WorkOrder.objects.get(number=answer["service_request_id"])
    assert answer["service_request_id"] in answer["service_notice"]
    assert order.channel == Channel.OPEN311 and order.state == "received"
    assert order.category == district.categories["道路塌陷破损"] and order.area == district.areas["east-lake"]
    assert order.urgency == "utility"
    assert order.caller_name == "王小明" and order.caller_phone == "13912345678"
    assert (order.latitude, order.longitude) == (39.90421, 116.40739)
    assert order.address == "东湖路88号院3号楼2单元501"
    assert order.title.startswith("东湖路88号院门口路面塌陷")
    event = Event.objects.get(order=order)
    assert (event.action, event.actor_id) == ("create", key[0].user.pk)
    extra = Open311Request.objects.get(order=order)
    assert (extra.email, extra.device_id, extra.account_id) == ("reporter@example.cn", "device-7f3a9c", "acct-55231")
    assert extra.media_url == "https://photos.example.cn/p/123.jpg"


def test_the_title_attribute_is_the_orders_title(client, district, raw_key):
    response = post(client, raw_key, form(district, **{"attribute[title]": "东湖路塌陷"}))
    assert WorkOrder.objects.get(number=response.json()[0]["service_request_id"]).title == "东湖路塌陷"


def test_the_answer_in_xml(client, district, raw_key):
    response = post(client, raw_key, form(district), fmt="xml")
    assert response.status_code == 201
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    number = root.findtext("request/service_request_id")
    assert WorkOrder.objects.filter(number=number).exists()
    assert root.findtext("request/account_id") == ""


def test_the_key_may_come_in_the_header(client, district, raw_key):
    response = post(client, None, form(district), HTTP_X_API_KEY=raw_key)
    assert response.status_code == 201


def test_a_post_without_a_valid_key_is_refused_in_the_spec_format(client, district):
    for fmt in ("json", "xml"):
        for raw in (None, "", "not-a-key", "x" * 5000):
            response = post(client, raw, form(district), fmt=fmt)
            assert response.status_code == 403, (fmt, raw)
            assert errors_of(response)[0]["code"] == 403
            assert response["Content-Type"].startswith("application/" + fmt)
    assert not WorkOrder.objects.exists()


def test_a_key_of_another_scope_is_refused(client, district):
    _key, raw = create_system_key(name="warehouse", scopes=["orders:read"], role="agent")
    response = post(client, raw, form(district))
    assert response.status_code == 403 and errors_of(response)[0]["code"] == 403
    assert not WorkOrder.objects.exists()


def test_a_retry_from_the_same_device_gets_the_first_order(client, district, raw_key):
    first = post(client, raw_key, form(district))
    again = post(client, raw_key, form(district))
    assert first.status_code == 201 and again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()[0]["service_request_id"] == first.json()[0]["service_request_id"]
    assert WorkOrder.objects.count() == 1 and Open311Request.objects.count() == 1


def test_another_body_from_the_same_device_is_another_order(client, district, raw_key):
    post(client, raw_key, form(district))
    post(client, raw_key, form(district, description="西城路路灯不亮三天，夜间行人看不清路面。"))
    assert WorkOrder.objects.count() == 2


def test_without_a_device_id_every_post_is_a_new_order(client, district, raw_key):
    post(client, raw_key, form(district, device_id=None))
    post(client, raw_key, form(district, device_id=None))
    assert WorkOrder.objects.count() == 2


def test_an_idempotency_key_header_makes_a_retry_safe_and_refuses_reuse(client, district, raw_key):
    first = post(client, raw_key, form(district, device_id=None), HTTP_IDEMPOTENCY_KEY="k-1")
    again = post(client, raw_key, form(district, device_id=None), HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.json()[0]["service_request_id"] == first.json()[0]["service_request_id"]
    other = post(client, raw_key, form(district, device_id=None, description="另一件事：西城路路灯不亮。"),
                 HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 409 and errors_of(other)[0]["code"] == 409
    assert WorkOrder.objects.count() == 1


def test_the_same_device_and_body_from_two_systems_are_two_orders(client, district, raw_key):
    _key, other_raw = create_system_key(name="miniapp", scopes=["open311"], role="agent")
    post(client, raw_key, form(district))
    assert post(client, other_raw, form(district)).status_code == 201
    assert WorkOrder.objects.count() == 2


HOSTILE = [
    ({"service_code": ""}, "service_code"),
    ({"service_code": "999999"}, "service_code"),
    ({"service_code": "1; DROP TABLE orders"}, "service_code"),
    ({"lat": "north"}, "lat"),
    ({"lat": "91", "long": "10"}, "lat"),
    ({"lat": "nan", "long": "inf"}, "lat"),
    ({"lat": "39.9", "long": None}, "lat"),
    ({"lat": None, "long": None, "address_string": None}, "address_string"),
    ({"address_string": "路" * 201}, "address_string"),
    ({"address_id": "no-such-area"}, "address_id"),
    ({"attribute[area]": "no-such-area"}, "attribute[area]"),
    ({"attribute[urgency]": "yesterday"}, "attribute[urgency]"),
    ({"attribute[colour]": "red"}, "attribute[colour]"),
    ({"attribute[title]": "题" * 201}, "attribute[title]"),
    ({"description": ""}, "description"),
    ({"description": "塌" * 20001}, "description"),
    ({"description": "路面塌陷\x00"}, "description"),
    ({"email": "not an email"}, "email"),
    ({"phone": "call me maybe"}, "phone"),
    ({"media_url": "javascript:alert(1)"}, "media_url"),
    ({"media_url": "file:///etc/passwd"}, "media_url"),
    ({"device_id": "d\x07"}, "device_id"),
    ({"last_name": "名" * 60}, "first_name"),
]


def test_hostile_input_is_a_400_naming_the_field_and_writes_nothing(client, district, raw_key):
    # One district for every case (building it is most of a test's time).
    for changes, field in HOSTILE:
        response = post(client, raw_key, form(district, **changes))
        assert response.status_code == 400, (changes, response.content)
        errors = errors_of(response)
        assert all(e["code"] == 400 for e in errors)
        assert any(e["description"].startswith(field + ":") for e in errors), (changes, errors)
    assert not WorkOrder.objects.exists() and not Open311Request.objects.exists()


def test_every_problem_is_reported_at_once(client, district, raw_key):
    response = post(client, raw_key, form(district, service_code="0", email="x", phone="1"), fmt="xml")
    fields = {e["description"].split(":")[0] for e in errors_of(response)}
    assert fields == {"service_code", "email", "phone"}


def test_a_field_sent_twice_is_refused(client, district, raw_key):
    data = form(district)
    data["description"] = [data["description"], "第二个内容"]
    response = post(client, raw_key, data)
    assert response.status_code == 400 and not WorkOrder.objects.exists()


def test_a_formula_and_markup_are_kept_as_text(client, district, raw_key):
    text = '=HYPERLINK("http://evil.example","x") <script>alert(1)</script> 路面塌陷'
    response = post(client, raw_key, form(district, description=text))
    number = response.json()[0]["service_request_id"]
    assert WorkOrder.objects.get(number=number).description == text
    read = client.get(f"/open311/v2/requests/{number}.xml")
    assert b"<script>" not in read.content
    assert ET.fromstring(read.content).findtext("request/description") == text


def test_a_body_too_large_is_a_413_in_the_spec_format(client, district, raw_key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = post(client, raw_key, form(district, description="塌" * 5000))
    assert response.status_code == 413 and errors_of(response)[0]["code"] == 413


def test_a_json_body_is_not_the_spec_and_is_refused(client, district, raw_key):
    response = client.post("/open311/v2/requests.json", json.dumps(form(district)), content_type="application/json",
                           HTTP_X_API_KEY=raw_key)
    assert response.status_code == 400 and not WorkOrder.objects.exists()
