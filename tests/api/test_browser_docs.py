"""/api/docs in a real browser: Swagger UI from the app's own static files renders the operations,
under the Content Security Policy, and no request leaves the live server."""

from __future__ import annotations

import os

import pytest

from tests.web.test_browser_loop import CHROMIUM, login, page  # noqa: F401  (the page fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make browser)"),
]


@pytest.mark.django_db(transaction=True)
def test_the_api_docs_render_offline_under_the_csp(live_server, page):  # noqa: F811
    from hotline.demo.district import build_district

    build_district(password="pw")
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda req: requested.append(req.url))
    failed: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    # (the browser's own look for /favicon.ico, which the app does not serve, aside)
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None)
    login(page, live_server, "chengang")
    response = page.goto(f"{live_server.url}/api/docs")
    assert response is not None and response.status == 200
    assert "content-security-policy" in {k.lower() for k in response.headers}
    page.wait_for_selector(".opblock-summary-path", timeout=15000)
    page.wait_for_load_state("networkidle")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any(p.endswith("/actions/dispatch") for p in paths), paths
    assert any(p.endswith("/evidence") for p in paths)
    assert len(paths) >= 30
    assert page.locator(".opblock-summary-method", has_text="POST").count() >= 28
    # Everything came from the live server: the page, the vendored script and style, the schema.
    assert any(url.endswith("/static/ninja/swagger-ui-bundle.js") for url in requested)
    assert any(url.endswith("/api/openapi.json") for url in requested)
    assert [u for u in requested if not u.startswith((live_server.url, "data:", "blob:"))] == []
    assert page.outside_requests == []
    assert problems == []  # no CSP violation, no script error
    assert failed == []
