"""Every workspace: without permission (403), permitted (200), permitted but out of scope (the
order is invisible: 404), including by guessing URLs."""

import pytest
from django.test import Client

from hotline.orders import actions
from hotline.orders.models import Evidence
from tests.conftest import make_order
from tests.orders.loop import photo

WORKSPACES = {
    "/intake/": {"wangfang", "chengang"},
    "/dispatch/": {"chengang", "liudu"},
    "/inbox/": {"liqiang", "zhaomin", "lizhang"},
    "/review/": {"zhoushen", "liudu"},
    "/callback/": {"sunhui", "liudu"},
    "/overview/": {"liudu", "admin", "chengang"},
    "/deadlines/": {"wangfang", "chengang", "liqiang", "zhaomin", "zhoushen", "sunhui", "liudu", "admin", "lizhang"},
}
EVERYONE = ["wangfang", "chengang", "liqiang", "zhaomin", "zhoushen", "sunhui", "liudu", "admin", "lizhang"]


def as_user(user):
    c = Client()
    c.force_login(user)
    return c


def test_it_sends_anonymous_visitors_to_the_login_page(district):
    for url in [*WORKSPACES, "/orders/", "/orders/export.csv"]:
        r = Client().get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/"), url


@pytest.mark.parametrize("url", list(WORKSPACES))
def test_it_opens_a_workspace_only_to_its_roles(district, url):
    for who in EVERYONE:
        r = as_user(district.people[who]).get(url)
        expected = 200 if who in WORKSPACES[url] else 403
        assert r.status_code == expected, (url, who, r.status_code)


def test_it_lands_each_role_on_its_workspace(district):
    landing = {"wangfang": "/intake/", "chengang": "/dispatch/", "liqiang": "/inbox/", "zhoushen": "/review/",
               "sunhui": "/callback/", "liudu": "/overview/"}
    for who, url in landing.items():
        r = as_user(district.people[who]).get("/")
        assert r["Location"] == url


def test_a_handler_sees_only_her_own_units_orders_even_by_guessing_urls(district):
    p = district.people
    mine = make_order(district, area="east-lake")
    theirs = make_order(district, area="west-city", title="西城路面塌陷")
    actions.do_dispatch(mine, actor=p["chengang"], unit_id=district.units["street-a"].pk)
    actions.do_dispatch(theirs, actor=p["chengang"], unit_id=district.units["street-b"].pk)
    c = as_user(p["liqiang"])
    assert c.get(f"/orders/{mine}/").status_code == 200
    for url in (f"/orders/{theirs}/", f"/orders/{theirs + 1000}/"):
        assert c.get(url).status_code == 404
    assert c.post(f"/orders/{theirs}/act/sign/").status_code == 404
    assert c.post(f"/orders/{theirs}/phone/").status_code == 404
    actions.do_attach(theirs, actor=p["chengang"], file=photo("caller.jpg"))
    theirs_evidence = Evidence.objects.get(order_id=theirs).pk
    assert c.get(f"/orders/{theirs}/evidence/{theirs_evidence}/").status_code == 404
    assert c.get(f"/orders/{mine}/evidence/{theirs_evidence}/").status_code == 404
    assert c.post(f"/orders/{theirs}/reply-check/").status_code == 404
    listing = c.get("/orders/").content.decode()
    assert "东湖路路面塌陷" in listing and "西城路面塌陷" not in listing
    export = b"".join(c.get("/orders/export.csv").streaming_content).decode("utf-8-sig")
    assert "东湖路路面塌陷" in export and "西城路面塌陷" not in export


def test_a_unit_sees_a_masked_number_and_each_reveal_is_traced(district):
    p = district.people
    oid = make_order(district)
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=district.units["street-a"].pk)
    c = as_user(p["liqiang"])
    page = c.get(f"/orders/{oid}/").content.decode()
    assert "138****5678" in page and "13812345678" not in page
    r = c.post(f"/orders/{oid}/phone/")
    assert "13812345678" in r.content.decode()
    from hotline.orders.models import Event

    assert Event.objects.filter(order_id=oid, action="view_phone", actor=p["liqiang"]).count() == 1
    assert "13812345678" in as_user(p["chengang"]).get(f"/orders/{oid}/").content.decode()


def test_it_exports_the_filtered_list_to_excel(district):
    import io

    from openpyxl import load_workbook

    make_order(district, title="东湖路路面塌陷")
    make_order(district, area="west-city", title="西城路面塌陷")
    c = as_user(district.people["chengang"])
    r = c.get(f"/orders/export.xlsx?area={district.areas['west-city'].pk}")
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "工单编号"
    assert [row[9] for row in rows[1:]] == ["西城路面塌陷"]
