"""Discovery, the service list and service definitions, in JSON and XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from hotline.directory.models import Category
from tests.open311.conftest import errors_of, service_code

pytestmark = pytest.mark.django_db


def test_the_discovery_document_names_the_v2_endpoint(client, district):
    data = client.get("/open311/discovery.json").json()
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(data)
    (endpoint,) = data["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}


def test_services_are_the_leaf_categories_with_their_group(client, district):
    services = client.get("/open311/v2/services.json").json()
    leaves = [c for c in Category.objects.filter(active=True) if not c.children.filter(active=True).exists()]
    assert {s["service_code"] for s in services} == {str(c.pk) for c in leaves}
    road = next(s for s in services if s["service_code"] == service_code(district))
    category = district.categories["道路塌陷破损"]
    assert road["service_name"] == "道路塌陷破损"
    assert road["group"] == category.parent.name
    assert road["type"] == "realtime" and road["metadata"] is True
    assert "道路塌陷破损" in road["keywords"].split(",")
    assert set(road) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}


def test_an_inactive_category_is_not_offered(client, district):
    category = district.categories["道路塌陷破损"]
    Category.objects.filter(pk=category.pk).update(active=False)
    codes = {s["service_code"] for s in client.get("/open311/v2/services.json").json()}
    assert str(category.pk) not in codes
    assert client.get(f"/open311/v2/services/{category.pk}.json").status_code == 404


def test_services_in_xml_match_json(client, district):
    response = client.get("/open311/v2/services.xml")
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "services"
    codes = [s.findtext("service_code") for s in root.findall("service")]
    assert codes == [s["service_code"] for s in client.get("/open311/v2/services.json").json()]
    assert root.find("service/metadata").text == "true"


def test_a_service_definition_lists_urgency_and_areas(client, district):
    code = service_code(district)
    data = client.get(f"/open311/v2/services/{code}.json").json()
    assert data["service_code"] == code
    by_code = {a["code"]: a for a in data["attributes"]}
    assert {"title", "urgency", "area"} <= set(by_code)
    assert by_code["urgency"]["datatype"] == "singlevaluelist"
    assert {v["key"] for v in by_code["urgency"]["values"]} == {"emergency", "utility", "general", "complex"}
    assert {v["key"] for v in by_code["area"]["values"]} == set(district.areas)
    for attr in data["attributes"]:
        assert {"variable", "code", "datatype", "required", "datatype_description", "order", "description"} <= set(attr)


def test_a_service_definition_in_xml(client, district):
    root = ET.fromstring(client.get(f"/open311/v2/services/{service_code(district)}.xml").content)
    assert root.tag == "service_definition"
    urgency = next(a for a in root.find("attributes") if a.findtext("code") == "urgency")
    assert {v.findtext("key") for v in urgency.find("values")} >= {"emergency", "general"}


@pytest.mark.parametrize("code", ["999999", "abc", "-1", "1e3", "%00", "x" * 40])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_is_a_404_in_the_spec_format(client, district, code, fmt):
    response = client.get(f"/open311/v2/services/{code}.{fmt}")
    assert response.status_code == 404
    assert errors_of(response)[0]["code"] == 404


@pytest.mark.parametrize("path", ["/open311/v2/nothing.json", "/open311/v3/services.json", "/open311/v2/services.csv",
                                  "/open311/v2/requests/1/2.json"])
def test_an_unknown_path_is_a_404_in_the_spec_format(client, district, path):
    response = client.get(path)
    assert response.status_code == 404 and errors_of(response)[0]["code"] == 404


def test_an_unknown_path_ending_in_xml_answers_in_xml(client, district):
    response = client.get("/open311/v2/nothing.xml")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/xml")


def test_a_wrong_method_is_a_405_with_allow(client, district):
    response = client.delete("/open311/v2/services.json")
    assert response.status_code == 405 and response["Allow"] == "GET"
    assert errors_of(response)[0]["code"] == 405
