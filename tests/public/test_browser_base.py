"""The public part's base page on a phone: no outside request, no WCAG 2.1 AA violation, no
sideways scrolling at 320 px, and the skip link reachable by the keyboard first."""

from __future__ import annotations

import pytest

from tests.public.browser import axe_violations, browser_only, overflows_horizontally, phone  # noqa: F401

pytestmark = browser_only


@pytest.mark.django_db(transaction=True)
def test_the_public_base_page_is_accessible_on_a_phone(live_server, phone):  # noqa: F811
    response = phone.goto(f"{live_server.url}/public/")
    assert response is not None and response.status == 200
    phone.wait_for_load_state("networkidle")
    assert axe_violations(phone) == []
    assert not overflows_horizontally(phone)
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.className") == "skip"
    assert phone.outside_requests == []


def test_the_axe_harness_finds_a_violation_when_there_is_one(phone):  # noqa: F811
    # A page with an image without alt text and an unlabelled field: the check must not be blind.
    phone.set_content('<!doctype html><html lang="zh-Hans"><head><title>t</title></head><body><main>'
                      '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"></main></body></html>')
    found = {v["id"] for v in axe_violations(phone)}
    assert {"image-alt", "label"} <= found
