"""One order round the whole loop through the pages, in headless Chromium, as the six roles in
turn; a screenshot of each workspace is saved under test-artifacts/screenshots/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from hotline.orders.models import WorkOrder
from hotline.orders.states import State
from hotline.orders.trace import verify_all
from tests.orders import files

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make browser)"),
]


@pytest.fixture
def page():
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between page steps are ordinary synchronous code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        outside: list[str] = []
        page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(("http://localhost", "http://127.0.0.1", "data:", "blob:")) else None)
        page.outside_requests = outside  # type: ignore[attr-defined]
        yield page
        context.close()
        browser.close()


def login(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_it_drives_one_order_round_the_loop_as_six_roles(live_server, page, tmp_path):
    from hotline.demo.district import build_district

    district = build_district(password="pw")
    area, category = district.areas["east-lake"], district.categories["道路塌陷破损"]

    # 1. The agent takes the call.
    login(page, live_server, "wangfang")
    assert page.url.endswith("/intake/")
    page.fill("#id_caller_name", "张先生")
    page.fill("#id_caller_phone", "13812345678")
    page.select_option("#id_area", str(area.pk))
    page.fill("#id_address", "东湖路与湖滨路交叉口")
    page.fill("#id_title", "东湖路路面塌陷")
    page.fill("#id_description", "东湖路与湖滨路交叉口路面塌陷约一平方米，夜间有行人跌倒风险，请尽快处理。")
    page.select_option("#id_category", str(category.pk))
    page.wait_for_selector("#suggest >> text=东湖街道办事处", timeout=5000)
    shot(page, "1-intake")
    page.click("#intake-form button[type=submit]")
    page.wait_for_selector("text=已受理")
    order = WorkOrder.objects.get(title="东湖路路面塌陷")
    assert order.state == State.RECEIVED

    # 2. The dispatcher sends it to the unit the responsibility list names.
    login(page, live_server, "chengang")
    assert page.url.endswith("/dispatch/")
    shot(page, "2-dispatch")
    page.click(f"form[action='/orders/{order.pk}/act/dispatch/'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    order.refresh_from_db()
    assert order.state == State.DISPATCHED and order.lead_unit == district.units["street-a"]

    # 3. The street office signs, calls the caller, uploads a site photo and replies.
    login(page, live_server, "liqiang")
    assert page.url.endswith("/inbox/")
    shot(page, "3-inbox")
    page.click(f"form[action='/orders/{order.pk}/act/sign/'] button[type=submit]")
    page.wait_for_url(f"**/orders/{order.pk}/")
    assert "138****5678" in page.content()
    page.click("details.action-contact summary")
    page.fill("#id_contact-text", "已电话联系张先生，约定下午到现场查看。")
    page.click("details.action-contact button[type=submit]")
    page.wait_for_load_state("networkidle")
    photo = tmp_path / "site.png"
    photo.write_bytes(files.png())  # a real one: uploads are checked by their content
    page.click("details.action-attach summary")
    page.set_input_files("#id_attach-file", str(photo))
    page.click("details.action-attach button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.set_viewport_size({"width": 390, "height": 844})  # the unit's pages work on a phone
    shot(page, "3-order-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("details.action-reply summary")
    page.fill("#id_reply-process", "接到工单后当天下午到现场查看，设置围挡警示，并通知市政养护单位连夜修复。")
    page.fill("#id_reply-outcome", "路面已于次日上午修复完毕，已电话告知来电人。")
    page.check("#id_reply-contacted_caller")
    page.wait_for_selector("#reply-check li.ok")
    shot(page, "3-reply")
    with page.expect_navigation():  # the reply form posts by htmx, then the page reloads (HX-Redirect)
        page.click("details.action-reply button[type=submit]")
    page.wait_for_load_state("networkidle")
    order.refresh_from_db()
    assert order.state == State.REPLIED

    # 4. The reviewer approves it, with the request and the trace beside the reply.
    login(page, live_server, "zhoushen")
    assert page.url.endswith("/review/")
    shot(page, "4-review")
    with page.expect_navigation():  # the effect checklist is answered "yes" by default: one click
        page.click(f"form[action='/orders/{order.pk}/act/approve/'] button[type=submit]:not([formaction])")
    page.wait_for_load_state("networkidle")
    order.refresh_from_db()
    assert order.state == State.AWAITING_CALLBACK

    # 5. The callback agent asks the caller.
    login(page, live_server, "sunhui")
    assert page.url.endswith("/callback/")
    assert "13812345678" in page.content()
    page.select_option("#id_callback-contacted", "1")
    page.select_option("#id_callback-resolved", "1")
    page.select_option("#id_callback-satisfaction", "satisfied")
    shot(page, "5-callback")
    page.click(f"form[action='/orders/{order.pk}/act/callback/'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    order.refresh_from_db()
    assert order.state == State.CLOSED

    # 6. The supervisor sees it in the overview, and the whole trace on the order page.
    login(page, live_server, "liudu")
    assert page.url.endswith("/overview/")
    page.wait_for_function("document.querySelectorAll('canvas').length >= 2")
    shot(page, "6-overview")
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    assert page.locator("#timeline li").count() == order.event_seq
    shot(page, "6-order")
    assert list(verify_all()) == []
    assert page.outside_requests == []  # nothing loaded from outside the app
