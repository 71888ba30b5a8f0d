"""An existing GeoReport v2 client from the package registry (georeport 0.3.1) against a live
server: it lists services and service definitions and reads requests, in JSON and in XML. It
cannot post (its documentation says so), so the post is made as the spec writes it (a
form-encoded POST with api_key) with requests, the HTTP library georeport itself uses; the
request then appears on the dispatcher's board."""

from __future__ import annotations

import pytest
import requests
from georeport import GeoReport

from hotline.api.keys import create_system_key

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_georeport_client_lists_reads_and_its_post_reaches_the_dispatch_board(live_server, client, monkeypatch):
    from hotline.demo.district import build_district

    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # the live server is local, whatever proxy is set

    district = build_district(password="pw")
    _key, raw = create_system_key(name="gridapp", scopes=["open311"], role="agent")
    root = f"{live_server.url}/open311/v2"
    as_json, as_xml = GeoReport(root), GeoReport(root, output_format="xml")

    services = as_json.get_service_list()
    code = str(district.categories["道路塌陷破损"].pk)
    assert code in {s["service_code"] for s in services}
    assert [s["service_code"] for s in as_xml.get_service_list()] == [s["service_code"] for s in services]
    definition = as_json.get_service_definition(code)
    assert "urgency" in {a["code"] for a in definition["attributes"]}
    assert as_xml.get_service_definition(code)["service_code"] == code

    posted = requests.post(f"{root}/requests.json", data={
        "api_key": raw, "service_code": code, "lat": "39.90421", "long": "116.40739",
        "address_string": "东湖路88号", "description": "东湖路88号门口路面塌陷约一平方米，请尽快处理。",
        "first_name": "小明", "last_name": "王", "phone": "13912345678", "device_id": "dev-1",
        "attribute[area]": "east-lake", "attribute[title]": "东湖路88号路面塌陷",
    }, timeout=30)
    assert posted.status_code == 201, posted.text
    number = posted.json()[0]["service_request_id"]

    assert [r["service_request_id"] for r in as_json.get_service_requests()] == [number]
    in_xml = as_xml.get_service_requests(service_code=code, status="open")
    assert in_xml["service_request_id"] == number  # one request: xmltodict gives a dict, not a list
    assert in_xml["status"] == "open"
    assert as_json.get_service_request(number)["service_name"] == "道路塌陷破损"
    assert as_xml.get_service_request(number)["service_request_id"] == number
    assert "13912345678" not in str(as_json.get_service_request(number))

    refused = requests.post(f"{root}/requests.xml", data={"service_code": code, "description": "x"}, timeout=30)
    assert refused.status_code == 403 and "<errors><error><code>403</code>" in refused.text

    client.force_login(district.people["chengang"])
    board = client.get("/dispatch/").content.decode()
    assert number in board and "东湖路88号路面塌陷" in board
