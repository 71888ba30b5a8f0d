"""The interface is Chinese by default and English once a user chooses English."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.template import Context, Template
from django.test import Client
from django.utils import translation

CHINESE_HEADING = "派单工作台"
ENGLISH_HEADING = "Dispatch workbench"


def _client(district) -> Client:
    c = Client()
    c.force_login(district.people["chengang"])
    return c


def test_dispatch_board_is_chinese_by_default(district):
    c = _client(district)
    page = c.get("/dispatch/")
    assert page.status_code == 200
    body = page.content.decode()
    assert CHINESE_HEADING in body
    assert ENGLISH_HEADING not in body


def test_choosing_english_translates_the_dispatch_board(district):
    c = _client(district)
    chosen = c.post("/i18n/setlang/", {"language": "en", "next": "/dispatch/"})
    assert chosen.status_code == 302
    assert c.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = c.get("/dispatch/")
    assert page.status_code == 200
    body = page.content.decode()
    assert ENGLISH_HEADING in body
    assert "Dispatch" in body
    assert CHINESE_HEADING not in body


def test_language_cookie_alone_switches_to_english(district):
    c = _client(district)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = c.get("/dispatch/").content.decode()
    assert ENGLISH_HEADING in body
    assert CHINESE_HEADING not in body


def test_catalogue_is_compiled():
    with translation.override("en"):
        assert translation.gettext("工单不存在。") == "The work order does not exist."
        assert translation.ngettext("重办%(n)s次", "重办%(n)s次", 2) % {"n": 2} == "Redone 2 times"


def test_an_english_browser_still_gets_chinese_until_the_user_chooses(client, district):
    client.force_login(district.people["chengang"])
    html = client.get("/dispatch/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "派单工作台" in html


def test_every_translate_literal_in_a_template_reads_in_english():
    """A `{% translate "…" %}` literal is looked up with its `%` doubled (Django's rule), so a
    catalogue entry written with a single `%` is never found and the English page shows Chinese."""
    src = Path(__file__).resolve().parents[1] / "src" / "hotline"
    literal = re.compile(r'{%\s*(?:translate|trans)\s+"([^"]*[\u4e00-\u9fff][^"]*)"(?:\s+context\s+"[^"]*")?\s*%}')
    untranslated = []
    with translation.override("en"):
        for path in sorted(src.rglob("*.html")):
            for tag in literal.finditer(path.read_text(encoding="utf-8")):
                rendered = Template("{% load i18n %}" + tag.group(0)).render(Context())
                if re.search(r"[\u4e00-\u9fff]", rendered):
                    untranslated.append(f"{path.relative_to(src)}: {tag.group(1)}")
    assert not untranslated, untranslated
