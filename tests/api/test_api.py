"""The JSON API: the same rules as the pages, one error shape, never a 500."""

import json

import pytest
from django.test import Client

from hotline.orders.models import WorkOrder
from tests.conftest import make_order


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def post(c, url, body, **headers):
    return c.post(url, data=json.dumps(body), content_type="application/json", **headers)


def test_it_refuses_anonymous_callers_with_the_error_shape(district):
    r = Client().get("/api/orders")
    assert r.status_code == 401
    assert r.json()["error"] == "unauthenticated"


def test_it_creates_an_order_once_per_idempotency_key(district):
    c = client_for(district.people["wangfang"])
    body = {"title": "路灯不亮", "description": "西城路23号门前路灯连续三晚不亮。", "caller_phone": "13911112222",
            "area_id": district.areas["west-city"].pk, "category_id": district.categories["路灯不亮"].pk}
    first = post(c, "/api/orders", body, HTTP_IDEMPOTENCY_KEY="call-42")
    again = post(c, "/api/orders", body, HTTP_IDEMPOTENCY_KEY="call-42")
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["number"] == again.json()["number"]
    assert WorkOrder.objects.count() == 1


def test_it_reports_bad_intake_fields_in_one_shape(district):
    c = client_for(district.people["wangfang"])
    r = post(c, "/api/orders", {"title": "", "description": "x" * 30000, "caller_phone": "1234"})
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "invalid_input"
    assert {"title", "description", "caller_phone"} <= set(body["details"])
    assert WorkOrder.objects.count() == 0


def test_it_rejects_a_malformed_body_without_a_500(district):
    c = client_for(district.people["wangfang"])
    r = c.post("/api/orders", data="{not json", content_type="application/json")
    assert r.status_code in (400, 422)
    assert "error" in r.json()


def test_it_takes_actions_and_refuses_what_the_role_may_not(district):
    oid = make_order(district)
    dispatcher = client_for(district.people["chengang"])
    r = post(dispatcher, f"/api/orders/{oid}/actions/dispatch", {"unit": district.units["street-a"].pk})
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "dispatched"
    handler_b = client_for(district.people["zhaomin"])
    assert handler_b.get(f"/api/orders/{oid}").status_code == 404  # not her unit's order
    handler_a = client_for(district.people["liqiang"])
    body = handler_a.get(f"/api/orders/{oid}").json()
    assert body["caller_phone"] == "138****5678"
    assert "sign" in body["allowed_actions"]
    r = post(handler_a, f"/api/orders/{oid}/actions/approve", {})
    assert r.status_code == 409  # wrong state for approve
    assert r.json()["error"] == "invalid_transition"
    r = post(handler_a, f"/api/orders/{oid}/actions/sign", {})
    assert r.json()["state"] == "in_progress"
    events = handler_a.get(f"/api/orders/{oid}/events").json()
    assert [e["action"] for e in events] == ["create", "dispatch", "sign"]


@pytest.mark.parametrize("verb", ["dispatch", "return", "reply", "redo", "callback", "nonsense", "attach"])
def test_it_never_answers_garbage_with_a_500(district, verb):
    oid = make_order(district)
    c = client_for(district.people["chengang"])
    for body in ({}, {"unit": "abc"}, {"unit": -1, "co_units": ["x"]}, {"days": "many"}):
        r = post(c, f"/api/orders/{oid}/actions/{verb}", body)
        assert 400 <= r.status_code < 500, (verb, body, r.status_code)
        assert "error" in r.json()
