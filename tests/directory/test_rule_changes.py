"""Change requests to the responsibility list (清单回头看, directory/change_actions.py): approval as
a new version from its date, the old one ending the day before; orders keep the rule they were
dispatched under; rights; refused input writes nothing; the trace is a hash chain."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from hotline.directory import change_actions, snapshot
from hotline.directory.models import DirectoryRevision, ResponsibilityRule, RuleChange, RuleChangeEvent
from hotline.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from hotline.orders import actions, clock
from hotline.orders.models import WorkOrder
from tests.conftest import make_order

NOISE = "施工噪声"  # district-wide: the enforcement bureau leads
ROAD = "道路塌陷破损"  # per area: the street office leads


def _day(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def _noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))


def _noise_rule(district):
    return ResponsibilityRule.objects.get(category=district.categories[NOISE], area=None)


def _propose_noise_change(district, *, actor=None, days=3, **kw):
    p, u = district.people, district.units
    defaults = dict(kind="change", rule_id=kw.pop("rule_id") if "rule_id" in kw else _noise_rule(district).pk,
                    lead_unit_id=u["environment"].pk,
                    co_unit_ids=[u["enforcement"].pk], basis="环境噪声污染防治法第二十条",
                    reason="施工噪声多次改派生态环境局，执法局退单获准，建议调整主办单位。",
                    effective_from=_day(days).isoformat())
    defaults.update(kw)
    return change_actions.propose(actor=actor or p["chengang"], **defaults)


def test_approval_writes_a_new_version_from_its_date_and_ends_the_old_one_the_day_before(district):
    p, u = district.people, district.units
    old = _noise_rule(district)
    token = DirectoryRevision.objects.get(pk=1).token
    change = _propose_noise_change(district)
    assert change.state == "proposed" and RuleChange.objects.filter(pk=change.pk).exists()
    change_actions.approve(change.pk, actor=p["liudu"], note="同意")
    change.refresh_from_db()
    old.refresh_from_db()
    new = change.new_rule
    assert change.state == "approved" and change.applied_from == _day(3)
    # effective_to is exclusive: the old version's last day is the day before
    assert old.effective_to == _day(3) and old.lead_unit == u["enforcement"] and old.version == 1
    assert (new.effective_from, new.effective_to, new.version) == (_day(3), None, 2)
    assert new.lead_unit == u["environment"] and list(new.co_units.all()) == [u["enforcement"]]
    assert new.basis == "环境噪声污染防治法第二十条"
    assert DirectoryRevision.objects.get(pk=1).token != token  # every process reloads the list
    copy = snapshot.current()
    cat = district.categories[NOISE].pk
    assert copy.rule_for(cat, None, _day(2)).pk == old.pk
    assert copy.rule_for(cat, None, _day(3)).pk == new.pk
    assert [e.action for e in change.events.order_by("seq")] == ["propose", "approve"]
    assert change_actions.verify(change)


def test_an_order_dispatched_before_keeps_its_rule_and_one_after_goes_by_the_new(district):
    p, u = district.people, district.units
    old = _noise_rule(district)
    before = make_order(district, category=NOISE, title="夜间工地施工噪声")
    actions.do_dispatch(before, actor=p["chengang"], unit_id=u["enforcement"].pk)
    change_actions.approve(_propose_noise_change(district).pk, actor=p["liudu"])
    new = ResponsibilityRule.objects.get(category=district.categories[NOISE], area=None, version=2)
    assert WorkOrder.objects.get(pk=before).rule_id == old.pk
    after = make_order(district, category=NOISE, title="夜间工地施工噪声又来了")
    with clock.at(_noon(_day(3))):
        actions.do_dispatch(after, actor=p["chengang"], unit_id=u["environment"].pk)
    order = WorkOrder.objects.get(pk=after)
    assert order.rule_id == new.pk
    assert order.events.get(action="dispatch").data["basis"] == "rule"
    assert WorkOrder.objects.get(pk=before).rule_id == old.pk
    # the day before, the old version still decides: sending it to the new lead is an override
    early = make_order(district, category=NOISE, title="前一天的施工噪声")
    with clock.at(_noon(_day(2))), pytest.raises(InvalidInput):
        actions.do_dispatch(early, actor=p["chengang"], unit_id=u["environment"].pk)


def test_a_retired_rule_leaves_the_matter_to_the_dispatcher(district):
    p = district.people
    change = _propose_noise_change(district, kind="retire", lead_unit_id=None, co_unit_ids=[], basis="",
                                   reason="施工噪声已并入区里的综合执法事项清单，本条废止。")
    change_actions.approve(change.pk, actor=p["admin"])
    change.refresh_from_db()
    assert change.new_rule is None
    assert snapshot.current().rule_for(district.categories[NOISE].pk, None, _day(3)) is None
    assert _noise_rule(district).effective_to == _day(3)


def test_an_addition_for_a_matter_no_rule_covers(district):
    p, u = district.people, district.units
    change = change_actions.propose(
        actor=p["liudu"], kind="add", category_id=district.categories["入学咨询"].pk, area_id="",
        lead_unit_id=u["street-a"].pk, basis="区教委三定方案", reason="入学咨询无清单依据，一月内派单十二件。",
        effective_from=_day(1).isoformat(), figures={"uncovered_dispatches": 12},
        figures_from=_day(-30).isoformat(), figures_to=_day(0).isoformat())
    assert change.figures == {"uncovered_dispatches": 12}
    change_actions.approve(change.pk, actor=p["admin"])
    rule = RuleChange.objects.get(pk=change.pk).new_rule
    assert (rule.category, rule.area, rule.lead_unit, rule.version, rule.effective_from) == (
        district.categories["入学咨询"], None, u["street-a"], 1, _day(1))


# ---- conflicts -------------------------------------------------------------------------------


def test_two_approved_changes_to_one_rule_are_refused(district):
    p = district.people
    first = _propose_noise_change(district)
    second = _propose_noise_change(district, lead_unit_id=district.units["housing"].pk, co_unit_ids=[])
    change_actions.approve(first.pk, actor=p["liudu"])
    with pytest.raises(Conflict):
        change_actions.approve(second.pk, actor=p["liudu"])
    second.refresh_from_db()
    assert second.state == "proposed" and second.event_seq == 1
    assert ResponsibilityRule.objects.filter(category=district.categories[NOISE]).count() == 2


def test_an_effective_date_in_the_past_or_today_is_refused(district):
    p = district.people
    for days in (-1, 0):
        with pytest.raises(InvalidInput) as exc:
            _propose_noise_change(district, days=days)
        assert "effective_from" in exc.value.details
    change = _propose_noise_change(district)
    with pytest.raises(InvalidInput):
        change_actions.approve(change.pk, actor=p["liudu"], effective_from=_day(0).isoformat())
    assert RuleChange.objects.get(pk=change.pk).state == "proposed"
    assert _noise_rule(district).effective_to is None


def test_the_owner_may_set_a_later_date_when_approving(district):
    change = _propose_noise_change(district, days=2)
    change_actions.approve(change.pk, actor=district.people["liudu"], effective_from=_day(9).isoformat())
    change.refresh_from_db()
    assert change.effective_from == _day(2) and change.applied_from == _day(9) == change.new_rule.effective_from


def test_an_addition_where_a_rule_is_in_force_is_refused(district):
    p, u = district.people, district.units
    with pytest.raises(Conflict):
        change_actions.propose(actor=p["chengang"], kind="add", category_id=district.categories[NOISE].pk,
                               lead_unit_id=u["environment"].pk, basis="环境噪声污染防治法",
                               reason="施工噪声应由生态环境局主办，建议增补。", effective_from=_day(3).isoformat())
    # and when a rule for it was written after the proposal, the approval is refused
    change = change_actions.propose(
        actor=p["chengang"], kind="add", category_id=district.categories["入学咨询"].pk,
        area_id=district.areas["east-lake"].pk, lead_unit_id=u["street-a"].pk, basis="属地管理",
        reason="入学咨询无清单依据，建议由属地街道首接。", effective_from=_day(3).isoformat())
    ResponsibilityRule.objects.create(category=district.categories["入学咨询"], area=district.areas["east-lake"],
                                      lead_unit=u["street-a"], effective_from=_day(1))
    with pytest.raises(Conflict):
        change_actions.approve(change.pk, actor=p["liudu"])
    assert RuleChange.objects.get(pk=change.pk).state == "proposed"


def test_a_rule_already_closed_cannot_be_changed(district):
    p = district.people
    old = _noise_rule(district)
    change_actions.approve(_propose_noise_change(district).pk, actor=p["liudu"])
    with pytest.raises(Conflict):
        _propose_noise_change(district, days=5, rule_id=old.pk)  # the old version, closed from day 3


# ---- rights ----------------------------------------------------------------------------------


def test_a_unit_cannot_approve_nor_the_proposer_approve_their_own(district):
    p = district.people
    change = _propose_noise_change(district, actor=p["liudu"])
    for who in ("zhengzhi", "lizhang", "chengang", "zhoushen"):
        with pytest.raises(NotAllowed):
            change_actions.approve(change.pk, actor=p[who])
    with pytest.raises(NotAllowed) as exc:
        change_actions.approve(change.pk, actor=p["liudu"])
    assert "自己" in str(exc.value.message)
    change_actions.approve(change.pk, actor=p["admin"])
    assert RuleChange.objects.get(pk=change.pk).decided_by == p["admin"]


def test_a_unit_proposes_for_rules_it_is_named_in_and_matters_in_its_area(district):
    p, u = district.people, district.units
    # the enforcement bureau leads the noise rule: it may propose to hand it on
    mine = _propose_noise_change(district, actor=p["zhengzhi"])
    assert mine.proposer_unit == u["enforcement"]
    # the street office is not named in it
    with pytest.raises(NotAllowed):
        _propose_noise_change(district, actor=p["liqiang"])
    # the street office governs 东湖街道: the road rule there, and additions there, are its business
    road = district.rules[f"{ROAD}@east-lake"]
    change_actions.propose(actor=p["lizhang"], kind="change", rule_id=road.pk, lead_unit_id=u["street-a"].pk,
                           co_unit_ids=[u["transport"].pk], basis="属地管理", reason="道路塌陷多涉及交通委，建议列为协办。",
                           effective_from=_day(3).isoformat())
    with pytest.raises(NotAllowed):
        change_actions.propose(actor=p["liqiang"], kind="change", rule_id=district.rules[f"{ROAD}@west-city"].pk,
                               lead_unit_id=u["street-a"].pk, basis="属地管理", reason="想要接手西城的道路事项。",
                               effective_from=_day(3).isoformat())
    change_actions.propose(actor=p["liqiang"], kind="add", category_id=district.categories["入学咨询"].pk,
                           area_id=district.areas["east-lake"].pk, lead_unit_id=u["street-a"].pk, basis="属地管理",
                           reason="辖区入学咨询由街道先行答复。", effective_from=_day(3).isoformat())
    with pytest.raises(NotAllowed):
        change_actions.propose(actor=p["liqiang"], kind="add", category_id=district.categories["入学咨询"].pk,
                               area_id=district.areas["west-city"].pk, lead_unit_id=u["street-b"].pk, basis="属地管理",
                               reason="西城的入学咨询由西城街道答复。", effective_from=_day(3).isoformat())
    for who in ("wangfang", "zhoushen", "sunhui"):
        with pytest.raises(NotAllowed):
            _propose_noise_change(district, actor=p[who])


def test_only_the_proposer_withdraws_and_a_closed_request_moves_no_more(district):
    p = district.people
    change = _propose_noise_change(district, actor=p["zhengzhi"])
    with pytest.raises(NotAllowed):
        change_actions.withdraw(change.pk, actor=p["chengang"])
    change_actions.withdraw(change.pk, actor=p["zhengzhi"], note="与住建委协商后撤回")
    with pytest.raises(InvalidTransition):
        change_actions.approve(change.pk, actor=p["liudu"])
    with pytest.raises(InvalidTransition):
        change_actions.reject(change.pk, actor=p["liudu"], note="已撤回的建议")
    change.refresh_from_db()
    assert change.state == "withdrawn" and change.event_seq == 2 and change_actions.verify(change)


def test_a_rejection_needs_a_reason_and_changes_nothing_on_the_list(district):
    p = district.people
    change = _propose_noise_change(district)
    with pytest.raises(InvalidInput):
        change_actions.reject(change.pk, actor=p["liudu"], note="  ")
    change_actions.reject(change.pk, actor=p["liudu"], note="依据不足，三定方案未作调整。")
    change.refresh_from_db()
    assert change.state == "rejected" and change.decision_note == "依据不足，三定方案未作调整。"
    assert _noise_rule(district).effective_to is None
    assert ResponsibilityRule.objects.filter(category=district.categories[NOISE]).count() == 1


# ---- refused input writes nothing -------------------------------------------------------------


@pytest.mark.parametrize("bad", [
    {"kind": "merge"},
    {"kind": ["change"]},
    {"rule_id": "abc"},
    {"rule_id": True},
    {"rule_id": 10**30},
    {"lead_unit_id": "3.7"},
    {"lead_unit_id": None},
    {"co_unit_ids": "5"},
    {"co_unit_ids": ["x"]},
    {"basis": ""},
    {"reason": "太短"},
    {"reason": "长" * 2001},
    {"effective_from": "2026-02-30"},
    {"effective_from": "明天"},
    {"effective_from": "2999-01-01"},
    {"figures": {"dispatches": -1}},
    {"figures": {"dispatches": "5"}},
    {"figures": {"secret": 1}},
    {"figures": [1, 2]},
    {"figures_from": "2026-01-01"},
])
def test_bad_input_is_refused_and_writes_nothing(district, bad):
    before = (RuleChange.objects.count(), RuleChangeEvent.objects.count(), DirectoryRevision.objects.get(pk=1).token)
    with pytest.raises(InvalidInput):
        _propose_noise_change(district, **bad)
    after = (RuleChange.objects.count(), RuleChangeEvent.objects.count(), DirectoryRevision.objects.get(pk=1).token)
    assert after == before


def test_the_lead_unit_is_not_also_a_co_unit_and_the_change_must_change_something(district):
    u = district.units
    with pytest.raises(InvalidInput):
        _propose_noise_change(district, co_unit_ids=[u["environment"].pk])
    with pytest.raises(InvalidInput) as exc:
        _propose_noise_change(district, lead_unit_id=u["enforcement"].pk, co_unit_ids=[])
    assert "相同" in str(exc.value.message)
    assert not RuleChange.objects.exists()


def test_a_tampered_trace_is_detected(district):
    change = _propose_noise_change(district)
    change_actions.reject(change.pk, actor=district.people["liudu"], note="依据不足，暂不调整。")
    change.refresh_from_db()
    assert change_actions.verify(change)
    RuleChangeEvent.objects.filter(change=change, seq=1).update(data={"reason": "改过的理由"})
    assert not change_actions.verify(change)


def test_visibility(district):
    p = district.people
    change = _propose_noise_change(district)  # about the enforcement bureau's rule
    assert change in change_actions.visible_to(p["zhoushen"])
    assert change in change_actions.visible_to(p["zhengzhi"])  # named in the rule
    assert change not in change_actions.visible_to(p["liqiang"])
    assert not change_actions.visible_to(p["wangfang"]).exists()


def test_versions_show_which_version_was_in_force_when(district):
    old = _noise_rule(district)
    change = _propose_noise_change(district)
    change_actions.approve(change.pk, actor=district.people["liudu"])
    rows = change_actions.versions(old)
    assert [(r["version"], r["effective_from"], r["last_day"], r["in_force"], r["upcoming"]) for r in rows] == [
        (1, old.effective_from, _day(2), True, False), (2, _day(3), None, False, True)]
    assert rows[0]["closed_by"].pk == change.pk and rows[1]["made_by"].pk == change.pk


def test_a_rule_whose_lead_unit_no_longer_handles_orders_can_still_be_changed(district):
    p, u = district.people, district.units
    change = _propose_noise_change(district)
    u["enforcement"].handles_orders = False
    u["enforcement"].save()
    with pytest.raises(InvalidInput):  # the co-unit proposed no longer handles orders either
        change_actions.approve(change.pk, actor=p["liudu"])
    retire = _propose_noise_change(district, kind="retire", lead_unit_id=None, co_unit_ids=[], basis="",
                                   reason="执法局不再承办工单，本条废止，另行增补。")
    change_actions.approve(retire.pk, actor=p["liudu"])
    assert _noise_rule(district).effective_to == _day(3)
    assert snapshot.current().rule_for(district.categories[NOISE].pk, None, _day(3)) is None
