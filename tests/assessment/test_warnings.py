"""Early-warning rules, each raised with its evidence, and subscriptions."""

import datetime as dt

from django.utils import timezone

from hotline.assessment import warnings
from hotline.assessment.history import import_rows
from hotline.assessment.models import Subscription
from tests.assessment.conftest import dispatched, hist

AS_OF = dt.date(2023, 8, 31)


def _of(rule, items):
    return [w for w in items if w["rule"] == rule]


def test_it_warns_when_a_units_redo_rate_jumps(district):
    before = [hist(f"P{i:03d}", "东湖街道办事处", "2023-07-10") for i in range(10)]
    recent = [hist(f"R{i:03d}", "东湖街道办事处", "2023-08-20", redo_count=1 if i < 4 else 0) for i in range(10)]
    import_rows(before + recent)
    (w,) = _of("redo_jump", warnings.evaluate(AS_OF))
    assert w["unit_id"] == district.units["street-a"].pk
    assert w["evidence"]["redo_rate_before"] == 0.0
    assert w["evidence"]["redos_now"] == 4 and w["evidence"]["replies_now"] == 14


def test_a_steady_redo_rate_raises_nothing(district):
    rows = [hist(f"S{day[5:7]}{i:03d}", "东湖街道办事处", day, redo_count=1 if i < 2 else 0)
            for day in ("2023-07-10", "2023-08-20") for i in range(10)]
    import_rows(rows)
    assert _of("redo_jump", warnings.evaluate(AS_OF)) == []


def test_it_warns_when_late_replies_jump(district):
    recent = [hist(f"L{i:03d}", "东湖街道办事处", "2023-08-14", replied_at="2023-08-30 10:00:00",
                   closed_at="2023-08-30 12:00:00") for i in range(6)]
    import_rows(recent)
    (w,) = _of("overdue_jump", warnings.evaluate(AS_OF))
    assert w["evidence"] == {"late_now": 6, "late_before": 0, "replies_now": 6}


def test_it_warns_when_a_category_surges(district):
    base = [hist(f"B{i:03d}", "东湖街道办事处", f"2023-08-{1 + 5 * (i % 4):02d}") for i in range(4)]
    surge = [hist(f"V{i:03d}", "东湖街道办事处", "2023-08-29") for i in range(12)]
    import_rows(base + surge)
    (w,) = _of("category_surge", warnings.evaluate(AS_OF))
    assert w["subject"] == "城乡建设/市政设施/道路塌陷破损"
    assert w["evidence"]["received_7d"] == 12 and w["evidence"]["weekly_before"] == 1.0


def test_it_warns_about_orders_due_within_the_next_hours(district, monkeypatch):
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() - dt.timedelta(minutes=100))
    dispatched(district, "street-a", urgency="emergency")  # reply due in 2 hours → 20 minutes left
    monkeypatch.setattr(timezone, "now", real_now)
    from hotline.orders import actions
    from hotline.orders.models import WorkOrder
    oid = WorkOrder.objects.get().pk
    actions.do_sign(oid, actor=district.people["liqiang"])
    (w,) = _of("due_soon", warnings.evaluate())
    assert w["unit_id"] == district.units["street-a"].pk
    assert w["orders"] == [WorkOrder.objects.get().number]


def test_a_user_gets_the_warnings_of_the_rules_they_follow(district):
    surge = [hist(f"V{i:03d}", "东湖街道办事处", "2023-08-29") for i in range(12)]
    import_rows(surge)
    boss = district.people["liudu"]
    assert warnings.for_user(boss, AS_OF) == []
    warnings.subscribe(boss, "category_surge")
    warnings.subscribe(boss, "no_such_rule")
    assert [w["rule"] for w in warnings.for_user(boss, AS_OF)] == ["category_surge"]
    warnings.subscribe(boss, "category_surge", on=False)
    assert not Subscription.objects.filter(user=boss).exists()
