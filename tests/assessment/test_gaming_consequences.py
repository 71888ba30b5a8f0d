"""刷分核查之后（issue 14 第2点）：疑似刷分回访的复核队列、复核回访认定“回访不实”后评价作废并重算统计、
管理员设定的扣分，以及月度报告中每一项疑似刷分的处理结果。"""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from hotline import outbox
from hotline.assessment import gaming, indicators, rechecks, restate, stats
from hotline.assessment.models import GamingDeduction
from hotline.orders import actions, clock
from hotline.orders.models import Callback, WorkOrder
from hotline.outbox.models import OutboxMessage
from tests.assessment.conftest import closed
from tests.orders.loop import second_callback_agent

HEAD_PHONE = "13900000016"  # 李长，东湖街道办事处负责人（本单位工作人员电话）
NEVER_CALLED = "来电人王女士表示从未接到过回访电话，此前的“满意”不是她本人所答"


def _month():
    first, last = rechecks.last_month()
    return first, last, f"{first:%Y-%m}"


def _row(unit_id, first, last):
    return next(r for r in indicators.unit_table(first, last) if r["unit_id"] == unit_id)


def _east_lake_month(d):
    """上个月东湖街道办事处的四张工单：A、C、D 的回访由本单位负责人李长的手机作答（满意），
    B 由来电人本人作答（不满意）。"""
    first, _last, _m = _month()
    start = dt.datetime.combine(first + dt.timedelta(days=9), dt.time(10), tzinfo=timezone.get_current_timezone())
    oids = {}
    with clock.at(start) as trip:
        for key, phone, sat in (("A", HEAD_PHONE, "satisfied"), ("B", "", "unsatisfied"),
                                ("C", HEAD_PHONE, "satisfied"), ("D", HEAD_PHONE, "satisfied")):
            oids[key] = closed(d, "street-a", resolved=sat == "satisfied", satisfaction=sat, phone=phone,
                               caller_phone=f"1361234{len(oids):04d}", caller_name="王女士")
            trip.advance(dt.timedelta(hours=3))
    return oids


def test_the_queue_lists_exactly_the_suspect_callbacks_with_their_status(district):
    d = district
    oids = _east_lake_month(d)
    first, last, _m = _month()
    unit = d.units["street-a"].pk
    fired = gaming.check(first, last)
    assert gaming.suspect(fired[unit])
    rows = rechecks.queue(first, last)
    assert sorted(r["order_id"] for r in rows) == sorted([oids["A"], oids["C"], oids["D"]])
    assert {r["status"] for r in rows} == {"pending"} and all(r["other_phone"] for r in rows)
    # an honest unit's callbacks never enter the queue
    honest = closed(d, "street-b", resolved=True, satisfaction="satisfied")
    assert honest not in {r["order_id"] for r in rechecks.queue(first, last)}
    cbs = {k: Callback.objects.get(order_id=v) for k, v in oids.items()}
    actions.do_recheck(oids["C"], actor=d.people["liudu"], callback_id=cbs["C"].pk, reached=False)
    status = {r["order_id"]: r["status"] for r in rechecks.queue(first, last)}
    assert status == {oids["A"]: "pending", oids["C"]: "not_reached", oids["D"]: "pending"}


