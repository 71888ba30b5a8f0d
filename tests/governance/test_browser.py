"""The hotspot board in a real browser: the sparklines are drawn, no Content Security Policy
violation, no request outside the app; the burst banner on the dispatch board."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.web.test_browser_loop import login, page  # noqa: F401  (the page fixture)

from .data import WATER

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_the_board_and_the_banner_load_with_nothing_from_outside(live_server, page):  # noqa: F811
    from hotline import outbox
    from hotline.demo.district import build_district
    from hotline.governance.models import Hotspot
    from hotline.orders import actions

    district = build_district(password="pw")
    first = timezone.now() - dt.timedelta(minutes=20)
    for i in range(6):
        actions.do_create(actions.Intake(
            title=WATER[i], description=WATER[i], caller_phone=f"1360000000{i}", area_id=district.areas["east-lake"].pk,
            address="东湖路与湖滨路交叉口", received_at=first + dt.timedelta(minutes=3 * i)), actor=district.people["wangfang"])
    now = timezone.now() + dt.timedelta(seconds=5)
    while outbox.deliver_due("governance", now=now):
        pass
    hotspot = Hotspot.objects.get()
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda err: violations.append(str(err)))
    login(page, live_server, "liudu")
    page.goto(f"{live_server.url}/governance/hotspots/")
    page.wait_for_load_state("networkidle")
    assert page.locator("svg.sparkline").count() == 1
    page.get_by_role("link", name=hotspot.label).first.click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name=hotspot.label).is_visible()
    login(page, live_server, "chengang")
    page.goto(f"{live_server.url}/dispatch/")
    page.wait_for_load_state("networkidle")
    assert page.locator(".burst-banner").is_visible()
    assert violations == [] and page.outside_requests == []
