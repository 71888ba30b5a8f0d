"""A person's choices decide the media; quiet hours defer a message to their end, except for an
emergency order; whoever cannot be reached is recorded as suppressed, with the reason."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hotline.notify import services
from hotline.notify.models import Notification
from hotline.notify.rules import Kind, Medium
from hotline.orders import actions
from hotline.orders.models import WorkOrder
from tests.conftest import make_order

SH = ZoneInfo("Asia/Shanghai")


def _dispatch(district, told, **order_kw):
    oid = make_order(district, **order_kw)
    return told(actions.do_dispatch, oid, actor=district.people["chengang"], unit_id=district.units["street-a"].pk)


def _tell_at(district, when, *, urgency="general"):
    """The notifications of a dispatch as if it happened at `when` (the rows record `now`)."""
    order = WorkOrder.objects.get(pk=make_order(district, urgency=urgency))
    people = [district.people["liqiang"]]
    services.notify(Kind.NEW_ORDER, people, services.order_context(order), order=order,
                    emergency=order.urgency == "emergency", now=when)
    return Notification.objects.filter(order_id=order.pk).get()


def test_a_person_s_chosen_media_are_used_one_row_each(district, told):
    liqiang = district.people["liqiang"]
    liqiang.email = "liqiang@street-a.example"
    liqiang.save()
    services.save_preferences(liqiang, {Kind.NEW_ORDER: [Medium.WECOM, Medium.EMAIL]}, None)
    _dispatch(district, told)
    mine = [r for r in told.rows if r.person_id == liqiang.pk]
    assert sorted((r.medium, r.address) for r in mine) == [("email", "liqiang@street-a.example"),
                                                            ("wecom", "13900000001")]
    assert {r.state for r in mine} == {"queued"}


def test_a_person_who_chose_none_is_recorded_as_suppressed(district, told):
    liqiang = district.people["liqiang"]
    services.save_preferences(liqiang, {Kind.NEW_ORDER: [], Kind.URGE: [Medium.SMS]}, None)
    _dispatch(district, told)
    row = next(r for r in told.rows if r.person_id == liqiang.pk)
    assert (row.state, row.medium) == ("suppressed", "")
    assert "不接收" in row.last_error
    # the choice is per kind: an urge still reaches them
    told(actions.do_sign, row.order_id, actor=district.people["liqiang"])
    told(actions.do_urge, row.order_id, actor=district.people["chengang"], text="请加快办理")
    assert told.who(state="queued", medium="sms") == ["liqiang", "lizhang"]


def test_without_an_address_the_row_is_suppressed_with_the_reason(district, told):
    lizhang = district.people["lizhang"]
    lizhang.phone = ""
    lizhang.save()
    services.save_preferences(lizhang, {Kind.NEW_ORDER: [Medium.SMS, Medium.EMAIL]}, None)
    _dispatch(district, told)
    rows = sorted((r.medium, r.state, r.last_error) for r in told.rows if r.person_id == lizhang.pk)
    assert rows == [("email", "suppressed", "无电子邮件地址"), ("sms", "suppressed", "无手机号")]


def test_quiet_hours_defer_to_their_end(district, settings):
    settings.HOTLINE_NOTIFY_QUIET_HOURS = "22:00-07:00"
    row = _tell_at(district, dt.datetime(2026, 12, 3, 23, 10, tzinfo=SH))
    assert row.not_before == dt.datetime(2026, 12, 4, 7, 0, tzinfo=SH)
    assert row.state == "queued"


def test_outside_quiet_hours_it_goes_at_once(district, settings):
    settings.HOTLINE_NOTIFY_QUIET_HOURS = "22:00-07:00"
    assert _tell_at(district, dt.datetime(2026, 12, 3, 10, 0, tzinfo=SH)).not_before is None


def test_an_emergency_order_is_told_during_quiet_hours(district, settings):
    settings.HOTLINE_NOTIFY_QUIET_HOURS = "22:00-07:00"
    row = _tell_at(district, dt.datetime(2026, 12, 3, 23, 10, tzinfo=SH), urgency="emergency")
    assert row.not_before is None and row.emergency


def test_a_person_s_own_quiet_hours_replace_the_default(district, settings):
    settings.HOTLINE_NOTIFY_QUIET_HOURS = "22:00-07:00"
    liqiang = district.people["liqiang"]
    services.save_preferences(liqiang, {Kind.NEW_ORDER: [Medium.SMS]}, (dt.time(12, 0), dt.time(14, 0)))
    assert _tell_at(district, dt.datetime(2026, 12, 3, 23, 10, tzinfo=SH)).not_before is None
    assert _tell_at(district, dt.datetime(2026, 12, 3, 12, 30, tzinfo=SH)).not_before == \
        dt.datetime(2026, 12, 3, 14, 0, tzinfo=SH)
    services.save_preferences(liqiang, {Kind.NEW_ORDER: [Medium.SMS]}, None)  # none at all
    assert _tell_at(district, dt.datetime(2026, 12, 3, 12, 30, tzinfo=SH)).not_before is None
