"""Unreasonable requests (上报不合理诉求): the unit's report, the centre's decision, the caller's
mark with its expiry and contest, and what an upheld report does to the figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from hotline import outbox
from hotline.assessment import indicators, restate, stats
from hotline.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from hotline.orders import actions, clock, registry, selectors, trace
from hotline.orders.actions.unreasonable import add_months
from hotline.orders.models import CallerMark, Event, MarkContest, UnreasonableReport, WorkOrder
from hotline.orders.states import Action, State
from hotline.outbox.models import OutboxMessage
from hotline.public import disclosure
from tests.assessment.conftest import closed, dispatched, handled
from tests.conftest import make_order
from tests.orders.loop import UNREASONABLE_TEXT, bring_to, photo, snapshot

PHONE = "13912345678"


def _report(d, oid, **kw):
    kw.setdefault("reason", "repeated")
    kw.setdefault("explanation", UNREASONABLE_TEXT)
    return actions.do_report_unreasonable(oid, actor=d.people["liqiang"], **kw)


def _upheld(d, phone: str = PHONE) -> int:
    """An order 李强's street reported, upheld by 刘督 (the caller's number is marked)."""
    oid = bring_to(d, State.IN_PROGRESS, caller_phone=phone)
    _report(d, oid)
    actions.do_uphold_unreasonable(oid, actor=d.people["liudu"], note="经核实，已三次充分答复，属重复诉求")
    return oid


# ---- the unit's report ---------------------------------------------------------------------------


def test_the_lead_unit_reports_with_evidence_and_the_order_keeps_its_state(district):
    d = district
    oid = bring_to(d, State.IN_PROGRESS)
    item = actions.do_attach(oid, actor=d.people["liqiang"], file=photo("earlier-reply.jpg"))
    before = WorkOrder.objects.get(pk=oid)
    report = _report(d, oid, reason="legal_channel", evidence_ids=[item.pk])
    order = WorkOrder.objects.get(pk=oid)
    assert (order.state, order.reply_due, order.unreasonable) == (State.IN_PROGRESS, before.reply_due, False)
    assert order.event_seq == before.event_seq + 1
    assert (report.status, report.unit_id, report.reason) == ("pending", d.units["street-a"].pk, "legal_channel")
    assert list(report.evidence.values_list("pk", flat=True)) == [item.pk]
    event = Event.objects.get(order_id=oid, seq=order.event_seq)
    assert (event.action, event.data["kind"], event.data["evidence"]) == (
        "report_unreasonable", "legal_channel", [item.pk])
    # the unit still replies to the caller while the report waits
    actions.do_attach(oid, actor=d.people["liqiang"], file=photo())
    actions.do_reply(oid, actor=d.people["liqiang"], responder="李强", process="接单后当天到现场核实，约来电人当面解释了相关政策规定和办理途径。",
                     outcome="已向来电人说明应通过法院起诉解决。", contacted_caller=True, result="explained")
    assert WorkOrder.objects.get(pk=oid).state == State.REPLIED


def test_a_unit_of_another_order_or_a_co_unit_cannot_report(district):
    d, p = district, district.people
    oid = make_order(d)
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["street-a"].pk,
                        co_unit_ids=[d.units["enforcement"].pk])
    before = snapshot(oid)
    for name in ("zhaomin", "zhengzhi"):  # another street; the co-unit
        with pytest.raises(NotAllowed):
            actions.do_report_unreasonable(oid, actor=p[name], reason="malicious", explanation=UNREASONABLE_TEXT)
    for name in ("wangfang", "chengang", "liudu"):  # the centre does not report for the unit
        with pytest.raises(NotAllowed):
            actions.do_report_unreasonable(oid, actor=p[name], reason="malicious", explanation=UNREASONABLE_TEXT)
    assert snapshot(oid) == before
    assert not UnreasonableReport.objects.exists()


@pytest.mark.parametrize(("kw", "field"), [
    ({"reason": ""}, "reason"),
    ({"reason": "annoying"}, "reason"),
    ({"explanation": ""}, "explanation"),
    ({"explanation": "太烦了"}, "explanation"),
    ({"evidence_ids": [2**40]}, "evidence_ids"),
    ({"evidence_ids": "1"}, "evidence_ids"),
])
def test_bad_input_is_refused_with_a_clear_error_and_writes_nothing(district, kw, field):
    d = district
    oid = bring_to(d, State.IN_PROGRESS)
    before = snapshot(oid)
    with pytest.raises(InvalidInput) as exc:
        _report(d, oid, **kw)
    assert field in exc.value.details
    assert str(exc.value.message)
    assert snapshot(oid) == before


def test_evidence_of_another_order_is_refused(district):
    d = district
    other = bring_to(d, State.IN_PROGRESS)
    foreign = actions.do_attach(other, actor=d.people["liqiang"], file=photo())
    oid = bring_to(d, State.IN_PROGRESS)
    before = snapshot(oid)
    with pytest.raises(InvalidInput) as exc:
        _report(d, oid, evidence_ids=[foreign.pk])
    assert exc.value.details == {"evidence_ids": [str(foreign.pk)]}
    assert snapshot(oid) == before


def test_a_report_on_a_closed_order_and_a_second_open_report_are_refused(district):
    d = district
    done = bring_to(d, State.CLOSED)
    before = snapshot(done)
    with pytest.raises(InvalidTransition):
        _report(d, done)
    assert snapshot(done) == before

    oid = bring_to(d, State.IN_PROGRESS)
    _report(d, oid)
    before = snapshot(oid)
    with pytest.raises(Conflict) as exc:
        _report(d, oid, reason="malicious")
    assert exc.value.code == "report_pending"
    assert snapshot(oid) == before
    # rejected, the unit may report again with new facts; once upheld, not again
    actions.do_reject_unreasonable(oid, actor=d.people["liudu"], note="来电人反映的是新情况，应继续办理")
    _report(d, oid, reason="malicious")
    actions.do_uphold_unreasonable(oid, actor=d.people["liudu"], note="多次辱骂工作人员，属恶意诉求")
    with pytest.raises(Conflict) as exc:
        _report(d, oid)
    assert exc.value.code == "already_upheld"


def test_the_api_takes_the_report_from_the_registry_and_refuses_an_unknown_code(district):
    d = district
    oid = bring_to(d, State.IN_PROGRESS)
    with pytest.raises(InvalidInput) as exc:
        registry.run_action(Action.REPORT_UNREASONABLE, oid, d.people["liqiang"],
                            {"reason": "annoying", "explanation": UNREASONABLE_TEXT})
    assert "reason" in exc.value.details
    with pytest.raises(InvalidInput):
        registry.run_action(Action.REPORT_UNREASONABLE, oid, d.people["liqiang"], {"reason": "repeated"})
    assert not UnreasonableReport.objects.exists()
    registry.run_action(Action.REPORT_UNREASONABLE, oid, d.people["liqiang"],
                        {"reason": "repeated", "explanation": UNREASONABLE_TEXT, "evidence_ids": []})
    assert UnreasonableReport.objects.get(order_id=oid).status == "pending"


# ---- the centre's decision ------------------------------------------------------------------------


def test_only_a_supervisor_decides_and_only_a_pending_report(district):
    d, p = district, district.people
    oid = bring_to(d, State.IN_PROGRESS)
    with pytest.raises(InvalidTransition) as exc:
        actions.do_uphold_unreasonable(oid, actor=p["liudu"], note="经核实属重复诉求")
    assert exc.value.code == "no_pending_report"
    _report(d, oid)
    before = snapshot(oid)
    for name in ("chengang", "zhoushen", "liqiang", "wangfang"):
        with pytest.raises(NotAllowed):
            actions.do_uphold_unreasonable(oid, actor=p[name], note="经核实属重复诉求")
    with pytest.raises(InvalidInput):
        actions.do_uphold_unreasonable(oid, actor=p["liudu"], note="")
    assert snapshot(oid) == before


def test_upholding_marks_the_order_and_the_callers_number_for_the_configured_months(district, settings):
    settings.HOTLINE_CALLER_MARK_MONTHS = 6
    d = district
    oid = bring_to(d, State.IN_PROGRESS, caller_phone="139 1234 5678")
    _report(d, oid)
    report = actions.do_uphold_unreasonable(oid, actor=d.people["liudu"], note="经核实，已三次充分答复，属重复诉求")
    order = WorkOrder.objects.get(pk=oid)
    assert order.unreasonable and order.state == State.IN_PROGRESS
    mark = CallerMark.objects.get(order=order)
    assert (mark.phone, mark.reason, mark.report_id) == (PHONE, "repeated", report.pk)
    assert mark.expires_at == add_months(report.decided_at, 6)
    event = Event.objects.get(order_id=oid, seq=order.event_seq)
    assert (event.action, event.data["mark"]) == ("uphold_unreasonable", mark.pk)
    assert list(selectors.active_marks("13912345678")) == [mark]
    # the outbox row that restates the built days was written with the event
    assert list(OutboxMessage.objects.filter(channel=restate.CHANNEL).values_list("payload", flat=True)) == [
        {"order": oid, "seq": order.event_seq}]


def test_a_rejected_report_leaves_no_mark_and_the_order_counts(district):
    d = district
    oid = bring_to(d, State.IN_PROGRESS, caller_phone=PHONE)
    _report(d, oid)
    report = actions.do_reject_unreasonable(oid, actor=d.people["liudu"], note="诉求合理，应继续办理")
    assert report.status == "rejected" and report.decision_note == "诉求合理，应继续办理"
    assert not WorkOrder.objects.get(pk=oid).unreasonable
    assert not CallerMark.objects.exists()


def test_add_months_keeps_the_end_of_the_month():
    tz = timezone.get_current_timezone()
    assert add_months(dt.datetime(2026, 1, 31, 9, tzinfo=tz), 1) == dt.datetime(2026, 2, 28, 9, tzinfo=tz)
    assert add_months(dt.datetime(2026, 12, 4, 9, tzinfo=tz), 12) == dt.datetime(2027, 12, 4, 9, tzinfo=tz)
    assert add_months(dt.datetime(2026, 11, 30, 9, tzinfo=tz), 3) == dt.datetime(2027, 2, 28, 9, tzinfo=tz)


# ---- the caller's mark: expiry and contest -------------------------------------------------------------


def test_marks_expire_by_themselves(district):
    d = district
    oid = _upheld(d)
    mark = CallerMark.objects.get(order_id=oid)
    assert list(selectors.active_marks(PHONE)) == [mark]
    assert list(selectors.active_marks(PHONE, mark.expires_at - dt.timedelta(minutes=1))) == [mark]
    assert list(selectors.active_marks(PHONE, mark.expires_at)) == []
    # an expired mark cannot be contested (there is nothing left to lift)
    with clock.at(mark.expires_at + dt.timedelta(days=1)):
        before = snapshot(oid)
        with pytest.raises(InvalidTransition) as exc:
            actions.do_contest_mark(oid, actor=d.people["wangfang"], reason="来电人称已过去一年")
        assert exc.value.code == "mark_inactive"
        assert snapshot(oid) == before


def test_a_contest_lifts_a_mark(district):
    d, p = district, district.people
    oid = _upheld(d)
    contest = actions.do_contest_mark(oid, actor=p["wangfang"], reason="来电人称此次反映的是新的漏水点，并非原事项")
    assert contest.outcome == "pending"
    assert selectors.active_marks(PHONE).exists()  # still shown while the contest waits
    before = snapshot(oid)
    with pytest.raises(Conflict):
        actions.do_contest_mark(oid, actor=p["wangfang"], reason="来电人再次来电提出异议")
    for name in ("wangfang", "chengang", "liqiang"):
        with pytest.raises(NotAllowed):
            actions.do_lift_mark(oid, actor=p[name], note="核实属实，撤销标记")
    assert snapshot(oid) == before
    actions.do_lift_mark(oid, actor=p["liudu"], note="经现场核实确为新的漏水点，撤销标记")
    contest.refresh_from_db()
    assert contest.outcome == "lifted" and contest.decided_by == p["liudu"]
    assert not selectors.active_marks(PHONE).exists()
    assert CallerMark.objects.get(order_id=oid).lifted_at is not None
    # the order's own decision stands; the trace tells all of it
    assert WorkOrder.objects.get(pk=oid).unreasonable
    assert list(Event.objects.filter(order_id=oid).values_list("action", flat=True))[-4:] == [
        "report_unreasonable", "uphold_unreasonable", "contest_mark", "lift_mark"]
    assert list(trace.verify_all()) == []
    with pytest.raises(InvalidTransition):
        actions.do_contest_mark(oid, actor=p["wangfang"], reason="来电人再次来电提出异议")


def test_a_kept_mark_stays_and_may_be_contested_again(district):
    d, p = district, district.people
    oid = _upheld(d)
    actions.do_contest_mark(oid, actor=p["wangfang"], reason="来电人认为自己的诉求合理")
    with pytest.raises(InvalidInput):
        actions.do_keep_mark(oid, actor=p["liudu"], note="")
    actions.do_keep_mark(oid, actor=p["liudu"], note="已三次书面答复，异议理由不成立")
    assert MarkContest.objects.get(order_id=oid).outcome == "kept"
    assert selectors.active_marks(PHONE).exists()
    with pytest.raises(InvalidTransition):
        actions.do_lift_mark(oid, actor=p["liudu"], note="没有待处理的异议")
    actions.do_contest_mark(oid, actor=p["wangfang"], reason="来电人提供了新的材料")
    assert MarkContest.objects.filter(order_id=oid, outcome="pending").count() == 1


def test_an_order_without_a_mark_has_nothing_to_contest(district):
    d = district
    oid = bring_to(d, State.IN_PROGRESS, caller_phone="")
    _report(d, oid)
    actions.do_uphold_unreasonable(oid, actor=d.people["liudu"], note="经核实属恶意诉求")
    assert not CallerMark.objects.exists()  # no number, no mark
    with pytest.raises(InvalidTransition) as exc:
        actions.do_contest_mark(oid, actor=d.people["wangfang"], reason="来电人提出异议")
    assert exc.value.code == "no_mark"


# ---- the figures -------------------------------------------------------------------------------------------


def _row(unit_id, first, last):
    return next(r for r in indicators.unit_table(first, last) if r["unit_id"] == unit_id)


def test_an_upheld_order_leaves_the_units_rates_but_stays_in_the_published_statistics(district):
    d, p = district, district.people
    cache.clear()
    closed(d, "street-a")  # resolved and satisfied
    oid = dispatched(d, "street-a", caller_phone=PHONE)
    _report(d, oid, reason="repeated")  # as soon as it arrives; the unit still handles and replies
    handled(d, oid, "street-a")
    actions.do_callback(oid, actor=p["sunhui"], contacted=True, resolved=False, satisfaction="unsatisfied")
    today = timezone.localdate()
    unit = d.units["street-a"].pk
    before = _row(unit, today, today)
    assert (before["valid_callbacks"], before["resolution_rate"], before["excluded_unreasonable"]) == (2, 0.5, 0)
    received = indicators.overview(today, today)["district"]["received"]
    published_before = disclosure.compute_month(today.replace(day=1))

    actions.do_uphold_unreasonable(oid, actor=p["liudu"], note="经核实，已三次充分答复，属重复诉求")
    after = _row(unit, today, today)
    assert (after["valid_callbacks"], after["resolution_rate"], after["satisfaction_rate"]) == (1, 1.0, 1.0)
    assert after["excluded_unreasonable"] == 1
    assert indicators.overview(today, today)["district"]["received"] == received
    assert not [cb for cb in indicators.lost_points(unit, today, today, kind="resolution") if cb.order_id == oid]
    summary = indicators.unreasonable(today, today)
    row = next(r for r in summary["units"] if r["unit_id"] == unit)
    assert (row["reported"], row["upheld"], row["excluded_callbacks"]) == (1, 1, 1)
    # the public statistics: still an order received; the unit's rates are the assessment's own
    published = disclosure.compute_month(today.replace(day=1))
    first = today.replace(day=1)
    assert published["district"]["received"] == published_before["district"]["received"] >= 2
    assert published["district"]["received"] == indicators.overview(first, today)["district"]["received"]
    assert published["district"]["valid_callbacks"] == published_before["district"]["valid_callbacks"] - 1


def test_an_uphold_after_the_day_was_built_restates_that_day(district):
    d, p = district, district.people
    past = timezone.localtime() - dt.timedelta(days=3)
    with clock.at(past.replace(hour=10, minute=0)) as trip:
        oid = dispatched(d, "street-a", caller_phone=PHONE)
        _report(d, oid)
        handled(d, oid, "street-a")
        trip.advance(dt.timedelta(hours=2))
        actions.do_callback(oid, actor=p["sunhui"], contacted=True, resolved=False, satisfaction="unsatisfied")
    day = past.date()
    stats.rebuild(day, day)
    unit = d.units["street-a"].pk
    assert _row(unit, day, day)["valid_callbacks"] == 1  # stored, with the order counted
    actions.do_uphold_unreasonable(oid, actor=p["liudu"], note="经核实，已三次充分答复，属重复诉求")
    assert _row(unit, day, day)["valid_callbacks"] == 1  # the stored day is stale until the worker runs
    assert outbox.deliver_due(restate.CHANNEL) == 1
    row = _row(unit, day, day)
    assert (row["valid_callbacks"], row["excluded_unreasonable"]) == (0, 1)
    assert stats.split(day, day)[0] == (day, day)  # read from the stored day, not live


def test_the_history_import_brings_upheld_unreasonable_requests_out_of_the_units_rates(district):
    from hotline.assessment.history import import_rows
    from tests.assessment.conftest import hist

    summary = import_rows([
        hist("H1", "东湖街道办事处", "2023-07-03"),
        hist("H2", "东湖街道办事处", "2023-07-04", resolved=False, satisfaction="不满意", unreasonable="重复诉求",
             caller_phone=PHONE),
        hist("H3", "东湖街道办事处", "2023-07-05", unreasonable="怪诉求"),
    ])
    assert summary.created == 2 and len(summary.errors) == 1 and "不合理诉求" in summary.errors[0][1]
    order = WorkOrder.objects.get(number="H2")
    assert order.unreasonable and order.state == State.CLOSED
    report = UnreasonableReport.objects.get(order=order)
    assert (report.status, report.reason, report.unit.name) == ("upheld", "repeated", "东湖街道办事处")
    assert CallerMark.objects.get(order=order).expires_at == add_months(order.closed_at, 12)
    assert list(trace.verify_all()) == []
    first, last = dt.date(2023, 7, 1), dt.date(2023, 7, 31)
    row = _row(d_unit := district.units["street-a"].pk, first, last)
    assert (row["valid_callbacks"], row["resolution_rate"], row["excluded_unreasonable"]) == (1, 1.0, 1)
    summary_row = next(r for r in indicators.unreasonable(first, last)["units"] if r["unit_id"] == d_unit)
    assert (summary_row["reported"], summary_row["upheld"]) == (1, 1)
    stats.rebuild(first, last)
    assert _row(d_unit, first, last)["excluded_unreasonable"] == 1
