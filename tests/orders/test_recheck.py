"""The re-check of a suspect callback (复核回访) as an action: who may take it (independently of
the callback's own agent), what a verdict writes, and bad input refused with nothing written."""

from __future__ import annotations

import pytest

from hotline.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from hotline.orders import actions, registry, trace
from hotline.orders.models import Callback, CallbackRecheck, Event, WorkOrder
from hotline.orders.states import Action, State
from tests.orders.loop import bring_to, second_callback_agent, snapshot

FABRICATED = "来电人称从未接到过回访电话，此前的“满意”并非本人所答"


def _closed(d):
    oid = bring_to(d, State.CLOSED)
    return oid, Callback.objects.get(order_id=oid)


def test_the_agent_who_made_the_callback_may_not_recheck_it(district):
    d = district
    oid, cb = _closed(d)
    assert cb.agent == d.people["sunhui"]
    before = snapshot(oid)
    with pytest.raises(NotAllowed) as err:
        actions.do_recheck(oid, actor=d.people["sunhui"], callback_id=cb.pk, reached=True, confirmed=True)
    assert err.value.code == "not_independent" and "自己" in str(err.value.message)
    assert snapshot(oid) == before
    # another callback agent may
    r = actions.do_recheck(oid, actor=second_callback_agent(d), callback_id=cb.pk, reached=True, confirmed=True)
    assert r.verdict == "confirmed"


def test_a_handler_or_reviewer_may_not_recheck_and_an_open_order_has_nothing_to_recheck(district):
    d = district
    oid, cb = _closed(d)
    before = snapshot(oid)
    for name in ("liqiang", "zhoushen", "chengang", "wangfang"):
        with pytest.raises(NotAllowed):
            actions.do_recheck(oid, actor=d.people[name], callback_id=cb.pk, reached=True, confirmed=True)
    assert snapshot(oid) == before
    waiting = bring_to(d, State.AWAITING_CALLBACK)
    with pytest.raises(InvalidTransition):
        actions.do_recheck(waiting, actor=d.people["liudu"], callback_id=cb.pk, reached=True, confirmed=True)


def test_a_confirmed_callback_changes_nothing_but_its_verdict_and_one_event(district):
    d = district
    oid, cb = _closed(d)
    order = WorkOrder.objects.get(pk=oid)
    r = actions.do_recheck(oid, actor=d.people["liudu"], callback_id=cb.pk, reached=True, confirmed=True,
                           note="来电人确认")
    cb.refresh_from_db()
    after = WorkOrder.objects.get(pk=oid)
    assert (after.state, after.event_seq) == (order.state, order.event_seq + 1)
    assert cb.voided_at is None and Callback.objects.filter(order_id=oid).count() == 1
    ev = Event.objects.get(order_id=oid, seq=after.event_seq)
    assert (ev.action, ev.data["verdict"], ev.data["callback"], ev.data["recheck"]) == (
        "recheck", "confirmed", cb.pk, r.pk)
    # the verdict is final
    with pytest.raises(Conflict):
        actions.do_recheck(oid, actor=second_callback_agent(d), callback_id=cb.pk, reached=True, confirmed=False,
                           resolved=False, satisfaction="unsatisfied", note=FABRICATED)
    assert list(trace.verify_all()) == []


def test_a_fabricated_verdict_voids_the_rating_and_records_the_callers_own_in_one_event(district):
    d = district
    oid, cb = _closed(d)
    seq = WorkOrder.objects.get(pk=oid).event_seq
    r = actions.do_recheck(oid, actor=d.people["liudu"], callback_id=cb.pk, reached=True, confirmed=False,
                           contacted=False, resolved=False, satisfaction="unsatisfied", note=FABRICATED)
    cb.refresh_from_db()
    assert cb.voided_at is not None and cb.voided_by == d.people["liudu"] and cb.void_reason == FABRICATED
    assert (cb.resolved, cb.satisfaction) == (True, "satisfied")  # the row keeps its answers
    real = Callback.objects.get(replaces=cb)
    assert (real.valid, real.resolved, real.satisfaction, real.unit_id, real.agent) == (
        True, False, "unsatisfied", cb.unit_id, d.people["liudu"])
    assert r.real_callback == real and r.verdict == "fabricated"
    order = WorkOrder.objects.get(pk=oid)
    assert order.event_seq == seq + 1 and order.state == State.CLOSED
    ev = Event.objects.get(order_id=oid, seq=order.event_seq)
    assert (ev.data["voided"], ev.data["real_callback"], ev.data["note"]) == (cb.pk, real.pk, FABRICATED)
    assert list(trace.verify_all()) == []
    # neither the voided rating nor the re-check's own record can be re-checked again
    for target in (cb.pk, real.pk):
        with pytest.raises(InvalidInput):
            actions.do_recheck(oid, actor=second_callback_agent(d), callback_id=target, reached=True, confirmed=True)


