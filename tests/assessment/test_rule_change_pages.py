"""The responsibility list learns (清单回头看, issue 14 point 8): a rule overridden often leads to a
proposal prefilled from its figures, the list's owner approves it from a date, and the next order
after that date goes by the new version. The pages: the report's "提出修改建议", the list with
its filters, a request with its figures, trace and forms by rights, a rule's versions; refused
input shows the form again with what was typed, and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from hotline.assessment import rules
from hotline.directory import change_actions
from hotline.directory.models import Category, ResponsibilityRule, RuleChange, RuleChangeEvent
from hotline.errors import InvalidInput
from hotline.orders import actions, clock
from hotline.orders.models import WorkOrder
from tests.conftest import make_order

ELEVATOR = "小区电梯故障"
NOTE = "电梯属特种设备，安全监管由市场监管部门负责"


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _next_monday() -> dt.date:
    today = timezone.localdate()
    return today + dt.timedelta(days=7 - today.weekday())


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


@pytest.fixture
def elevator(district):
    """小区电梯故障: by the list the street office of 东湖街道 leads (属地管理)."""
    parent = Category.objects.get(path="城乡建设/物业管理")
    cat = Category.objects.create(name=ELEVATOR, parent=parent, level=3, path=f"{parent.path}/{ELEVATOR}")
    rule = ResponsibilityRule.objects.create(category=cat, area=district.areas["east-lake"],
                                             lead_unit=district.units["street-a"], basis="属地管理：街道负责辖区内事项",
                                             effective_from=dt.date(2023, 1, 1))
    district.categories[ELEVATOR] = cat
    return rule


def _overridden(district, n: int = 6) -> list[int]:
    """Dispatchers keep sending elevator faults to the market supervision bureau."""
    p, u = district.people, district.units
    ids = []
    for i in range(n):
        oid = make_order(district, category=ELEVATOR, title=f"东湖小区{i + 1}号楼电梯故障",
                         description="小区电梯经常停运，困人两次，物业迟迟不修，请相关部门督促维修。")
        actions.do_dispatch(oid, actor=p["chengang"], unit_id=u["market"].pk, note=NOTE)
        ids.append(oid)
    return ids


def test_电梯故障常被改派到市场监管局_中心提出修改_督办领导批准下周一起生效_此后按新清单派单(district, elevator):
    p, u = district.people, district.units
    today = timezone.localdate()
    before = _overridden(district)

    # 回头看：本条派单6件，全部改派区市场监督管理局，列为建议复核
    row = next(r for r in rules.report(today, today)["rules"] if r["rule_id"] == elevator.pk)
    assert (row["dispatches"], row["off_list"], row["review"]) == (6, 6, True)
    dispatcher = _client(p["chengang"])
    page = dispatcher.get(f"/assessment/rules/?from={today}&to={today}").content.decode()
    assert f"/assessment/rules/changes/new/?rule={elevator.pk}" in page and "提出修改建议" in page

    # 派单员点“提出修改建议”：表单按数据预填，主办单位为实际承办最多的市场监管局，街道改为协办
    form = dispatcher.get(f"/assessment/rules/changes/new/?rule={elevator.pk}&from={today}&to={today}")
    body = form.content.decode()
    assert form.status_code == 200
    assert f'<option value="{u["market"].pk}" selected>' in body
    assert f'value="{u["street-a"].pk}" checked' in body
    assert "其中6件未按本条派出" in body and _next_monday().isoformat() in body

    monday = _next_monday()
    posted = dispatcher.post("/assessment/rules/changes/new/", {
        "kind": "change", "rule": elevator.pk, "lead_unit": u["market"].pk, "co_units": [u["street-a"].pk],
        "basis": "《特种设备安全法》第五条：市场监督管理部门负责特种设备安全监督管理",
        "reason": "近期小区电梯故障6件全部改派区市场监督管理局，街道无特种设备监管职权，建议由市场监管局主办、街道协办。",
        "effective_from": monday.isoformat(), "figures_from": today.isoformat(), "figures_to": today.isoformat()})
    assert posted.status_code == 302
    change = RuleChange.objects.get()
    assert (change.state, change.kind, change.proposer_unit, change.lead_unit) == (
        "proposed", "change", p["chengang"].unit, u["market"])
    # 数据依据由服务端按统计期间计算并留存，审批人看得到
    assert (change.figures["dispatches"], change.figures["off_list"]) == (6, 6)
    assert change.figures["instead"] == [{"unit": u["market"].name, "orders": 6}]

    # 派单员不能审批；督办领导在详情页看到数据、建议和留痕，批准自下周一起生效
    detail = dispatcher.get(f"/assessment/rules/changes/{change.pk}/").content.decode()
    assert "批准并生效" not in detail and "撤回建议" in detail
    assert dispatcher.post(f"/assessment/rules/changes/{change.pk}/approve/",
                           {"effective_from": monday.isoformat()}).status_code == 403
    leader = _client(p["liudu"])
    detail = leader.get(f"/assessment/rules/changes/{change.pk}/").content.decode()
    assert "批准并生效" in detail and "改派给" in detail and u["market"].name in detail
    assert leader.post(f"/assessment/rules/changes/{change.pk}/approve/",
                       {"effective_from": monday.isoformat(), "note": "同意，自下周一起执行"}).status_code == 302
    change.refresh_from_db()
    new = change.new_rule
    assert change.state == "approved" and (new.version, new.effective_from, new.lead_unit) == (2, monday, u["market"])
    elevator.refresh_from_db()
    assert elevator.effective_to == monday  # 最后执行日为下周一的前一天

    # 已派出的工单仍按原来的派单依据（改派，无清单条目）；下周一以后的新工单按新清单派给市场监管局
    assert [WorkOrder.objects.get(pk=i).lead_unit_id for i in before] == [u["market"].pk] * 6
    sunday = make_order(district, category=ELEVATOR, title="周日电梯困人")
    with clock.at(_at(monday - dt.timedelta(days=1))):
        with pytest.raises(InvalidInput):  # 周日仍按旧版本：派市场监管局须说明理由
            actions.do_dispatch(sunday, actor=p["chengang"], unit_id=u["market"].pk)
        actions.do_dispatch(sunday, actor=p["chengang"], unit_id=u["street-a"].pk)
    assert WorkOrder.objects.get(pk=sunday).rule_id == elevator.pk
    nxt = make_order(district, category=ELEVATOR, title="下周一电梯又坏了")
    with clock.at(_at(monday)):
        actions.do_dispatch(nxt, actor=p["chengang"], unit_id=u["market"].pk)
    order = WorkOrder.objects.get(pk=nxt)
    assert order.rule_id == new.pk and order.events.get(action="dispatch").data["basis"] == "rule"
    assert WorkOrder.objects.get(pk=sunday).rule_id == elevator.pk

    # 条目的版本历史：第1版到下周一前一天，第2版自下周一起，由这项建议产生
    history = leader.get(f"/assessment/rules/{elevator.pk}/history/").content.decode()
    assert (monday - dt.timedelta(days=1)).isoformat() in history and change.label in history
    assert "待生效" in history and "现行" in history


def test_a_unit_proposes_for_its_own_rule_and_cannot_approve(district, elevator):
    p, u = district.people, district.units
    street = _client(p["lizhang"])  # 东湖街道 leads the elevator rule
    listing = street.get("/assessment/rules/changes/").content.decode()
    assert f"/assessment/rules/changes/new/?rule={elevator.pk}" in listing  # 本单位涉及的清单条目
    assert street.get("/assessment/rules/").status_code == 403  # the report stays the centre's
    r = street.post("/assessment/rules/changes/new/", {
        "kind": "change", "rule": elevator.pk, "lead_unit": u["market"].pk, "co_units": [u["street-a"].pk],
        "basis": "特种设备安全法第五条", "reason": "街道没有特种设备执法权，电梯故障应由市场监管局主办。",
        "effective_from": _next_monday().isoformat()})
    assert r.status_code == 302
    change = RuleChange.objects.get()
    assert change.proposer_unit == u["street-a"]
    assert street.post(f"/assessment/rules/changes/{change.pk}/approve/", {}).status_code == 403
    assert change_actions.visible_to(p["shijian"]).filter(pk=change.pk).exists()  # the proposed lead sees it
    assert not change_actions.visible_to(p["zhaomin"]).filter(pk=change.pk).exists()  # 西城街道 does not
    assert _client(p["zhaomin"]).get(f"/assessment/rules/changes/{change.pk}/").status_code == 404
    # a rule that is not its own: refused with the reason, nothing written
    r = _client(p["zhaomin"]).post("/assessment/rules/changes/new/", {
        "kind": "change", "rule": elevator.pk, "lead_unit": u["market"].pk, "basis": "特种设备安全法",
        "reason": "电梯故障应由市场监管局主办，街道配合。", "effective_from": _next_monday().isoformat()})
    assert r.status_code == 403 and "只能对本单位" in r.content.decode()
    assert RuleChange.objects.count() == 1
    # the proposer withdraws it
    assert street.post(f"/assessment/rules/changes/{change.pk}/withdraw/", {"note": "已与市场监管局沟通"}).status_code == 302
    assert RuleChange.objects.get().state == "withdrawn"


def test_bad_input_shows_the_form_again_with_what_was_typed_and_writes_nothing(district, elevator):
    p, u = district.people, district.units
    c = _client(p["chengang"])
    typed = "电梯故障改派频繁，建议由市场监管局主办（这段文字须保留）。"
    for bad in ({"effective_from": "2020-01-01"}, {"effective_from": "明天"}, {"lead_unit": "abc"},
                {"figures_from": "2026-13-01", "figures_to": "2026-01-01"}, {"kind": "merge"}):
        data = {"kind": "change", "rule": elevator.pk, "lead_unit": u["market"].pk, "basis": "特种设备安全法",
                "reason": typed, "effective_from": _next_monday().isoformat(), **bad}
        r = c.post("/assessment/rules/changes/new/", data)
        body = r.content.decode()
        assert r.status_code == 400, bad
        assert 'role="alert"' in body and typed in body, bad
    assert not RuleChange.objects.exists() and not RuleChangeEvent.objects.exists()
    # an approval refused (a date in the past) keeps the note typed and changes nothing
    change = change_actions.propose(actor=p["chengang"], kind="change", rule_id=elevator.pk,
                                    lead_unit_id=u["market"].pk, basis="特种设备安全法", reason=typed,
                                    effective_from=_next_monday().isoformat())
    r = _client(p["liudu"]).post(f"/assessment/rules/changes/{change.pk}/approve/",
                                 {"effective_from": "2020-01-01", "note": "同意（保留的意见）"})
    assert r.status_code == 400 and "同意（保留的意见）" in r.content.decode()
    assert RuleChange.objects.get().state == "proposed" and ResponsibilityRule.objects.get(pk=elevator.pk).effective_to is None
    assert _client(p["liudu"]).post(f"/assessment/rules/changes/{change.pk}/explode/", {}).status_code == 404


def test_an_uncovered_matter_offers_a_proposal_to_add_a_rule(district):
    p, u = district.people, district.units
    today = timezone.localdate()
    for _ in range(3):
        oid = make_order(district, category="入学咨询", area="east-lake", title="孩子入学需要哪些材料")
        actions.do_dispatch(oid, actor=p["chengang"], unit_id=u["street-a"].pk)
    cat, area = district.categories["入学咨询"], district.areas["east-lake"]
    c = _client(p["liudu"])
    page = c.get(f"/assessment/rules/?from={today}&to={today}").content.decode()
    assert f"?category={cat.pk}&amp;area={area.pk}" in page
    form = c.get(f"/assessment/rules/changes/new/?category={cat.pk}&area={area.pk}&from={today}&to={today}")
    body = form.content.decode()
    assert 'value="add" checked' in body and f'<option value="{cat.pk}" selected>' in body
    assert "无清单依据的派单3件" in body


def test_the_list_filters_by_state(district, elevator):
    p, u = district.people, district.units
    kw = dict(kind="change", rule_id=elevator.pk, lead_unit_id=u["market"].pk, basis="特种设备安全法",
              reason="电梯故障应由市场监管局主办。", effective_from=_next_monday().isoformat())
    a = change_actions.propose(actor=p["chengang"], **kw)
    b = change_actions.propose(actor=p["chengang"], **kw)
    change_actions.reject(b.pk, actor=p["admin"], note="与三定方案不符，暂不调整。")
    c = _client(p["zhoushen"])  # the reviewer reads, and offers nothing
    body = c.get("/assessment/rules/changes/?state=proposed").content.decode()
    assert a.label in body and b.label not in body
    body = c.get("/assessment/rules/changes/?state=rejected").content.decode()
    assert b.label in body and a.label not in body
    detail = c.get(f"/assessment/rules/changes/{a.pk}/").content.decode()
    assert "批准并生效" not in detail and "撤回建议" not in detail
    assert _client(p["wangfang"]).get("/assessment/rules/changes/").status_code == 403


def test_the_pages_read_in_english(district, elevator):
    p, u = district.people, district.units
    change = change_actions.propose(actor=p["chengang"], kind="change", rule_id=elevator.pk,
                                    lead_unit_id=u["market"].pk, basis="特种设备安全法", reason="电梯故障应由市场监管局主办。",
                                    effective_from=_next_monday().isoformat(), figures={"dispatches": 6, "off_list": 6},
                                    figures_from=timezone.localdate(), figures_to=timezone.localdate())
    c = _client(p["liudu"])
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = c.get(f"/assessment/rules/changes/{change.pk}/").content.decode()
    assert "Approve and apply" in body and "Sent to another unit" in body
    body = c.get("/assessment/rules/changes/").content.decode()
    assert "Proposed changes to the responsibility list" in body
    body = c.get(f"/assessment/rules/{elevator.pk}/history/").content.decode()
    assert "Versions of the rule" in body


def test_the_pages_write_nothing_on_a_get(district, elevator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    p, u = district.people, district.units
    _overridden(district, 2)
    change = change_actions.propose(actor=p["chengang"], kind="change", rule_id=elevator.pk,
                                    lead_unit_id=u["market"].pk, basis="特种设备安全法", reason="电梯故障应由市场监管局主办。",
                                    effective_from=_next_monday().isoformat())
    c = _client(p["liudu"])
    today = timezone.localdate()
    urls = ["/assessment/rules/changes/", "/assessment/rules/changes/?state=proposed",
            f"/assessment/rules/changes/new/?rule={elevator.pk}&from={today}&to={today}",
            f"/assessment/rules/changes/{change.pk}/", f"/assessment/rules/{elevator.pk}/history/"]
    with CaptureQueriesContext(connection) as seen:
        for url in urls:
            assert c.get(url).status_code == 200, url
    writes = [q["sql"] for q in seen.captured_queries
              if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE"))
              and "django_session" not in q["sql"]]
    assert writes == []


def test_a_unit_sees_the_figures_only_of_rules_that_concern_it(district, elevator):
    p = district.people
    _overridden(district, 2)
    today = timezone.localdate()
    url = f"/assessment/rules/changes/new/?rule={elevator.pk}&from={today}&to={today}"
    assert "改派给" in _client(p["lizhang"]).get(url).content.decode()  # 东湖街道 leads it
    other = _client(p["zhaomin"]).get(url).content.decode()  # 西城街道 does not
    assert "改派给" not in other and "数据依据" in other  # the form, without the figures
