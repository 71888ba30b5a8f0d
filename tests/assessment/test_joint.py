"""Joint handling in the assessment (docs/joint.md, "Credit and blame"): each co-unit on its own
part's on-time reply and redos, its share of the joint orders' callbacks; the lead's rates as
before. Checked against generated orders whose outcome the test decides, and in a district's story."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from collections import Counter, defaultdict

from django.core.management import call_command

from hotline.assessment import indicators, joint
from hotline.orders import actions
from hotline.orders.models import WorkOrder
from tests.assessment.conftest import HANDLERS, OUTCOME, PROCESS
from tests.conftest import make_order
from tests.orders.loop import cst, frozen, photo

CO_UNITS = ("enforcement", "housing", "environment")
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
APRIL_1 = cst(2026, 4, 1, 9)


def _lead_reply(d, oid, **kw):
    h = d.people["liqiang"]
    actions.do_attach(oid, actor=h, file=photo())
    return actions.do_reply(oid, actor=h, responder="李强", process=PROCESS, outcome=OUTCOME, contacted_caller=True,
                            **kw)


def _co_reply(d, oid, unit, text="已按协办事项完成本单位负责的部分，情况已反馈主办单位。"):
    actions.do_co_reply(oid, actor=d.people[HANDLERS[unit]], text=text)


def _play(d, start: dt.datetime, plan: dict[str, str], redo: str | None, callback: tuple[bool, str]) -> int:
    """One joint order led by 东湖街道, each co-unit's part played as `plan` says ("on_time",
    "late", "missed"), a redo naming `redo`'s part, and a callback (resolved, satisfaction)."""
    p = d.people
    with frozen(start):
        oid = make_order(d)
        actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["street-a"].pk,
                            co_unit_ids=[d.units[u].pk for u in plan])
        actions.do_sign(oid, actor=p["liqiang"])
        actions.do_contact(oid, actor=p["liqiang"], text="已电话联系来电人")
    for unit, how in plan.items():
        if how == "missed":
            continue
        with frozen(start + dt.timedelta(hours=1) if how == "on_time" else start + dt.timedelta(days=6)):
            actions.do_co_sign(oid, actor=p[HANDLERS[unit]])
            _co_reply(d, oid, unit)
    later = start + dt.timedelta(days=8)
    with frozen(later):
        gap = "部分协办单位超期未答复，已催办。" if "missed" in plan.values() else ""
        _lead_reply(d, oid, co_gap=gap)
        if redo:
            actions.do_redo(oid, actor=p["zhoushen"], reasons=["no_evidence"], note="协办部分缺少现场照片",
                            co_unit_ids=[d.units[redo].pk])
    if redo:
        with frozen(later + dt.timedelta(hours=1)):
            _co_reply(d, oid, redo, "已补充现场照片和处理记录。")
            _lead_reply(d, oid, co_gap=gap)
    with frozen(later + dt.timedelta(hours=2)):
        if WorkOrder.objects.get(pk=oid).state == "replied":
            actions.do_approve(oid, actor=p["zhoushen"])
        resolved, satisfaction = callback
        actions.do_callback(oid, actor=p["sunhui"], contacted=True, resolved=resolved, satisfaction=satisfaction)
    return oid


def test_the_co_units_figures_follow_the_rules_on_generated_orders(district):
    d = district
    rng = random.Random(14)
    want: dict[str, Counter] = defaultdict(Counter)
    redos = 0
    weekdays = [day for day in range(2, 14) if dt.date(2026, 3, day).weekday() < 5]
    for i in range(12):
        units = rng.sample(CO_UNITS, rng.choice((1, 2)))
        plan = {u: rng.choice(("on_time", "on_time", "late", "missed")) for u in units}
        replied = [u for u, how in plan.items() if how != "missed"]
        redo = rng.choice(replied) if replied and rng.random() < 0.3 else None
        callback = (rng.random() < 0.6, rng.choice(("satisfied", "basic", "unsatisfied")))
        _play(d, cst(2026, 3, weekdays[i % len(weekdays)], 10), plan, redo, callback)
        redos += bool(redo)
        for u, how in plan.items():
            c = want[u]
            c["co_parts"] += 1
            c["co_" + how] += 1
            c["co_replied"] += how != "missed"
            c["co_redo"] += u == redo
            c["co_callbacks"] += 1
            c["co_resolved"] += callback[0]
            c["co_satisfied"] += callback[1] == "satisfied"
            c["co_basic"] += callback[1] == "basic"
    got = joint.figures(*MARCH, now=APRIL_1)
    for unit, c in want.items():
        row = got[d.units[unit].pk]
        for key in ("co_parts", "co_replied", "co_on_time", "co_late", "co_missed", "co_redo", "co_callbacks",
                    "co_resolved", "co_satisfied", "co_basic"):
            assert row[key] == c[key], (unit, key, row[key], c[key])
        settled = c["co_replied"] + c["co_missed"]
        assert row["co_on_time_rate"] == round(c["co_on_time"] / settled, 4)
        assert row["co_resolution_rate"] == round(c["co_resolved"] / c["co_callbacks"], 4)
        assert row["co_satisfaction_rate"] == round((c["co_satisfied"] + 0.9 * c["co_basic"]) / c["co_callbacks"], 4)
    lead = got.get(d.units["street-a"].pk, joint.empty_row())
    assert lead["co_caused_redos"] == redos and lead["co_parts"] == 0
    # the callbacks count in full in the lead's own rates, and never in the co-units' own rates
    table = {r["unit_code"]: r for r in indicators.unit_table(*MARCH)}
    assert table["street-a"]["valid_callbacks"] == 12
    for unit in want:
        assert table[unit]["valid_callbacks"] == 0


