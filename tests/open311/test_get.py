"""GET requests: the spec's filters, its 90-day default, paging, one request, and hostile
queries."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from hotline.orders import actions
from hotline.orders.models import WorkOrder
from tests.conftest import make_order
from tests.open311.conftest import errors_of, service_code

pytestmark = pytest.mark.django_db


def _number(pk: int) -> str:
    return WorkOrder.objects.get(pk=pk).number


def _get(client, params=None, fmt="json", **extra):
    return client.get(f"/open311/v2/requests.{fmt}", params or {}, **extra)


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["service_request_id"] for r in response.json()]


def test_the_list_has_the_specs_fields_newest_first(client, district):
    older = make_order(district, received_at=timezone.now() - dt.timedelta(days=2))
    newer = make_order(district, category="路灯不亮", title="路灯", description="西城路路灯不亮三天，夜间看不清。")
    records = _get(client).json()
    assert [r["service_request_id"] for r in records] == [_number(newer), _number(older)]
    record = records[1]
    assert {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
            "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
            "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"} == set(record)
    assert record["status"] == "open" and record["service_code"] == service_code(district)
    assert record["service_name"] == "道路塌陷破损" and record["status_notes"] == "已受理"
    assert dt.datetime.fromisoformat(record["requested_datetime"]).tzinfo is not None


def test_a_dispatched_order_names_its_lead_unit_and_due_time(client, district):
    pk = make_order(district)
    order = actions.do_dispatch(pk, actor=district.people["chengang"], unit_id=district.units["street-a"].pk)
    (record,) = _get(client).json()
    assert record["agency_responsible"] == "东湖街道办事处"
    assert dt.datetime.fromisoformat(record["expected_datetime"]) == order.reply_due
    assert record["status_notes"] == "已派单"


def test_an_order_answered_on_the_line_is_closed_with_the_answer(client, district):
    pk = make_order(district)
    actions.do_answer(pk, actor=district.people["wangfang"], answer="已告知来电人该路段由市政养护，已转告养护单位。")
    (record,) = _get(client, {"status": "closed"}).json()
    assert record["status"] == "closed" and "已转告养护单位" in record["status_notes"]
    assert _get(client, {"status": "open"}).json() == []
    assert len(_get(client, {"status": "open,closed"}).json()) == 1


def test_service_request_id_overrides_every_other_filter(client, district):
    a, b, c = (make_order(district) for _ in range(3))
    old = make_order(district, received_at=timezone.now() - dt.timedelta(days=400))
    ids = ",".join([_number(a), _number(c), _number(old), "nonexistent"])
    got = _ids(_get(client, {"service_request_id": ids, "status": "closed", "service_code": "1"}))
    assert sorted(got) == sorted([_number(a), _number(c), _number(old)])


def test_service_code_filters_by_category(client, district):
    make_order(district)
    light = make_order(district, category="路灯不亮")
    assert _ids(_get(client, {"service_code": service_code(district, "路灯不亮")})) == [_number(light)]
    both = ",".join([service_code(district), service_code(district, "路灯不亮")])
    assert len(_ids(_get(client, {"service_code": both}))) == 2


def test_the_default_range_is_the_last_90_days(client, district):
    recent = make_order(district, received_at=timezone.now() - dt.timedelta(days=89))
    make_order(district, received_at=timezone.now() - dt.timedelta(days=91))
    assert _ids(_get(client)) == [_number(recent)]


def test_start_and_end_date_bound_the_requested_time(client, district):
    now = timezone.now()
    inside = make_order(district, received_at=now - dt.timedelta(days=120))
    make_order(district, received_at=now - dt.timedelta(days=200))
    make_order(district)
    start = (now - dt.timedelta(days=150)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now - dt.timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _ids(_get(client, {"start_date": start, "end_date": end})) == [_number(inside)]
    assert _ids(_get(client, {"start_date": start})) == [_number(inside)]  # start + 90 days
    day = timezone.localtime(now - dt.timedelta(days=120)).date().isoformat()
    assert _ids(_get(client, {"start_date": day, "end_date": day})) == [_number(inside)]


def test_paging_is_bounded(client, district):
    pks = [make_order(district) for _ in range(5)]
    first = _ids(_get(client, {"page_size": "2"}))
    second = _ids(_get(client, {"page_size": "2", "page": "2"}))
    third = _ids(_get(client, {"page_size": "2", "page": "3"}))
    assert len(first) == 2 and len(second) == 2 and len(third) == 1
    assert set(first + second + third) == {_number(pk) for pk in pks}


BAD = [
    {"start_date": "yesterday"},
    {"start_date": "2024-02-30T00:00:00Z"},
    {"end_date": "2024-13-01"},
    {"start_date": "0001-01-01T00:00:00Z"},
    {"start_date": "2024-01-01T25:00:00Z"},
    {"end_date": "9999-12-31"},
    {"start_date": "9999-12-31T23:59:59-12:00"},
    {"start_date": "2024-01-01T00:00:00+25:00"},
    {"start_date": "2024-01-01T00:00:00" + "0" * 5000},
    {"start_date": "2024-06-01T00:00:00Z", "end_date": "2024-01-01T00:00:00Z"},
    {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-12-01T00:00:00Z"},
    {"status": "pending"},
    {"status": "open;closed"},
    {"service_code": "999999"},
    {"service_code": "abc"},
    {"service_code": ",".join(["1"] * 101)},
    {"service_request_id": ",".join(str(i) for i in range(101))},
    {"service_request_id": "1" * 21},
    {"page_size": "1000000"},
    {"page_size": "0"},
    {"page_size": "2.5"},
    {"page": "-1"},
    {"page": "99999999999999999999999"},
    {"status": "open\x00"},
]


def test_hostile_queries_are_a_400_in_the_spec_format(client, district):
    make_order(district)
    for params in BAD:
        for fmt in ("json", "xml"):
            response = _get(client, params, fmt=fmt)
            assert response.status_code == 400, (params, response.content)
            assert all(e["code"] == 400 for e in errors_of(response)), params


def test_a_parameter_given_twice_is_refused(client, district):
    response = client.get("/open311/v2/requests.json?status=open&status=closed")
    assert response.status_code == 400


def test_one_request_in_json_and_xml(client, district):
    number = _number(make_order(district))
    (record,) = client.get(f"/open311/v2/requests/{number}.json").json()
    assert record["service_request_id"] == number
    root = ET.fromstring(client.get(f"/open311/v2/requests/{number}.xml").content)
    assert root.tag == "service_requests" and root.findtext("request/service_request_id") == number
    assert root.findtext("request/status") == "open"


@pytest.mark.parametrize("number", ["19990101000001", "abc", "1" * 41, "%2e%2e"])
def test_an_unknown_request_is_a_404(client, district, number):
    for fmt in ("json", "xml"):
        response = client.get(f"/open311/v2/requests/{number}.{fmt}")
        assert response.status_code == 404 and errors_of(response)[0]["code"] == 404


def test_a_bad_key_on_a_read_is_refused_even_though_none_is_needed(client, district):
    response = _get(client, {"api_key": "wrong"})
    assert response.status_code == 403 and errors_of(response)[0]["code"] == 403


def test_public_reads_can_be_switched_off(client, district, settings, raw_key):
    make_order(district)
    settings.HOTLINE_OPEN311_PUBLIC_READS = False
    response = _get(client)
    assert response.status_code == 403 and errors_of(response)[0]["code"] == 403
    assert len(_ids(_get(client, {"api_key": raw_key}))) == 1


def test_errors_are_in_the_users_chosen_language(client, district):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    (error,) = errors_of(_get(client, {"status": "pending"}))
    assert error["description"] == "status: status must be open or closed."
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    (error,) = errors_of(_get(client, {"status": "pending"}))
    assert error["description"] == "status: 状态只能是 open 或 closed。"


def test_a_page_costs_the_same_queries_for_3_or_30_orders(client, district, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        make_order(district)
    with CaptureQueriesContext(connection) as few:
        assert len(_ids(_get(client, {"page_size": "200"}))) == 3
    actions.do_create_many([actions.Intake(title="路灯不亮", description="西城路路灯不亮三天，夜间看不清。",
                                           category_id=district.categories["路灯不亮"].pk)] * 27,
                           actor=district.people["wangfang"])
    with django_assert_max_num_queries(len(few)):
        assert len(_ids(_get(client, {"page_size": "200"}))) == 30


def test_a_key_over_its_rate_limit_gets_a_429_in_the_spec_format(client, district):
    from hotline.api.keys import create_system_key

    _key, raw = create_system_key(name="busy", scopes=["open311"], role="agent", rate=2)
    assert [_get(client, {"api_key": raw}).status_code for _ in range(2)] == [200, 200]
    response = _get(client, {"api_key": raw}, fmt="xml")
    assert response.status_code == 429 and errors_of(response)[0]["code"] == 429
    assert int(response["Retry-After"]) >= 1


def test_the_key_may_be_a_bearer_token(client, district, raw_key):
    make_order(district)
    assert len(_ids(_get(client, HTTP_AUTHORIZATION=f"Bearer {raw_key}"))) == 1
    assert _get(client, HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