def test_not_reached_is_recorded_and_the_callback_stays_to_be_rechecked(district):
    d = district
    oid, cb = _closed(d)
    first = actions.do_recheck(oid, actor=d.people["liudu"], callback_id=cb.pk, reached=False, note="两次未接通")
    assert first.verdict == "not_reached" and first.confirmed is None
    second = actions.do_recheck(oid, actor=d.people["liudu"], callback_id=cb.pk, reached=True, confirmed=True)
    assert second.verdict == "confirmed"
    assert CallbackRecheck.objects.filter(callback=cb).count() == 2


@pytest.mark.parametrize("kwargs, field", [
    ({"callback_id": 999_999_999, "reached": True, "confirmed": True}, "callback_id"),
    ({"callback_id": 2**70, "reached": True, "confirmed": True}, "callback_id"),
    ({"callback_id": "abc", "reached": True, "confirmed": True}, "callback_id"),
    ({"callback_id": -3, "reached": True, "confirmed": True}, "callback_id"),
    ({"reached": True, "confirmed": False, "resolved": False, "satisfaction": "unsatisfied", "note": ""}, "note"),
    ({"reached": True, "confirmed": False, "note": FABRICATED}, "resolved"),
    ({"reached": True}, "confirmed"),
    ({"reached": "yes", "confirmed": True}, "reached"),
    ({"reached": True, "confirmed": True, "satisfaction": "delighted"}, "satisfaction"),
])
def test_bad_input_is_refused_with_a_clear_error_and_nothing_written(district, kwargs, field):
    d = district
    oid, cb = _closed(d)
    kwargs = {"callback_id": cb.pk, **kwargs}
    before = snapshot(oid)
    rows = Callback.objects.filter(order_id=oid).values().get()
    with pytest.raises(InvalidInput) as err:
        actions.do_recheck(oid, actor=d.people["liudu"], **kwargs)
    assert field in err.value.details and str(err.value.message)
    assert snapshot(oid) == before
    assert Callback.objects.filter(order_id=oid).values().get() == rows
    assert not CallbackRecheck.objects.exists()


def test_a_callback_of_another_order_is_refused(district):
    d = district
    oid, _cb = _closed(d)
    _other, other_cb = _closed(d)
    before = snapshot(oid)
    with pytest.raises(InvalidInput) as err:
        actions.do_recheck(oid, actor=d.people["liudu"], callback_id=other_cb.pk, reached=True, confirmed=False,
                           resolved=False, satisfaction="unsatisfied", note=FABRICATED)
    assert "不属于这张工单" in str(err.value.message)
    assert snapshot(oid) == before
    assert Callback.objects.get(pk=other_cb.pk).voided_at is None


def test_the_registry_and_the_api_schema_refuse_what_the_action_would_refuse(district):
    d = district
    oid, cb = _closed(d)
    with pytest.raises(InvalidInput) as err:
        registry.run_action(Action.RECHECK, oid, d.people["liudu"], {"callback_id": 2**70, "reached": True})
    assert "callback_id" in err.value.details
    with pytest.raises(InvalidInput):
        registry.run_action(Action.RECHECK, oid, d.people["liudu"], {"callback_id": cb.pk, "reached": "1"})
    r = registry.run_action(Action.RECHECK, oid, d.people["liudu"], {
        "callback_id": cb.pk, "reached": True, "confirmed": False, "resolved": False, "satisfaction": "unsatisfied",
        "note": FABRICATED})
    assert r.verdict == "fabricated"


def test_a_merged_orders_callback_is_rechecked_too(district):
    d = district
    oid = bring_to(d, State.MERGED)
    cb = actions.do_callback(oid, actor=d.people["sunhui"], contacted=True, resolved=True, satisfaction="satisfied")
    r = actions.do_recheck(oid, actor=d.people["liudu"], callback_id=cb.pk, reached=True, confirmed=False,
                           resolved=True, satisfaction="basic", note=FABRICATED)
    assert r.verdict == "fabricated" and WorkOrder.objects.get(pk=oid).state == State.MERGED
