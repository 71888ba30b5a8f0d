"""The actions' clock seam: inside clock.at(...) the actions stamp that moment; outside, and in
any other thread, the real time."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.utils import timezone

from hotline.orders import actions as act
from hotline.orders import clock
from hotline.orders.models import Event, WorkOrder
from tests.conftest import make_order


def test_inside_at_the_actions_stamp_the_moment_set_and_outside_the_real_time(district):
    oid = make_order(district)
    then = timezone.now() - dt.timedelta(days=90)
    with clock.at(then) as trip:
        act.do_dispatch(oid, actor=district.people["chengang"], unit_id=district.units["street-a"].pk)
        trip.to(then + dt.timedelta(hours=2))
        act.do_sign(oid, actor=district.people["liqiang"])
    before = timezone.now()
    act.do_contact(oid, actor=district.people["liqiang"], text="电话联系来电人，约定上门时间。")
    events = {e.action: e.at for e in Event.objects.filter(order_id=oid)}
    assert events["dispatch"] == then and events["sign"] == then + dt.timedelta(hours=2)
    assert events["contact"] >= before
    order = WorkOrder.objects.get(pk=oid)
    assert order.dispatched_at == then and order.signed_at == then + dt.timedelta(hours=2)
    assert not clock.travelling() and clock.now() >= before


def test_the_moment_does_not_leak_to_another_thread_and_is_restored_after_an_error():
    then = timezone.now() - dt.timedelta(days=30)
    seen: list[dt.datetime] = []
    with pytest.raises(RuntimeError), clock.at(then):
        assert clock.now() == then and clock.localdate() == timezone.localdate(then)
        worker = threading.Thread(target=lambda: seen.append(clock.now()))
        worker.start()
        worker.join()
        raise RuntimeError("boom")
    assert seen[0] > then + dt.timedelta(days=29)
    assert not clock.travelling()


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError), clock.at(dt.datetime(2026, 1, 1)):  # noqa: DTZ001 (the point)
        pass
