"""The centre's pages for proactive orders (未诉先办): opening one (the form, hostile input), the
verification queue (核验), the callback console leaving them out, the order page and the API."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from hotline.orders.models import Event, WorkOrder
from hotline.orders.states import State
from tests.orders.loop import bring_proactive_to, bring_to

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client(raise_request_exception=False)
    c.force_login(user)
    return c


def _form(d, **change):
    data = {"source": "patrol", "source_ref": "", "title": "巡查发现阳光小区路灯不亮",
            "description": "网格员夜间巡查发现阳光小区东门路灯三盏不亮，请及时维修。",
            "area": str(d.areas["east-lake"].pk), "address": "阳光小区东门",
            "category": str(d.categories["路灯不亮"].pk), "urgency": "general",
            "unit": str(d.units["enforcement"].pk), "note": "", "idempotency_key": "k-1"}
    data.update(change)
    return {k: v for k, v in data.items() if v is not None}


def test_the_centre_opens_a_proactive_order_and_it_is_dispatched(district):
    d = district
    c = _client(d.people["chengang"])
    page = c.get(reverse("web:proactive_new"))
    assert page.status_code == 200 and "发起主动治理工单" in page.content.decode()
    response = c.post(reverse("web:proactive_new"), _form(d))
    order = WorkOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("web:order", args=[order.pk])
    assert (order.source, order.state, order.lead_unit_id) == ("patrol", State.DISPATCHED, d.units["enforcement"].pk)
    again = c.post(reverse("web:proactive_new"), _form(d))  # a double click: the same key, one order
    assert again.status_code == 302 and WorkOrder.objects.count() == 1
    body = c.get(reverse("web:order", args=[order.pk])).content.decode()
    assert "巡查发现" in body and "未诉先办" in body and 'id="phone"' not in body


BAD = [
    ({"title": ""}, "title"),
    ({"description": ""}, "description"),
    ({"source": "call"}, "source"),
    ({"source": "seasonal"}, "source"),  # the system's own, not a person's
    ({"source": "task"}, "source_ref"),
    ({"source": "task", "source_ref": "abc"}, "source_ref"),
    ({"source": "task", "source_ref": "3.5"}, "source_ref"),
    ({"source": "task", "source_ref": "0"}, "source_ref"),
    ({"source": "task", "source_ref": "99999999999999999999999"}, "source_ref"),
    ({"source_ref": "12"}, "source_ref"),  # a patrol names nothing
    ({"unit": ""}, "unit"),
    ({"unit": "abc"}, "unit"),
    ({"unit": "99999999999999999999999"}, "unit"),
    ({"unit": None}, "unit"),
    ({"area": "99999999"}, "area"),
    ({"category": "x"}, "category"),
    ({"urgency": "tomorrow"}, "urgency"),
    ({"address": "阳光小区\x00"}, "address"),
    ({"title": "路" * 201}, "title"),
    ({"unit": "street-a-is-not-an-id"}, "unit"),
]


@pytest.mark.parametrize("change,field", BAD)
def test_bad_input_is_refused_beside_its_field_and_nothing_is_written(district, change, field):
    d = district
    c = _client(d.people["liudu"])
    response = c.post(reverse("web:proactive_new"), _form(d, **change))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors.get(field), (field, form.errors)
    assert WorkOrder.objects.count() == 0 and Event.objects.count() == 0


def test_a_unit_off_the_list_needs_the_reason(district):
    d = district
    c = _client(d.people["chengang"])
    response = c.post(reverse("web:proactive_new"), _form(d, unit=str(d.units["street-a"].pk)))
    assert response.status_code == 400 and "权责清单" in response.content.decode()
    assert WorkOrder.objects.count() == 0
    response = c.post(reverse("web:proactive_new"), _form(d, unit=str(d.units["street-a"].pk),
                                                          note="夜间巡查由属地街道先行处置"))
    assert response.status_code == 302 and WorkOrder.objects.count() == 1


@pytest.mark.parametrize("name", ["wangfang", "liqiang", "sunhui", "zhoushen"])
def test_only_the_centre_opens_the_pages(district, name):
    c = _client(district.people[name])
    assert c.get(reverse("web:proactive_new")).status_code == 403
    assert c.post(reverse("web:proactive_new"), _form(district)).status_code == 403
    assert c.get(reverse("web:verify")).status_code == 403
    assert WorkOrder.objects.count() == 0


def test_the_verification_queue_holds_proactive_orders_and_the_callback_console_does_not(district):
    d = district
    proactive = WorkOrder.objects.get(pk=bring_proactive_to(d, State.AWAITING_CALLBACK))
    call = WorkOrder.objects.get(pk=bring_to(d, State.AWAITING_CALLBACK))
    centre = _client(d.people["chengang"])
    queue = centre.get(reverse("web:verify")).content.decode()
    assert proactive.number in queue and call.number not in queue
    callback = _client(d.people["sunhui"]).get(reverse("web:callback")).content.decode()
    assert call.number in callback and proactive.number not in callback
    # the order page offers verification, not a callback
    page = centre.get(reverse("web:order", args=[proactive.pk])).content.decode()
    assert "核验通过并办结" in page and "待核验" in page
    page = _client(d.people["sunhui"]).get(reverse("web:order", args=[proactive.pk])).content.decode()
    assert "记录回访结果" not in page
    # a failed verification from the queue reopens it; the queue is empty then
    response = centre.post(reverse("web:act", args=[proactive.pk, "reopen"]),
                           {"reopen-reason": "现场核验路面仍有裂缝", "next": reverse("web:verify")})
    assert response.status_code == 302 and response["Location"] == reverse("web:verify")
    assert WorkOrder.objects.get(pk=proactive.pk).state == State.IN_PROGRESS
    after = centre.get(reverse("web:verify")).content.decode()
    assert "待核验 0 件" in after and f'id="verify-{proactive.pk}"' not in after


def test_a_verification_note_too_long_is_refused_on_the_page(district):
    d = district
    oid = bring_proactive_to(d, State.AWAITING_CALLBACK)
    response = _client(d.people["chengang"]).post(reverse("web:act", args=[oid, "verify"]), {"verify-note": "x" * 2001})
    assert response.status_code == 400
    assert WorkOrder.objects.get(pk=oid).state == State.AWAITING_CALLBACK


def test_the_api_verifies_a_proactive_order_and_refuses_a_callers(district):
    d = district
    c = _client(d.people["chengang"])
    proactive = bring_proactive_to(d, State.AWAITING_CALLBACK)
    call = bring_to(d, State.AWAITING_CALLBACK)
    url = "/api/orders/{}/actions/verify"
    refused = c.post(url.format(call), data=json.dumps({"note": "核验"}), content_type="application/json")
    assert refused.status_code == 409 and refused.json()["error"] == "not_for_this_source"
    done = c.post(url.format(proactive), data=json.dumps({"note": "现场核验属实"}), content_type="application/json")
    assert done.status_code == 200, done.content
    assert WorkOrder.objects.get(pk=proactive).state == State.CLOSED
    shown = c.get(f"/api/orders/{proactive}").json()
    assert (shown["source"], shown["source_ref"], shown["state"]) == ("patrol", None, "closed")
    other = bring_proactive_to(d, State.AWAITING_CALLBACK)
    body = {"valid": True, "contacted": True, "resolved": True, "satisfaction": "satisfied"}
    cb = _client(d.people["sunhui"]).post(f"/api/orders/{other}/actions/callback", data=json.dumps(body),
                                          content_type="application/json")
    assert cb.status_code == 409 and cb.json()["error"] == "not_for_this_source"
    assert WorkOrder.objects.get(pk=other).state == State.AWAITING_CALLBACK


def test_the_order_list_filters_by_source(district):
    d = district
    call = WorkOrder.objects.get(pk=bring_to(d, State.DISPATCHED))
    patrol = WorkOrder.objects.get(pk=bring_proactive_to(d, State.DISPATCHED))
    c = _client(d.people["liudu"])
    for source, shown, hidden in (("proactive", patrol, call), ("patrol", patrol, call), ("call", call, patrol)):
        body = c.get(reverse("web:orders"), {"source": source}).content.decode()
        assert shown.number in body and hidden.number not in body, source
    assert c.get(reverse("web:orders"), {"source": "nonsense"}).status_code == 200  # an unknown one filters nothing
