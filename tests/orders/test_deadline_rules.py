"""Deadlines by kind of problem: the reply clock comes from the deadline rule in force for the
order's category (or its procedure profile) on the day it is dispatched, ahead of the urgency
tier (the urgent tiers keep a sooner limit); orders keep the rule they were dispatched under;
the history import applies each order's own dispatch date."""

from __future__ import annotations

import datetime as dt

import pytest

from hotline.directory.models import DeadlineKind, DeadlineRule
from hotline.orders import actions, deadlines, selectors
from hotline.orders.actions import HistoryRecord, do_import_history
from hotline.orders.importer import import_orders
from hotline.orders.models import Event, WorkOrder
from tests.conftest import make_order
from tests.orders.loop import cst, frozen

WAGES = dict(category="拖欠农民工工资", area="north-hill", title="包工头拖欠工资",
             description="来电人在北山镇某工地务工三个月，包工头拖欠工资两万元，没有签订书面合同。")
WATER = dict(category="停水", area="east-lake", title="小区停水", description="东湖街道湖畔小区从早上开始停水，没有任何通知。")


def wage_rule(d, *, amount: int = 15, since: dt.date = dt.date(2026, 1, 1), **kw) -> DeadlineRule:
    """A standing 15 working days for wage arrears, on the level-2 category 工资福利."""
    defaults = dict(kind=DeadlineKind.STANDING, approved_by="区12345热线中心主任办公会", approved_on=since,
                    basis="欠薪诉求须核实用工关系、约谈施工方，5个工作日内无法办结。", default_urgency="complex")
    return DeadlineRule.objects.create(category=d.categories["拖欠农民工工资"].parent, reply_amount=amount,
                                       reply_unit="workdays", effective_from=since, **(defaults | kw))


def dispatch_at(d, when: dt.datetime, unit: str = "housing", **order) -> WorkOrder:
    with frozen(when):
        oid = make_order(d, **order)
        actions.do_dispatch(oid, actor=d.people["chengang"], unit_id=d.units[unit].pk)
    return WorkOrder.objects.get(pk=oid)


def dispatch_event(order: WorkOrder) -> Event:
    return order.events.filter(action__in=["dispatch", "claim", "accept_return", "escalate", "joint"]).latest("seq")


def test_it_sets_the_reply_clock_by_the_rule_of_the_category_and_records_it(district):
    d = district
    rule = wage_rule(d)
    order = dispatch_at(d, cst(2026, 11, 2, 9), **WAGES)  # a Monday, urgency general (7 working days)
    assert order.reply_due == cst(2026, 11, 23, 18)  # 15 working days
    assert order.deadline_rule == rule
    data = dispatch_event(order).data
    assert (data["deadline_rule"], data["reply_limit"], data["limit_source"]) == (rule.pk, [15, "workdays"], "rule")
    # the sign-for and contact clocks stay the tier's
    assert order.sign_due == cst(2026, 11, 3, 18)


def test_an_order_without_a_rule_keeps_the_urgency_tier_and_says_so(district):
    order = dispatch_at(district, cst(2026, 11, 2, 9), unit="street-a")
    assert order.deadline_rule is None and order.reply_due == cst(2026, 11, 11, 18)
    data = dispatch_event(order).data
    assert (data.get("deadline_rule"), data["reply_limit"], data["limit_source"]) == (None, [7, "workdays"], "urgency")


def test_an_order_dispatched_before_a_new_version_keeps_the_old_limit_and_one_after_gets_the_new(district):
    d = district
    old = wage_rule(d, amount=10, since=dt.date(2026, 1, 1), kind=DeadlineKind.LIMIT, approved_by="", approved_on=None)
    with frozen(cst(2026, 10, 20, 9)):
        new = old.new_version(effective_from=dt.date(2026, 11, 1), reply_amount=15, kind=DeadlineKind.STANDING,
                              approved_by="中心主任办公会", approved_on=dt.date(2026, 10, 20))
    old.refresh_from_db()
    assert (old.effective_to, new.version) == (dt.date(2026, 11, 1), 2)
    before = dispatch_at(d, cst(2026, 10, 30, 9), **WAGES)  # a Friday, under version 1
    after = dispatch_at(d, cst(2026, 11, 2, 9), **WAGES)  # the Monday after, under version 2
    assert (before.deadline_rule, before.reply_due) == (old, cst(2026, 11, 13, 18))  # 10 working days
    assert (after.deadline_rule, after.reply_due) == (new, cst(2026, 11, 23, 18))  # 15 working days
    # a later change of the rules never moves a clock already running
    before.refresh_from_db()
    assert before.reply_due == cst(2026, 11, 13, 18)


