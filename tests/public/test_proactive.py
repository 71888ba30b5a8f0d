"""Proactive orders (未诉先办) on the public side: the disclosure counts calls received, not the
centre's own inspections; a proactive order has no query code, so the citizens' tracking page
does not open it, and it can never be evaluated online."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import timezone

from hotline.orders.models import WorkOrder
from hotline.orders.states import State
from hotline.public import disclosure
from hotline.public.models import Ticket
from tests.assessment.conftest import closed
from tests.orders.loop import bring_proactive_to

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_the_disclosure_counts_calls_not_proactive_orders(district, client):
    closed(district, "street-a")
    bring_proactive_to(district, State.CLOSED)
    bring_proactive_to(district, State.IN_PROGRESS)
    month = timezone.localdate().replace(day=1)
    figures = disclosure.compute_month(month)
    assert figures["district"]["received"] == 1  # the caller's order alone
    assert figures["district"]["valid_callbacks"] == 1
    page = client.get(f"/public/stats/{month:%Y-%m}/")
    assert page.status_code == 200


def test_a_proactive_order_cannot_be_tracked_or_evaluated(district, client):
    order = WorkOrder.objects.get(pk=bring_proactive_to(district, State.AWAITING_CALLBACK))
    assert not Ticket.objects.filter(order=order).exists()
    response = client.post("/public/track/", {"number": order.number, "code": ""})
    assert response.status_code == 400
    response = client.post("/public/track/", {"number": order.number, "code": "000000"})
    assert response.status_code == 400
    page = client.get(f"/public/track/{order.number}/")
    assert page.status_code in (302, 403, 404) and order.title not in page.content.decode()
    evaluate = client.post(f"/public/track/{order.number}/evaluate/", {"contacted": "yes", "resolved": "yes",
                                                                      "satisfaction": "satisfied"})
    assert evaluate.status_code in (302, 403, 404)
    assert WorkOrder.objects.get(pk=order.pk).state == State.AWAITING_CALLBACK
