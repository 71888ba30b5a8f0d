"""One rule, one place: "open" is selectors.open_orders (the states' OPEN_STATES group) and
"overdue" is selectors.overdue_q, wherever a page counts or tags orders."""

import datetime as dt
import re
from pathlib import Path

from django.test import Client
from django.utils import timezone

from hotline.orders import actions, selectors
from hotline.orders.models import WorkOrder
from hotline.orders.states import State
from tests.conftest import make_order

SRC = Path(__file__).resolve().parents[2] / "src" / "hotline"


def _signed(district) -> int:
    oid = make_order(district)
    p = district.people
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=district.units["street-a"].pk, note="按属地派单")
    actions.do_sign(oid, actor=p["liqiang"])
    return oid


def test_the_inbox_tags_the_row_of_an_order_whose_caller_was_not_contacted_in_time(district):
    oid = _signed(district)
    now = timezone.now()
    # the reply is not due yet, but the first-contact clock ran out without a contact
    WorkOrder.objects.filter(pk=oid).update(contact_due=now - dt.timedelta(hours=1), reply_due=now + dt.timedelta(days=3))
    assert selectors.overdue(WorkOrder.objects.filter(pk=oid)).count() == 1
    c = Client()
    c.force_login(district.people["liqiang"])
    page = c.get("/inbox/").content.decode()
    assert "1 件超期" in page
    row = re.search(r'<section class="card" id="sec-in_progress">.*?</section>', page, re.S).group(0)
    assert '<span class="tag bad">超期</span>' in row


def test_the_inbox_tags_no_row_when_the_count_is_zero(district):
    oid = _signed(district)
    now = timezone.now()
    actions.do_contact(oid, actor=district.people["liqiang"], text="已电话联系来电人，约定到场时间。")
    # contacted late, but contacted: that clock has stopped; the reply is not due yet
    WorkOrder.objects.filter(pk=oid).update(contact_due=now - dt.timedelta(hours=1), reply_due=now + dt.timedelta(days=3))
    c = Client()
    c.force_login(district.people["liqiang"])
    page = c.get("/inbox/").content.decode()
    assert "件超期" not in page and '<span class="tag bad">超期</span>' not in page


def test_the_overview_counts_open_orders_by_the_one_rule(district, monkeypatch):
    make_order(district)
    _signed(district)
    c = Client()
    c.force_login(district.people["liudu"])
    assert c.get("/overview/").context["open"] == 2
    # were the rule to change, the page would follow it (it does not keep its own copy)
    monkeypatch.setattr(selectors, "OPEN_STATES", frozenset({State.RECEIVED}))
    assert c.get("/overview/").context["open"] == 1


def test_no_module_derives_open_or_final_again():
    allowed = {SRC / "orders" / "states.py", SRC / "orders" / "selectors.py"}
    copies = []
    for path in SRC.rglob("*.py"):
        if path in allowed or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\b(OPEN_STATES|FINAL_STATES)\b", text) or re.search(
                r"State\.CLOSED, State\.SCREENED_OUT, State\.MERGED", text):
            copies.append(str(path.relative_to(SRC)))
    assert copies == []
