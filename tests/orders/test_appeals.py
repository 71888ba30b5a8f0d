"""Appeals (申诉) against a redo decision or a callback: the unit head's filing, the centre's
decision within its deadline, and what an upheld appeal does to the figures (docs/appeals.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from hotline import outbox
from hotline.assessment import indicators, restate, stats
from hotline.directory.calendar import load_calendar
from hotline.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from hotline.orders import actions, clock, registry, trace
from hotline.orders.actions.appeal import is_overdue
from hotline.orders.models import Callback, Event, OrderAppeal, Review, WorkOrder
from hotline.orders.states import Action, State
from hotline.outbox.models import OutboxMessage
from tests.assessment.conftest import HANDLERS, OUTCOME, PROCESS
from tests.conftest import make_order
from tests.orders.loop import APPEAL_CALLBACK_TEXT, APPEAL_TEXT, bring_to, photo, snapshot


def _redone(d, unit: str = "street-a") -> int:
    """An order of `unit` whose first reply 周审 sent back for redo (now in progress again)."""
    p = d.people
    oid = make_order(d)
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units[unit].pk, note="按属地和职责派单处理")
    h = p[HANDLERS[unit]]
    actions.do_sign(oid, actor=h)
    actions.do_contact(oid, actor=h, text="已电话联系来电人，约定到场时间。")
    actions.do_attach(oid, actor=h, file=photo())
    actions.do_reply(oid, actor=h, responder=h.display_name, process=PROCESS, outcome=OUTCOME, contacted_caller=True)
    actions.do_redo(oid, actor=p["zhoushen"], reasons=["not_solved"], note="诉求未解决且未说明原因")
    return oid


def _finish(d, oid: int, unit: str = "street-a", **answers) -> None:
    p = d.people
    h = p[HANDLERS[unit]]
    actions.do_attach(oid, actor=h, file=photo("site2.jpg"))
    actions.do_reply(oid, actor=h, responder=h.display_name, process=PROCESS, outcome=OUTCOME, contacted_caller=True)
    if WorkOrder.objects.get(pk=oid).state == State.REPLIED:
        actions.do_approve(oid, actor=p["zhoushen"])
    answers = {"contacted": True, "resolved": True, "satisfaction": "satisfied", **answers}
    actions.do_callback(oid, actor=p["sunhui"], **answers)


def _appeal(d, oid, **kw):
    kw.setdefault("reasons", ["reply_explained"])
    kw.setdefault("explanation", APPEAL_TEXT)
    return actions.do_appeal_redo(oid, actor=d.people["lizhang"], **kw)


def _row(unit_id, first, last):
    return next(r for r in indicators.unit_table(first, last) if r["unit_id"] == unit_id)


# ---- filing ----------------------------------------------------------------------------------------


def test_the_unit_head_appeals_a_redo_with_evidence_and_the_order_keeps_its_state(district, settings):
    d = district
    settings.HOTLINE_APPEAL_DAYS = 5
    oid = _redone(d)
    item = actions.do_attach(oid, actor=d.people["liqiang"], file=photo("reply-letter.jpg"))
    before = WorkOrder.objects.get(pk=oid)
    appeal = _appeal(d, oid, evidence_ids=[item.pk])
    order = WorkOrder.objects.get(pk=oid)
    assert (order.state, order.reply_due, order.event_seq) == (State.IN_PROGRESS, before.reply_due,
                                                               before.event_seq + 1)
    review = Review.objects.get(order_id=oid, decision="redo")
    assert (appeal.kind, appeal.status, appeal.review_id, appeal.unit_id) == (
        "redo", "pending", review.pk, d.units["street-a"].pk)
    assert list(appeal.evidence.values_list("pk", flat=True)) == [item.pk]
    # due at the end of the fifth working day after filing
    cal = load_calendar()
    assert timezone.localtime(appeal.due).date() == cal.nth_workday_after(timezone.localtime(appeal.at).date(), 5)
    event = Event.objects.get(order_id=oid, seq=order.event_seq)
    assert (event.action, event.data["review"], event.data["reasons"], event.data["evidence"]) == (
        "appeal_redo", review.pk, ["reply_explained"], [item.pk])
    assert trace.verify_order(order, list(Event.objects.filter(order_id=oid).order_by("seq"))) == []


def test_only_the_lead_units_head_appeals(district):
    d, p = district, district.people
    oid = _redone(d)
    before = snapshot(oid)
    # the unit's handler drafts, the head files; another street, the centre: never
    for name in ("liqiang", "zhaomin", "zhoushen", "liudu", "chengang", "sunhui"):
        with pytest.raises(NotAllowed):
            actions.do_appeal_redo(oid, actor=p[name], reasons=["reply_explained"], explanation=APPEAL_TEXT)
    assert snapshot(oid) == before and not OrderAppeal.objects.exists()


@pytest.mark.parametrize(("kw", "field"), [
    ({"reasons": []}, "reasons"),
    ({"reasons": "reply_explained"}, "reasons"),
    ({"reasons": ["other_matter"]}, "reasons"),  # a callback's reason for a redo
    ({"reasons": ["=cmd|' /C calc'!A0"]}, "reasons"),
    ({"explanation": "不服"}, "explanation"),
    ({"explanation": "说" * 4001}, "explanation"),
    ({"evidence_ids": "1"}, "evidence_ids"),
    ({"evidence_ids": [10**30]}, "evidence_ids"),
])
def test_bad_input_is_refused_and_writes_nothing(district, kw, field):
    d = district
    oid = _redone(d)
    before = snapshot(oid)
    with pytest.raises(InvalidInput) as exc:
        _appeal(d, oid, **kw)
    assert field in exc.value.details
    assert snapshot(oid) == before and not OrderAppeal.objects.exists()


def test_evidence_must_be_the_orders_own_and_there_must_be_a_redo(district):
    d = district
    oid, other = _redone(d), bring_to(d, State.IN_PROGRESS)
    theirs = actions.do_attach(other, actor=d.people["liqiang"], file=photo())
    with pytest.raises(InvalidInput) as exc:
        _appeal(d, oid, evidence_ids=[theirs.pk])
    assert exc.value.details["evidence_ids"] == [str(theirs.pk)]
    with pytest.raises(InvalidInput) as exc:  # no redo on it
        _appeal(d, other)
    assert "review_id" in exc.value.details
    with pytest.raises(InvalidInput):  # a redo of another order
        _appeal(d, other, review_id=Review.objects.get(order_id=oid).pk)
    assert not OrderAppeal.objects.exists()


def test_one_appeal_per_redo_ever_a_rejected_one_is_final(district):
    d, p = district, district.people
    oid = _redone(d)
    _appeal(d, oid)
    with pytest.raises(Conflict) as exc:
        _appeal(d, oid)
    assert exc.value.code == "already_appealed"
    actions.do_reject_appeal(oid, actor=p["liudu"], note="答复确未说明未解决的原因，申诉不成立")
    with pytest.raises(Conflict):
        _appeal(d, oid, explanation="补充说明：答复第二段已经写明原因和后续安排，请再次审核。")
    assert OrderAppeal.objects.get().status == "rejected"
    assert Review.objects.get(order_id=oid).overturned_at is None


def test_the_filing_window_closes_after_the_configured_working_days(district, settings):
    d = district
    settings.HOTLINE_APPEAL_FILING_DAYS = 2
    with clock.at(timezone.localtime() - dt.timedelta(days=20)):
        oid = _redone(d)
    before = snapshot(oid)
    with pytest.raises(InvalidTransition) as exc:
        _appeal(d, oid)
    assert exc.value.code == "appeal_window_closed"
    assert snapshot(oid) == before


def test_a_proactive_order_has_no_callback_to_appeal(district):
    from tests.orders.loop import bring_proactive_to

    d = district
    oid = bring_proactive_to(d, State.CLOSED)
    with pytest.raises(InvalidTransition) as exc:
        actions.do_appeal_callback(oid, actor=d.people["lizhang"], reasons=["other_matter"],
                                   explanation=APPEAL_CALLBACK_TEXT)
    assert exc.value.code == "not_for_this_source"


# ---- the decision -----------------------------------------------------------------------------------


def test_only_a_supervisor_decides_and_never_the_maker_of_the_decision(district):
    d, p = district, district.people
    oid = _redone(d)
    _appeal(d, oid)
    for name in ("zhoushen", "chengang", "lizhang", "sunhui"):
        with pytest.raises(NotAllowed):
            actions.do_uphold_appeal(oid, actor=p[name], note="申诉成立，答复已说明原因")
    # 周审, who made the redo, promoted to the centre's leadership: still not the one to decide it
    p["zhoushen"].role = "supervisor"
    p["zhoushen"].save()
    with pytest.raises(NotAllowed) as exc:
        actions.do_uphold_appeal(oid, actor=p["zhoushen"], note="申诉成立，答复已说明原因")
    assert exc.value.code == "not_independent"
    assert OrderAppeal.objects.get().status == "pending"
    with pytest.raises(InvalidInput):
        actions.do_uphold_appeal(oid, actor=p["liudu"], note="行")
    actions.do_uphold_appeal(oid, actor=p["liudu"], note="答复已写明原因和后续安排，申诉成立")
    with pytest.raises(InvalidTransition) as exc:
        actions.do_reject_appeal(oid, actor=p["liudu"], note="再次裁定同一申诉")
    assert exc.value.code == "no_pending_appeal"


def test_an_upheld_redo_appeal_takes_the_redo_out_of_the_units_redo_rate(district):
    d, p = district, district.people
    unit = d.units["street-a"].pk
    oid = _redone(d)
    _finish(d, oid)
    today = timezone.localdate()
    before = _row(unit, today, today)
    assert (before["redos"], before["redo_rate"]) == (1, 0.5)  # two replies, one sent back
    _appeal(d, oid)
    appeal = actions.do_uphold_appeal(oid, actor=p["liudu"], note="答复已写明原因和后续安排，申诉成立")
    review = Review.objects.get(pk=appeal.review_id)
    assert review.overturned_at == appeal.decided_at and review.decision == "redo"  # kept in the trace
    after = _row(unit, today, today)
    assert (after["redos"], after["redo_rate"], after["replies"]) == (0, 0.0, 2)
    event = Event.objects.filter(order_id=oid).order_by("-seq").first()
    assert (event.action, event.data["review"], event.data["appeal"]) == ("uphold_appeal", review.pk, appeal.pk)
    assert list(OutboxMessage.objects.filter(channel=restate.CHANNEL).values_list("payload", flat=True)) == [
        {"order": oid, "seq": event.seq}]


def test_a_rejected_appeal_changes_no_figure_and_writes_no_restatement(district):
    d, p = district, district.people
    oid = _redone(d)
    _appeal(d, oid)
    actions.do_reject_appeal(oid, actor=p["liudu"], note="答复确未说明原因，申诉不成立")
    today = timezone.localdate()
    assert _row(d.units["street-a"].pk, today, today)["redos"] == 1
    assert not OutboxMessage.objects.filter(channel=restate.CHANNEL).exists()


def test_an_upheld_callback_appeal_voids_the_rating_with_the_appeal_as_reason(district):
    d, p = district, district.people
    unit = d.units["street-a"].pk
    bring_to(d, State.CLOSED)  # satisfied
    other = bring_to(d, State.AWAITING_CALLBACK)
    actions.do_callback(other, actor=p["sunhui"], contacted=True, resolved=False, satisfaction="unsatisfied")
    today = timezone.localdate()
    before = _row(unit, today, today)
    assert (before["valid_callbacks"], before["satisfaction_rate"]) == (2, 0.5)
    appeal = actions.do_appeal_callback(other, actor=p["lizhang"], reasons=["other_matter"],
                                        explanation=APPEAL_CALLBACK_TEXT)
    assert appeal.kind == "callback" and appeal.callback.order_id == other
    # 孙回 made the callback: not the one to decide (a callback agent has no right to anyway)
    with pytest.raises(NotAllowed):
        actions.do_uphold_appeal(other, actor=p["sunhui"], note="申诉成立，作废回访")
    actions.do_uphold_appeal(other, actor=p["liudu"], note="回访录音证实来电人评价的是物业纠纷")
    cb = Callback.objects.get(pk=appeal.callback_id)
    assert cb.voided_at is not None and cb.voided_by_id == p["liudu"].pk
    assert f"申诉{appeal.pk}" in cb.void_reason and "物业纠纷" in cb.void_reason
    after = _row(unit, today, today)
    assert (after["valid_callbacks"], after["satisfaction_rate"]) == (1, 1.0)
    assert WorkOrder.objects.get(pk=other).state == State.CLOSED
    # a voided callback is neither re-checked nor appealed again
    with pytest.raises(InvalidInput):
        actions.do_appeal_callback(other, actor=p["lizhang"], reasons=["wrong_person"],
                                   explanation=APPEAL_CALLBACK_TEXT, callback_id=cb.pk)


def test_an_uphold_after_the_day_was_built_restates_the_redo_day(district):
    d, p = district, district.people
    past = timezone.localtime() - dt.timedelta(days=3)
    with clock.at(past.replace(hour=10, minute=0)):
        oid = _redone(d)
    day = past.date()
    stats.rebuild(day, day)
    unit = d.units["street-a"].pk
    assert _row(unit, day, day)["redos"] == 1
    _appeal(d, oid)
    actions.do_uphold_appeal(oid, actor=p["liudu"], note="答复已写明原因和后续安排，申诉成立")
    assert _row(unit, day, day)["redos"] == 1  # the stored day is stale until the worker runs
    assert outbox.deliver_due(restate.CHANNEL) == 1
    assert _row(unit, day, day)["redos"] == 0
    assert stats.split(day, day)[0] == (day, day)


def test_an_appeal_decided_after_its_deadline_is_overdue_and_marked_late(district, settings):
    d, p = district, district.people
    settings.HOTLINE_APPEAL_DAYS = 1
    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) - dt.timedelta(days=10)
    with clock.at(start) as trip:
        oid = _redone(d)
        appeal = _appeal(d, oid)
        assert not is_overdue(appeal, start)
        trip.advance(dt.timedelta(days=6))
        assert is_overdue(appeal, clock.now())
        decided = actions.do_reject_appeal(oid, actor=p["liudu"], note="答复确未说明原因，申诉不成立")
    assert decided.late and is_overdue(decided)
    assert Event.objects.filter(order_id=oid).order_by("-seq").first().data["late"] is True


def test_the_registry_takes_the_appeal_and_refuses_an_unknown_code(district):
    d = district
    oid = _redone(d)
    with pytest.raises(InvalidInput) as exc:
        registry.run_action(Action.APPEAL_REDO, oid, d.people["lizhang"],
                            {"reasons": ["no_such_code"], "explanation": APPEAL_TEXT})
    assert "reasons.0" in exc.value.details
    appeal = registry.run_action(Action.APPEAL_REDO, oid, d.people["lizhang"],
                                 {"reasons": ["reply_explained", "other"], "explanation": APPEAL_TEXT})
    assert appeal.reasons == ["reply_explained", "other"]
    with pytest.raises(InvalidInput):
        registry.run_action(Action.UPHOLD_APPEAL, oid, d.people["liudu"], {"appeal_id": "1", "note": "申诉成立了的"})
    registry.run_action(Action.UPHOLD_APPEAL, oid, d.people["liudu"], {"appeal_id": appeal.pk, "note": "申诉成立了的"})
    assert OrderAppeal.objects.get().status == "upheld"


def test_a_callback_voided_by_a_recheck_while_its_appeal_waits_keeps_its_own_reason(district):
    from tests.orders.loop import second_callback_agent

    d, p = district, district.people
    oid = bring_to(d, State.CLOSED)
    cb = Callback.objects.get(order_id=oid)
    actions.do_appeal_callback(oid, actor=p["lizhang"], reasons=["wrong_person"],
                               explanation="回访接听人是来电人的邻居，并非来电人本人")
    actions.do_recheck(oid, actor=second_callback_agent(d), callback_id=cb.pk, reached=True, confirmed=False,
                       resolved=True, satisfaction="basic", note="来电人表示此前回访不是本人接听")
    reason = Callback.objects.get(pk=cb.pk).void_reason
    appeal = actions.do_uphold_appeal(oid, actor=p["liudu"], note="与复核结论一致，申诉成立")
    assert appeal.status == "upheld" and Callback.objects.get(pk=cb.pk).void_reason == reason
    last = Event.objects.filter(order_id=oid).order_by("-seq").first()
    assert last.data["already_voided"] == cb.pk and "voided" not in last.data
