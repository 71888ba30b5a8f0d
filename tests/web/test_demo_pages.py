"""Every page works with the demo district: each role opens its workspaces, the lists, and every
order it can see, and nothing answers with an error."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client

from hotline.directory.models import User
from hotline.orders.selectors import orders_visible_to

PAGES = ["/", "/orders/", "/orders/?overdue=on", "/intake/", "/dispatch/", "/dispatch/?tab=returned",
         "/dispatch/?tab=overdue", "/dispatch/?tab=due_soon", "/dispatch/?tab=extensions", "/inbox/", "/review/",
         "/callback/", "/overview/", "/assessment/", "/triage/review/", "/triage/stats/", "/api/orders"]


@pytest.fixture
def demo(db, tmp_path):
    call_command("demo", orders=160, seed=3, taxonomy=str(tmp_path / "none.csv"), stdout=io.StringIO())


def test_every_page_opens_for_every_demo_role(demo):
    one_per_role = {}
    for user in User.objects.filter(is_active=True).exclude(role="system").order_by("id"):
        one_per_role.setdefault(user.role, user)
    for user in one_per_role.values():
        c = Client()
        c.force_login(user)
        for url in PAGES:
            r = c.get(url, follow=True)
            assert r.status_code in (200, 403), (user.username, url, r.status_code)
        for order_id in orders_visible_to(user).values_list("id", flat=True)[:10]:
            r = c.get(f"/orders/{order_id}/")
            assert r.status_code == 200, (user.username, order_id)
            html = r.content.decode()
            assert not re.search(r"VariableDoesNotExist|Traceback", html)
