"""Who gets what: a unit's people on a new order, a redo, an urge, a supervise; the text from the
template; nobody for actions that tell nobody, and never the actor."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from hotline.notify.models import Notification, Template
from hotline.orders import actions
from tests.conftest import make_order
from tests.orders.loop import S, bring_to


def at_noon():
    return timezone.localtime().replace(hour=12, minute=0)


def test_a_dispatch_tells_the_lead_unit_s_handler_and_head_by_sms(district, told, settings):
    settings.HOTLINE_NOTIFY_QUIET_HOURS = ""
    p = district.people
    oid = make_order(district)
    order = told(actions.do_dispatch, oid, actor=p["chengang"], unit_id=district.units["street-a"].pk)
    assert told.who() == ["liqiang", "lizhang"]
    row = next(r for r in told.rows if r.person.username == "liqiang")
    assert (row.kind, row.medium, row.state, row.address) == ("new_order", "sms", "queued", "13900000001")
    assert row.order_id == oid and row.order_number == order.number
    assert order.number in row.text and "东湖路路面塌陷" in row.text and f"/orders/{oid}/" in row.text
    assert row.not_before is None


def test_a_units_system_key_account_is_not_told(district, told, settings):
    from hotline.api.keys import create_system_key

    settings.HOTLINE_NOTIFY_QUIET_HOURS = ""
    create_system_key(name="street-a-app", scopes=["orders:read"], role="handler", unit_code="street-a")
    oid = make_order(district)
    told(actions.do_dispatch, oid, actor=district.people["chengang"], unit_id=district.units["street-a"].pk)
    assert told.who() == ["liqiang", "lizhang"]


def test_a_joint_dispatch_tells_the_co_units_too_and_others_nobody(district, told):
    p, u = district.people, district.units
    oid = make_order(district)
    told(actions.do_dispatch, oid, actor=p["chengang"], unit_id=u["street-a"].pk, co_unit_ids=[u["street-b"].pk],
         note="需两个街道共同处理")
    assert told.who() == ["liqiang", "lizhang", "zhaomin"]
    assert "hanxue" not in told.who() and "liudu" not in told.who()


def test_the_leads_urge_tells_only_the_co_unit_it_urges(district, told, settings):
    settings.HOTLINE_NOTIFY_QUIET_HOURS = ""
    p, u = district.people, district.units
    oid = make_order(district)
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=u["street-a"].pk,
                        co_unit_ids=[u["street-b"].pk, u["enforcement"].pk], note="需街道和城管共同处理")
    told(actions.do_co_urge, oid, actor=p["liqiang"], unit_id=u["street-b"].pk, text="请尽快反馈协办情况")
    assert told.who() == ["zhaomin"]
    assert told.rows[0].kind == "urge" and "请尽快反馈协办情况" in told.rows[0].text
    told.rows.clear()
    told(actions.do_co_sign, oid, actor=p["zhaomin"])
    assert told.rows == []


def test_signing_and_progress_tell_nobody(district, told):
    p = district.people
    oid = bring_to(district, S.DISPATCHED)
    told(actions.do_sign, oid, actor=p["liqiang"])
    assert told.rows == []
    told(actions.do_progress, oid, actor=p["liqiang"], text="已到现场查看")
    assert told.rows == []


def test_an_urge_tells_the_unit_with_the_urging_text(district, told):
    p = district.people
    oid = bring_to(district, S.IN_PROGRESS)
    told(actions.do_urge, oid, actor=p["chengang"], text="来电人再次来电催促")
    assert told.who(kind="urge") == ["liqiang", "lizhang"]
    assert all("来电人再次来电催促" in r.text for r in told.rows)


def test_the_actor_is_not_told_of_their_own_action(district, told):
    p = district.people
    oid = make_order(district, area="east-lake")
    told(actions.do_claim, oid, actor=p["liqiang"], note="本街道辖区")
    assert told.who() == ["lizhang"]


def test_a_redo_tells_the_unit(district, told):
    p = district.people
    oid = bring_to(district, S.REPLIED)
    told(actions.do_redo, oid, actor=p["zhoushen"], reasons=["no_outcome"], note="未写明修复完成时间")
    assert told.who(kind="redo") == ["liqiang", "lizhang"]
    assert "未写明修复完成时间" in told.rows[0].text


def test_supervision_tells_the_unit_and_lifting_it_tells_nobody(district, told):
    p = district.people
    oid = bring_to(district, S.IN_PROGRESS)
    told(actions.do_supervise, oid, actor=p["liudu"], text="列入本周督办事项")
    assert told.who(kind="supervise") == ["liqiang", "lizhang"]
    told(actions.do_supervise, oid, actor=p["liudu"], text="已处理，解除督办", on=False)
    assert told.rows == []


def test_an_escalation_and_an_accepted_return_tell_the_new_unit(district, told):
    p, u = district.people, district.units
    oid = bring_to(district, S.RETURNED)
    told(actions.do_accept_return, oid, actor=p["chengang"], unit_id=u["street-b"].pk, note="属西城街道辖区")
    assert told.who() == ["zhaomin"]


def test_the_administrator_s_edited_template_is_what_is_sent(district, told):
    Template.objects.filter(kind="new_order").update(subject="派单{{ number }}",
                                                     body="{{ person }}您好，{{ unit }}收到新工单{{ number }}。")
    p = district.people
    oid = make_order(district)
    order = told(actions.do_dispatch, oid, actor=p["chengang"], unit_id=district.units["street-a"].pk)
    row = next(r for r in told.rows if r.person.username == "liqiang")
    assert row.text == f"李强您好，东湖街道办事处收到新工单{order.number}。"
    assert row.subject == f"派单{order.number}"


def test_an_inactive_handler_is_not_told(district, told):
    p = district.people
    p["lizhang"].is_active = False
    p["lizhang"].save()
    told(actions.do_dispatch, make_order(district), actor=p["chengang"], unit_id=district.units["street-a"].pk)
    assert told.who() == ["liqiang"]


def test_a_due_time_is_written_in_local_time(district, told):
    p = district.people
    oid = make_order(district)
    order = told(actions.do_dispatch, oid, actor=p["chengang"], unit_id=district.units["street-a"].pk)
    due = timezone.localtime(order.sign_due).strftime("%Y-%m-%d %H:%M")
    assert due in told.rows[0].text
    assert isinstance(told.rows[0].created_at, dt.datetime)
    assert Notification.objects.filter(order_id=oid).count() == 2
