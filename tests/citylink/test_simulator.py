"""A short simulator run against a live server: orders handed down at 20/s with duplicates,
reordering, timeouts and 500s are each taken exactly once, and the city's updates (some sent
before their order) applied once."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from hotline.citylink.models import CityOrder, CityUpdate
from hotline.citylink.simulator import Faults, Simulator
from hotline.demo.district import build_district
from hotline.orders.models import Event, WorkOrder

from .conftest import SECRET

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("citylink_settings"),
]


def test_a_short_run_with_faults_takes_every_order_once(live_server):
    build_district(password="pw")
    # The test database on SQLite is a shared in-memory one, which refuses a second writer at once
    # ("table is locked") instead of waiting: there, one request at a time and no early give-ups.
    parallel = connection.vendor == "postgresql"
    sim = Simulator(inbound_url=f"{live_server.url}/citylink/inbound", secret=SECRET, rate=20,
                    faults=Faults(timeout=0.1 if parallel else 0, duplicate=0.3, reorder=0.3, hang=0.5),
                    city_updates=0.5, seed=3, send_timeout=5, senders=4 if parallel else 1).start()
    try:
        sim.send_orders(2.0)
        deadline = time.monotonic() + 60
        while sim.pending_sends() or sim.report()["orders_acked"] < sim.report()["orders_sent"]:
            assert time.monotonic() < deadline, sim.report()
            time.sleep(0.1)
        while sim.report()["city_updates_acked"] < sim.report()["city_updates_sent"] and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        sim.stop()
    report = sim.report()
    assert report["orders_sent"] >= 30
    assert report["order_posts"] > report["orders_sent"]  # duplicates and retries were sent
    taken = WorkOrder.objects.filter(idempotency_key__startswith=f"city:{sim.run}-")
    assert taken.count() == report["orders_sent"] == CityOrder.objects.count()
    assert report["orders_taken_twice"] == 0  # never "created" twice for one number
    # every order answered "created" once, unless the sender gave up on that answer (a timeout)
    assert report["orders_created"] == report["orders_sent"] or parallel
    assert Event.objects.filter(action="create").count() == report["orders_sent"]
    updates = CityUpdate.objects.all()
    assert updates.count() == report["city_updates_sent"] > 0
    assert all(u.applied_at is not None and u.result == "applied" for u in updates)
    # one event per city update, whether it came before its order or after, once or twice
    assert Event.objects.filter(action__in=["supervise", "urge", "annotate"], actor__username="citylink").count() \
        == updates.count()


def test_faults_parse_by_name():
    f = Faults.parse("timeouts,dead", rate=0.1, dead_after=5, dead_for=3)
    assert f.timeout == 0.1 and f.error500 == 0 and f.dead_after == 5 and f.dead_for == 3
    assert Faults.parse("all").duplicate > 0
    with pytest.raises(ValueError):
        Faults.parse("earthquakes")
