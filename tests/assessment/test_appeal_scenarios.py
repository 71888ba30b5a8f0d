"""申诉（issue 14 第3点）：承办单位对驳回重办、对认为无效的回访、对月度考核得分提出申诉，督办领导在
时限内裁定；申诉成立的，更正相应数据并留痕。以下情景按区热线中心的实际写法。"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from hotline.assessment import appeal_actions, indicators
from hotline.directory.calendar import load_calendar
from hotline.orders import actions, clock
from hotline.orders.models import Callback, Event, OrderAppeal, Review
from tests.assessment.conftest import closed, dispatched
from tests.orders.loop import photo

已说明原因的答复 = dict(
    responder="李强",
    process="接单当天到东湖路现场查看，塌陷处已设围挡；该路段属市政道路大修范围，已报区市政养护所排期。",
    outcome="暂不能立即修复：须待市政养护所下周二施工；已电话告知来电人原因和后续安排，施工完毕后再回复。",
)


def _本月(unit_id: int) -> dict:
    today = timezone.localdate()
    return next(r for r in indicators.unit_table(today.replace(day=1), today) if r["unit_id"] == unit_id)


def _assess_json(first, last, code: str) -> dict:
    out = io.StringIO()
    call_command("assess", "--from", str(first), "--to", str(last), "--json", stdout=out)
    return next(json.loads(x) for x in out.getvalue().splitlines() if json.loads(x)["unit_code"] == code)


def test_a_street_office_appeals_a_redo_of_a_reply_that_did_explain_and_the_redo_rate_is_corrected(district):
    """东湖街道办事处的答复已写明暂不能修复的原因和后续安排，审核员却以“诉求未解决且未说明原因”驳回重办。
    街道负责人李长以“答复已说明原因和后续安排”申诉，附答复时上传的告知书照片；督办领导刘督核对留痕后认定
    申诉成立：这次重办不再计入东湖街道的重办率，审核记录仍在留痕中，标明“申诉成立”。"""
    d, p = district, district.people
    东湖 = d.units["street-a"].pk
    closed(d, "street-a")  # 本月另一件一次办结的工单
    oid = dispatched(d, "street-a", title="东湖路路面塌陷", description="东湖路与湖滨路交叉口路面塌陷，行人易摔倒。")
    actions.do_sign(oid, actor=p["liqiang"])
    actions.do_contact(oid, actor=p["liqiang"], text="已电话联系来电人，说明需市政排期施工。")
    告知书 = actions.do_attach(oid, actor=p["liqiang"], file=photo("告知书.jpg"))
    actions.do_reply(oid, actor=p["liqiang"], contacted_caller=True, **已说明原因的答复)
    actions.do_redo(oid, actor=p["zhoushen"], reasons=["not_solved"], note="诉求未解决且未说明原因")
    assert _本月(东湖)["redos"] == 1

    appeal = actions.do_appeal_redo(
        oid, actor=p["lizhang"], reasons=["reply_explained"], evidence_ids=[告知书.pk],
        explanation="答复“办理结果”一栏已写明须待市政养护所下周二施工，并已电话告知来电人；驳回理由与答复内容不符。")
    due_day = timezone.localtime(appeal.due).date()
    assert due_day == load_calendar().nth_workday_after(timezone.localdate(appeal.at), 5)
    # 申诉期间街道照常办理，不影响答复时限
    actions.do_attach(oid, actor=p["liqiang"], file=photo("施工完毕.jpg"))
    actions.do_reply(oid, actor=p["liqiang"], contacted_caller=True, responder="李强",
                     process="市政养护所已按期施工，街道派人现场监督并验收路面。", outcome="路面已修复，来电人表示认可。")

    actions.do_uphold_appeal(oid, actor=p["liudu"], note="核对答复原文，已说明原因和后续安排，驳回不当，申诉成立")
    row = _本月(东湖)
    assert (row["redos"], row["redo_rate"]) == (0, 0.0)
    review = Review.objects.get(order_id=oid, decision="redo")
    assert review.overturned_at is not None  # 审核记录仍在，标明申诉成立
    trace_actions = list(Event.objects.filter(order_id=oid).values_list("action", flat=True))
    assert trace_actions.count("redo") == 1 and "appeal_redo" in trace_actions and "uphold_appeal" in trace_actions
    today = timezone.localdate()
    assert _assess_json(today.replace(day=1), today, "street-a")["redo_rate"] == 0.0


def test_a_callback_where_the_caller_rated_another_matter_is_voided_and_the_satisfaction_rate_corrected(district):
    """回访时来电人说“打了三次才接通，不满意”，评价的是热线接通速度而不是东湖街道办理的噪声投诉；街道负责人
    以“来电人评价的是其他事项”申诉，督办领导调听录音后认定申诉成立：这次回访作废，作废理由写明申诉，
    东湖街道的满意率更正。"""
    d, p = district, district.people
    东湖 = d.units["street-a"].pk
    closed(d, "street-a")  # 满意
    oid = closed(d, "street-a", resolved=True, satisfaction="unsatisfied", title="夜间施工噪声")
    assert _本月(东湖)["satisfaction_rate"] == 0.5
    cb = Callback.objects.get(order_id=oid)
    actions.do_appeal_callback(oid, actor=p["lizhang"], callback_id=cb.pk, reasons=["other_matter"],
                               explanation="回访录音中来电人不满意的是热线电话三次才接通，对街道处理噪声的结果表示认可。")
    actions.do_uphold_appeal(oid, actor=p["liudu"], note="调听回访录音，来电人评价的是热线接通速度，申诉成立")
    cb.refresh_from_db()
    assert cb.voided_at is not None and "申诉成立" in cb.void_reason
    row = _本月(东湖)
    assert (row["valid_callbacks"], row["satisfaction_rate"]) == (1, 1.0)


def _下个月初():
    first = timezone.localdate().replace(day=1)
    day = load_calendar().nth_workday_after(first - dt.timedelta(days=1), 1)
    return dt.datetime.combine(day, dt.time(9, 30), tzinfo=timezone.get_current_timezone())


def test_a_score_appeal_one_indicator_upheld_another_rejected(district):
    """月初，东湖街道负责人对上月得分申诉：三件市政道路塌陷按权责清单应由城管执法局承办，却计入了本单位的
    解决率。督办领导核实后认定申诉成立，加3分，得分明细中单列“申诉更正”一行；街道又就满意率申诉，
    理由不成立，被驳回，得分不变。"""
    d, p = district, district.people
    now = _下个月初()
    上月 = (now.date().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    月末 = (上月 + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    with clock.at(dt.datetime.combine(上月 + dt.timedelta(days=10), dt.time(10), tzinfo=timezone.get_current_timezone())):
        numbers = []
        for _i in range(3):
            oid = closed(d, "street-a", resolved=False, satisfaction="unsatisfied", title="市政道路塌陷")
            numbers.append(str(Event.objects.filter(order_id=oid).first().order.number))
        closed(d, "street-a")
    before = _assess_json(上月, 月末, "street-a")
    with clock.at(now) as trip:
        a = appeal_actions.file(actor=p["lizhang"], month=f"{上月:%Y-%m}", indicators=["resolution"],
                                reasons=["attribution"], order_numbers=numbers,
                                explanation="三件均为市政道路塌陷，权责清单第12条规定由城管执法局承办，误派本街道。")
        trip.advance(dt.timedelta(hours=3))
        appeal_actions.uphold(a.pk, actor=p["liudu"], correction="3", note="核对权责清单属实，申诉成立，加3分")
        b = appeal_actions.file(actor=p["lizhang"], month=f"{上月:%Y-%m}", indicators=["satisfaction"],
                                reasons=["other"], explanation="来电人对政策本身不满意，不应计入本单位满意率。")
        appeal_actions.reject(b.pk, actor=p["liudu"], note="来电人评价的是办理结果，满意率按回访计，申诉不成立")
    after = _assess_json(上月, 月末, "street-a")
    assert after["score"] == pytest.approx(min(100.0, before["score"] + 3))
    line = after["score_lines"][-1]
    assert (line["indicator"], line["points"], line["value"]) == ("appeal_correction", 3.0, 1)
    assert [x.state for x in appeal_actions.visible_to(p["liudu"]).order_by("pk")] == ["upheld", "rejected"]
    assert all(appeal_actions.verify(x) for x in appeal_actions.visible_to(p["liudu"]))


def test_an_appeal_decided_after_its_deadline_shows_as_overdue_in_the_queue_and_the_report(district, client, settings):
    """申诉应在5个工作日内裁定。一件重办申诉积压了两周才裁定：在申诉队列中标为“超期”，月度报告的申诉一节
    计入“超过裁定时限”。"""
    d, p = district, district.people
    settings.HOTLINE_APPEAL_DAYS = 5
    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) - dt.timedelta(days=16)
    with clock.at(start) as trip:
        oid = dispatched(d, "street-a")
        actions.do_sign(oid, actor=p["liqiang"])
        actions.do_contact(oid, actor=p["liqiang"], text="已电话联系来电人。")
        actions.do_attach(oid, actor=p["liqiang"], file=photo())
        actions.do_reply(oid, actor=p["liqiang"], contacted_caller=True, **已说明原因的答复)
        actions.do_redo(oid, actor=p["zhoushen"], reasons=["brush_off"], note="推诿，仅让来电人另寻途径")
        actions.do_appeal_redo(oid, actor=p["lizhang"], reasons=["reply_explained"],
                               explanation="答复写明了排期施工的安排，并非推诿。")
        trip.advance(dt.timedelta(days=14))
        client.force_login(p["liudu"])
        queue = client.get("/appeals/?tab=overdue").content.decode()
        assert "tag warn overdue" in queue
        actions.do_reject_appeal(oid, actor=p["liudu"], note="答复未说明施工的具体时间，申诉不成立")
    appeal = OrderAppeal.objects.get(order_id=oid)
    assert appeal.late
    first = timezone.localtime(appeal.at).date()
    summary = appeal_actions.summary(first, first)
    assert summary["total"]["filed"] == 1 and summary["total"]["late"] == 1 and summary["total"]["rejected"] == 1
