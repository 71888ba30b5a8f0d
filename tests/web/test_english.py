"""With English chosen, no page shows Chinese interface text; with Chinese (the default), no page
shows English interface labels. User data (order titles, unit, area, category and people names,
notes: anything stored in the database) may be in either language."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import models
from django.test import Client

from hotline.directory.models import Unit, User
from hotline.orders.selectors import orders_visible_to

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
# The language switch names the other language in that language.
ALLOWED = ["简体中文", "中文"]
PAGES = ["/", "/orders/", "/orders/?overdue=on", "/intake/", "/dispatch/", "/dispatch/?tab=returned",
         "/dispatch/?tab=overdue", "/dispatch/?tab=due_soon", "/dispatch/?tab=extensions", "/inbox/", "/review/",
         "/callback/", "/overview/", "/assessment/", "/assessment/?table=groups", "/assessment/?table=categories",
         "/assessment/?table=areas", "/assessment/gaming/", "/assessment/warnings/", "/assessment/diagnostics/",
         "/assessment/gaps/", "/assessment/report/", "/triage/review/", "/triage/stats/"]


class _Text(HTMLParser):
    """The text a person reads: text nodes and the attributes a browser shows."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and name in {"title", "placeholder", "aria-label", "alt", "value"}:
                self.parts.append(value)


def readable(html: str) -> str:
    p = _Text()
    p.feed(html)
    return "\n".join(p.parts)


def stored_texts() -> list[str]:
    """Every text value in the database, longest first (so a title is removed before a word in it)."""
    out: set[str] = set()
    for model in apps.get_models():
        if not model.__module__.startswith("hotline."):
            continue
        fields = [f.name for f in model._meta.concrete_fields
                  if isinstance(f, models.CharField | models.TextField | models.JSONField)]
        for row in model.objects.values_list(*fields):
            for value in row:
                _collect(value, out)
    return sorted((t for t in out if CJK.search(t)), key=len, reverse=True)


def _collect(value, out: set[str]) -> None:
    if isinstance(value, str):
        out.add(value)
        out.update(s for s in re.split(r"[\n/]", value) if s)
    elif isinstance(value, dict):
        for v in value.values():
            _collect(v, out)
    elif isinstance(value, list):
        for v in value:
            _collect(v, out)


def leftover_chinese(text: str, stored: list[str]) -> set[str]:
    for s in stored:
        text = text.replace(s, " ")
    for s in ALLOWED:
        text = text.replace(s, " ")
    return {m.group(0) for m in CJK.finditer(text)}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        call_command("demo", orders=160, seed=3, taxonomy="", stdout=io.StringIO())
        yield
        call_command("flush", interactive=False, verbosity=0)


def _urls(user) -> list[str]:
    urls = list(PAGES)
    if user.unit_id:
        urls.append(f"/assessment/unit/{user.unit_id}/")
        urls += [f"/assessment/unit/{user.unit_id}/?lost={k}" for k in ("response", "resolution", "satisfaction")]
    else:
        unit = Unit.objects.filter(kind="street").first() or Unit.objects.first()
        urls.append(f"/assessment/unit/{unit.pk}/")
        urls.append(f"/assessment/unit/{unit.pk}/?lost=resolution")
    urls += [f"/orders/{oid}/" for oid in orders_visible_to(user).order_by("id").values_list("id", flat=True)[:25]]
    return urls


def _pages(who: str, language: str):
    user = User.objects.get(username=who)
    c = Client()
    c.force_login(user)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for url in _urls(user):
        r = c.get(url)
        if r.status_code == 302:
            r = c.get(r["Location"])
        if r.status_code != 200 or not r["Content-Type"].startswith("text/html"):
            continue
        yield url, r.content.decode()


WHO = ["wangfang", "chengang", "zhoushen", "sunhui", "liudu", "admin", "liqiang", "hanxue", "lizhang", "qianji"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", WHO)
def test_english_pages_show_no_chinese_interface_text(demo, who):
    stored = stored_texts()
    found: dict[str, set[str]] = {}
    for url, html in _pages(who, "en"):
        left = leftover_chinese(readable(html), stored)
        if left:
            found[url] = left
    first_seen: dict[str, str] = {}
    for url, left in found.items():
        for text in left:
            first_seen.setdefault(text, url)
    assert not first_seen, "\n".join(f"{t}  ({u})" for t, u in sorted(first_seen.items()))