def test_a_fabricated_verdict_changes_the_units_rates_after_restating_and_a_confirmed_one_does_not(district):
    d = district
    oids = _east_lake_month(d)
    first, last, _m = _month()
    unit = d.units["street-a"].pk
    stats.rebuild(first, last)  # the month is built: the figures are read from the aggregates
    before = _row(unit, first, last)
    assert (before["valid_callbacks"], before["satisfaction_rate"]) == (4, 0.75)
    cb_c = Callback.objects.get(order_id=oids["C"])
    actions.do_recheck(oids["C"], actor=second_callback_agent(d), callback_id=cb_c.pk, reached=True, confirmed=True)
    assert not OutboxMessage.objects.filter(channel=restate.CHANNEL).exists()  # nothing to restate
    assert _row(unit, first, last) == before

    cb_a = Callback.objects.get(order_id=oids["A"])
    actions.do_recheck(oids["A"], actor=d.people["liudu"], callback_id=cb_a.pk, reached=True, confirmed=False,
                       contacted=False, resolved=False, satisfaction="unsatisfied", note=NEVER_CALLED)
    assert OutboxMessage.objects.filter(channel=restate.CHANNEL).count() == 1
    assert outbox.deliver_due(restate.CHANNEL) == 1
    after = _row(unit, first, last)
    assert stats.split(first, last)[0] == (first, last)  # still read from the built days
    assert (after["valid_callbacks"], after["satisfaction_rate"]) == (3, round(2 / 3, 4))
    assert after["resolution_rate"] == round(2 / 3, 4)
    # the caller's own answers count on the day of the re-check
    today = timezone.localdate()
    now = _row(unit, today, today)
    assert (now["valid_callbacks"], now["satisfaction_rate"], now["resolution_rate"]) == (1, 0.0, 0.0)
    # the voided rating no longer costs or earns points in the lost-points list, the real one does
    lost = indicators.lost_points(unit, today, today, kind="satisfaction")
    assert [cb.order_id for cb in lost] == [oids["A"]]
    # the suspicion stays on record: the unit is still a suspect, its callback "fabricated"
    status = {r["order_id"]: r["status"] for r in rechecks.queue(first, last)}
    assert status == {oids["A"]: "fabricated", oids["C"]: "confirmed", oids["D"]: "pending"}


