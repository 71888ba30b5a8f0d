"""A call submitted twice is recorded once (without a browser; the Back button itself is in
test_back_resubmit.py)."""

from __future__ import annotations

from django.test import Client

from hotline.orders.models import WorkOrder

CALL = {"caller_phone": "13812345678", "channel": "phone", "title": "路灯不亮", "description": "西城路路灯不亮三天。",
        "urgency": "general"}


def _agent(district) -> Client:
    c = Client()
    c.force_login(district.people["wangfang"])
    return c


def _key(c: Client) -> str:
    html = c.get("/intake/").content.decode()
    return html.split('name="idempotency_key" value="')[1].split('"')[0]


def test_the_form_keeps_its_key_until_the_call_is_recorded(district):
    c = _agent(district)
    first = _key(c)
    assert _key(c) == first  # a reload (or Back to a fetched page) shows the same key
    assert c.post("/intake/", {**CALL, "idempotency_key": first}).status_code == 302
    assert _key(c) != first  # the next call has its own
    assert "no-store" in c.get("/intake/")["Cache-Control"]


def test_the_same_key_again_says_the_call_is_already_recorded(district):
    c = _agent(district)
    key = _key(c)
    c.post("/intake/", {**CALL, "idempotency_key": key})
    r = c.post("/intake/", {**CALL, "idempotency_key": key}, follow=True)
    order = WorkOrder.objects.get()
    assert f"此来电已登记为工单 {order.number}" in r.content.decode()


def test_the_same_call_with_a_new_key_is_recognised(district):
    c = _agent(district)
    c.post("/intake/", {**CALL, "idempotency_key": _key(c)})
    r = c.post("/intake/", {**CALL, "caller_phone": "", "idempotency_key": _key(c)}, follow=True)
    assert WorkOrder.objects.count() == 1 and "此来电已登记为工单" in r.content.decode()


def test_another_call_is_a_new_order(district):
    c = _agent(district)
    c.post("/intake/", {**CALL, "idempotency_key": _key(c)})
    c.post("/intake/", {**CALL, "title": "路灯闪烁", "idempotency_key": _key(c)})
    assert WorkOrder.objects.count() == 2


def test_the_same_words_from_another_caller_are_a_new_order(district):
    # Two neighbours reading out the same notice: the same text with another number is another call.
    c = _agent(district)
    c.post("/intake/", {**CALL, "idempotency_key": _key(c)})
    c.post("/intake/", {**CALL, "caller_phone": "13900001111", "idempotency_key": _key(c)})
    assert sorted(WorkOrder.objects.values_list("caller_phone", flat=True)) == ["13812345678", "13900001111"]
