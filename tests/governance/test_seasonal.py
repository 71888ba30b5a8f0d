"""Seasonal rules (未诉先办): last season's complaining places get one proactive order each, on the
generation day, to the right unit, once; the orders go round the loop, are verified and closed by
the centre, and are credited to the unit in the assessment."""

from __future__ import annotations

import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hotline.assessment import indicators
from hotline.governance import seasonal
from hotline.governance.models import SeasonalOrder, SeasonalRule
from hotline.orders import actions
from hotline.orders.actions import Intake
from hotline.orders.models import Event, WorkOrder
from hotline.orders.states import State
from tests.orders.loop import photo
from tests.race import race

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CST)


def complaint(d, text: str, when: dt.datetime, *, address: str, area: str = "east-lake", category: str = "室温不达标",
              unit: str | None = "heating", phone: str = "13700000000") -> int:
    """A caller's complaint last winter, dispatched to `unit` (None: left undispatched)."""
    oid = actions.do_create(Intake(title=text[:40], description=text, caller_name="市民", caller_phone=phone,
                                   area_id=d.areas[area].pk, category_id=d.categories[category].pk, address=address,
                                   received_at=when), actor=d.people["wangfang"]).pk
    if unit is not None:
        actions.do_dispatch(oid, actor=d.people["chengang"], unit_id=d.units[unit].pk, note="按属地和行业职责派单")
    return oid


def heating_rule(d, **kw) -> SeasonalRule:
    rule = SeasonalRule.objects.create(
        name=kw.pop("name", "供暖前暖气检查"), start_month=11, start_day=15, days_ahead=kw.pop("days_ahead", 14),
        lookback_days=kw.pop("lookback_days", 120), min_complaints=kw.pop("min_complaints", 2),
        title_template=kw.pop("title_template", "{place}供暖前暖气检查"),
        description_template=kw.pop("description_template",
                                    "11月15日供暖前，检查去年冬天投诉过暖气的小区：{place}去年同期投诉{count}件，请在{start}前上门排查。"),
        **kw)
    rule.categories.set([d.categories["室温不达标"].parent])  # 城乡建设/供暖 and below
    return rule


@pytest.fixture
def winter(district):
    """Last winter's heating complaints in 东湖街道 and 西城街道, and what must not count."""
    d = district
    made = {}
    made["sunshine"] = [
        complaint(d, "阳光小区3号楼暖气不热，室温只有十几度", at(2025, 11, 20, 9), address="阳光小区3号楼2单元"),
        complaint(d, "阳光小区暖气片冰凉，家里老人受不了", at(2025, 12, 2, 19), address="阳光小区5号楼"),
        complaint(d, "阳光小区室内温度不达标", at(2026, 1, 8, 8), address="阳光小区东门", unit="street-a"),
    ]
    made["garden"] = [
        complaint(d, "东湖花园暖气不热", at(2025, 12, 10, 10), address="东湖花园1号楼", unit="housing"),
        complaint(d, "东湖花园供暖温度太低", at(2026, 2, 1, 10), address="东湖花园7号楼", unit="housing"),
    ]
    made["west"] = [
        complaint(d, "金桂苑暖气不热", at(2025, 12, 5, 10), address="金桂苑2号楼", area="west-city", unit="street-b"),
        complaint(d, "金桂苑室温十五度", at(2025, 12, 6, 10), address="金桂苑8号楼", area="west-city", unit="street-b"),
    ]
    # one complaint only: below the rule's minimum
    made["single"] = [complaint(d, "春晖里暖气不热", at(2025, 12, 1, 10), address="春晖里4号楼")]
    # before last season's window (the season starts on 15 November)
    made["early"] = [complaint(d, "红星新村暖气试水漏水", at(2025, 10, 20, 10), address="红星新村1号楼"),
                     complaint(d, "红星新村暖气试压", at(2025, 10, 25, 10), address="红星新村3号楼")]
    # another matter at a place: not the rule's categories
    made["water"] = [complaint(d, "翠湖公寓停水", at(2025, 12, 1, 10), address="翠湖公寓", category="停水", unit="water"),
                     complaint(d, "翠湖公寓又停水", at(2025, 12, 3, 10), address="翠湖公寓", category="停水", unit="water")]
    # screened out: not a complaint that counts
    screened = complaint(d, "湖畔家园暖气不热", at(2025, 12, 1, 10), address="湖畔家园", unit=None)
    screened2 = complaint(d, "湖畔家园暖气费", at(2025, 12, 2, 10), address="湖畔家园", unit=None)
    for oid in (screened, screened2):
        actions.do_screen_out(oid, actor=d.people["chengang"], reason="no_content", advice="请提供具体情况后再来电。")
    return made


