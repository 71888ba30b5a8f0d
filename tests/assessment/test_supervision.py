"""Supervision (督办) in the assessment: per unit, supervisions received, answered on time, missed
and escalated, in `hotline assess --json` and the monthly report; and the district's scenario."""

from __future__ import annotations

import datetime as dt
import io
import json

from django.core.management import call_command

from hotline.assessment import supervision as figures
from hotline.citylink.outbound import ESCALATION_KIND
from hotline.orders import actions, clock
from hotline.orders.models import Supervision, WorkOrder
from hotline.outbox.models import OutboxMessage
from tests.conftest import make_order
from tests.orders.loop import cst

NOV_FIRST, NOV_LAST = dt.date(2026, 11, 1), dt.date(2026, 11, 30)


def _heating_order(d, caller: str = "13912345678") -> int:
    oid = make_order(d, category="室温不达标", area="west-city", title="幸福里小区暖气不热",
                     description="幸福里小区3号楼暖气不热，室温只有十四度，已经是第三次打电话了。", caller_phone=caller)
    actions.do_dispatch(oid, actor=d.people["chengang"], unit_id=d.units["heating"].pk)
    actions.do_sign(oid, actor=d.people["reli"])
    return oid


def _enforcement_order(d) -> int:
    oid = make_order(d, category="新建小区未供暖", area="west-city", title="锦绣园新建小区未供暖",
                     description="锦绣园小区交房后一直没有供暖，开发商和热力公司相互推诿，多次反映无果。")
    actions.do_dispatch(oid, actor=d.people["chengang"], unit_id=d.units["enforcement"].pk)
    actions.do_sign(oid, actor=d.people["zhengzhi"])
    return oid


def test_scenario_heating_supervised_for_three_working_days_answered_on_time_and_another_missed_and_escalated(
        district, client):
    """情景：西城街道幸福里小区暖气不热，来电人一周内第三次来电。督办领导刘督于11月2日（周一）对该工单
    督办，要求区热力公司3个工作日内反馈；热力公司雷力11月4日到场排查、更换阀门后提交督办反馈，刘督审阅
    后督办办结。同日，锦绣园新建小区未供暖，刘督督办城管执法局限3个工作日反馈；城管执法局到期（11月5日
    18时）未反馈，11月6日早上系统自动提请市级联合督办，外发市级平台的请求在外发队列中，且只提请一次。
    11月的月度报告和考核数据中：热力公司收到督办1件、按期反馈1件；城管执法局收到1件、逾期1件、提请市级1件。"""
    d = district
    with clock.at(cst(2026, 11, 2, 9, 0)):
        heat, build = _heating_order(d), _enforcement_order(d)
    with clock.at(cst(2026, 11, 2, 10, 0)):
        actions.do_supervise(heat, actor=d.people["liudu"], text="群众多次反映暖气不热，请3个工作日内反馈处理结果", days=3)
        actions.do_supervise(build, actor=d.people["liudu"], text="新建小区未供暖，请牵头协调并3个工作日内反馈", days=3)
    heat_sup = Supervision.objects.get(order_id=heat)
    assert heat_sup.due == cst(2026, 11, 5, 18, 0)
    with clock.at(cst(2026, 11, 4, 16, 30)):
        actions.do_supervision_feedback(heat, actor=d.people["reli"],
                                        text="11月4日上门排查，3号楼单元阀门堵塞，已更换阀门，室温回升至20度，来电人认可。")
    with clock.at(cst(2026, 11, 5, 9, 0)):
        actions.do_close_supervision(heat, actor=d.people["liudu"], note="反馈属实，督办办结")
        assert actions.escalate_missed().escalated == []  # 城管执法局的时限还没到
    with clock.at(cst(2026, 11, 6, 8, 0)):
        first = actions.escalate_missed()
        second = actions.escalate_missed()
    build_number = WorkOrder.objects.get(pk=build).number
    assert (first.escalated, second.escalated) == ([build_number], [])
    rows = OutboxMessage.objects.filter(channel="citylink", kind=ESCALATION_KIND)
    assert [r.payload["number"] for r in rows] == [build_number]
    assert rows[0].payload["data"]["unit_name"] == d.units["enforcement"].name
    assert not WorkOrder.objects.get(pk=heat).supervised and WorkOrder.objects.get(pk=build).supervised

    now = cst(2026, 12, 4, 12, 0)
    got = figures.per_unit(NOV_FIRST, NOV_LAST, now=now)
    assert got[d.units["heating"].pk] == {"received": 1, "answered": 1, "on_time": 1, "missed": 0, "escalated": 0,
                                               "open": 0, "on_time_rate": 1.0}
    assert got[d.units["enforcement"].pk] == {"received": 1, "answered": 0, "on_time": 0, "missed": 1,
                                              "escalated": 1, "open": 1, "on_time_rate": 0.0}
    assert figures.per_unit(dt.date(2026, 10, 1), dt.date(2026, 10, 31), now=now) == {}

    out = io.StringIO()
    call_command("assess", "--from", str(NOV_FIRST), "--to", str(NOV_LAST), "--json", "--all-units", stdout=out)
    lines = {r["unit_code"]: r for r in (json.loads(x) for x in out.getvalue().splitlines())}
    assert lines["enforcement"]["supervision"]["escalated"] == 1 and lines["heating"]["supervision"]["on_time"] == 1
    assert lines["street-b"]["supervision"] == figures.empty()
    assert "composite" in lines["heating"] and "deductions" in lines["heating"]  # the old fields stay

    client.force_login(d.people["liudu"])
    report = client.get("/assessment/report/?month=2026-11").content.decode()
    section = report[report.index('id="supervision"'):]
    assert "十一、督办" in section and d.units["enforcement"].name in section and d.units["heating"].name in section


def test_a_late_answer_is_missed_and_a_supervision_lifted_before_its_deadline_is_not(district):
    d = district
    with clock.at(cst(2026, 11, 2, 9, 0)):
        late, lifted, waiting = _heating_order(d), _heating_order(d, "13900001111"), _heating_order(d, "13900002222")
        for oid in (late, lifted, waiting):
            actions.do_supervise(oid, actor=d.people["liudu"], text="请按期反馈", days=1)
    with clock.at(cst(2026, 11, 2, 12, 0)):
        actions.do_lift_supervision(lifted, actor=d.people["liudu"], note="来电人已撤回诉求")
    with clock.at(cst(2026, 11, 9, 10, 0)):
        actions.do_supervision_feedback(late, actor=d.people["reli"], text="已上门处理，暖气恢复正常，来电人认可。")
    unit = d.units["heating"].pk
    before_due = figures.per_unit(NOV_FIRST, NOV_LAST, now=cst(2026, 11, 2, 13, 0))
    row = figures.per_unit(NOV_FIRST, NOV_LAST, now=cst(2026, 12, 1, 9, 0))[unit]
    # late: answered after its deadline; waiting: still owed past it; lifted in time: neither
    assert (row["received"], row["answered"], row["on_time"], row["missed"]) == (3, 1, 0, 2)
    assert row["on_time_rate"] == 0.0 and row["open"] == 2
    # read as of a moment before the deadlines: the one still owed is not missed yet (the late
    # answer, recorded since, is)
    assert before_due[unit]["missed"] == 1
