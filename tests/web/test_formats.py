"""Figures read the same everywhere: a rate is a percentage with one decimal on every page, zero
overdue orders are not shown as an alarm, and a form label ends in one punctuation mark."""

from __future__ import annotations

import re

from django.conf import settings
from django.test import Client

from hotline.orders import actions
from hotline.orders.models import WorkOrder
from tests.assessment.conftest import dispatched, handled
from tests.conftest import make_order
from tests.web.test_overview import close_with


def as_user(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_composite_score_reads_the_same_on_the_overview_and_the_assessment(district):
    close_with(district, resolved=True, satisfaction="satisfied")
    close_with(district, resolved=False, satisfaction="basic")
    c = as_user(district.people["liudu"])
    overview = c.get("/overview/").content.decode()
    assessment = c.get("/assessment/").content.decode()
    # composite 0.1 × 1 + 0.5 × 0.5 + 0.4 × 0.95 = 0.73
    assert "73.0%" in overview and "73.0%" in assessment
    assert "0.730" not in overview


def _overdue_card(html: str) -> str:
    return re.search(r'<div class="kpi[^"]*">\d+</div><div class="kpi-label">超期工单', html).group(0)


def test_zero_overdue_orders_are_not_shown_in_red(district):
    html = as_user(district.people["liudu"]).get("/overview/").content.decode()
    card = _overdue_card(html)
    assert ">0<" in card and "bad" not in card


def test_overdue_orders_are_shown_in_red(district):
    oid = make_order(district)
    actions.do_dispatch(oid, actor=district.people["chengang"], unit_id=district.units["street-a"].pk)
    order = WorkOrder.objects.get(pk=oid)
    # Pushed into the past the way only time can: no action sets a deadline behind it.
    WorkOrder.objects.filter(pk=oid).update(sign_due=order.received_at, reply_due=order.received_at)
    card = _overdue_card(as_user(district.people["liudu"]).get("/overview/").content.decode())
    assert ">1<" in card and 'class="kpi bad"' in card


def test_a_question_label_takes_no_colon_after_it(district):
    p = district.people
    oid = handled(district, dispatched(district))  # awaiting callback: the callback form asks questions
    for language in ("zh-hans", "en"):
        c = as_user(p["sunhui"])
        c.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        html = c.get(f"/orders/{oid}/").content.decode()
        labels = re.findall(r"<label[^>]*>(.*?)</label>", html, re.S)
        assert labels, language
        doubled = [x for x in labels if re.search(r"[？?：:。.！!][：:]\s*$", x)]
        assert not doubled, (language, doubled)
        assert any(x.strip().endswith(("？", "?")) for x in labels), language
