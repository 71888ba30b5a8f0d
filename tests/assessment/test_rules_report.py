"""The responsibility list in use (清单回头看): per rule, dispatches on and off it, to whom, returns
citing it and how they were decided; the matters dispatched with no rule; the page and its
exports."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone

from hotline.assessment import rules
from hotline.directory.models import ResponsibilityRule
from hotline.orders import actions
from tests.conftest import make_order

NOISE = "施工噪声"  # district-wide rule: the enforcement bureau leads


@pytest.fixture
def used(district):
    """Three orders dispatched as the list says, one off it, one returned citing the rule and
    sent elsewhere (upheld), one of a matter no rule covers."""
    p, u = district.people, district.units
    rule = ResponsibilityRule.objects.get(category=district.categories[NOISE], area=None)
    for _ in range(2):
        oid = make_order(district, category=NOISE, title="夜间工地施工噪声扰民")
        actions.do_dispatch(oid, actor=p["chengang"], unit_id=u["enforcement"].pk)
    off = make_order(district, category=NOISE, title="小区内装修施工噪声")
    actions.do_dispatch(off, actor=p["chengang"], unit_id=u["street-a"].pk,
                        note="小区内部装修噪声由街道物业管理先行处置")
    back = make_order(district, category=NOISE, title="道路施工噪声")
    actions.do_dispatch(back, actor=p["chengang"], unit_id=u["enforcement"].pk)
    actions.do_return(back, actor=p["zhengzhi"], kind="not_remit", rule_id=rule.pk,
                      reason="该工地为小区内部装修，不属于本局职责范围，请改派街道。")
    actions.do_accept_return(back, actor=p["chengang"], unit_id=u["street-a"].pk, note="同意改派属地街道处置")
    none = make_order(district, category="入学咨询", area="east-lake", title="孩子入学需要哪些材料")
    actions.do_dispatch(none, actor=p["chengang"], unit_id=u["street-a"].pk)
    return rule


def _today():
    today = timezone.localdate()
    return today, today


def test_each_rule_counts_dispatches_on_and_off_it_and_the_returns_citing_it(used, district):
    data = rules.report(*_today())
    row = next(r for r in data["rules"] if r["rule_id"] == used.pk)
    assert (row["dispatches"], row["on_list"], row["off_list"]) == (4, 3, 1)
    assert row["instead"] == [{"unit": district.units["street-a"].name, "orders": 1}]
    assert (row["returns"], row["returns_upheld"], row["returns_rejected"], row["returns_pending"]) == (1, 1, 0, 0)
    assert row["off_list_share"] == 0.25
    assert row["review"] is False  # 4 dispatches: below the minimum of 5


def test_a_rule_often_overridden_is_flagged_for_review(used, monkeypatch):
    monkeypatch.setattr(rules, "MIN_DISPATCHES", 4)
    row = next(r for r in rules.report(*_today())["rules"] if r["rule_id"] == used.pk)
    assert row["review"] is True and "25%" in row["review_reasons"]
    assert rules.report(*_today())["rules"][0]["rule_id"] == used.pk  # flagged rules first
    monkeypatch.setattr(rules, "OVERRIDE_SHARE", 0.3)
    assert next(r for r in rules.report(*_today())["rules"] if r["rule_id"] == used.pk)["review"] is False


def test_matters_no_rule_covers_are_listed_by_category_and_area(used, district):
    uncovered = rules.report(*_today())["uncovered"]
    assert [(r["category"], r["area"], r["dispatches"]) for r in uncovered] == [
        (district.categories["入学咨询"].path, district.areas["east-lake"].name, 1)]


def test_nothing_outside_the_period(used):
    day = timezone.localdate() - dt.timedelta(days=1)
    data = rules.report(day, day)
    assert data["rules"] == [] and data["uncovered"] == []


def test_the_page_for_the_district_and_its_exports(used, district):
    c = Client()
    c.force_login(district.people["liudu"])
    page = c.get("/assessment/rules/")
    assert page.status_code == 200
    html = page.content.decode()
    assert used.label in html and "清单回头看" in html
    rows = list(csv.reader(io.StringIO(c.get("/assessment/rules/?format=csv").content.decode("utf-8-sig"))))
    assert rows[0][0] == "权责清单条目" and any(r[0] == used.label for r in rows[1:])
    gaps = list(csv.reader(io.StringIO(
        c.get("/assessment/rules/?format=csv&table=uncovered").content.decode("utf-8-sig"))))
    assert gaps[0][:3] == ["诉求类别", "区域", "无清单依据的派单"] and len(gaps) == 2


def test_unit_people_and_agents_may_not_open_it(used, district):
    for who in ("wangfang", "liqiang"):
        c = Client()
        c.force_login(district.people[who])
        assert c.get("/assessment/rules/").status_code == 403, who
    assert Client().get("/assessment/rules/").status_code == 302
