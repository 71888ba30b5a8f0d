"""A citizen on a phone: files a request with a photo using the keyboard, gets its number and
code, follows it after staff take it round the loop, and evaluates it online; the answer counts
in the unit's figures. Every page passes axe-core's WCAG 2.1 AA rules, fits 320 px and loads
nothing from outside."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone

from hotline.assessment import indicators
from hotline.orders.models import Callback, WorkOrder
from tests.public.browser import axe_violations, browser_only, overflows_horizontally, phone  # noqa: F401
from tests.public.helpers import take_round

pytestmark = browser_only


def _checked(page, what: str) -> None:
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == [], what
    assert not overflows_horizontally(page), what
    assert page.outside_requests == [], what


def _png(tmp_path):
    from PIL import Image

    path = tmp_path / "pothole.png"
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (90, 90, 90)).save(buf, format="PNG")
    path.write_bytes(buf.getvalue())
    return path


@pytest.mark.django_db(transaction=True)
def test_a_citizen_files_follows_and_evaluates_on_a_phone(live_server, phone, tmp_path):  # noqa: F811
    from hotline.demo.district import build_district

    district = build_district(password="pw")
    page = phone
    page.goto(f"{live_server.url}/public/")
    _checked(page, "file form")

    # Keyboard only: Tab from the title through the form, typing into each field.
    page.focus("#id_title")
    page.keyboard.type("东湖路路面塌陷")
    page.keyboard.press("Tab")
    page.keyboard.type("东湖路与湖滨路交叉口路面塌陷约一平方米，夜间有行人跌倒风险。")
    page.keyboard.press("Tab")  # category: left to triage
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_area"
    page.select_option("#id_area", str(district.areas["east-lake"].pk))
    page.keyboard.press("Tab")
    page.keyboard.type("东湖路与湖滨路交叉口")
    page.set_input_files("#id_photos", str(_png(tmp_path)))
    page.focus("#id_name")
    page.keyboard.type("张先生")
    page.keyboard.press("Tab")
    page.keyboard.type("13812345678")
    page.keyboard.press("Tab")  # the honeypot is skipped: the next stop is the challenge
    assert page.evaluate("document.activeElement.id") == "id_answer"
    a, b = page.get_attribute("[data-challenge]", "data-challenge").split("+")
    page.keyboard.type(str(int(a) + int(b)))
    page.keyboard.press("Enter")
    page.wait_for_url("**/public/filed/")
    _checked(page, "file done")
    number = page.inner_text("#order-number").strip()
    code = page.inner_text("#query-code").strip()
    order = WorkOrder.objects.get(number=number)
    assert order.channel == "web" and order.evidence.count() == 1

    take_round(district, order.pk)

    page.click("text=查询办理进度")
    page.wait_for_url("**/public/track/")
    _checked(page, "track form")
    page.fill("#id_number", number)
    page.fill("#id_code", "WRONG123")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("text=工单编号或查询码不正确")
    _checked(page, "track error")
    page.fill("#id_number", number)
    page.fill("#id_code", code)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/public/track/{number}/")
    _checked(page, "track result with evaluation")
    assert "已办结，请您评价" in page.content() and "东湖街道办事处" in page.content()

    page.check("#id_contacted_0")
    page.check("#id_resolved_0")
    page.check("#id_satisfaction_0")
    page.fill("#id_comment", "处理及时")
    with page.expect_navigation():
        page.click("button:has-text('提交评价')")
    page.wait_for_selector("text=感谢您的评价")
    _checked(page, "after evaluation")

    cb = Callback.objects.get(order=order)
    assert (cb.channel, cb.verification, cb.satisfaction) == ("web", "query_code", "satisfied")
    today = timezone.localdate()
    row = next(r for r in indicators.unit_table(today, today) if r["unit_id"] == district.units["street-a"].pk)
    assert row["valid_callbacks"] == 1 and row["satisfaction_rate"] == 1.0


@pytest.mark.django_db(transaction=True)
def test_the_error_page_of_the_form_is_accessible(live_server, phone):  # noqa: F811
    from hotline.demo.district import build_district

    build_district(password="pw")
    phone.goto(f"{live_server.url}/public/")
    with phone.expect_navigation():
        phone.click("button[type=submit]")
    phone.wait_for_selector("text=请填写标题")
    _checked(phone, "form with errors")
