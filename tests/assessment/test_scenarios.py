"""Scenarios 2, 3 and 5 of SCENARIOS.md, walked through the actions, as the indicators see them."""

import pytest
from django.utils import timezone

from hotline.assessment import gaming, indicators
from hotline.orders import actions
from tests.assessment.conftest import PROCESS, closed, dispatched
from tests.conftest import make_order
from tests.orders import files
from tests.orders.loop import photo


def _row(unit_id):
    today = timezone.localdate()
    return next(r for r in indicators.unit_table(today, today) if r["unit_id"] == unit_id)


def test_scenario_2_the_airport_is_not_blamed_for_the_flight_path(district):
    p, u = district.people, district.units
    oid = make_order(district, category="航空器噪声", title="飞机噪声扰民", description="机场航线经过小区上空，夜间噪声很大，要求调整航线。")
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=u["airport"].pk)
    actions.do_return(oid, actor=p["qianji"], kind="no_authority", reason="航线调整由民航管理部门决定，机场无权调整")
    actions.do_escalate(oid, actor=p["chengang"], unit_id=u["caac"].pk, note="超出机场权限，提级至民航华北地区管理局")
    actions.do_sign(oid, actor=p["minhang"])
    actions.do_contact(oid, actor=p["minhang"], text="已电话联系来电人说明航线评估程序。")
    actions.do_attach(oid, actor=p["minhang"], file=photo("noise-report.pdf", files.pdf()))
    actions.do_reply(oid, actor=p["minhang"], responder="闵航", process=PROCESS, outcome="航线调整需经专业评估，已纳入下一轮航线优化研究。",
                     result="unresolved", contacted_caller=True)
    actions.do_approve(oid, actor=p["zhoushen"])
    actions.do_callback(oid, actor=p["sunhui"], contacted=True, resolved=False, satisfaction="unsatisfied")

    airport = _row(u["airport"].pk)
    assert airport["valid_callbacks"] == 0 and airport["resolution_rate"] is None
    assert airport["returns_upheld"] == 1
    caac = _row(u["caac"].pk)  # the authority that could act is assessed on it
    assert caac["valid_callbacks"] == 1 and caac["resolution_rate"] == 0.0
    today = timezone.localdate()
    gaps = indicators.gaps(today, today)
    assert [o["number"] for o in gaps["orders"]] == [actions.WorkOrder.objects.get(pk=oid).number]
    assert gaps["orders"][0]["authority"] == "民航华北地区管理局"
    assert gaps["orders"][0]["returned_by"] == ["C区国际机场"]
    assert gaps["summary"] == [{"category": "环境保护/噪声污染/航空器噪声", "authority": "民航华北地区管理局", "orders": 1}]
    diag = {r["unit_id"]: r for r in indicators.diagnostics(today, today)["units"]}
    assert diag[u["airport"].pk]["no_authority_returns"] == 1


def test_an_accepted_no_authority_return_does_not_count_against_the_next_unit_either(district):
    p, u = district.people, district.units
    oid = dispatched(district, "street-a")
    actions.do_return(oid, actor=p["liqiang"], kind="no_authority", reason="主干道路面由交通委负责，街道无权施工")
    actions.do_accept_return(oid, actor=p["chengang"], unit_id=u["transport"].pk, note="核实属实，改派交通委")
    actions.do_sign(oid, actor=p["jiaotong"])
    actions.do_contact(oid, actor=p["jiaotong"], text="已联系来电人。")
    actions.do_attach(oid, actor=p["jiaotong"], file=photo("a.jpg"))
    actions.do_reply(oid, actor=p["jiaotong"], responder="姜通", process=PROCESS, outcome="该路段已列入本月道路维修计划，近期施工。",
                     contacted_caller=True)
    actions.do_approve(oid, actor=p["zhoushen"])
    actions.do_callback(oid, actor=p["sunhui"], contacted=True, resolved=False, satisfaction="unsatisfied")
    row = _row(u["transport"].pk)
    assert row["valid_callbacks"] == 0 and row["excluded_valid"] == 1


