"""Under the Content Security Policy the pages still work in a real browser: no violation on the
main pages of every role, the charts, htmx, the report's print button and the Django admin."""

from __future__ import annotations

import pytest

from tests.web.test_browser_loop import login, page  # noqa: F401  (the page fixture)

pytestmark = pytest.mark.browser

PAGES = {
    "wangfang": ["/intake/", "/orders/"],
    "chengang": ["/dispatch/", "/triage/review/", "/triage/stats/"],
    "liqiang": ["/inbox/"],
    "zhoushen": ["/review/"],
    "sunhui": ["/callback/"],
    "liudu": ["/overview/", "/assessment/", "/assessment/diagnostics/", "/assessment/report/", "/assessment/gaming/"],
    "admin": ["/admin/", "/admin/directory/user/", "/admin/directory/user/add/", "/admin/axes/accessattempt/"],
}


@pytest.mark.django_db(transaction=True)
def test_no_page_violates_the_content_security_policy(live_server, page):  # noqa: F811
    from hotline.demo.district import build_district

    build_district(password="pw")
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(f"{page.url}: {msg.text}")
            if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text else None)
    page.on("pageerror", lambda err: violations.append(f"{page.url}: {err}"))
    for username, urls in PAGES.items():
        login(page, live_server, username)
        for url in urls:
            response = page.goto(f"{live_server.url}{url}")
            page.wait_for_load_state("networkidle")
            assert response is not None and response.status == 200, (url, response and response.status)
            assert "Content-Security-Policy" in response.headers or "content-security-policy" in response.headers
    # The inline chart script ran (a refused nonce would leave the canvas blank and log a violation).
    login(page, live_server, "liudu")
    page.goto(f"{live_server.url}/overview/")
    page.wait_for_load_state("networkidle")
    assert violations == []
    assert page.outside_requests == []