def test_nothing_is_generated_before_the_generation_day(district, winter):
    rule = heating_rule(district)
    report = seasonal.run(dt.date(2026, 10, 31))
    assert report.created == 0 and report.rules[0].season is None
    assert not WorkOrder.objects.filter(source="seasonal").exists()
    assert seasonal.due_season(rule, dt.date(2026, 11, 1)) == 2026
    assert seasonal.due_season(rule, dt.date(2027, 3, 15)) is None  # the season ran its course


def test_it_picks_last_seasons_complaining_places_and_their_units(district, winter):
    d = district
    rule = heating_rule(d)
    report = seasonal.run(dt.date(2026, 11, 1))
    made = {m.place: m for m in SeasonalOrder.objects.filter(rule=rule).select_related("order")}
    assert set(made) == {"阳光小区", "东湖花园", "金桂苑"}
    assert report.created == 3 and report.rules[0].season == 2026
    sunshine = made["阳光小区"].order
    # 2 of the 3 complaints there were handled by the heating company: it gets the order
    assert (sunshine.lead_unit_id, sunshine.source, sunshine.source_ref) == (d.units["heating"].pk, "seasonal", rule.pk)
    assert made["东湖花园"].order.lead_unit_id == d.units["housing"].pk
    assert made["金桂苑"].order.lead_unit_id == d.units["street-b"].pk
    assert made["金桂苑"].order.area_id == d.areas["west-city"].pk
    assert made["阳光小区"].complaints == 3 and made["阳光小区"].unit_basis == "last_season"
    assert sunshine.title == "阳光小区供暖前暖气检查"
    assert "去年同期投诉3件" in sunshine.description and "2026-11-15" in sunshine.description
    assert sunshine.state == State.DISPATCHED and sunshine.caller_phone == ""
    assert Event.objects.get(order=sunshine, seq=1).actor.username == "system"


def test_it_runs_once_per_rule_season_and_place(district, winter):
    heating_rule(district)
    first = seasonal.run(dt.date(2026, 11, 1))
    again = seasonal.run(dt.date(2026, 11, 2))
    assert (first.created, again.created, again.existing) == (3, 0, 3)
    assert WorkOrder.objects.filter(source="seasonal").count() == 3


def test_a_claim_another_worker_committed_first_wins(district, winter):
    rule = heating_rule(district)
    # the other worker's row for 阳光小区 (its order is in the same transaction: here, none yet)
    from django.utils import timezone

    SeasonalOrder.objects.create(rule=rule, season=2026, area_id_value=district.areas["east-lake"].pk,
                                 place="阳光小区", created_at=timezone.now())
    report = seasonal.run(dt.date(2026, 11, 1))
    assert report.created == 2 and report.existing == 1
    assert not WorkOrder.objects.filter(source="seasonal", title__startswith="阳光小区").exists()


def test_a_fixed_unit_and_a_minimum_are_the_rules(district, winter):
    d = district
    heating_rule(d, unit=d.units["heating"], min_complaints=3, name="供暖季前集中检查")
    seasonal.run(dt.date(2026, 11, 1))
    orders = list(WorkOrder.objects.filter(source="seasonal"))
    assert [(o.address.startswith("阳光小区"), o.lead_unit_id) for o in orders] == [(True, d.units["heating"].pk)]


def test_the_rules_areas_narrow_the_places(district, winter):
    rule = heating_rule(district)
    rule.areas.set([district.areas["west-city"]])
    seasonal.run(dt.date(2026, 11, 1))
    assert list(SeasonalOrder.objects.values_list("place", flat=True)) == ["金桂苑"]


def test_an_inactive_rule_makes_nothing(district, winter):
    heating_rule(district, active=False)
    assert seasonal.run(dt.date(2026, 11, 1)).created == 0


def test_proactive_orders_do_not_count_as_last_seasons_complaints(district, winter):
    rule = heating_rule(district)
    seasonal.run(dt.date(2026, 11, 1))
    places = seasonal.places(rule, 2027)  # next season looks back at this one: no calls yet
    assert places == []


@pytest.mark.parametrize("field,change", [
    ("start_month", {"start_month": 13}), ("start_day", {"start_day": 0}), ("start_day", {"start_day": 31, "start_month": 4}),
    ("start_day", {"start_day": 29, "start_month": 2}), ("lookback_days", {"lookback_days": 0}),
    ("lookback_days", {"lookback_days": 400}), ("min_complaints", {"min_complaints": 0}), ("days_ahead", {"days_ahead": 365}),
    ("title_template", {"title_template": "{小区}检查"}), ("title_template", {"title_template": "{place"}),
    ("title_template", {"title_template": "{last_from}检查"}), ("description_template", {"description_template": "{count}{x}"}),
])
def test_the_admin_refuses_a_bad_rule(district, field, change):
    rule = SeasonalRule(name="坏规则", **{"start_month": 11, "start_day": 15, **change})
    with pytest.raises(ValidationError) as exc:
        rule.full_clean()
    assert field in exc.value.message_dict, exc.value.message_dict


