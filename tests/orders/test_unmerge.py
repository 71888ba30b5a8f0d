"""Undoing a wrong merge: the order leaves its main order, goes back to the dispatch board with
the reason, and both traces tell the story. (Who may, and in which states: test_matrix.py.)"""

from __future__ import annotations

import pytest
from django.test import Client

from hotline.errors import InvalidInput, InvalidTransition
from hotline.orders import actions
from hotline.orders.models import Event, WorkOrder
from hotline.orders.states import State
from hotline.orders.trace import verify_all
from hotline.triage.models import DecisionKind, TriageDecision
from tests.conftest import make_order
from tests.orders.loop import snapshot


@pytest.fixture
def merged(district):
    main = make_order(district, title="东湖路路面塌陷")
    other = make_order(district, title="东湖路井盖缺失", caller_phone="13900001111")
    actions.do_merge(other, actor=district.people["chengang"], main_order_id=main, note="同一路口")
    return main, other


def test_it_sends_the_order_back_to_the_board_and_writes_both_traces(district, merged):
    main, other = merged
    actions.do_unmerge(other, actor=district.people["wangfang"], note="一个是塌陷一个是井盖缺失，不是同一事件")
    order = WorkOrder.objects.get(pk=other)
    assert order.state == State.RECEIVED and order.main_order_id is None
    ev = Event.objects.filter(order_id=other).latest("seq")
    assert (ev.action, ev.from_state, ev.to_state) == ("unmerge", "merged", "received")
    assert ev.data["main_order"] == WorkOrder.objects.get(pk=main).number and "井盖" in ev.data["note"]
    on_main = Event.objects.filter(order_id=main).latest("seq")
    assert on_main.action == "annotate" and on_main.data["unmerged"] == order.number
    assert not WorkOrder.objects.get(pk=main).merged_orders.exists()
    assert list(verify_all()) == []
    # back on the board, it can be dispatched on its own
    actions.do_dispatch(other, actor=district.people["chengang"], unit_id=district.units["street-a"].pk)
    assert WorkOrder.objects.get(pk=other).state == State.DISPATCHED


def test_it_needs_a_reason_and_changes_nothing_without_one(district, merged):
    _main, other = merged
    before = snapshot(other)
    with pytest.raises(InvalidInput):
        actions.do_unmerge(other, actor=district.people["wangfang"], note="  不是 ")
    assert snapshot(other) == before


def test_an_order_that_was_never_merged_cannot_be_unmerged(district):
    oid = make_order(district)
    with pytest.raises(InvalidTransition):
        actions.do_unmerge(oid, actor=district.people["wangfang"], note="不是同一事件，撤销合并")


def test_the_order_page_offers_it_and_performs_it(district, merged):
    _main, other = merged
    c = Client()
    c.force_login(district.people["chengang"])
    page = c.get(f"/orders/{other}/").content.decode()
    assert "撤销合并" in page
    r = c.post(f"/orders/{other}/act/unmerge/", {"unmerge-note": "短"})
    assert r.status_code == 400 and WorkOrder.objects.get(pk=other).state == State.MERGED
    r = c.post(f"/orders/{other}/act/unmerge/", {"unmerge-note": "来电人反映的是另一条路的塌陷"})
    assert r.status_code in (200, 302) and WorkOrder.objects.get(pk=other).state == State.RECEIVED
    # the dispatch board gets a routing suggestion for it (triage stops at a merge)
    assert TriageDecision.objects.filter(order_id=other, kind=DecisionKind.ROUTED).count() == 1
    assert "东湖街道" in c.get("/dispatch/").content.decode()


def test_a_failing_routing_suggestion_does_not_undo_the_unmerge_or_give_a_500(district, merged, monkeypatch):
    from hotline.triage import services

    def broken(*_a, **_kw):
        raise RuntimeError("model file unreadable")

    monkeypatch.setattr(services, "route", broken)
    _main, other = merged
    c = Client()
    c.force_login(district.people["chengang"])
    r = c.post(f"/orders/{other}/act/unmerge/", {"unmerge-note": "来电人反映的是另一条路的塌陷"})
    assert r.status_code in (200, 302) and WorkOrder.objects.get(pk=other).state == State.RECEIVED
    assert not TriageDecision.objects.filter(order_id=other, kind=DecisionKind.ROUTED).exists()
