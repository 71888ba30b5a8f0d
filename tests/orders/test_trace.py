"""The trace (留痕): tampering with events is caught by `hotline verify-trace`, which names the
order and the position and exits 1; an untouched database exits 0."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from hotline.orders import trace
from hotline.orders.models import Event, WorkOrder
from hotline.orders.states import State
from tests.orders.loop import bring_to


def _verify() -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify-trace", stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


@pytest.fixture
def closed(district) -> WorkOrder:
    """Two closed orders; the tests tamper with the first."""
    bring_to(district, State.RECEIVED)
    oid = bring_to(district, State.CLOSED)
    return WorkOrder.objects.get(pk=oid)


def test_it_passes_an_untouched_trace(closed):
    code, text = _verify()
    assert code == 0
    assert "2 张工单" in text
    assert list(trace.verify_all()) == []


def test_it_catches_changed_event_data(closed):
    Event.objects.filter(order=closed, seq=3).update(data={"unit": 999})
    code, text = _verify()
    assert code == 1
    assert f"工单 {closed.number} 第 3 条留痕" in text
    assert [(p.order_number, p.position, p.problem) for p in trace.verify_all()] == [(closed.number, 3, "hash")]


def test_it_catches_a_changed_state(closed):
    Event.objects.filter(order=closed, seq=5).update(to_state=State.CLOSED)
    code, text = _verify()
    assert code == 1
    assert f"工单 {closed.number} 第 5 条留痕" in text


def test_it_catches_a_changed_actor_or_time(closed):
    ev = Event.objects.get(order=closed, seq=2)
    Event.objects.filter(pk=ev.pk).update(at=ev.at.replace(year=ev.at.year - 1))
    assert [p.position for p in trace.verify_all()] == [2]


def test_it_catches_a_deleted_middle_event(closed):
    Event.objects.filter(order=closed, seq=4).delete()
    code, text = _verify()
    assert code == 1
    problems = [(p.position, p.problem) for p in trace.verify_all()]
    assert (4, "gap") in problems
    assert f"工单 {closed.number} 第 4 条留痕" in text


def test_it_catches_a_deleted_last_event(closed):
    last = closed.event_seq
    Event.objects.filter(order=closed, seq=last).delete()
    code, text = _verify()
    assert code == 1
    assert [(p.position, p.problem) for p in trace.verify_all()] == [(last, "tail")]
    assert f"工单 {closed.number} 第 {last} 条留痕" in text


def test_it_catches_a_rehashed_event_by_the_broken_link(closed):
    """Someone who changes an event and recomputes its hash still breaks the next link."""
    ev = Event.objects.get(order=closed, seq=3)
    data = dict(ev.data, note="改过的")
    digest = trace.event_hash(prev_hash=ev.prev_hash, order_number=closed.number, seq=ev.seq, action=ev.action,
                              from_state=ev.from_state, to_state=ev.to_state, actor_id=ev.actor_id,
                              actor_role=ev.actor_role, at=ev.at, data=data)
    Event.objects.filter(pk=ev.pk).update(data=data, hash=digest)
    assert [(p.position, p.problem) for p in trace.verify_all()] == [(4, "link")]


def test_it_catches_an_order_row_pointing_past_its_events(closed):
    WorkOrder.objects.filter(pk=closed.pk).update(event_seq=closed.event_seq + 1)
    assert [p.problem for p in trace.verify_all()] == ["tail"]
    assert _verify()[0] == 1


def test_it_hashes_the_same_content_the_same_way_whatever_the_key_order():
    import datetime as dt

    at = dt.datetime(2026, 10, 8, 9, 30, tzinfo=dt.UTC)
    kw = dict(prev_hash=trace.GENESIS, order_number="2026100800001", seq=1, action="create", from_state="",
              to_state="received", actor_id=1, actor_role="agent", at=at)
    assert trace.event_hash(data={"a": 1, "b": 2.0}, **kw) == trace.event_hash(data={"b": 2, "a": 1}, **kw)
    assert trace.event_hash(data={"a": 1}, **kw) != trace.event_hash(data={"a": 2}, **kw)
