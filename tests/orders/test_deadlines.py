"""Working-time clocks: the Chinese calendar (holidays, 调休 make-up days), years without data,
clocks per urgency tier from settings, and the overdue / due-soon selectors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from hotline.directory import calendar
from hotline.directory.models import CalendarDay, CalendarYear
from hotline.orders import actions, deadlines, selectors
from hotline.orders.models import WorkOrder
from tests.conftest import make_order
from tests.orders.loop import cst, frozen


@pytest.fixture
def cal(db) -> deadlines.WorkCalendar:
    return deadlines.load_calendar()


def _dispatch_at(d, when: dt.datetime, **kw) -> WorkOrder:
    with frozen(when):
        oid = make_order(d, **kw)
        actions.do_dispatch(oid, actor=d.people["chengang"], unit_id=d.units["street-a"].pk)
    return WorkOrder.objects.get(pk=oid)


def test_the_migration_seeds_the_2026_national_day_holiday_and_make_up_days(db):
    assert CalendarYear.objects.filter(year=2026).exists()
    off = set(CalendarDay.objects.filter(date__range=(dt.date(2026, 10, 1), dt.date(2026, 10, 7)), is_workday=False)
              .values_list("date", flat=True))
    # the weekdays of the week-long holiday are entered; the weekend days are off anyway
    assert {dt.date(2026, 10, d) for d in (1, 2, 5, 6, 7)} <= off
    assert CalendarDay.objects.get(date=dt.date(2026, 10, 10)).is_workday  # Saturday make-up day
    assert CalendarDay.objects.get(date=dt.date(2026, 9, 20)).is_workday  # Sunday make-up day


def test_it_counts_working_days_across_national_day(cal):
    assert not cal.is_workday(dt.date(2026, 10, 5))
    assert cal.is_workday(dt.date(2026, 10, 10))
    assert not cal.is_workday(dt.date(2026, 10, 11))
    # Oct 8, 9, 10 (make-up Saturday), 12, 13, 14, 15
    assert cal.nth_workday_after(dt.date(2026, 9, 30), 7) == dt.date(2026, 10, 15)
    assert cal.workdays_between(dt.date(2026, 9, 30), dt.date(2026, 10, 15)) == 7
    assert cal.add(cst(2026, 9, 30, 10), (7, "workdays")) == cst(2026, 10, 15, 18)


def test_it_counts_a_make_up_sunday_as_a_working_day(cal):
    assert cal.add(cst(2026, 9, 18, 10), (1, "workdays")) == cst(2026, 9, 20, 18)


def test_it_gives_an_order_dispatched_before_national_day_its_reply_limit_after_it(district):
    order = _dispatch_at(district, cst(2026, 9, 30, 10))
    assert order.sign_due == cst(2026, 10, 8, 18)
    assert order.contact_due == cst(2026, 10, 8, 18)
    assert order.reply_due == cst(2026, 10, 15, 18)


def test_it_works_in_a_year_with_no_entered_schedule(db):
    assert not CalendarYear.objects.filter(year=2027).exists()
    cal = deadlines.load_calendar()
    # weekends and the fixed-date holidays still count
    assert not cal.is_workday(dt.date(2027, 1, 1))
    assert cal.is_workday(dt.date(2027, 1, 4))
    assert not cal.is_workday(dt.date(2027, 10, 1))
    assert cal.add(cst(2026, 12, 31, 10), (1, "workdays")) == cst(2027, 1, 4, 18)
    assert deadlines.load_calendar().add(cst(2027, 9, 30, 10), (3, "workdays")) == cst(
        2027, 10, 6, 18)
    # May 1 falls on a Saturday in 2027; 3 May is an ordinary Monday without an entered schedule
    assert deadlines.load_calendar().is_workday(dt.date(2027, 5, 3))


def test_it_lists_next_year_as_missing_from_the_fourth_quarter(db):
    assert calendar.missing_years(dt.date(2026, 11, 28)) == [2027]
    assert calendar.missing_years(dt.date(2026, 6, 1)) == []
    assert calendar.missing_years(dt.date(2027, 3, 1)) == [2027]
    CalendarYear.objects.create(year=2027, source="国务院办公厅通知")
    assert calendar.missing_years(dt.date(2026, 11, 28)) == []


@pytest.mark.parametrize("urgency,sign,reply", [
    ("emergency", dt.timedelta(minutes=30), dt.timedelta(hours=2)),
    ("utility", dt.timedelta(hours=2), dt.timedelta(hours=24)),
])
def test_it_runs_hour_clocks_through_holidays(district, urgency, sign, reply):
    start = cst(2026, 10, 2, 22)  # a holiday night: an emergency does not wait for Monday
    order = _dispatch_at(district, start, urgency=urgency)
    assert (order.sign_due - start, order.reply_due - start) == (sign, reply)


def test_it_gives_complex_matters_fifteen_working_days(district):
    order = _dispatch_at(district, cst(2026, 11, 2, 9), urgency="complex")
    assert order.reply_due == cst(2026, 11, 23, 18)


@override_settings(HOTLINE_CLOCKS={
    "general": {"sign": (4, "hours"), "contact": (2, "workdays"), "reply": (5, "workdays")},
})
def test_it_takes_the_limits_from_settings(district):
    order = _dispatch_at(district, cst(2026, 11, 2, 9))  # a Monday
    assert order.sign_due == cst(2026, 11, 2, 13)
    assert order.contact_due == cst(2026, 11, 4, 18)
    assert order.reply_due == cst(2026, 11, 9, 18)
    # an urgency with no configured limits falls back to the general ones
    assert deadlines.clock_limit("emergency", "reply") == (5.0, "workdays")


def test_it_lists_overdue_and_due_soon_orders(district):
    d, p = district, district.people
    start = cst(2026, 11, 2, 9)
    order = _dispatch_at(d, start, urgency="emergency")  # sign 09:30, contact 10:00, reply 11:00
    calm = _dispatch_at(d, start)  # general: signs by Tuesday evening
    qs = WorkOrder.objects.all()
    assert set(selectors.due_soon(qs, now=start, hours=1)) == {order}
    assert set(selectors.overdue(qs, now=start + dt.timedelta(minutes=31))) == {order}
    with frozen(start + dt.timedelta(minutes=20)):
        actions.do_sign(order.pk, actor=p["liqiang"])
    # signed: the sign clock stops, the contact clock runs out at 10:00
    assert set(selectors.overdue(qs, now=start + dt.timedelta(minutes=31))) == set()
    assert set(selectors.overdue(qs, now=start + dt.timedelta(minutes=61))) == {order}
    with frozen(start + dt.timedelta(minutes=50)):
        actions.do_contact(order.pk, actor=p["liqiang"], text="已电话联系来电人")
    assert set(selectors.overdue(qs, now=start + dt.timedelta(minutes=61))) == set()
    assert set(selectors.overdue(qs, now=start + dt.timedelta(hours=2, minutes=1))) == {order}
    assert calm not in selectors.overdue(qs, now=cst(2026, 11, 3, 17))
    assert calm in selectors.overdue(qs, now=cst(2026, 11, 3, 18, 1))


def test_it_moves_the_reply_clock_by_an_approved_extension_in_working_days(district):
    d, p = district, district.people
    order = _dispatch_at(d, cst(2026, 9, 24, 10))  # Thursday before the Mid-autumn / National Day break
    with frozen(cst(2026, 9, 24, 11)):
        actions.do_sign(order.pk, actor=p["liqiang"])
        actions.do_request_extension(order.pk, actor=p["liqiang"], days=3, reason="需要协调市政养护单位排期施工")
        req = actions.do_approve_extension(order.pk, actor=p["chengang"], days=2, note="同意延期两个工作日")
    order.refresh_from_db()
    # 25 Sep is Mid-autumn, 1-7 Oct National Day: Sep 28, 29, 30, Oct 8, 9, 10 (make-up Saturday), 12
    assert req.old_due == cst(2026, 10, 12, 18)
    assert order.reply_due == cst(2026, 10, 14, 18)  # two working days more: Oct 13, 14
    assert (req.days, order.extension_days) == (2, 2)
