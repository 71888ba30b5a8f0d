"""The scans: an order due soon or overdue is told to its unit once per order and clock (a second
scan writes nothing; an extension moves the clock and tells again); the supervisors are told of
the early warnings, a surge (burst) always, other rules when they follow them."""

from __future__ import annotations

import datetime as dt

from hotline.assessment import warnings as warning_rules
from hotline.assessment.models import Subscription
from hotline.notify import scans
from hotline.notify.models import Notification
from hotline.orders import actions
from hotline.orders.models import WorkOrder
from tests.orders.loop import S, bring_to


def _order(oid: int) -> WorkOrder:
    return WorkOrder.objects.get(pk=oid)


def test_an_order_due_soon_is_told_once_per_clock(district):
    oid = bring_to(district, S.DISPATCHED)
    due = _order(oid).sign_due
    now = due - dt.timedelta(hours=1)
    first = scans.due_soon(now)
    rows = Notification.objects.filter(order_id=oid, kind="due_soon")
    assert sorted(r.person.username for r in rows) == ["liqiang", "lizhang"]
    assert len(first) == 2 and "签收时限" in rows[0].text
    assert scans.due_soon(now) == []
    assert scans.due_soon(now + dt.timedelta(minutes=30)) == []
    assert Notification.objects.filter(order_id=oid, kind="due_soon").count() == 2


def test_an_order_not_yet_due_soon_is_not_told(district):
    oid = bring_to(district, S.DISPATCHED)
    assert scans.due_soon(_order(oid).sign_due - dt.timedelta(hours=30)) == []
    assert not Notification.objects.filter(order_id=oid).exclude(kind="new_order").exists()


def test_an_extension_moves_the_reply_clock_and_tells_again(district):
    p = district.people
    oid = bring_to(district, S.IN_PROGRESS)
    due = _order(oid).reply_due
    assert len(scans.due_soon(due - dt.timedelta(hours=2))) == 2
    actions.do_request_extension(oid, actor=p["liqiang"], days=3, reason="需协调市政养护单位施工")
    actions.do_approve_extension(oid, actor=p["chengang"], note="同意")
    later = _order(oid).reply_due
    assert later > due
    assert scans.due_soon(due - dt.timedelta(hours=2)) == []  # the old deadline is gone
    assert len(scans.due_soon(later - dt.timedelta(hours=2))) == 2
    assert Notification.objects.filter(order_id=oid, kind="due_soon").count() == 4


def test_an_overdue_order_is_told_once_and_a_late_one_of_long_ago_not_at_all(district):
    oid = bring_to(district, S.DISPATCHED)
    due = _order(oid).sign_due
    assert len(scans.overdue(due + dt.timedelta(minutes=5))) == 2
    assert scans.overdue(due + dt.timedelta(hours=2)) == []
    rows = Notification.objects.filter(order_id=oid, kind="overdue")
    assert rows.count() == 2 and "已超时" in rows[0].text
    other = bring_to(district, S.DISPATCHED)
    assert scans.overdue(_order(other).sign_due + dt.timedelta(days=3)) == []


def test_an_order_overdue_on_two_clocks_is_told_of_each(district):
    oid = bring_to(district, S.IN_PROGRESS, urgency="emergency")  # signed, caller not contacted: 1 h and 2 h clocks
    order = _order(oid)
    now = max(order.contact_due, order.reply_due) + dt.timedelta(minutes=1)
    scans.overdue(now)
    texts = Notification.objects.filter(order_id=oid, kind="overdue", person__username="liqiang")
    assert sorted("首次联系时限" in t.text for t in texts) == [False, True]
    assert all(t.emergency and t.not_before is None for t in texts)


def test_a_closed_order_is_not_told(district):
    oid = bring_to(district, S.CLOSED)
    order = _order(oid)
    assert scans.overdue(order.reply_due + dt.timedelta(minutes=1)) == []
    assert scans.due_soon(order.reply_due - dt.timedelta(hours=1)) == []


def _warnings(monkeypatch, found):
    monkeypatch.setattr(warning_rules, "evaluate", lambda as_of=None: found)


SURGE = {"rule": "category_surge", "rule_label": "诉求类别激增", "subject": "城乡建设/道路/道路塌陷破损",
         "unit_id": None, "message": "“道路塌陷破损”近7天受理30件，此前四周平均每周5.0件。",
         "evidence": {"category_id": 7}, "orders": []}
REDO_JUMP = {"rule": "redo_jump", "rule_label": "重办率骤升", "subject": "东湖街道办事处", "unit_id": 3,
             "message": "东湖街道办事处近30天重办率40.0%，此前10.0%。", "evidence": {}, "orders": []}
DUE_SOON = {"rule": "due_soon", "rule_label": "即将超时的工单", "subject": "x", "unit_id": 3, "message": "m",
            "evidence": {}, "orders": []}


def test_a_surge_is_told_to_every_supervisor_once_a_day(district, monkeypatch):
    _warnings(monkeypatch, [SURGE])
    now = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
    assert len(scans.warnings(now)) == 1
    row = Notification.objects.get(kind="warning")
    assert row.person.username == "liudu" and row.medium == "wecom"
    assert "道路塌陷破损" in row.text and "/assessment/warnings/" in row.text
    assert scans.warnings(now + dt.timedelta(hours=3)) == []
    assert len(scans.warnings(now + dt.timedelta(days=1))) == 1


def test_other_warnings_reach_the_supervisors_who_follow_the_rule(district, monkeypatch):
    _warnings(monkeypatch, [REDO_JUMP, DUE_SOON])
    now = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
    assert scans.warnings(now) == []
    Subscription.objects.create(user=district.people["liudu"], rule="redo_jump")
    Subscription.objects.create(user=district.people["liudu"], rule="due_soon")
    queued = scans.warnings(now)
    assert len(queued) == 1
    assert Notification.objects.get().text.startswith("【预警】重办率骤升")