def test_the_admin_form_refuses_bad_input_in_chinese(district, client):
    client.force_login(district.people["admin"])
    url = reverse("admin:governance_seasonalrule_add")
    response = client.post(url, {"name": "汛期前排水检查", "categories": [district.categories["停水"].pk],
                                 "start_month": "2", "start_day": "30", "days_ahead": "14", "lookback_days": "90",
                                 "min_complaints": "2", "title_template": "{place}{小区}", "description_template": "x",
                                 "active": "on"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "2月没有30日" in text and "不认识的字段" in text
    assert not SeasonalRule.objects.exists()
    response = client.post(url, {"name": "汛期前排水检查", "categories": [district.categories["停水"].pk],
                                 "start_month": "6", "start_day": "1", "days_ahead": "10", "lookback_days": "90",
                                 "min_complaints": "2", "title_template": "{place}汛期前排查",
                                 "description_template": "{place}去年汛期投诉{count}件", "active": "on"})
    assert response.status_code == 302 and SeasonalRule.objects.count() == 1


def test_the_cli_runs_as_of_a_date_and_refuses_a_bad_one(district, winter):
    heating_rule(district)
    out = io.StringIO()
    call_command("seasonal", "run", "--date", "2026-11-01", "--json", stdout=out)
    line = json.loads(out.getvalue().strip().splitlines()[0])
    assert (line["season"], len(line["created"]), line["existing"]) == (2026, 3, 0)
    out = io.StringIO()
    call_command("seasonal", "run", "--date", "2026-11-03", stdout=out)
    assert "新生成0件" in out.getvalue() and "已生成过3件" in out.getvalue()
    for bad in (["--date", "2026-13-01"], ["--rule", "abc"], ["--rule", "999"]):
        with pytest.raises(SystemExit) as exc:
            call_command("seasonal", "run", *bad, stdout=io.StringIO(), stderr=io.StringIO())
        assert exc.value.code == 2
    out = io.StringIO()
    call_command("seasonal", "list", stdout=out)
    assert "已生成3件" in out.getvalue()


def test_the_page_lists_the_rules_with_their_orders(district, winter):
    heating_rule(district)
    seasonal.run(dt.date(2026, 11, 1))
    client = Client()
    client.force_login(district.people["liudu"])
    page = client.get(reverse("governance:seasonal")).content.decode()
    assert "供暖前暖气检查" in page and "阳光小区" in page and "已生成 3 件" in page
    client.force_login(district.people["liqiang"])
    assert client.get(reverse("governance:seasonal")).status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_at_once_make_each_order_once(district, winter):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    heating_rule(district)
    results = race([lambda: seasonal.run(dt.date(2026, 11, 1))] * 3)
    assert sum(r.created for r in results) == 3, results
    assert WorkOrder.objects.filter(source="seasonal").count() == 3
    assert SeasonalOrder.objects.count() == 3


# ---- 场景：供暖前主动检查 ---------------------------------------------------------------------------


def test_场景_供暖前检查去年冬天投诉过暖气的小区(district, winter):
    """11月15日供暖前，检查去年冬天投诉过暖气的小区。系统管理员配置季节性规则；11月1日，后台任务为
    去年冬天投诉过暖气的小区各生成一件主动治理工单，派给去年办理最多的单位。区热力公司签收、上门排查、
    答复；审核通过后，热线中心派单员陈刚到现场核验，办结；这件工作计入区热力公司的考核。"""
    d, p = district, district.people
    rule = heating_rule(d, name="11月15日供暖前，检查去年冬天投诉过暖气的小区")
    seasonal.run(dt.date(2026, 11, 1))
    order = WorkOrder.objects.get(source="seasonal", address__startswith="阳光小区")
    assert order.lead_unit == d.units["heating"] and order.state == State.DISPATCHED
    # 不在回访队列，没有来电人
    client = Client()
    client.force_login(p["sunhui"])
    assert order.number not in client.get(reverse("web:callback")).content.decode()

    # 区热力公司雷力签收、办理、答复（无来电人可联系，答复不要求联系记录）
    actions.do_sign(order.pk, actor=p["reli"])
    actions.do_progress(order.pk, actor=p["reli"], text="已入户检查阳光小区3号楼、5号楼供暖管线")
    actions.do_attach(order.pk, actor=p["reli"], file=photo())
    actions.do_reply(order.pk, actor=p["reli"], responder="雷力",
                     process="11月3日入户检查阳光小区3号楼、5号楼和东门一带供暖管线，更换失效阀门两处，冲洗暖气片。",
                     outcome="试供暖时室温达到18摄氏度以上，居民确认暖气正常。")
    actions.do_approve(order.pk, actor=p["zhoushen"], note="处置到位")
    assert WorkOrder.objects.get(pk=order.pk).state == State.AWAITING_CALLBACK

    # 热线中心核验：在核验队列里，核验通过即办结
    client.force_login(p["chengang"])
    queue = client.get(reverse("web:verify")).content.decode()
    assert order.number in queue and "核验通过并办结" in queue
    response = client.post(reverse("web:act", args=[order.pk, "verify"]),
                           {"verify-note": "11月5日到阳光小区现场核验，暖气试供正常", "next": reverse("web:verify")})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == State.CLOSED and not order.callbacks.exists()
    page = client.get(reverse("web:order", args=[order.pk])).content.decode()
    assert "季节性规则" in page and "未诉先办" in page and "核验办结" in page

    # 另一件（东湖花园）核验不通过，退回重新办理，第二次核验才通过
    garden = WorkOrder.objects.get(source="seasonal", address__startswith="东湖花园")
    actions.do_sign(garden.pk, actor=p["wujian"])
    actions.do_attach(garden.pk, actor=p["wujian"], file=photo())
    actions.do_reply(garden.pk, actor=p["wujian"], responder="吴建", process="已通知东湖花园物业检查供暖设施并整改到位。",
                     outcome="物业称已整改，暖气试水正常。")
    actions.do_approve(garden.pk, actor=p["zhoushen"])
    client.post(reverse("web:act", args=[garden.pk, "reopen"]), {"reopen-reason": "现场核验7号楼仍有漏水，未整改到位"})
    assert WorkOrder.objects.get(pk=garden.pk).state == State.IN_PROGRESS
    actions.do_attach(garden.pk, actor=p["wujian"], file=photo())
    actions.do_reply(garden.pk, actor=p["wujian"], responder="吴建", process="督促物业更换7号楼漏水管段，复查无渗漏。",
                     outcome="7号楼漏点已修复，试水正常。")
    actions.do_approve(garden.pk, actor=p["zhoushen"])
    actions.do_verify(garden.pk, actor=p["liudu"], note="复核通过")

    # 考核：计入主动治理成效，不进入回访三率
    today = timezone.localdate()
    rows = {r["unit_code"]: r for r in indicators.unit_table(today - dt.timedelta(days=1), today)}
    heating, housing = rows["heating"], rows["housing"]
    assert (heating["proactive_verified"], heating["proactive_first_time"]) == (1, 1)
    assert (housing["proactive_verified"], housing["proactive_first_time"]) == (1, 0)
    assert heating["valid_callbacks"] == 0 and heating["resolution_rate"] is None  # no caller, no rates
    out = io.StringIO()
    call_command("assess", "--from", (today - dt.timedelta(days=1)).isoformat(), "--to", today.isoformat(), "--json",
                 stdout=out)
    lines = {json.loads(x)["unit_code"]: json.loads(x) for x in out.getvalue().splitlines()}
    assert lines["heating"]["proactive"] == {"verified": 1, "first_time": 1, "first_time_rate": 1.0}
    assert lines["housing"]["proactive"]["first_time_rate"] == 0.0
    assert "resolution_rate" in lines["heating"] and "composite" in lines["heating"]
    # 规则页面列出它生成的工单及其状态
    client.force_login(p["liudu"])
    page = client.get(reverse("governance:seasonal")).content.decode()
    assert rule.name in page and order.number in page and "核验办结 2 件" in page


def _queued_seasonal() -> list:
    from django_tasks_db.models import DBTaskResult

    return [r for r in DBTaskResult.objects.all() if r.task_path.endswith("run_seasonal_rules")]


def test_the_worker_queues_the_daily_run_once_and_each_run_queues_the_next(district, django_capture_on_commit_callbacks):
    from hotline.governance import tasks
    from hotline.governance.models import SeasonalRun

    with django_capture_on_commit_callbacks(execute=True):
        tasks.on_worker_start()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.on_worker_start()  # a second worker starting: nothing more
    (queued,) = _queued_seasonal()
    at = timezone.localtime(queued.task.run_after)
    assert (at.hour, at.minute) == (2, 0) and queued.args_kwargs["kwargs"] == {"nightly": True}
    SeasonalRun.objects.update(nightly_queued_for=timezone.now() - dt.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.run_seasonal_rules.call(nightly=True)
    assert result["created"] == 0 and SeasonalRun.objects.get().ran_at is not None
    assert len(_queued_seasonal()) == 2  # tomorrow's, queued by this one


def test_a_rule_saved_around_the_admins_checks_says_why_it_did_not_run(district, winter):
    rule = heating_rule(district, title_template="{小区}检查")
    (result,) = seasonal.run(dt.date(2026, 11, 1)).rules
    assert result.rule_id == rule.pk and result.created == [] and "规则设置有误" in result.skipped[0]