def test_a_rule_on_a_category_applies_to_its_sub_categories_unless_one_has_its_own(district):
    d = district
    heating = d.categories["室温不达标"].parent  # 城乡建设/供暖
    DeadlineRule.objects.create(category=heating, reply_amount=24, reply_unit="hours", effective_from=dt.date(2026, 1, 1))
    own = DeadlineRule.objects.create(category=d.categories["新建小区未供暖"], reply_amount=3, reply_unit="workdays",
                                      effective_from=dt.date(2026, 1, 1))
    start = cst(2026, 11, 2, 9)
    cold = dispatch_at(d, start, unit="heating", category="室温不达标", title="室温只有十五度", description="家里暖气不热，室温只有十五度。")
    assert cold.reply_due == start + dt.timedelta(hours=24)
    assert cold.deadline_rule.category == heating
    new = dispatch_at(d, start, unit="enforcement", category="新建小区未供暖", title="新小区未供暖",
                      description="新建的湖畔雅苑小区至今没有供暖，开发商不管。")
    assert (new.deadline_rule, new.reply_due) == (own, cst(2026, 11, 5, 18))


def test_a_rule_of_a_procedure_profile_applies_where_no_category_rule_does(district):
    d = district
    consult = d.profiles["consult"]
    by_profile = DeadlineRule.objects.create(profile=consult, reply_amount=3, reply_unit="workdays",
                                             effective_from=dt.date(2026, 1, 1))
    order = dispatch_at(d, cst(2026, 11, 2, 9), unit="hrss", category="社保政策咨询", title="咨询社保转移",
                        description="来电人咨询外地社保转入本区需要什么材料。")
    assert (order.deadline_rule, order.reply_due) == (by_profile, cst(2026, 11, 5, 18))
    # a rule on the category (or an ancestor) comes before the profile's
    cat = DeadlineRule.objects.create(category=d.categories["社保政策咨询"], reply_amount=2, reply_unit="workdays",
                                      effective_from=dt.date(2026, 1, 1))
    assert deadlines.rule_in_force(d.categories["社保政策咨询"].pk, dt.date(2026, 11, 2)) == cat


@pytest.mark.parametrize("urgency,due,source", [
    ("emergency", dt.timedelta(hours=2), "urgency"),  # an emergency keeps its 2 hours
    ("utility", dt.timedelta(hours=24), "urgency"),  # 24 hours is sooner than 15 working days
    ("complex", dt.timedelta(days=21, hours=9), "rule"),  # 15 working days either way: the rule's
])
def test_the_urgent_tiers_keep_their_limit_when_it_ends_sooner_than_the_rule(district, urgency, due, source):
    rule = wage_rule(district)
    start = cst(2026, 11, 2, 9)
    order = dispatch_at(district, start, urgency=urgency, **WAGES)
    assert order.reply_due - start == due
    assert order.deadline_rule == (rule if source == "rule" else None)
    data = dispatch_event(order).data
    # the rule in force is recorded even when the tier's sooner limit applied
    assert (data["deadline_rule"], data["limit_source"]) == (rule.pk, source)


def test_a_rule_shorter_than_the_tier_sets_the_clock_and_the_other_clocks_never_end_after_it(district):
    d = district
    DeadlineRule.objects.create(category=d.categories["停水"].parent, reply_amount=24, reply_unit="hours",
                                effective_from=dt.date(2026, 1, 1))
    start = cst(2026, 11, 6, 16)  # a Friday afternoon, urgency general: sign-for by Monday evening
    order = dispatch_at(d, start, unit="water", **WATER)
    assert order.reply_due == start + dt.timedelta(hours=24)
    assert order.sign_due == order.contact_due == order.reply_due
    # an urgent tier's own hour clock equal to the rule's: the rule is credited
    utility = dispatch_at(d, start, unit="water", urgency="utility", **WATER)
    assert utility.deadline_rule is not None and utility.reply_due == start + dt.timedelta(hours=24)


def test_an_approved_extension_still_moves_a_clock_set_by_a_rule(district):
    d, p = district, district.people
    wage_rule(d)
    order = dispatch_at(d, cst(2026, 11, 2, 9), **WAGES)
    with frozen(cst(2026, 11, 2, 10)):
        actions.do_sign(order.pk, actor=p["wujian"])
        actions.do_contact(order.pk, actor=p["wujian"], text="已电话联系来电人，了解欠薪情况")
        actions.do_request_extension(order.pk, actor=p["wujian"], days=5, reason="需约谈施工方和全部工人逐一核对工作量")
        actions.do_approve_extension(order.pk, actor=p["chengang"], note="同意延期五个工作日")
    order.refresh_from_db()
    assert order.reply_due == cst(2026, 11, 30, 18)  # 15 + 5 working days
    assert order not in selectors.overdue(WorkOrder.objects.all(), now=cst(2026, 11, 24, 9))