def test_scenario_3_heating_ping_pong_is_visible(district):
    p, u = district.people, district.units
    oid = make_order(district, category="新建小区未供暖", title="新建小区没有供暖", description="新建小区入住后一直没有供暖，室内很冷。")
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=u["enforcement"].pk)
    actions.do_return(oid, actor=p["zhengzhi"], kind="not_remit", reason="开发商建设的小区，应由住建委负责",
                      suggested_unit_id=u["housing"].pk)
    actions.do_accept_return(oid, actor=p["chengang"], unit_id=u["housing"].pk, note="先请住建委核实")
    actions.do_return(oid, actor=p["wujian"], kind="not_remit", reason="供热行业管理属于城管执法局职责")
    actions.do_accept_return(oid, actor=p["chengang"], unit_id=u["enforcement"].pk, note="按权责清单改派城管执法局")
    actions.do_return(oid, actor=p["zhengzhi"], kind="not_remit", reason="仍认为应由住建委负责处理此事")
    actions.do_reject_return(oid, actor=p["chengang"], note="权责清单规定新建小区供暖由城管执法局主办",
                             rule_id=district.rules["新建小区未供暖"].pk)
    enforcement, housing = _row(u["enforcement"].pk), _row(u["housing"].pk)
    assert enforcement["returns"] == 2 and housing["returns"] == 1
    assert enforcement["returns_rejected"] == 1 and enforcement["returns_upheld"] == 1
    # the order counts once as ping-pong, against the unit whose return was its second
    assert housing["pingpong_orders"] == 1 and enforcement["pingpong_orders"] == 0
    today = timezone.localdate()
    diag = indicators.diagnostics(today, today)["district"]
    assert diag["pingpong_orders"] == 1 and diag["returns"] == 3


def test_scenario_5_friends_rating_satisfied_are_caught_with_evidence(district):
    u = district.units
    friends = ["13911110001", "13911110002"]
    # 東湖 (street-a): staff and friends call in simple questions and rate them satisfied; real
    # callers' problems stay unresolved but are lobbied into "satisfied".
    for i in range(8):
        closed(district, "street-a", caller_phone=friends[i % 2], category="社保政策咨询",
               title="社保咨询", description="咨询社保缴费政策，请解答。")
    closed(district, "street-a", caller_phone="13900000001")  # 李强, street-a's own handler
    closed(district, "street-a", caller_phone="13900000016")  # 李长, street-a's head
    for i in range(12):
        closed(district, "street-a", resolved=False, satisfaction="satisfied", caller_phone=f"1360000{i:04d}")
    for i in range(3):
        closed(district, "street-a", caller_phone=f"1350000{i:04d}", phone="13911119999")
    # 西城 (street-b): honest, ordinary results
    for i in range(24):
        closed(district, "street-b", resolved=i % 4 != 0, satisfaction="satisfied" if i % 4 else "unsatisfied",
               caller_phone=f"1370000{i:04d}", area="west-city")
    today = timezone.localdate()
    fired = gaming.check(today, today)
    a = {c["check"]: c for c in fired[u["street-a"].pk]}
    assert set(a) == {"satisfaction_above_resolution", "staff_callers", "satisfied_cluster", "other_phone"}
    assert a["satisfaction_above_resolution"]["evidence"]["unresolved_but_satisfied"] == 12
    assert a["staff_callers"]["evidence"]["orders"] == 2
    assert a["staff_callers"]["evidence"]["staff"] == ["李强 139****0001", "李长 139****0016"]
    assert a["satisfied_cluster"]["evidence"]["numbers"] == 2
    assert a["satisfied_cluster"]["evidence"]["orders"] == 8
    assert a["satisfied_cluster"]["evidence"]["simple_requests"] == 8
    assert a["other_phone"]["evidence"]["answered_by_other_number"] == 3
    assert len(a["satisfied_cluster"]["orders"]) == 8
    assert gaming.suspect(fired[u["street-a"].pk])
    assert u["street-b"].pk not in fired
    row = _row(u["street-a"].pk)
    assert row["satisfaction_rate"] - row["resolution_rate"] == pytest.approx(12 / 25, abs=1e-3)
