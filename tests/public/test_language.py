"""The public part's language switch needs no CSRF token, so its cacheable pages carry none and
set no cookie that a shared cache could hand to another visitor."""

from __future__ import annotations

from django.conf import settings
from django.test import Client


def test_a_disclosure_page_sets_no_cookie_and_holds_no_token(db):
    resp = Client().get("/public/stats/")
    assert resp.status_code == 200
    assert "public" in resp.headers.get("Cache-Control", "")
    assert "csrftoken" not in resp.cookies and "Set-Cookie" not in resp.headers
    assert "csrfmiddlewaretoken" not in resp.content.decode()


def test_the_switch_works_without_a_token_and_stays_on_the_site(db):
    c = Client(enforce_csrf_checks=True)
    resp = c.post("/public/language/", {"language": "en", "next": "/public/stats/"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/public/stats/"
    assert resp.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Citizen services" in c.get("/public/stats/").content.decode()
    away = c.post("/public/language/", {"language": "zh-hans", "next": "https://evil.example/"})
    assert away.status_code == 302 and not away.headers["Location"].startswith("https://evil.example")
    assert c.get("/public/language/").status_code == 405
