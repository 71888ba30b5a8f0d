"""The pages of the deadline rules: the centre's read-only list of the rules in force and their
history, the order page's basis of its reply deadline, and intake pre-selecting the category's
default urgency."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from hotline.directory.models import DeadlineKind, DeadlineRule
from hotline.orders import actions
from tests.conftest import make_order


def as_user(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def wage_rules(d) -> tuple[DeadlineRule, DeadlineRule]:
    today = timezone.localdate()
    old = DeadlineRule.objects.create(category=d.categories["拖欠农民工工资"].parent, reply_amount=10,
                                      reply_unit="workdays", effective_from=today - dt.timedelta(days=400),
                                      basis="区人力社保局服务承诺")
    new = old.new_version(effective_from=today - dt.timedelta(days=30), reply_amount=15, kind=DeadlineKind.STANDING,
                          approved_by="区12345热线中心主任办公会", approved_on=today - dt.timedelta(days=40),
                          basis="欠薪诉求5个工作日内无法办结，统一为15个工作日。", default_urgency="complex")
    return old, new


def test_the_centre_sees_the_rules_in_force_and_their_history(district):
    old, new = wage_rules(district)
    scheduled = DeadlineRule.objects.create(category=district.categories["停水"], reply_amount=24, reply_unit="hours",
                                            effective_from=timezone.localdate() + dt.timedelta(days=10))
    r = as_user(district.people["chengang"]).get("/deadlines/")
    assert r.status_code == 200
    assert [row["rule"] for row in r.context["current"]] == [new]
    assert {row["rule"] for row in r.context["history"]} == {old, scheduled}
    html = r.content.decode()
    for text in ("15个工作日", "中心批准的长期延长时限", "区12345热线中心主任办公会", "10个工作日", "已失效", "待生效",
                 "24小时", "无规则时按紧急程度的默认时限", "7个工作日"):
        assert text in html, text
    assert "/admin/directory/deadlinerule/" not in html  # only the administrator edits
    assert "/admin/directory/deadlinerule/" in as_user(district.people["admin"]).get("/deadlines/").content.decode()


def test_a_unit_sees_the_limits_it_is_held_to_but_an_anonymous_visitor_does_not(district):
    wage_rules(district)
    assert as_user(district.people["wujian"]).get("/deadlines/").status_code == 200
    assert Client().get("/deadlines/").status_code == 302


def test_the_order_page_shows_which_rule_set_its_deadline(district):
    d = district
    _old, new = wage_rules(d)
    oid = make_order(d, category="拖欠农民工工资", area="north-hill", title="包工头拖欠工资",
                     description="来电人在北山镇工地务工三个月，包工头拖欠工资两万元。")
    actions.do_dispatch(oid, actor=d.people["chengang"], unit_id=d.units["housing"].pk)
    html = as_user(d.people["wujian"]).get(f"/orders/{oid}/").content.decode()
    basis = html.split('id="deadline-basis"')[1].split("</tr>")[0]
    assert new.label in basis and "15个工作日" in basis and "区12345热线中心主任办公会" in basis
    assert f"答复时限15个工作日（按时限规则#{new.pk}）" in html  # the dispatch in the trace

    plain = make_order(d)
    actions.do_dispatch(plain, actor=d.people["chengang"], unit_id=d.units["street-a"].pk)
    html = as_user(d.people["liqiang"]).get(f"/orders/{plain}/").content.decode()
    assert "按紧急程度" in html.split('id="deadline-basis"')[1].split("</tr>")[0]


def test_intake_pre_selects_the_default_urgency_of_the_chosen_category(district):
    _old, new = wage_rules(district)
    c = as_user(district.people["wangfang"])
    html = c.post("/intake/suggest/", {"title": "拖欠工资", "description": "包工头拖欠工资",
                                       "category": district.categories["拖欠农民工工资"].pk}).content.decode()
    cat = district.categories["拖欠农民工工资"].pk
    assert f'data-preset-field="id_urgency" data-preset-value="complex" data-preset-for="{cat}"' in html
    assert "15个工作日" in html and new.label in html
    # a category without a rule presets nothing
    html = c.post("/intake/suggest/", {"title": "路面塌陷", "description": "东湖路路面塌陷",
                                       "category": district.categories["道路塌陷破损"].pk}).content.decode()
    assert "data-preset-field" not in html
