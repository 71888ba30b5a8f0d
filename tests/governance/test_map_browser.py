"""The district map in headless Chromium: the areas' polygons drawn, nothing fetched from
outside the app, no Content Security Policy violation."""

from __future__ import annotations

import pytest

from hotline.governance import geo
from tests.governance.test_map import fc, square
from tests.web.test_browser_loop import CHROMIUM, login, page  # noqa: F401  (the page fixture)

pytestmark = [pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
def test_the_map_draws_the_areas_offline(live_server, page):  # noqa: F811
    from hotline.demo.district import build_district

    build_district(password="pw")
    geo.save_boundaries(fc(square("east-lake", 112.9, 28.2), square("west-city", 112.91, 28.2),
                           square("south-park", 112.9, 28.19)))
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    login(page, live_server, "liudu")
    page.goto(f"{live_server.url}/governance/map/")
    page.wait_for_selector("#map[data-ready='1']", timeout=10000)
    assert page.locator("path.map-area").count() == 3
    assert page.outside_requests == []
    assert not [m for m in console if "Content Security Policy" in m]
