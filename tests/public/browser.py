"""Browser helpers of the public part's tests: a phone-sized page and axe-core's WCAG 2.1 AA run.

axe-core is vendored here from the npm registry (tests/public/vendor, MPL-2.0) and evaluated in
the page through the DevTools protocol, which the page's Content Security Policy does not apply
to: the app never serves it, and the check needs no network."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.web.test_browser_loop import CHROMIUM

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LOCAL = ("http://localhost", "http://127.0.0.1", "data:", "blob:")

browser_only = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make browser)"),
]


@pytest.fixture
def phone():
    """A page in a phone-sized window (320 CSS pixels wide, touch), in Chinese; every request
    that leaves the live server is recorded in `page.outside_requests`."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        context = browser.new_context(locale="zh-CN", viewport={"width": 320, "height": 640}, is_mobile=True,
                                      has_touch=True, device_scale_factor=2)
        page = context.new_page()
        outside: list[str] = []
        page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(LOCAL) else None)
        page.outside_requests = outside  # type: ignore[attr-defined]
        yield page
        context.close()
        browser.close()


def axe_violations(page: Any, *, tags: list[str] | None = None) -> list[dict[str, Any]]:
    """axe-core's violations of the given rule tags (WCAG 2.1 A and AA by default) on the page as
    it is now: each with its rule id, impact, help text and the offending elements' selectors."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']}); return r.violations.map(v => ({id: v.id, impact: v.impact,"
        " help: v.help, nodes: v.nodes.map(n => n.target.join(' '))})); }",
        tags or WCAG_21_AA,
    )
    return list(result)


def overflows_horizontally(page: Any) -> bool:
    """Whether the page is wider than its window (content that needs sideways scrolling at 320 px;
    a table inside its own scrolling wrapper does not count)."""
    return bool(page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"))
