"""The suggested category and unit: one click to take it at intake, one suggestion on every page
(intake panel, dispatch board, order page), and a dispatch against it needs a reason."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from hotline.orders.models import Event, WorkOrder
from hotline.triage import pipeline
from tests.conftest import make_order
from tests.triage.conftest import category_model, model_dir, path_classifier  # noqa: F401 - fixtures

NOISE = {"title": "饭店油烟", "description": "东湖路饭店油烟熏人，烧烤油烟扰民，请尽快处理"}


def as_user(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def uncategorised(district, category_model, settings):  # noqa: F811
    """An order the agent left without a category, triaged but not dispatched automatically."""
    settings.HOTLINE_AUTO_DISPATCH_CONFIDENCE = 1.01
    oid = make_order(district, category=None, **NOISE)
    pipeline.triage_order(oid)
    assert WorkOrder.objects.get(pk=oid).state == "received"
    return oid


def test_the_intake_panel_offers_the_suggested_category_in_one_click(district, category_model):  # noqa: F811
    c = as_user(district.people["wangfang"])
    r = c.post("/intake/suggest/", {**NOISE, "area": district.areas["east-lake"].pk})
    html = r.content.decode()
    noise = district.categories["餐饮油烟噪声"]
    assert f'data-fill-field="id_category" data-fill-value="{noise.pk}"' in html
    assert "东湖街道办事处" in html
    assert "onclick" not in html and "<script" not in html  # a strict CSP allows it
    page = c.get("/intake/").content.decode()
    assert "web/fill.js" in page


def test_the_intake_panel_routes_by_the_category_the_agent_chose(district, category_model):  # noqa: F811
    c = as_user(district.people["wangfang"])
    road = district.categories["道路塌陷破损"]
    html = c.post("/intake/suggest/", {**NOISE, "area": district.areas["east-lake"].pk,
                                       "category": road.pk}).content.decode()
    assert "data-fill-field" not in html  # nothing to take: the agent has chosen
    assert road.path in html


def test_the_board_shows_one_suggestion_and_preselects_its_unit(district, uncategorised):
    c = as_user(district.people["chengang"])
    html = c.get("/dispatch/").content.decode()
    unit = district.units["street-a"]
    assert "无对应条目" not in html
    assert re.search(rf'<option value="{unit.pk}" selected>', html)
    noise = district.categories["餐饮油烟噪声"]
    assert f'name="dispatch-category" value="{noise.pk}"' in html


def test_dispatching_the_suggestion_gives_the_order_its_category(district, uncategorised):
    c = as_user(district.people["chengang"])
    noise = district.categories["餐饮油烟噪声"]
    r = c.post(f"/orders/{uncategorised}/act/dispatch/", {"dispatch-unit": district.units["street-a"].pk,
                                                          "dispatch-category": noise.pk})
    assert r.status_code == 302
    order = WorkOrder.objects.get(pk=uncategorised)
    assert order.category_id == noise.pk and order.lead_unit == district.units["street-a"]
    event = Event.objects.get(order_id=uncategorised, action="dispatch")
    assert event.data["basis"] == "rule" and event.data["category"] == noise.pk


def test_dispatching_against_the_suggestion_asks_for_a_reason(district, uncategorised):
    c = as_user(district.people["chengang"])
    noise = district.categories["餐饮油烟噪声"]
    other = district.units["street-b"]
    r = c.post(f"/orders/{uncategorised}/act/dispatch/", {"dispatch-unit": other.pk, "dispatch-category": noise.pk})
    assert r.status_code == 400 and "须说明理由" in r.content.decode()
    assert WorkOrder.objects.get(pk=uncategorised).state == "received"
    r = c.post(f"/orders/{uncategorised}/act/dispatch/", {"dispatch-unit": other.pk, "dispatch-category": noise.pk,
                                                          "dispatch-note": "该饭店实际位于西城街道辖区内"})
    assert r.status_code == 302
    assert Event.objects.get(order_id=uncategorised, action="dispatch").data["basis"] == "override"


def test_the_order_page_dispatch_form_starts_from_the_same_suggestion(district, uncategorised):
    c = as_user(district.people["chengang"])
    html = c.get(f"/orders/{uncategorised}/").content.decode()
    noise, unit = district.categories["餐饮油烟噪声"], district.units["street-a"]
    form = html[html.index('action-dispatch'):]
    assert re.search(rf'<option value="{unit.pk}" selected>', form)
    assert re.search(rf'<option value="{noise.pk}" selected>', form)


def test_the_board_asks_the_same_number_of_queries_for_one_order_or_many(district, category_model,  # noqa: F811
                                                                          settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.HOTLINE_AUTO_DISPATCH_CONFIDENCE = 1.01
    c = as_user(district.people["chengang"])
    counts = []
    for n in (1, 6):
        while WorkOrder.objects.filter(state="received").count() < n:
            pipeline.triage_order(make_order(district, category=None, **NOISE))
        with CaptureQueriesContext(connection) as ctx:
            assert c.get("/dispatch/").status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1] and counts[1] <= 20
