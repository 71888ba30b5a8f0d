"""Idempotency keys: a retry after a lost response gets the first result, never a second order
or event; the same key with another body, action, order or user is refused (409,
idempotency_key_reused), as the IETF idempotency-key draft and Stripe do."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from hotline.errors import Conflict
from hotline.orders import actions
from hotline.orders.actions import Intake
from hotline.orders.models import Event, IdempotencyKey, WorkOrder
from hotline.orders.states import Action
from hotline.web.actions import run_action
from tests.conftest import make_order
from tests.race import race


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _post(c: Client, url: str, body: dict, key: str | None = None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return c.post(url, data=json.dumps(body), content_type="application/json", **headers)


BODY = {"title": "路灯不亮", "description": "西城路23号门前路灯连续三晚不亮。", "caller_phone": "13911112222"}


def test_it_returns_the_same_order_for_a_retried_create(district):
    c = _client(district.people["wangfang"])
    first = _post(c, "/api/orders", BODY, key="call-1")
    again = _post(c, "/api/orders", {**BODY, "title": "  路灯不亮 "}, key="call-1")  # trimmed: the same
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert WorkOrder.objects.count() == 1
    assert Event.objects.filter(action="create").count() == 1


def test_it_refuses_a_create_key_reused_with_another_body(district):
    c = _client(district.people["wangfang"])
    assert _post(c, "/api/orders", BODY, key="call-1").status_code == 201
    r = _post(c, "/api/orders", {**BODY, "description": "望湖街井盖缺失，夜里很危险。"}, key="call-1")
    assert r.status_code == 409
    assert r.json()["error"] == "idempotency_key_reused"
    assert "幂等键" in r.json()["message"]
    assert WorkOrder.objects.count() == 1


def test_it_refuses_a_create_key_reused_by_another_user(district):
    assert _post(_client(district.people["wangfang"]), "/api/orders", BODY, key="call-1").status_code == 201
    r = _post(_client(district.people["chengang"]), "/api/orders", BODY, key="call-1")
    assert r.status_code == 409
    assert r.json()["error"] == "idempotency_key_reused"
    assert WorkOrder.objects.count() == 1


def test_it_refuses_a_create_key_that_names_an_imported_row(district):
    actions.do_create_many([Intake(title="路灯不亮", description="湖滨路路灯不亮", idempotency_key="csv:A-1")],
                           actor=actions.system_user())
    with pytest.raises(Conflict) as exc:
        actions.do_create(Intake(title="路灯不亮", description="湖滨路路灯不亮", idempotency_key="csv:A-1"),
                          actor=district.people["wangfang"])
    assert exc.value.code == "idempotency_key_reused"


def test_a_retried_urge_with_its_key_writes_one_event(district):
    oid = make_order(district)
    c = _client(district.people["liudu"])
    url = f"/api/orders/{oid}/actions/urge"
    first = _post(c, url, {"text": "请尽快处理，来电人再次来电"}, key="urge-1")
    again = _post(c, url, {"text": "请尽快处理，来电人再次来电"}, key="urge-1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert Event.objects.filter(order_id=oid, action="urge").count() == 1
    record = IdempotencyKey.objects.get(key="urge-1")
    assert record.event == Event.objects.get(order_id=oid, action="urge")


def test_urges_without_a_key_are_repeatable(district):
    oid = make_order(district)
    c = _client(district.people["liudu"])
    for _ in range(2):
        assert _post(c, f"/api/orders/{oid}/actions/urge", {"text": "请尽快处理，来电人再次来电"}).status_code == 200
    assert Event.objects.filter(order_id=oid, action="urge").count() == 2


@pytest.mark.parametrize("change", ["text", "verb", "order", "user"])
def test_it_refuses_an_action_key_reused_for_another_request(district, change):
    oid, other = make_order(district), make_order(district, title="井盖缺失")
    supervisor = _client(district.people["liudu"])
    assert _post(supervisor, f"/api/orders/{oid}/actions/urge", {"text": "请尽快处理，来电人再次来电"},
                 key="k-1").status_code == 200
    client, url, body = supervisor, f"/api/orders/{oid}/actions/urge", {"text": "请尽快处理，来电人再次来电"}
    if change == "text":
        body = {"text": "另一条催办意见，内容不同"}
    elif change == "verb":
        url = f"/api/orders/{oid}/actions/annotate"
    elif change == "order":
        url = f"/api/orders/{other}/actions/urge"
    else:
        client = _client(district.people["chengang"])  # the dispatcher may annotate/urge too
        url = f"/api/orders/{oid}/actions/annotate"
    r = _post(client, url, body, key="k-1")
    if change == "user":  # keys are per user: another user's same key is a new request
        assert r.status_code == 200, r.content
        assert Event.objects.filter(action__in=["urge", "annotate"]).count() == 2
        return
    assert r.status_code == 409, r.content
    assert r.json()["error"] == "idempotency_key_reused"
    assert Event.objects.filter(action__in=["urge", "annotate"]).count() == 1


def test_a_state_change_retried_with_its_key_answers_as_the_first_did(district):
    oid = make_order(district)
    c = _client(district.people["chengang"])
    url = f"/api/orders/{oid}/actions/dispatch"
    body = {"unit": district.units["street-a"].pk}
    first = _post(c, url, body, key="d-1")
    again = _post(c, url, body, key="d-1")  # without the key this would be invalid_transition
    assert (first.status_code, again.status_code) == (200, 200), again.content
    assert again.json()["state"] == "dispatched"
    assert Event.objects.filter(order_id=oid, action="dispatch").count() == 1


@pytest.mark.parametrize("key", ["x" * 81, "bad\x00key", "  "])
def test_it_refuses_a_malformed_key(district, key):
    oid = make_order(district)
    from hotline.errors import InvalidInput

    with pytest.raises(InvalidInput):
        run_action(Action.ANNOTATE, oid, district.people["liudu"], {"text": "备注内容五个字以上"}, key=key)
    assert not Event.objects.filter(action="annotate").exists()


def test_the_registry_replays_a_retried_page_action(district):
    oid = make_order(district)
    user = district.people["liudu"]
    first = run_action(Action.ANNOTATE, oid, user, {"text": "备注内容五个字以上"}, key="form-1")
    again = run_action(Action.ANNOTATE, oid, user, {"text": "备注内容五个字以上"}, key="form-1")
    assert isinstance(again, actions.Replayed) and not isinstance(first, actions.Replayed)
    assert again.order_id == oid
    assert Event.objects.filter(order_id=oid, action="annotate").count() == 1


def test_the_order_page_form_resent_with_its_key_writes_one_event(district):
    from django.urls import reverse

    oid = make_order(district)
    c = _client(district.people["liudu"])
    page = c.get(reverse("web:order", args=[oid])).content.decode()
    assert 'name="idempotency_key"' in page
    data = {"annotate-text": "备注内容五个字以上", "idempotency_key": "page-key-1"}
    for _ in range(2):  # a double click, or the Back button and submit again
        assert c.post(reverse("web:act", args=[oid, "annotate"]), data).status_code == 302
    assert Event.objects.filter(order_id=oid, action="annotate").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_racing_retries_with_one_key_write_one_event(district):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    oid = make_order(district)
    results = race([lambda: run_action(Action.URGE, oid, district.people["liudu"], {"text": "请尽快处理，来电人再次来电"},
                                      key="race-1")] * 4)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(isinstance(r, actions.Replayed) for r in results) == 3
    assert Event.objects.filter(order_id=oid, action="urge").count() == 1