def test_the_assess_command_gains_the_joint_figures_and_keeps_every_old_field(district):
    d = district
    _play(d, cst(2026, 3, 2, 10), {"enforcement": "on_time", "housing": "missed"}, None, (True, "satisfied"))
    out = io.StringIO()
    call_command("assess", "--from", "2026-03-01", "--to", "2026-03-31", "--json", stdout=out)
    rows = {r["unit_code"]: r for r in map(json.loads, out.getvalue().splitlines())}
    from hotline.assessment.management.commands.assess import KEYS
    assert set(KEYS) <= set(rows["street-a"])
    # the co-units are listed for their parts though they led nothing that month
    assert rows["enforcement"]["joint"]["co_on_time"] == 1 and rows["enforcement"]["orders"] == 0
    assert rows["housing"]["joint"]["co_missed"] == 1 and rows["housing"]["joint"]["co_on_time_rate"] == 0.0
    assert rows["street-a"]["joint"]["co_parts"] == 0 and rows["street-a"]["valid_callbacks"] == 1


def test_某小区违建由城管执法局主办街道和住建委协办按时与超期各自担责(district):
    """南湖小区顶楼加盖违建：城管执法局主办拆除，东湖街道办事处协办做住户工作，区住建委协办核查规划许可。
    街道当天签收、次日答复；住建委签收后一直没有答复，主办单位催办一次仍未答复。协办时限到期后，
    城管执法局汇总街道的协办答复、说明住建委缺项后答复；审核员认为住建委部分缺失不影响结论，审核通过，
    回访来电人满意。考核：街道协办按时，住建委协办超期未答复；回访的解决和满意记在城管执法局名下，
    并分别计入两个协办单位的协办指标。"""
    d, p, u = district, district.people, district.units
    with frozen(cst(2026, 3, 2, 9)):
        oid = make_order(d, category="施工噪声", title="南湖小区顶楼加盖违建",
                         description="南湖小区3号楼顶楼住户加盖彩钢房，夜间施工噪声大，担心楼板承重，请求拆除。")
        actions.do_dispatch(oid, actor=p["chengang"], unit_id=u["enforcement"].pk,
                            co_unit_ids=[u["street-a"].pk, u["housing"].pk])
        actions.do_sign(oid, actor=p["zhengzhi"])
        actions.do_co_sign(oid, actor=p["liqiang"])
        actions.do_co_sign(oid, actor=p["wujian"])
    with frozen(cst(2026, 3, 3, 15)):
        actions.do_co_reply(oid, actor=p["liqiang"], text="街道已入户做通顶楼住户工作，住户同意自行拆除彩钢房。")
        actions.do_co_urge(oid, actor=p["zhengzhi"], unit_id=u["housing"].pk, text="请尽快反馈规划许可核查结果")
    with frozen(cst(2026, 3, 6, 10)):  # 住建委的协办时限（3月5日）已过
        actions.do_contact(oid, actor=p["zhengzhi"], text="已电话告知来电人拆除安排")
        actions.do_attach(oid, actor=p["zhengzhi"], file=photo("拆除后.jpg"))
        reply = actions.do_reply(oid, actor=p["zhengzhi"], responder="郑执", process="会同街道入户，督促住户拆除违建。",
                                 outcome="彩钢房已于3月5日拆除完毕。", contacted_caller=True,
                                 co_gap="区住建委超期未反馈规划许可核查结果，经催办仍未答复。")
        actions.do_approve(oid, actor=p["zhoushen"], note="住建委缺项不影响处理结论")
        actions.do_callback(oid, actor=p["sunhui"], contacted=True, resolved=True, satisfaction="satisfied")
    street, housing = (WorkOrder.objects.get(pk=oid).co_parts.get(unit=u[c]) for c in ("street-a", "housing"))
    assert street.gathered_by_id == reply.pk and housing.gathered_by_id is None and housing.urge_count == 1
    got = joint.figures(*MARCH, now=APRIL_1)
    assert (got[u["street-a"].pk]["co_on_time"], got[u["street-a"].pk]["co_on_time_rate"]) == (1, 1.0)
    assert (got[u["housing"].pk]["co_missed"], got[u["housing"].pk]["co_on_time_rate"]) == (1, 0.0)
    for code in ("street-a", "housing"):
        assert got[u[code].pk]["co_resolution_rate"] == 1.0 and got[u[code].pk]["co_satisfaction_rate"] == 1.0
    table = {r["unit_code"]: r for r in indicators.unit_table(*MARCH)}
    assert table["enforcement"]["valid_callbacks"] == 1 and table["enforcement"]["resolution_rate"] == 1.0
    assert table["housing"]["valid_callbacks"] == 0