def test_a_claim_and_an_accepted_return_use_the_rule_in_force_at_that_moment(district):
    d, p = district, district.people
    rule = wage_rule(d)
    with frozen(cst(2026, 11, 2, 9)):
        oid = make_order(d, **WAGES)  # 北山镇 claims what comes from its own area
        actions.do_claim(oid, actor=p["fengshan"], note="本镇辖区工地")
    claimed = WorkOrder.objects.get(pk=oid)
    assert (claimed.deadline_rule, claimed.reply_due) == (rule, cst(2026, 11, 23, 18))
    assert dispatch_event(claimed).data["deadline_rule"] == rule.pk

    with frozen(cst(2026, 11, 2, 9)):
        other = make_order(d, **WAGES)
        actions.do_dispatch(other, actor=p["chengang"], unit_id=d.units["street-a"].pk, note="先由街道了解情况")
    newer = rule.new_version(effective_from=dt.date(2026, 11, 4), reply_amount=20)
    with frozen(cst(2026, 11, 4, 9)):
        actions.do_return(other, actor=p["liqiang"], kind="not_remit", reason="该工地不在东湖街道辖区，属于北山镇")
        actions.do_accept_return(other, actor=p["chengang"], unit_id=d.units["housing"].pk, note="改派住建委")
    moved = WorkOrder.objects.get(pk=other)
    assert (moved.deadline_rule, moved.reply_due) == (newer, cst(2026, 12, 2, 18))  # 20 working days from Nov 4


def _history(d, number: str, dispatched: dt.datetime) -> HistoryRecord:
    return HistoryRecord(number=number, received_at=dispatched - dt.timedelta(hours=1), title="拖欠工资",
                         description="包工头拖欠三个月工资。", unit=d.units["housing"], area=d.areas["north-hill"],
                         category=d.categories["拖欠农民工工资"], dispatched_at=dispatched,
                         replied_at=dispatched + dt.timedelta(days=16), closed_at=dispatched + dt.timedelta(days=18),
                         resolved=True, satisfaction="satisfied", callback_valid=True)


def test_the_history_import_applies_the_rule_in_force_at_each_orders_own_dispatch_date(district):
    d = district
    old = wage_rule(d, amount=10, since=dt.date(2025, 1, 1), kind=DeadlineKind.LIMIT, approved_by="",
                    approved_on=None, default_urgency="")
    new = old.new_version(effective_from=dt.date(2026, 3, 1), reply_amount=15, default_urgency="complex")
    before = _history(d, "H2026-0001", cst(2026, 2, 2, 9))  # a Monday, under version 1
    after = _history(d, "H2026-0002", cst(2026, 3, 2, 9))  # a Monday, under version 2
    undated = _history(d, "H2024-0003", cst(2024, 6, 3, 9))  # before any rule
    do_import_history([before, after, undated], actor=d.people["admin"])
    orders = {o.number: o for o in WorkOrder.objects.filter(number__in=["H2026-0001", "H2026-0002", "H2024-0003"])}
    cal = deadlines.load_calendar()
    assert orders["H2026-0001"].deadline_rule == old
    assert orders["H2026-0001"].reply_due == cal.add(cst(2026, 2, 2, 9), (10, "workdays"))
    assert orders["H2026-0002"].deadline_rule == new
    assert orders["H2026-0002"].reply_due == cal.add(cst(2026, 3, 2, 9), (15, "workdays"))
    assert orders["H2024-0003"].deadline_rule is None
    assert orders["H2024-0003"].reply_due == cal.add(cst(2024, 6, 3, 9), (7, "workdays"))
    # no urgency in the old system's record: the category's default on that date
    assert [orders[n].urgency for n in ("H2026-0001", "H2026-0002", "H2024-0003")] == ["general", "complex", "general"]
    event = orders["H2026-0002"].events.get(action="dispatch")
    assert (event.data["deadline_rule"], event.data["reply_limit"]) == (new.pk, [15, "workdays"])
    # replied 16 days later: late under 10 working days, on time under 15
    assert [orders[n].events.get(action="reply").data.get("late", False) for n in ("H2026-0001", "H2026-0002")] == [
        True, False]


def test_a_csv_import_without_urgency_takes_the_categorys_default(district, tmp_path):
    d = district
    wage_rule(d)
    path = tmp_path / "orders.csv"
    path.write_text("标题,诉求内容,诉求类型,紧急程度\n"
                    "拖欠工资,包工头拖欠工资三个月,拖欠农民工工资,\n"
                    "拖欠工资急,工人聚集讨薪,拖欠农民工工资,紧急\n"
                    "路面塌陷,东湖路路面塌陷,道路塌陷破损,\n", encoding="utf-8")
    report = import_orders(path, actor=d.people["wangfang"])
    assert report.created == 3 and not report.rejected
    urgencies = dict(WorkOrder.objects.values_list("title", "urgency"))
    assert urgencies == {"拖欠工资": "complex", "拖欠工资急": "emergency", "路面塌陷": "general"}


