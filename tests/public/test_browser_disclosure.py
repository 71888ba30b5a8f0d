"""The disclosure pages on a phone: no WCAG 2.1 AA violation (axe-core) on the index and on a month
with real figures, no sideways scrolling at 320 px, the month and CSV links reachable with the
Tab key alone, nothing loaded from outside, and the language switch giving the English page."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from tests.public.browser import axe_violations, browser_only, overflows_horizontally, phone  # noqa: F401

pytestmark = browser_only


def _district_with_a_month():
    from hotline.demo.district import build_district
    from hotline.orders import actions
    from tests.assessment.conftest import closed
    from tests.conftest import make_order

    district = build_district(password="pw")
    for _ in range(2):
        closed(district, "street-a")
    closed(district, "street-b", resolved=False, satisfaction="unsatisfied")
    closed(district, "street-c", satisfaction="basic")
    closed(district, "enforcement")
    oid = make_order(district, caller_name="欧阳秘密", title="骚扰诉求")
    actions.do_screen_out(oid, actor=district.people["chengang"], reason="malicious", advice="请通过其他渠道反映。")
    return district


def _tab_targets(page, presses: int = 60) -> list[str]:
    """The href (or tag) of each element the Tab key reaches, in order."""
    seen = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("document.activeElement.getAttribute('href') || document.activeElement.tagName"))
    return seen


@pytest.mark.django_db(transaction=True)
@override_settings(HOTLINE_ASSESSMENT={"min_sample": 2})
def test_the_disclosure_is_accessible_on_a_phone_and_by_keyboard(live_server, phone):  # noqa: F811
    cache.clear()
    _district_with_a_month()
    slug = f"{timezone.localdate():%Y-%m}"

    response = phone.goto(f"{live_server.url}/public/stats/")
    assert response is not None and response.status == 200
    phone.wait_for_load_state("networkidle")
    assert axe_violations(phone) == []
    assert not overflows_horizontally(phone)
    assert f"/public/stats/{slug}/" in _tab_targets(phone, 12)

    response = phone.goto(f"{live_server.url}/public/stats/{slug}/")
    assert response is not None and response.status == 200
    phone.wait_for_load_state("networkidle")
    assert phone.locator("table.stats-ranking tbody tr").count() >= 3
    assert phone.get_by_text("样本不足").count() >= 1
    assert axe_violations(phone) == []
    assert not overflows_horizontally(phone)
    reached = _tab_targets(phone)
    for name in ("figures", "rankings", "screened"):
        assert f"/public/stats/{slug}/{name}.csv" in reached, name
    assert "/public/stats/" in reached

    # The bad month's page is accessible too.
    response = phone.goto(f"{live_server.url}/public/stats/2026-13/")
    assert response is not None and response.status == 404
    assert axe_violations(phone) == []
    assert phone.outside_requests == []


@pytest.mark.django_db(transaction=True)
def test_the_language_switch_gives_the_english_disclosure(live_server, phone):  # noqa: F811
    cache.clear()
    _district_with_a_month()
    slug = f"{timezone.localdate():%Y-%m}"
    phone.goto(f"{live_server.url}/public/stats/{slug}/")
    assert phone.locator("h1").inner_text().endswith("月公示")
    phone.get_by_role("button", name="English").click()
    phone.wait_for_load_state("networkidle")
    assert phone.url.endswith(f"/public/stats/{slug}/")
    assert phone.locator("h1").inner_text().startswith("Disclosure for")
    assert phone.get_by_text("Ranking of units").count() >= 1
    assert phone.evaluate("document.documentElement.lang") == "en"
    assert axe_violations(phone) == []
    assert not overflows_horizontally(phone)
    assert phone.outside_requests == []
