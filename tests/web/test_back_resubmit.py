"""In the real browser: submit a call, press Back, submit again: still one order. And the unit's
inbox on a phone: titles wrap as text, not 2–3 characters a line."""

from __future__ import annotations

import pytest

from hotline.orders.models import WorkOrder
from tests.web.test_browser_loop import CHROMIUM, login, page, shot  # noqa: F401 - the page fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not __import__("os").path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]


def _fill(tab, area_pk: int) -> None:
    tab.fill("#id_caller_phone", "13812345678")
    tab.select_option("#id_area", str(area_pk))
    tab.fill("#id_title", "西城路路灯不亮")
    tab.fill("#id_description", "西城路与湖滨路交叉口路灯不亮三天，夜间行人看不清路面。")


@pytest.mark.django_db(transaction=True)
def test_back_and_submit_again_still_records_one_order(live_server, page):  # noqa: F811
    from hotline.demo.district import build_district

    district = build_district(password="pw")
    login(page, live_server, "wangfang")
    _fill(page, district.areas["west-city"].pk)
    page.click("#intake-form button[type=submit]")
    page.wait_for_selector("text=已受理")
    assert WorkOrder.objects.count() == 1
    page.go_back()
    page.wait_for_load_state("networkidle")
    if not page.input_value("#id_title"):  # the browser fetched the form anew: the agent types it again
        _fill(page, district.areas["west-city"].pk)
    page.click("#intake-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert WorkOrder.objects.count() == 1
    order = WorkOrder.objects.get()
    assert f"此来电已登记为工单 {order.number}" in page.content()


@pytest.mark.django_db(transaction=True)
def test_the_inbox_titles_wrap_as_text_on_a_phone(live_server, page):  # noqa: F811
    from hotline.demo.district import build_district
    from hotline.orders import actions
    from tests.conftest import make_order

    district = build_district(password="pw")
    oid = make_order(district, title="东湖路与湖滨路交叉口路面塌陷约一平方米夜间有行人跌倒风险")
    actions.do_dispatch(oid, actor=district.people["chengang"], unit_id=district.units["street-a"].pk)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, "liqiang")
    shot(page, "inbox-phone")
    cell = page.locator("#sec-to_sign tr:has(a) td:nth-child(2)").first
    box = cell.bounding_box()
    assert box is not None and box["width"] >= 300  # the title has the card's width
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