def test_scenario_欠薪的工单按15个工作日计算答复时限(district):
    """区热线中心主任办公会研究决定：欠薪类诉求情况复杂，答复时限由7个工作日延长为15个工作日，自11月1日起执行。
    此前派出的欠薪工单仍按原时限；此后派出的按15个工作日计算，承办单位申请延期获批的，在此基础上顺延。"""
    d, p = district, district.people
    # 管理员录入中心批准的长期延长时限
    rule = wage_rule(d, since=dt.date(2026, 11, 1), approved_on=dt.date(2026, 10, 28))
    assert rule.standing and rule.limit_label == "15个工作日"

    # 10月30日（周五）派出的欠薪工单：规则尚未生效，仍按一般诉求7个工作日
    earlier = dispatch_at(d, cst(2026, 10, 30, 10), **WAGES)
    assert earlier.deadline_rule is None
    assert earlier.reply_due == cst(2026, 11, 10, 18)

    # 11月2日（周一）受理的欠薪工单：坐席选择分类后，紧急程度默认“复杂”
    assert deadlines.default_urgency(d.categories["拖欠农民工工资"].pk, dt.date(2026, 11, 2)) == "complex"
    order = dispatch_at(d, cst(2026, 11, 2, 10), urgency="complex", **WAGES)
    assert order.deadline_rule == rule
    assert order.reply_due == cst(2026, 11, 23, 18)  # 第15个工作日下班时
    # 住建委签收并联系来电人；到第8个工作日（按原7个工作日的时限已超期）不算超期
    with frozen(cst(2026, 11, 3, 9)):
        actions.do_sign(order.pk, actor=p["wujian"])
        actions.do_contact(order.pk, actor=p["wujian"], text="已联系来电人，请其提供工友名单")
    qs = WorkOrder.objects.all()
    assert earlier.reply_due < cst(2026, 11, 12, 9) < order.reply_due
    assert order not in selectors.overdue(qs, now=cst(2026, 11, 12, 9))

    # 住建委申请延期5个工作日，派单员同意：答复时限顺延
    with frozen(cst(2026, 11, 3, 9)):
        actions.do_request_extension(order.pk, actor=p["wujian"], days=5, reason="工人分散在外地，需逐一电话核实出勤")
        actions.do_approve_extension(order.pk, actor=p["chengang"], note="情况属实，同意延期")
    order.refresh_from_db()
    assert order.reply_due == cst(2026, 11, 30, 18)
    # 留痕中的派单记录写明了依据的时限规则和时限
    assert dispatch_event(order).data["reply_limit"] == [15, "workdays"]


def test_an_intake_that_does_not_name_the_urgency_takes_the_categorys_default_on_every_channel(district):
    """欠薪诉求经网上接口、Open311 或市级平台转来而未注明紧急程度时，按分类规则默认为“复杂”，
    而不是一律“一般”；注明了的以注明为准，未知的值仍被拒绝。"""
    import json

    from django.test import Client

    from hotline.errors import InvalidInput
    from hotline.orders.actions import Intake

    d = district
    wage_rule(d)
    wages, roads = d.categories["拖欠农民工工资"], d.categories["道路塌陷破损"]
    base = dict(title="包工头拖欠工资", description="某工地包工头拖欠二十名工人三个月工资，多次讨要未果。",
                caller_phone="13800001111", area_id=d.areas["north-hill"].pk)
    agent = d.people["wangfang"]
    assert actions.do_create(Intake(**base, category_id=wages.pk), actor=agent).urgency == "complex"
    assert actions.do_create(Intake(**base, category_id=roads.pk), actor=agent).urgency == "general"
    assert actions.do_create(Intake(**base, category_id=None), actor=agent).urgency == "general"
    assert actions.do_create(Intake(**base, category_id=wages.pk, urgency="utility"), actor=agent).urgency == "utility"
    with pytest.raises(InvalidInput):
        actions.do_create(Intake(**base, category_id=wages.pk, urgency="whenever"), actor=agent)

    c = Client()
    c.force_login(agent)
    r = c.post("/api/orders", data=json.dumps(base | {"category_id": wages.pk}), content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["urgency"] == "complex"

    # 市级平台转来的欠薪工单未注明紧急程度（或注明了本区不认识的值）：同样按分类默认
    from hotline.citylink import inbound
    from tests.citylink.conftest import city_order

    for number, extra in (("SZ-WAGE-1", {}), ("SZ-WAGE-2", {"urgency": "whatever"})):
        body = city_order(number, category_code=wages.path, text=base["description"], title=base["title"]) | extra
        if not extra:
            body.pop("urgency")
        result = inbound.take_order(body)
        assert WorkOrder.objects.get(number=result.number).urgency == "complex", number