def test_the_deduction_follows_the_administrators_rule_in_force_that_month(district):
    d = district
    oids = _east_lake_month(d)
    first, last, _m = _month()
    unit = d.units["street-a"].pk
    assert rechecks.deductions(first, last) == {}
    for key in ("A", "D"):
        cb = Callback.objects.get(order_id=oids[key])
        actions.do_recheck(oids[key], actor=d.people["liudu"], callback_id=cb.pk, reached=True, confirmed=False,
                           resolved=False, satisfaction="unsatisfied", note=NEVER_CALLED)
    # the migration's default: 1 point per confirmed fabrication
    assert GamingDeduction.objects.get(effective_from=dt.date(2000, 1, 1)).points == Decimal("1.00")
    assert rechecks.deductions(first, last) == {unit: {"count": 2, "points": 2.0}}
    GamingDeduction.objects.create(effective_from=first, points=Decimal("2.50"))
    nxt = last + dt.timedelta(days=1)
    GamingDeduction.objects.create(effective_from=nxt, points=Decimal("9.00"))  # not yet in force that month
    assert rechecks.deductions(first, last) == {unit: {"count": 2, "points": 5.0}}
    assert rechecks.deductions(nxt, nxt + dt.timedelta(days=5)) == {}  # counted in the rating's month
    out = io.StringIO()
    call_command("assess", "--from", str(first), "--to", str(last), "--json", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    east = next(r for r in lines if r["unit_code"] == "street-a")
    assert east["deductions"] == {"count": 2, "points": 5.0}
    assert east["gaming_suspect"] is True and "valid_callbacks" in east and "composite" in east
    # the deduction is a line of score_lines too, subtracted in the score
    scheme_lines = [x for x in east["score_lines"] if not x.get("adjustment")]
    cut = [x for x in east["score_lines"] if x["indicator"] == "gaming_deduction"]
    assert len(cut) == 1 and cut[0]["value"] == 2 and cut[0]["points"] == -5.0
    earned = sum(x["points"] for x in scheme_lines if x["points"] is not None)
    counted = sum(x["weight"] for x in scheme_lines if x["points"] is not None)
    assert east["score"] == pytest.approx(max(0.0, 100 * earned / counted - 5.0), abs=0.01)
    west = next((r for r in lines if r["unit_code"] == "street-b"), None)
    assert west is None or west["deductions"] == {"count": 0, "points": 0.0}


def test_scenario_a_staff_answered_callback_is_rechecked_voided_deducted_and_reported(district, client):
    """情景：东湖街道办事处上个月的回访有三件由本单位负责人李长的手机作答，刷分核查将其列为疑似刷分。
    热线中心刘督在复核回访队列中看到这三件，逐一回访来电人本人：王女士说她从来没有接到过回访电话，
    当时的“满意”不是她答的；刘督记录“回访不实”及理由。该评价作废，按王女士本人的回答计入，单位按
    管理员设定的标准扣1分；另一件来电人确认属实，一件尚未复核。月度报告写明每一项疑似刷分的处理结果。"""
    d = district
    oids = _east_lake_month(d)
    first, last, month = _month()
    unit = d.units["street-a"].pk
    stats.rebuild(first, last)

    # 回访员孙回打开复核回访队列（默认上个月）：三件待复核
    client.force_login(d.people["sunhui"])
    page = client.get("/assessment/rechecks/")
    assert page.status_code == 200
    html = page.content.decode()
    numbers = {k: WorkOrder.objects.get(pk=v).number for k, v in oids.items()}
    assert all(numbers[k] in html for k in "ACD") and numbers["B"] not in html
    assert "待复核（3）" in html
    # 原回访是孙回做的：他不能自己复核，工单页上的表单也会拒绝
    cb_a = Callback.objects.get(order_id=oids["A"])
    refused = client.post(f"/orders/{oids['A']}/act/recheck/", {
        "recheck-callback": str(cb_a.pk), "recheck-reached": "1", "recheck-confirmed": "0",
        "recheck-resolved": "0", "recheck-satisfaction": "unsatisfied", "recheck-note": NEVER_CALLED})
    assert refused.status_code in (400, 403)
    assert "不能复核自己做的回访" in refused.content.decode()
    assert Callback.objects.get(pk=cb_a.pk).voided_at is None

    # 刘督复核：王女士说从未接到回访电话
    client.force_login(d.people["liudu"])
    order_page = client.get(f"/orders/{oids['A']}/").content.decode()
    assert "复核回访" in order_page
    ok = client.post(f"/orders/{oids['A']}/act/recheck/", {
        "recheck-callback": str(cb_a.pk), "recheck-reached": "1", "recheck-confirmed": "0",
        "recheck-contacted": "0", "recheck-resolved": "0", "recheck-satisfaction": "unsatisfied",
        "recheck-note": NEVER_CALLED})
    assert ok.status_code == 302, ok.content.decode()[:2000]
    assert Callback.objects.get(pk=cb_a.pk).void_reason == NEVER_CALLED
    cb_c = Callback.objects.get(order_id=oids["C"])
    actions.do_recheck(oids["C"], actor=d.people["liudu"], callback_id=cb_c.pk, reached=True, confirmed=True,
                       note="来电人确认当时是请其丈夫代接")
    outbox.deliver_due(restate.CHANNEL)
    assert _row(unit, first, last)["valid_callbacks"] == 3

    # 单位考核页写明扣分
    unit_page = client.get(f"/assessment/unit/{unit}/?month={month}").content.decode()
    assert "回访不实1件" in unit_page and "扣1.0分" in unit_page

    # 月度报告：疑似刷分的处理结果
    report = client.get(f"/assessment/report/?month={month}")
    assert report.status_code == 200
    ending = next(e for e in report.context["endings"] if e["unit_id"] == unit)
    assert {k: ending[k] for k in ("suspect_callbacks", "rechecked", "confirmed", "fabricated", "not_reached",
                                   "pending", "deduction_count", "deduction_points")} == {
        "suspect_callbacks": 3, "rechecked": 2, "confirmed": 1, "fabricated": 1, "not_reached": 0, "pending": 1,
        "deduction_count": 1, "deduction_points": 1.0}
    text = report.content.decode()
    assert "疑似刷分的处理结果（复核回访）" in text and "东湖街道办事处" in text

    # 刷分核查页链接到复核队列；承办单位的人员打不开队列
    assert "/assessment/rechecks/" in client.get(f"/assessment/gaming/?month={month}").content.decode()
    client.force_login(d.people["liqiang"])
    assert client.get("/assessment/rechecks/").status_code == 403
