"""In headless Chromium: choosing a category at intake pre-selects its deadline rule's default
urgency, once per category (the agent's own choice then stands), and the order is timed by the
rule. A screenshot of the rules page is saved under test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.utils import timezone

from tests.web.test_browser_loop import CHROMIUM, login, page, shot  # noqa: F401 - the page fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make browser)"),
]


@pytest.mark.django_db(transaction=True)
def test_choosing_wage_arrears_at_intake_pre_selects_complex_and_times_the_order_by_the_rule(live_server, page):  # noqa: F811
    from hotline.demo.district import build_district
    from hotline.directory.models import DeadlineKind, DeadlineRule
    from hotline.orders.models import WorkOrder

    d = build_district(password="pw")
    rule = DeadlineRule.objects.create(
        category=d.categories["拖欠农民工工资"].parent, reply_amount=15, reply_unit="workdays", default_urgency="complex",
        kind=DeadlineKind.STANDING, approved_by="区12345热线中心主任办公会", effective_from=timezone.localdate(),
        approved_on=timezone.localdate() - dt.timedelta(days=3), basis="欠薪诉求5个工作日内无法办结。")
    login(page, live_server, "wangfang")
    page.fill("#id_title", "包工头拖欠工资")
    page.fill("#id_description", "来电人在北山镇工地务工三个月，包工头拖欠工资两万元，请帮忙追讨。")
    assert page.input_value("#id_urgency") == "general"
    page.select_option("#id_category", str(d.categories["拖欠农民工工资"].pk))
    page.wait_for_selector("#deadline-hint >> text=15个工作日", timeout=5000)
    page.wait_for_function("document.getElementById('id_urgency').value === 'complex'", timeout=5000)
    # the agent judges this call an emergency: the next refresh of the suggestions keeps it
    page.select_option("#id_urgency", "emergency")
    page.fill("#id_description", "来电人在北山镇工地务工三个月，包工头拖欠工资两万元，工友情绪激动，请帮忙追讨。")
    page.wait_for_timeout(1200)
    assert page.input_value("#id_urgency") == "emergency"
    page.select_option("#id_urgency", "complex")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    order = WorkOrder.objects.get(title="包工头拖欠工资")
    assert order.urgency == "complex"

    login(page, live_server, "chengang")
    page.goto(f"{live_server.url}/deadlines/")
    assert rule.label in page.inner_text("#current")
    shot(page, "deadline-rules")
