"""On a freshly built demo, the previous month's monthly report, opened in headless Chromium by
the district's supervisor, shows its orders, its rankings by unit group, the gaming unit and the
warnings."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from hotline.demo.district import DEMO_PASSWORD
from tests.web.test_browser_loop import CHROMIUM, page  # noqa: F401 (the fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not __import__("os").path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]


@pytest.mark.django_db(transaction=True)
def test_last_month_s_report_of_a_fresh_demo_shows_rankings_and_warnings(live_server, page):  # noqa: F811
    call_command("demo", "--orders", "400", "--seed", "11", "--taxonomy", "", stdout=StringIO())
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "liudu")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/assessment/report/")  # redirects to the previous month
    previous = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    assert page.url.endswith(f"month={previous:%Y-%m}")
    sections = page.locator("section")
    ranking = sections.filter(has_text="二、分类排名")
    assert ranking.locator("h3").count() >= 2  # unit groups, each with its table of units
    assert ranking.locator("tbody tr").count() >= 5
    assert "北山镇人民政府" in ranking.inner_text()
    gaming = sections.filter(has_text="三、疑似刷分").inner_text()
    assert "南苑街道办事处" in gaming
    warnings = sections.filter(has_text="六、预警").locator("li")
    texts = warnings.all_inner_texts()
    assert texts and "无。" not in texts
    assert any("超时答复" in t for t in texts)
    overview = sections.filter(has_text="一、总体情况").inner_text()
    assert "本月受理0件" not in overview and "有效回访0件" not in overview
    assert page.outside_requests == []
