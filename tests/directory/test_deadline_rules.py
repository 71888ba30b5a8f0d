"""Deadline rules as reference data: their validation (one target, sane limits, no overlapping
versions, standing limits with their approval, hostile input), versions instead of edits of a
rule orders used, the snapshot's revision, and the administrator's admin pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from hotline.directory import snapshot
from hotline.directory.models import DeadlineKind, DeadlineRule
from hotline.orders import actions, deadlines
from hotline.orders.models import WorkOrder
from tests.conftest import make_order
from tests.orders.loop import cst, frozen

JAN = dt.date(2026, 1, 1)


def rule(d, **kw) -> DeadlineRule:
    fields = dict(category=d.categories["拖欠农民工工资"].parent, reply_amount=15, reply_unit="workdays",
                  effective_from=JAN)
    return DeadlineRule(**(fields | kw))


def errors_of(r: DeadlineRule) -> dict:
    with pytest.raises(ValidationError) as exc:
        r.full_clean()
    return exc.value.message_dict


@pytest.mark.parametrize("changes,field", [
    ({"reply_amount": 0}, "reply_amount"),
    ({"reply_amount": 61}, "reply_amount"),
    ({"reply_amount": 169, "reply_unit": "hours"}, "reply_amount"),
    ({"reply_unit": "weeks"}, "reply_unit"),
    ({"default_urgency": "whenever"}, "default_urgency"),
    ({"effective_to": JAN}, "effective_to"),
    ({"effective_from": dt.date(1970, 1, 1)}, "effective_from"),
    ({"effective_to": dt.date(9999, 12, 31)}, "effective_to"),
    ({"basis": "依据\x00文件"}, "basis"),
    ({"basis": "长" * 2001}, "basis"),
    ({"approved_by": "主任\x1b[31m"}, "approved_by"),
    ({"approved_on": dt.date(2026, 2, 1)}, "approved_on"),  # approved after it took effect
])
def test_it_refuses_a_rule_out_of_bounds_or_with_hostile_input(district, changes, field):
    assert field in errors_of(rule(district, **changes))
    assert not DeadlineRule.objects.exists()


def test_it_needs_exactly_one_of_category_and_profile(district):
    d = district
    assert "category" in errors_of(rule(d, category=None))
    assert "category" in errors_of(rule(d, profile=d.profiles["consult"]))
    rule(d, category=None, profile=d.profiles["consult"]).full_clean()


def test_a_standing_longer_limit_needs_who_approved_it_when_and_why(district):
    errors = errors_of(rule(district, kind=DeadlineKind.STANDING))
    assert {"approved_by", "approved_on", "basis"} <= set(errors)
    rule(district, kind=DeadlineKind.STANDING, approved_by="中心主任办公会", approved_on=JAN,
         basis="欠薪诉求5个工作日内无法办结").full_clean()


def test_it_refuses_overlapping_versions_for_one_category_whoever_saves(district):
    d = district
    rule(d).save()
    with pytest.raises(ValidationError, match="重叠"):
        rule(d, effective_from=dt.date(2026, 6, 1), reply_amount=20).save()
    # a closed range next to it is fine, and so is another category
    rule(d, effective_from=dt.date(2025, 1, 1), effective_to=JAN).save()
    rule(d, category=d.categories["停水"]).save()
    assert DeadlineRule.objects.count() == 3


def test_a_rule_used_by_an_order_is_never_edited_in_place_only_replaced_by_a_new_version(district):
    d = district
    used = rule(d)
    used.save()
    with frozen(cst(2026, 11, 2, 9)):
        oid = make_order(d, category="拖欠农民工工资", area="north-hill")
        actions.do_dispatch(oid, actor=d.people["chengang"], unit_id=d.units["housing"].pk)
    assert WorkOrder.objects.get(pk=oid).deadline_rule == used
    used.reply_amount = 20
    with pytest.raises(ValidationError, match="不能直接修改"):
        used.save()
    used.refresh_from_db()
    # closing it on or before the day it was last used would contradict the order's history
    used.effective_to = dt.date(2026, 11, 2)
    with pytest.raises(ValidationError):
        used.save()
    with pytest.raises(ProtectedError):
        DeadlineRule.objects.filter(pk=used.pk).delete()
    # a new version may start the day after
    with pytest.raises(ValidationError):
        used.new_version(effective_from=dt.date(2026, 11, 2), reply_amount=20)
    used.refresh_from_db()
    newer = used.new_version(effective_from=dt.date(2026, 11, 3), reply_amount=20)
    used.refresh_from_db()
    assert (used.effective_to, used.reply_amount, newer.version, newer.reply_amount) == (
        dt.date(2026, 11, 3), 15, 2, 20)


def test_saving_a_rule_bumps_the_revision_and_the_next_dispatch_uses_it(district):
    d = district
    before = snapshot.read_token()
    copy = snapshot.current()
    assert copy.deadline_rule_for(d.categories["停水"].pk, JAN) is None
    r = rule(d, category=d.categories["停水"].parent, reply_amount=24, reply_unit="hours")
    r.save()
    assert snapshot.read_token() != before
    assert snapshot.current() is not copy
    assert deadlines.rule_in_force(d.categories["停水"].pk, dt.date(2026, 3, 1)) == r
    # ended by an edit (not used yet): gone from the copy on its end date
    r.effective_to = dt.date(2026, 3, 1)
    r.save()
    assert deadlines.rule_in_force(d.categories["停水"].pk, dt.date(2026, 3, 1)) is None
    assert deadlines.rule_in_force(d.categories["停水"].pk, dt.date(2026, 2, 28)) == r
    token = snapshot.read_token()
    r.delete()
    assert snapshot.read_token() != token
    assert deadlines.rule_in_force(d.categories["停水"].pk, dt.date(2026, 2, 28)) is None


def test_the_dispatch_reads_the_rules_from_the_copy_not_the_table(district, django_assert_max_num_queries):
    d = district
    rule(d).save()
    oid = make_order(d, category="拖欠农民工工资", area="north-hill")
    snapshot.current()
    with django_assert_max_num_queries(40) as captured:
        actions.do_dispatch(oid, actor=d.people["chengang"], unit_id=d.units["housing"].pk)
    assert not [q for q in captured.captured_queries if "directory_deadlinerule" in q["sql"]]


# ---- the administrator's admin -----------------------------------------------------------------


def _form(d, **kw) -> dict:
    data = {"category": d.categories["拖欠农民工工资"].parent.pk, "profile": "", "kind": "standing",
            "reply_amount": "15", "reply_unit": "workdays", "default_urgency": "complex",
            "approved_by": "区12345热线中心主任办公会", "approved_on": "2026-10-28",
            "basis": "欠薪诉求须核实用工关系，5个工作日内无法办结。", "effective_from": "2026-11-01", "effective_to": "",
            "replace_current": "on"}
    return data | kw


@pytest.fixture
def admin_client(client, district):
    admin = district.people["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    return client


def test_the_administrator_adds_a_rule_with_chinese_labels(admin_client, district):
    page = admin_client.get("/admin/directory/deadlinerule/add/").content.decode()
    for label in ("答复时限", "时限单位", "受理时默认紧急程度", "批准单位或人员", "批准日期", "生效日期", "终止现行版本"):
        assert label in page
    resp = admin_client.post("/admin/directory/deadlinerule/add/", _form(district))
    assert resp.status_code == 302, resp.content.decode()[:2000]
    r = DeadlineRule.objects.get()
    assert (r.reply_amount, r.kind, r.default_urgency, r.version) == (15, "standing", "complex", 1)


@pytest.mark.parametrize("changes,message", [
    ({"reply_amount": "100"}, "答复时限须在1到60"),
    ({"reply_amount": "-3"}, ""),
    ({"reply_amount": "1e9"}, ""),
    ({"reply_amount": "99999999999999999999999"}, ""),
    ({"effective_from": "2026-13-45"}, ""),
    ({"basis": "依据\x00"}, ""),
    ({"approved_by": ""}, "长期延长时限须写明批准单位或人员"),
    ({"profile": "consult"}, "请在“诉求分类”和“办理流程”中选且只选一个"),
    ({"category": "99999999999999999999"}, ""),
    ({"default_urgency": "<script>"}, ""),
])
def test_the_admin_refuses_bad_and_hostile_input_with_a_message(admin_client, district, changes, message):
    if changes.get("profile") == "consult":  # both a category and a profile
        changes = {"profile": str(district.profiles["consult"].pk)}
    resp = admin_client.post("/admin/directory/deadlinerule/add/", _form(district, **changes))
    assert resp.status_code == 200
    assert "errornote" in resp.content.decode() or "errorlist" in resp.content.decode()
    if message:
        assert message in resp.content.decode()
    assert not DeadlineRule.objects.exists()


def test_the_admin_refuses_an_overlap_and_a_new_version_ends_the_current_one(admin_client, district):
    d = district
    assert admin_client.post("/admin/directory/deadlinerule/add/", _form(d, effective_from="2026-01-01",
                                                                         approved_on="2025-12-20")).status_code == 302
    first = DeadlineRule.objects.get()
    clash = admin_client.post("/admin/directory/deadlinerule/add/", _form(d, reply_amount="20", replace_current=""))
    assert clash.status_code == 200 and "重叠" in clash.content.decode()
    resp = admin_client.post("/admin/directory/deadlinerule/add/", _form(d, reply_amount="20"), follow=True)
    assert "已于2026-11-01终止" in resp.content.decode()
    first.refresh_from_db()
    second = DeadlineRule.objects.exclude(pk=first.pk).get()
    assert (first.effective_to, second.version, second.reply_amount) == (dt.date(2026, 11, 1), 2, 20)


def test_the_admin_shows_a_used_rule_read_only_except_its_end_date(admin_client, district):
    d = district
    used = rule(d)
    used.save()
    with frozen(cst(2026, 11, 2, 9)):
        oid = make_order(d, category="拖欠农民工工资", area="north-hill")
        actions.do_dispatch(oid, actor=d.people["chengang"], unit_id=d.units["housing"].pk)
    url = f"/admin/directory/deadlinerule/{used.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "已有1张工单按本规则计算答复时限" in page
    assert 'name="reply_amount"' not in page and 'name="effective_to"' in page
    resp = admin_client.post(url, {"effective_to": "2026-12-01", "reply_amount": "30"})
    assert resp.status_code == 302
    used.refresh_from_db()
    assert (used.effective_to, used.reply_amount) == (dt.date(2026, 12, 1), 15)
    assert admin_client.get(f"/admin/directory/deadlinerule/{used.pk}/delete/").status_code == 403
