"""Proactive orders (未诉先办) in Open311: published like any order the district works on, with
no caller data (there is none), their status in the centre's words; nothing breaks for an
order without a caller."""

from __future__ import annotations

import pytest

from hotline.orders.models import WorkOrder
from hotline.orders.states import State
from tests.conftest import make_order
from tests.orders.loop import bring_proactive_to

pytestmark = pytest.mark.django_db


def test_a_proactive_order_reads_like_any_other_and_says_it_awaits_verification(client, district):
    call = WorkOrder.objects.get(pk=make_order(district))
    waiting = WorkOrder.objects.get(pk=bring_proactive_to(district, State.AWAITING_CALLBACK))
    done = WorkOrder.objects.get(pk=bring_proactive_to(district, State.CLOSED))
    response = client.get("/open311/v2/requests.json")
    assert response.status_code == 200
    records = {r["service_request_id"]: r for r in response.json()}
    assert set(records) == {call.number, waiting.number, done.number}
    assert records[waiting.number]["status"] == "open" and records[waiting.number]["status_notes"] == "待核验"
    assert records[done.number]["status"] == "closed" and "路面已于次日修复完毕" in records[done.number]["status_notes"]
    assert records[done.number]["agency_responsible"] == "东湖街道办事处"
    for fmt in ("json", "xml"):
        assert client.get(f"/open311/v2/requests/{done.number}.{fmt}").status_code == 200
