"""Supervision (督办): the supervision record with its own deadline, the lead unit's feedback, closing
and lifting, and escalation to the city (联合督办) by the worker when missed or by a supervisor."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from hotline.citylink.outbound import ESCALATION_KIND
from hotline.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from hotline.notify import scans
from hotline.notify.models import Notification
from hotline.orders import actions, clock, supervisions
from hotline.orders.actions._base import _calendar
from hotline.orders.models import Event, Note, Supervision, WorkOrder
from hotline.orders.states import State
from hotline.orders.tasks import escalate_missed_supervisions
from hotline.outbox.models import OutboxMessage
from tests.orders.loop import FEEDBACK_TEXT, bring_to, cst, snapshot

INSTRUCTION = "来电人多次来电反映，请限期反馈办理情况"


def _supervise(d, oid, **kw):
    return actions.do_supervise(oid, actor=d.people["liudu"], text=kw.pop("text", INSTRUCTION), **kw)


def _active(oid) -> Supervision:
    return Supervision.objects.get(order_id=oid, state__in=["open", "answered", "escalated"])


def _escalations(oid=None):
    qs = OutboxMessage.objects.filter(channel="citylink", kind=ESCALATION_KIND)
    return qs.filter(payload__number=WorkOrder.objects.get(pk=oid).number) if oid else qs


# ---- opening a supervision --------------------------------------------------------------------------


def test_it_opens_a_supervision_with_the_default_deadline_by_urgency(district):
    d = district
    oid = bring_to(d, State.IN_PROGRESS)
    now = cst(2026, 12, 7, 10, 0)  # a Monday
    with clock.at(now):
        _supervise(d, oid)
    order = WorkOrder.objects.get(pk=oid)
    sup = _active(oid)
    assert order.supervised and order.state == State.IN_PROGRESS
    n = supervisions.default_days(order.urgency)
    assert (sup.state, sup.due_days, sup.unit_id, sup.level) == ("open", n, d.units["street-a"].pk, "district")
    assert sup.due == _calendar().add(now, (n, "workdays")) and sup.due > now
    event = Event.objects.get(order_id=oid, seq=order.event_seq)
    assert (event.action, event.data["supervision"], event.data["days"], event.data["on"]) == (
        "supervise", sup.pk, n, True)
    assert Note.objects.filter(order_id=oid, kind="supervision", text=INSTRUCTION).exists()
    # the unit is told (notify's supervise trigger), in the same transaction
    assert OutboxMessage.objects.filter(channel="notify", kind="notify.supervise").exists()


def test_it_takes_working_days_or_a_date_chosen_by_the_supervisor(district):
    d = district
    a, b = bring_to(d, State.IN_PROGRESS), bring_to(d, State.IN_PROGRESS)
    now = cst(2026, 12, 4, 16, 0)  # a Friday: three working days end on Wednesday
    with clock.at(now):
        _supervise(d, a, days=3)
        _supervise(d, b, due_date="2026-12-18")
    assert _active(a).due == cst(2026, 12, 9, 18, 0)
    assert (_active(b).due, _active(b).due_days) == (cst(2026, 12, 18, 18, 0), None)


@pytest.mark.parametrize("kw", [
    {"days": 0}, {"days": 31}, {"days": "三"}, {"days": 10**30}, {"due_date": "2026-12-01"},
    {"due_date": "2027-12-01"}, {"due_date": "明天"}, {"due_date": "2026-02-30"},
    {"days": 3, "due_date": "2026-12-18"}, {"text": ""},
])
def test_it_refuses_a_bad_deadline_and_writes_nothing(district, kw):
    d = district
    oid = bring_to(d, State.IN_PROGRESS)
    before = snapshot(oid)
    with clock.at(cst(2026, 12, 4, 16, 0)), pytest.raises(InvalidInput):
        _supervise(d, oid, **kw)
    assert snapshot(oid) == before


def test_it_refuses_a_second_supervision_while_one_is_active(district):
    d = district
    oid = bring_to(d, State.IN_PROGRESS)
    _supervise(d, oid)
    before = snapshot(oid)
    with pytest.raises(Conflict):
        _supervise(d, oid, text="再次督办")
    assert snapshot(oid) == before


def test_the_citys_supervision_joins_the_districts_and_is_never_escalated_to_the_city(district):
    from hotline.citylink.inbound import city_user

    d = district
    oid = bring_to(d, State.IN_PROGRESS)
    _supervise(d, oid, days=1)
    sup = _active(oid)
    actions.do_supervise(oid, actor=city_user(), text="市级平台联合督办：请本周内办结")
    sup.refresh_from_db()
    assert (sup.level, Supervision.objects.filter(order_id=oid).count()) == ("city", 1)
    with clock.at(sup.due + dt.timedelta(hours=1)):
        report = actions.escalate_missed()
        with pytest.raises(InvalidTransition):
            actions.do_escalate_supervision(oid, actor=d.people["liudu"], note="单位逾期未反馈")
    assert report.escalated == [] and not _escalations(oid).exists()


# ---- feedback, close, lift ----------------------------------------------------------------------------


def test_the_lead_unit_feeds_back_on_time_and_the_supervisor_closes_it(district):
    d = district
    oid = bring_to(d, State.IN_PROGRESS)
    _supervise(d, oid)
    with pytest.raises(InvalidTransition):  # nothing answered to close yet
        actions.do_close_supervision(oid, actor=d.people["liudu"], note="反馈属实，督办办结")
    sup = actions.do_supervision_feedback(oid, actor=d.people["liqiang"], text=FEEDBACK_TEXT)
    assert (sup.state, sup.on_time, sup.feedback_by_id) == ("answered", True, d.people["liqiang"].pk)
    assert WorkOrder.objects.get(pk=oid).supervised  # still under supervision until the supervisor decides
    with pytest.raises(InvalidTransition):  # one feedback per supervision
        actions.do_supervision_feedback(oid, actor=d.people["liqiang"], text=FEEDBACK_TEXT)
    actions.do_close_supervision(oid, actor=d.people["liudu"], note="反馈属实，督办办结")
    sup.refresh_from_db()
    order = WorkOrder.objects.get(pk=oid)
    assert (sup.state, order.supervised, order.state) == ("closed", False, State.IN_PROGRESS)
    assert sup.ended_by_id == d.people["liudu"].pk
    # a new supervision may be opened once the last one ended
    _supervise(d, oid, text="来电人再次反映，重新督办")
    assert Supervision.objects.filter(order_id=oid).count() == 2


def test_only_the_lead_unit_feeds_back(district):
    d = district
    oid = bring_to(d, State.IN_PROGRESS)
    _supervise(d, oid)
    before = snapshot(oid)
    for name in ("zhaomin", "liudu", "chengang"):
        with pytest.raises(NotAllowed):
            actions.do_supervision_feedback(oid, actor=d.people[name], text=FEEDBACK_TEXT)
    with pytest.raises(InvalidInput):  # feedback says what was done
        actions.do_supervision_feedback(oid, actor=d.people["liqiang"], text="已办")
    assert snapshot(oid) == before


def test_a_supervisor_lifts_it_and_the_old_toggle_still_lifts_it(district):
    d = district
    a, b = bring_to(d, State.IN_PROGRESS), bring_to(d, State.REPLIED)
    _supervise(d, a)
    _supervise(d, b)
    actions.do_lift_supervision(a, actor=d.people["liudu"], note="来电人已撤回诉求")
    actions.do_supervise(b, actor=d.people["liudu"], text="解除督办", on=False)
    for oid in (a, b):
        assert not WorkOrder.objects.get(pk=oid).supervised
        assert Supervision.objects.get(order_id=oid).state == "lifted"
    # the old toggle's event stays what it was: a supervise event with on=False
    last = Event.objects.filter(order_id=b).order_by("-seq").first()
    assert (last.action, last.data["on"]) == ("supervise", False)
    with pytest.raises(InvalidTransition):
        actions.do_lift_supervision(a, actor=d.people["liudu"], note="再撤销一次")


# ---- escalation to the city -------------------------------------------------------------------------


def test_the_worker_escalates_a_missed_supervision_once_with_its_outbox_row(district):
    d = district
    oid = bring_to(d, State.IN_PROGRESS)
    _supervise(d, oid, days=2)
    sup = _active(oid)
    with clock.at(sup.due - dt.timedelta(minutes=1)):
        assert actions.escalate_missed().escalated == []  # not yet
        with pytest.raises(InvalidTransition):
            actions.do_escalate_supervision(oid, actor=actions.system_user())
    order = WorkOrder.objects.get(pk=oid)
    with clock.at(sup.due + dt.timedelta(minutes=1)):
        report = actions.escalate_missed()
        again = actions.escalate_missed()
    assert (report.escalated, again.escalated) == ([order.number], [])
    sup.refresh_from_db()
    assert (sup.state, sup.escalation, sup.escalated_by.username) == ("escalated", "missed", "system")
    rows = list(_escalations(oid))
    assert len(rows) == 1
    row = rows[0]
    assert row.stream == f"district:{order.number}" and row.payload["city_number"] is None
    assert (row.payload["data"]["supervision"], row.payload["data"]["reason"]) == (sup.pk, "missed")
    assert row.payload["data"]["unit_name"] == d.units["street-a"].name
    assert "caller_phone" not in json.dumps(row.payload) and order.caller_phone not in json.dumps(row.payload)
    event = Event.objects.filter(order_id=oid, action="escalate_supervision").get()
    assert (event.actor_role, event.from_state, event.to_state) == ("system", "in_progress", "in_progress")
    # the unit still owes its feedback: late, and the escalation stays on the record
    with clock.at(sup.due + dt.timedelta(hours=2)):
        sup = actions.do_supervision_feedback(oid, actor=d.people["liqiang"], text=FEEDBACK_TEXT)
    assert (sup.state, sup.on_time, sup.escalated_at is not None) == ("answered", False, True)


def test_the_worker_leaves_answered_ended_and_unled_supervisions_alone(district):
    d = district
    answered, lifted, received = (bring_to(d, State.IN_PROGRESS), bring_to(d, State.IN_PROGRESS),
                                  bring_to(d, State.RECEIVED))
    for oid in (answered, lifted, received):
        _supervise(d, oid, days=1)
    actions.do_supervision_feedback(answered, actor=d.people["liqiang"], text=FEEDBACK_TEXT)
    actions.do_lift_supervision(lifted, actor=d.people["liudu"], note="来电人已撤回诉求")
    with clock.at(dt.datetime.now(dt.UTC) + dt.timedelta(days=30)):
        assert actions.escalate_missed().escalated == []
    assert not _escalations().exists()


def test_a_supervisor_escalates_by_hand_with_a_reason_and_only_once(district):
    d = district
    oid = bring_to(d, State.DISPATCHED)
    _supervise(d, oid)
    with pytest.raises(InvalidInput):
        actions.do_escalate_supervision(oid, actor=d.people["liudu"], note="")
    with pytest.raises(NotAllowed):
        actions.do_escalate_supervision(oid, actor=d.people["liqiang"], note="单位自己提请")
    sup = actions.do_escalate_supervision(oid, actor=d.people["liudu"], note="单位拒不落实，提请市级联合督办")
    assert (sup.state, sup.escalation) == ("escalated", "manual")
    before = snapshot(oid)
    with pytest.raises(InvalidTransition):
        actions.do_escalate_supervision(oid, actor=d.people["liudu"], note="再提请一次")
    with clock.at(sup.due + dt.timedelta(days=1)):
        assert actions.escalate_missed().escalated == []
    assert snapshot(oid) == before and _escalations(oid).count() == 1


def test_the_task_and_the_command_run_the_escalation(district):
    d = district
    a, b = bring_to(d, State.IN_PROGRESS), bring_to(d, State.IN_PROGRESS)
    _supervise(d, a, days=1)
    _supervise(d, b, days=5)
    late = _active(a).due + dt.timedelta(hours=1)
    with clock.at(late):
        result = escalate_missed_supervisions.call()  # what the worker runs when it takes the queued task
        out = io.StringIO()
        call_command("supervision", "run", "--json", stdout=out)
    assert result["escalated"] == [WorkOrder.objects.get(pk=a).number]
    assert json.loads(out.getvalue()) == {"escalated": [], "skipped": []}
    listing = io.StringIO()
    call_command("supervision", "list", "--json", stdout=listing)
    states_ = {json.loads(line)["number"]: json.loads(line)["state"] for line in listing.getvalue().splitlines()}
    assert states_ == {WorkOrder.objects.get(pk=a).number: "escalated", WorkOrder.objects.get(pk=b).number: "open"}
    with pytest.raises(SystemExit) as exc:
        call_command("supervision", "list", "--state", "=cmd|' /C calc'!A0", stdout=io.StringIO(),
                     stderr=io.StringIO())
    assert exc.value.code == 2


def test_the_unit_is_told_when_the_feedback_deadline_approaches(district):
    d = district
    oid = bring_to(d, State.IN_PROGRESS)
    _supervise(d, oid, days=2)
    sup = _active(oid)
    soon = scans.supervision_due_soon(sup.due - dt.timedelta(hours=1))
    told = set(Notification.objects.filter(pk__in=[q.notification_id for q in soon]).values_list("person_id", flat=True))
    assert told == {d.people["liqiang"].pk, d.people["lizhang"].pk}
    assert scans.supervision_due_soon(sup.due - dt.timedelta(hours=1)) == []  # once per deadline
    assert scans.supervision_due_soon(sup.due - dt.timedelta(days=3)) == []  # not yet
    actions.do_supervision_feedback(oid, actor=d.people["liqiang"], text=FEEDBACK_TEXT)


# ---- the API -----------------------------------------------------------------------------------------


def test_the_api_takes_the_deadline_and_refuses_bad_input(district):
    d = district
    oid = bring_to(d, State.IN_PROGRESS)
    c = Client(raise_request_exception=False)
    c.force_login(d.people["liudu"])
    url = f"/api/orders/{oid}/actions/supervise"
    for body in ({"text": INSTRUCTION, "days": "3"}, {"text": INSTRUCTION, "days": 99},
                 {"text": INSTRUCTION, "due_date": "=1+1"}, {"text": INSTRUCTION, "days": 1.5}):
        resp = c.post(url, data=json.dumps(body), content_type="application/json")
        assert resp.status_code in (400, 422), (body, resp.status_code)
    assert not Supervision.objects.filter(order_id=oid).exists()
    resp = c.post(url, data=json.dumps({"text": INSTRUCTION, "days": 4}), content_type="application/json")
    assert resp.status_code == 200, resp.content
    assert _active(oid).due_days == 4
    h = Client(raise_request_exception=False)
    h.force_login(d.people["liqiang"])
    resp = h.post(f"/api/orders/{oid}/actions/supervision_feedback", data=json.dumps({"text": FEEDBACK_TEXT}),
                  content_type="application/json")
    assert resp.status_code == 200, resp.content
    assert _active(oid).state == "answered"


def test_the_migration_gives_an_order_flagged_before_supervision_records_an_open_one(district):
    """Before this feature `supervise` only set the flag and wrote a note: such an order gets an
    open supervision from its last note, due no earlier than three days after the upgrade."""
    import importlib

    from django.apps import apps
    from django.utils import timezone

    d = district
    old, plain = bring_to(d, State.IN_PROGRESS), bring_to(d, State.IN_PROGRESS)
    note = Note.objects.create(order_id=old, kind="supervision", text="老系统的督办意见", by=d.people["liudu"],
                               at=timezone.now() - dt.timedelta(days=30))
    WorkOrder.objects.filter(pk=old).update(supervised=True)  # the old toggle's flag (test setup only)
    migration = importlib.import_module("hotline.orders.migrations.0015_supervision")
    migration._legacy_supervisions(apps, None)
    migration._legacy_supervisions(apps, None)  # run twice: one record
    sup = Supervision.objects.get(order_id=old)
    assert (sup.state, sup.instruction, sup.opened_at, sup.unit_id) == (
        "open", "老系统的督办意见", note.at, d.units["street-a"].pk)
    assert sup.due >= timezone.now() + dt.timedelta(days=3) - dt.timedelta(minutes=1)
    assert not Supervision.objects.filter(order_id=plain).exists()
    actions.do_supervision_feedback(old, actor=d.people["liqiang"], text=FEEDBACK_TEXT)
