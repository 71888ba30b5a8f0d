"""The pages of supervision (督办): opening one with its deadline from the order page, the unit's
feedback there, the list /supervision/ with its tabs, filters and CSV export, who may open it,
and the unit's supervised orders in its workspace."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.test import Client

from hotline.orders import actions, clock
from hotline.orders.models import Supervision
from hotline.orders.states import State
from tests.orders.loop import FEEDBACK_TEXT, bring_to

INSTRUCTION = "供暖不热，来电人多次反映，限3个工作日反馈"


def _as(client, district, name):
    client.force_login(district.people[name])
    return client


def test_the_supervisor_opens_a_supervision_from_the_order_page_and_the_unit_feeds_back(district, client):
    d = district
    oid = bring_to(d, State.IN_PROGRESS)
    c = _as(client, d, "liudu")
    assert "反馈时限" in c.get(f"/orders/{oid}/").content.decode()
    bad = c.post(f"/orders/{oid}/act/supervise/", {"supervise-text": INSTRUCTION, "supervise-days": "99"})
    assert bad.status_code == 400 and not Supervision.objects.exists()
    ok = c.post(f"/orders/{oid}/act/supervise/", {"supervise-text": INSTRUCTION, "supervise-days": "3"})
    assert ok.status_code == 302
    assert Supervision.objects.get(order_id=oid).due_days == 3
    h = _as(client, d, "liqiang")
    page = h.get(f"/orders/{oid}/").content.decode()
    assert INSTRUCTION in page and "督办反馈" in page
    done = h.post(f"/orders/{oid}/act/supervision_feedback/", {"supervision_feedback-text": FEEDBACK_TEXT})
    assert done.status_code == 302
    assert Supervision.objects.get(order_id=oid).state == "answered"


def test_the_list_shows_each_tab_and_filters_by_unit_and_state(district, client):
    d = district
    a, b, e = bring_to(d, State.IN_PROGRESS), bring_to(d, State.IN_PROGRESS), bring_to(d, State.DISPATCHED)
    for oid in (a, b, e):
        actions.do_supervise(oid, actor=d.people["liudu"], text=INSTRUCTION, days=1)
    actions.do_supervision_feedback(b, actor=d.people["liqiang"], text=FEEDBACK_TEXT)
    sup_a = Supervision.objects.get(order_id=a)
    c = _as(client, d, "liudu")
    with clock.at(sup_a.due + dt.timedelta(hours=1)):
        actions.escalate_missed()
    numbers = {oid: Supervision.objects.get(order_id=oid).order.number for oid in (a, b, e)}
    escalated = c.get("/supervision/?tab=escalated").content.decode()
    assert numbers[a] in escalated and numbers[e] in escalated and numbers[b] not in escalated
    answered = c.get("/supervision/?tab=answered").content.decode()
    assert numbers[b] in answered and numbers[a] not in answered
    only = c.get("/supervision/?tab=all&state=answered").content.decode()
    assert numbers[b] in only and numbers[a] not in only
    other_unit = c.get(f"/supervision/?tab=all&unit={d.units['street-b'].pk}").content.decode()
    assert numbers[a] not in other_unit
    for bad in ("?tab=nonsense", "?state=%3Dcmd", "?unit=abc", "?unit=99999999999999999999999", "?page=0"):
        assert c.get(f"/supervision/{bad}").status_code == 400, bad


def test_the_csv_export_neutralises_formulas(district, client):
    d = district
    oid = bring_to(d, State.IN_PROGRESS)
    actions.do_supervise(oid, actor=d.people["liudu"], text="=HYPERLINK(\"http://x\")请反馈")
    resp = _as(client, d, "liudu").get("/supervision/?tab=all&format=csv")
    assert resp.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode("utf-8-sig")
                                       if resp.streaming else resp.content.decode("utf-8-sig"))))
    assert rows[0][0] == "工单编号" and len(rows) == 2
    assert rows[1][5].startswith("'=")


def test_who_opens_the_list_and_a_unit_sees_only_its_own(district, client):
    d = district
    ours, theirs = bring_to(d, State.IN_PROGRESS), bring_to(d, State.RECEIVED, area="west-city")
    actions.do_dispatch(theirs, actor=d.people["chengang"], unit_id=d.units["street-b"].pk)
    for oid in (ours, theirs):
        actions.do_supervise(oid, actor=d.people["liudu"], text=INSTRUCTION)
    number = {oid: Supervision.objects.get(order_id=oid).order.number for oid in (ours, theirs)}
    for name in ("wangfang", "zhoushen", "sunhui"):
        assert _as(client, d, name).get("/supervision/").status_code == 403, name
    page = _as(client, d, "liqiang").get("/supervision/").content.decode()
    assert number[ours] in page and number[theirs] not in page
    # the unit filter cannot widen a unit's view
    widened = _as(client, d, "liqiang").get(f"/supervision/?unit={d.units['street-b'].pk}").content.decode()
    assert number[theirs] not in widened
    inbox = _as(client, d, "liqiang").get("/inbox/").content.decode()
    assert 'id="sec-supervision"' in inbox and number[ours] in inbox and number[theirs] not in inbox
    menu = _as(client, d, "chengang").get("/orders/").content.decode()
    assert "/supervision/" in menu


def test_the_order_page_offers_only_the_steps_the_supervision_can_take(district, client):
    d = district
    oid = bring_to(d, State.IN_PROGRESS)
    c = _as(client, d, "liudu")

    def offered() -> set[str]:
        page = c.get(f"/orders/{oid}/").content.decode()
        verbs = ("supervise", "close_supervision", "lift_supervision", "escalate_supervision")
        return {v for v in verbs if f"/orders/{oid}/act/{v}/" in page}

    assert offered() == {"supervise"}
    actions.do_supervise(oid, actor=d.people["liudu"], text=INSTRUCTION)
    assert offered() == {"lift_supervision", "escalate_supervision"}
    actions.do_supervision_feedback(oid, actor=d.people["liqiang"], text=FEEDBACK_TEXT)
    assert offered() == {"close_supervision", "lift_supervision"}
    handler = _as(Client(), d, "liqiang").get(f"/orders/{oid}/").content.decode()
    assert f"/orders/{oid}/act/supervision_feedback/" not in handler  # answered already
