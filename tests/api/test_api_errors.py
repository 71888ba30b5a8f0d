"""Every error from /api/ is the API's JSON shape {"error", "message", "details"} with a 4xx
status (or a logged 500 in the same shape): never Django's HTML page, on SQLite and on
PostgreSQL (run with DATABASE_URL=postgres://... for the second)."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from hotline.orders.models import Event, WorkOrder
from tests.conftest import make_order

HUGE = "9" * 30


def _client(user) -> Client:
    c = Client(raise_request_exception=False)
    c.force_login(user)
    return c


def _shape(r, status: int | tuple[int, ...]) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, (r.status_code, r.content[:300])
    assert r["Content-Type"].startswith("application/json"), r["Content-Type"]
    body = r.json()
    assert set(body) == {"error", "message", "details"}, body
    assert body["message"]
    return body


@pytest.mark.parametrize("query", [
    "page=99999999999999999999", "page=0", "page=-1", "page=abc", "per_page=abc", "per_page=0", "per_page=1000000",
    "page=1e3", "state=nonsense", "state=rec%00eived",
])
def test_it_refuses_bad_list_parameters_in_the_error_shape(district, query):
    body = _shape(_client(district.people["chengang"]).get(f"/api/orders?{query}"), (400, 422))
    assert body["error"] == "invalid_input"


def test_it_still_lists_with_good_parameters(district):
    make_order(district)
    r = _client(district.people["chengang"]).get("/api/orders?page=1&per_page=200&state=received")
    assert r.status_code == 200 and r.json()["count"] == 1


@pytest.mark.parametrize("path", [f"/api/orders/{HUGE}", f"/api/orders/{HUGE}/events", "/api/orders/-1",
                                  "/api/orders/0/events", "/api/orders/abc", "/api/no-such-endpoint"])
def test_it_answers_unknown_orders_and_paths_with_a_json_404(district, path):
    body = _shape(_client(district.people["chengang"]).get(path), 404)
    assert body["error"] == "not_found"


def test_it_answers_an_action_on_a_huge_order_id_with_a_json_404(district):
    c = _client(district.people["chengang"])
    _shape(c.post(f"/api/orders/{HUGE}/actions/urge", data="{}", content_type="application/json"), 404)


@pytest.mark.parametrize("data", ["{not json", "[1, 2]", '"text"', "\xff\xfe", ""])
def test_it_refuses_a_body_that_is_not_a_json_object(district, data):
    c = _client(district.people["wangfang"])
    body = _shape(c.post("/api/orders", data=data, content_type="application/json"), (400, 422))
    assert body["error"] == "invalid_input"
    oid = make_order(district)
    _shape(_client(district.people["liudu"]).post(f"/api/orders/{oid}/actions/urge", data=data,
                                                  content_type="application/json"), (400, 422))
    assert not WorkOrder.objects.filter(title="").exists()


@pytest.mark.parametrize("field", ["title", "description", "caller_name", "address", "caller_phone", "channel",
                                   "urgency"])
def test_it_refuses_a_nul_byte_in_any_intake_field_with_a_400(district, field):
    body = {"title": "路灯不亮", "description": "西城路23号门前路灯连续三晚不亮。", field: "路灯\x00不亮"}
    r = _client(district.people["wangfang"]).post("/api/orders", data=json.dumps(body),
                                                  content_type="application/json")
    assert _shape(r, 400)["error"] == "invalid_input"
    assert not WorkOrder.objects.exists()


def test_it_refuses_a_nul_byte_in_an_action_field_with_a_400(district):
    oid = make_order(district)
    r = _client(district.people["liudu"]).post(f"/api/orders/{oid}/actions/urge",
                                               data=json.dumps({"text": "请尽快\x00处理此事"}),
                                               content_type="application/json")
    assert _shape(r, 400)["error"] == "invalid_input"
    assert not Event.objects.filter(action="urge").exists()


def test_it_refuses_a_malformed_idempotency_key_with_a_400(district):
    r = _client(district.people["wangfang"]).post(
        "/api/orders", data=json.dumps({"title": "路灯不亮", "description": "西城路23号门前路灯连续三晚不亮。"}),
        content_type="application/json", HTTP_IDEMPOTENCY_KEY="k" * 81)
    assert _shape(r, 400)["error"] == "invalid_input"


def test_it_answers_a_wrong_method_in_the_error_shape(district):
    _shape(_client(district.people["chengang"]).delete("/api/orders"), 405)


def test_it_answers_a_missing_csrf_token_in_the_error_shape(district):
    c = Client(enforce_csrf_checks=True)
    c.force_login(district.people["wangfang"])
    body = _shape(c.post("/api/orders", data="{}", content_type="application/json"), 403)
    assert body["error"] == "csrf_failed"


def test_it_answers_an_unexpected_exception_with_a_logged_json_500(district, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("hotline.api.api.orders_visible_to", broken)
    with caplog.at_level(logging.ERROR):
        body = _shape(_client(district.people["chengang"]).get("/api/orders"), 500)
    assert body["error"] == "server_error"
    assert "database on fire" not in json.dumps(body)  # no internals leak to the client
    assert any("database on fire" in (r.exc_text or "") or r.exc_info for r in caplog.records)


@pytest.mark.parametrize(("verb", "body"), [
    ("dispatch", {"unit": 10**30, "co_units": [10**30]}),
    ("dispatch", {"unit": "9" * 40, "category": -(10**30)}),
    ("merge", {"main_number": "\x00" * 3, "note": "同一事件合并处理"}),
    ("urge", {"text": ["a", {"b": 1}]}),
    ("supervise", {"text": "请尽快处理此事项", "on": 10**30}),
])
def test_it_refuses_huge_numbers_and_odd_values_in_action_bodies_with_a_4xx(district, verb, body):
    oid = make_order(district)
    c = _client(district.people["chengang"] if verb in {"dispatch", "merge"} else district.people["liudu"])
    r = c.post(f"/api/orders/{oid}/actions/{verb}", data=json.dumps(body), content_type="application/json")
    _shape(r, (400, 403, 409, 422))
    assert Event.objects.filter(order_id=oid).count() == 1


def test_it_refuses_huge_numbers_in_an_intake_body_with_a_4xx(district):
    body = {"title": "路灯不亮", "description": "西城路23号门前路灯连续三晚不亮。", "area_id": 10**30,
            "category_id": -(10**30), "latitude": 1e308, "longitude": "NaN"}
    r = _client(district.people["wangfang"]).post("/api/orders", data=json.dumps(body), content_type="application/json")
    _shape(r, (400, 422))
    assert not WorkOrder.objects.exists()
