"""The in-memory copy of the reference data (directory.snapshot) that the actions read: it must
follow every committed change, a rolled-back one must not linger, and the actions must not fall
back to reading the tables on every step."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from hotline.directory import calendar, snapshot
from hotline.directory.models import CalendarDay, ProcedureProfile, ResponsibilityRule
from hotline.orders import actions, deadlines, procedures
from hotline.orders.models import WorkOrder
from tests.conftest import make_order
from tests.orders.loop import photo

TODAY = dt.date(2026, 11, 28)


def test_a_new_rule_is_used_by_the_next_dispatch(district):
    d = district
    old = d.rules["施工噪声"]
    assert actions.rule_for(d.categories["施工噪声"], d.areas["east-lake"], TODAY) == old
    # a street-level rule for 东湖街道 is more specific than the district-wide one
    new = ResponsibilityRule.objects.create(category=d.categories["施工噪声"], area=d.areas["east-lake"],
                                            lead_unit=d.units["street-a"], effective_from=dt.date(2020, 1, 1))
    assert actions.rule_for(d.categories["施工噪声"], d.areas["east-lake"], TODAY) == new
    oid = make_order(d, category="施工噪声", area="east-lake")
    order = actions.do_dispatch(oid, actor=d.people["chengang"], unit_id=d.units["street-a"].pk)
    assert order.rule_id == new.pk
    new.delete()
    assert actions.rule_for(d.categories["施工噪声"], d.areas["east-lake"], TODAY) == old


def test_a_change_that_was_rolled_back_does_not_linger(district):
    d = district
    rule = d.rules["施工噪声"]
    with pytest.raises(RuntimeError), transaction.atomic():
        rule.lead_unit = d.units["housing"]
        rule.save()
        # the copy built inside the transaction sees the change...
        assert actions.rule_for(d.categories["施工噪声"], None, TODAY).lead_unit_id == d.units["housing"].pk
        raise RuntimeError("roll back")
    # ...and once it is rolled back, so is the copy, even though another change follows
    assert actions.rule_for(d.categories["施工噪声"], None, TODAY).lead_unit_id == d.units["enforcement"].pk
    d.units["enforcement"].phone = "010-12345"
    d.units["enforcement"].save()
    assert actions.rule_for(d.categories["施工噪声"], None, TODAY).lead_unit_id == d.units["enforcement"].pk


def test_a_profile_edited_in_the_admin_applies_to_the_next_reply(district):
    d = district
    oid = make_order(d, category="施工噪声")
    order = WorkOrder.objects.get(pk=oid)
    before = procedures.profile_for(order)
    profile = ProcedureProfile.objects.get(pk=before.pk)
    profile.min_evidence = before.min_evidence + 3
    profile.save()
    assert procedures.profile_for(order).min_evidence == before.min_evidence + 3


def test_a_holiday_entered_by_hand_moves_the_clocks(district):
    monday = dt.date(2026, 12, 7)
    assert deadlines.load_calendar().is_workday(monday)
    CalendarDay.objects.create(date=monday, is_workday=False, note="临时调整")
    assert not deadlines.load_calendar().is_workday(monday)


def test_seeding_the_calendar_in_bulk_marks_it_changed(district):
    CalendarDay.objects.filter(date=dt.date(2026, 10, 6)).delete()  # 国庆 holiday on a Tuesday
    assert deadlines.load_calendar().is_workday(dt.date(2026, 10, 6))
    before = snapshot.read_token()
    calendar.seed_from_chinese_calendar()
    assert snapshot.read_token() != before
    assert not deadlines.load_calendar().is_workday(dt.date(2026, 10, 6))


def test_a_missing_revision_row_means_no_copy_is_kept(district):
    # a database flushed by hand: every read goes to the tables until the next change
    from hotline.directory.models import DirectoryRevision

    DirectoryRevision.objects.all().delete()
    assert snapshot.current().token is None
    assert actions.rule_for(district.categories["施工噪声"], None, TODAY) == district.rules["施工噪声"]
    snapshot.bump()
    assert snapshot.current().token == snapshot.read_token() is not None


@pytest.mark.parametrize("verb", ["dispatch", "sign", "reply"])
def test_an_action_reads_no_reference_table(district, verb):
    d = district
    oid = make_order(d, category="施工噪声")
    lead = d.units["enforcement"]
    handler = d.people["zhengzhi"]
    steps = {
        "dispatch": lambda: actions.do_dispatch(oid, actor=d.people["chengang"], unit_id=lead.pk),
        "sign": lambda: actions.do_sign(oid, actor=handler),
        "reply": lambda: actions.do_reply(oid, actor=handler, responder="郑执", contacted_caller=True,
                                          process="执法队员到现场核查施工时间并责令夜间停工整改。",
                                          outcome="工地已停止夜间施工，来电人表示认可。"),
    }
    snapshot.current()  # the copy is built once per change, not per action
    for name, step in steps.items():
        if name == "reply" and procedures.profile_for(WorkOrder.objects.get(pk=oid)).min_evidence:
            actions.do_attach(oid, actor=handler, file=photo("site.jpg"))
        with CaptureQueriesContext(connection) as seen:
            step()
        if name == verb:
            break
    tables = " ".join(q["sql"] for q in seen.captured_queries)
    for table in ("directory_category", "directory_area", "directory_responsibilityrule",
                  "directory_calendarday", "directory_procedureprofile"):
        assert table not in tables, (verb, table)
    assert "directory_directoryrevision" in tables or verb == "sign"


def test_an_action_writes_back_only_the_columns_it_changed(district):
    d = district
    oid = make_order(d, category="施工噪声", description="详细描述" * 2000)
    actions.do_dispatch(oid, actor=d.people["chengang"], unit_id=d.units["enforcement"].pk)
    with CaptureQueriesContext(connection) as seen:
        actions.do_sign(oid, actor=d.people["zhengzhi"])
    update = next(q["sql"] for q in seen.captured_queries if q["sql"].startswith('UPDATE "orders_workorder"'))
    assert '"state"' in update and '"signed_at"' in update and '"last_hash"' in update
    assert '"description"' not in update and '"caller_phone"' not in update
    order = WorkOrder.objects.get(pk=oid)
    assert order.state == "in_progress" and order.signed_at is not None and len(order.description) == 8000
