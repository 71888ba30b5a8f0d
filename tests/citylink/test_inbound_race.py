"""The same city order, and the same city update, arriving many times at once on PostgreSQL:
one order, one "created", one event per update (SQLite has one writer: no race there)."""

from __future__ import annotations

import pytest
from django.db import connection

from hotline.citylink import inbound
from hotline.citylink.models import CityOrder, CityUpdate
from hotline.demo.district import build_district
from hotline.orders.models import Event, WorkOrder
from tests.race import race

from .conftest import city_order, city_update

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers race only on PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_one_order_sent_eight_times_at_once_is_taken_once():
    build_district(password="pw")
    results = race([lambda: inbound.take_order(city_order("SZ-RACE")) for _ in range(8)])
    assert all(isinstance(r, inbound.Result) for r in results), results
    assert sorted(r.status for r in results) == ["created"] + ["duplicate"] * 7
    assert WorkOrder.objects.count() == 1 and CityOrder.objects.count() == 1
    assert Event.objects.filter(action="create").count() == 1


def test_an_update_racing_its_order_is_applied_once():
    build_district(password="pw")
    calls = [lambda: inbound.take_order(city_order("SZ-U"))]
    calls += [lambda: inbound.take_update(city_update("SZ-U", message_id="SZ-U-1", kind="urge")) for _ in range(5)]
    results = race(calls)
    assert all(isinstance(r, inbound.Result) for r in results), results
    assert CityUpdate.objects.get().result == "applied"
    assert Event.objects.filter(action="urge").count() == 1
