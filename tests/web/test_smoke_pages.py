import pytest
from django.test import Client

from tests.conftest import make_order

PAGES = {
    "wangfang": ["/intake/", "/orders/"],
    "chengang": ["/dispatch/", "/dispatch/?tab=returned", "/dispatch/?tab=overdue", "/intake/", "/overview/"],
    "liqiang": ["/inbox/", "/orders/"],
    "zhoushen": ["/review/"],
    "sunhui": ["/callback/"],
    "liudu": ["/overview/", "/dispatch/", "/review/", "/callback/"],
}


@pytest.mark.parametrize("who", list(PAGES))
def test_it_renders_each_workspace(district, who):
    make_order(district)
    c = Client()
    c.force_login(district.people[who])
    for url in PAGES[who]:
        r = c.get(url)
        assert r.status_code == 200, (url, r.status_code)
