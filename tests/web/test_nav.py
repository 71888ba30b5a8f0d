"""The menus show a person only the pages their role may open: every link in the main menu and in
the assessment menu answers 200 for that person, and no page they may open is left out."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from hotline.demo.district import PEOPLE

EVERYONE = [p[0] for p in PEOPLE]
NAV = re.compile(r'<nav class="(?:mainnav|subnav[^"]*)">(.*?)</nav>', re.S)
HREF = re.compile(r'href="([^"]+)"')


def menu_links(html: str) -> set[str]:
    return {href.replace("&amp;", "&") for block in NAV.findall(html) for href in HREF.findall(block)}


def as_user(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _opened(c: Client, url: str) -> int:
    """The status of a page, after the redirects a page may make within the site (the assessment
    overview sends a unit's people to their own unit's page)."""
    r = c.get(url)
    for _hop in range(3):
        if r.status_code != 302 or not r["Location"].startswith("/"):
            break
        r = c.get(r["Location"])
    return r.status_code


def _all_menu_links(c: Client) -> set[str]:
    links = menu_links(c.get("/", follow=True).content.decode())
    for url in list(links):
        if url.startswith("/assessment/"):
            links |= menu_links(c.get(url, follow=True).content.decode())
    return links


@pytest.mark.parametrize("who", EVERYONE)
def test_every_menu_link_opens_for_the_person_who_sees_it(district, who):
    c = as_user(district.people[who])
    links = _all_menu_links(c)
    assert links, who
    refused = {url: status for url in links if (status := _opened(c, url)) != 200}
    assert not refused, (who, refused)


# Pages and who may open them (test_access.py's table for the workspaces), to check that the menu
# leaves nothing out.
SHOWN = {
    "/intake/": {"wangfang", "chengang"},
    "/dispatch/": {"chengang", "liudu"},
    "/inbox/": {"liqiang", "lizhang"},
    "/review/": {"zhoushen", "liudu"},
    "/callback/": {"sunhui", "liudu"},
    "/overview/": {"liudu", "admin", "chengang"},
    "/triage/review/": {"wangfang", "chengang", "liudu"},
    "/assessment/gaps/": {"liudu", "admin", "chengang", "zhoushen"},
    "/assessment/report/": {"liudu", "admin", "chengang", "zhoushen"},
    "/assessment/gaming/": {"liudu", "admin", "chengang", "zhoushen", "liqiang", "lizhang"},
    "/deadlines/": {"wangfang", "chengang", "zhoushen", "sunhui", "liudu", "admin", "liqiang", "lizhang"},
}


@pytest.mark.parametrize("url", list(SHOWN))
def test_the_menu_offers_each_page_to_the_people_who_may_open_it(district, url):
    for who in ["wangfang", "chengang", "zhoushen", "sunhui", "liudu", "admin", "liqiang", "lizhang"]:
        offered = any(link.split("?")[0] == url for link in _all_menu_links(as_user(district.people[who])))
        assert offered == (who in SHOWN[url]), (url, who, offered)
