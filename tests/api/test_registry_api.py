"""The API as a face of the one action registry (orders/registry.py): one endpoint and one typed
body per action, the Idempotency-Key header and the error shape documented on every write, the
evidence upload, and the pages running the same registry from their forms."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from hotline.orders.models import Event, Evidence
from hotline.orders.registry import REGISTRY, DispatchIn, ScreenOutIn
from hotline.orders.states import Action
from hotline.web.actions import FORMS, form_input
from tests.conftest import make_order
from tests.orders import files

ERRORS = {"401", "403", "404", "409", "422", "429"}


def _client(user) -> Client:
    c = Client(raise_request_exception=False)
    c.force_login(user)
    return c


def post(c, url, body, **headers):
    return c.post(url, data=json.dumps(body), content_type="application/json", **headers)


@pytest.fixture(scope="module")
def schema():
    from hotline.api.api import api

    return json.loads(json.dumps(api.get_openapi_schema()))  # as served: status codes are strings


def test_every_action_of_the_registry_has_its_own_endpoint_and_body_schema(schema):
    for action, spec in REGISTRY.items():
        if spec.multipart:
            continue
        op = schema["paths"][f"/api/orders/{{order_id}}/actions/{action.value}"]["post"]
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref == f"#/components/schemas/{spec.input.__name__}", action
    body = schema["components"]["schemas"]["DispatchIn"]
    assert body["required"] == ["unit_id"] and body["additionalProperties"] is False
    assert body["properties"]["co_unit_ids"]["items"]["type"] == "integer"
    assert set(schema["components"]["schemas"]["ScreenOutIn"]["properties"]["reason"]["enum"]) >= {"litigation",
                                                                                                   "malicious"}
    assert "enum" in schema["components"]["schemas"]["RedoIn"]["properties"]["reasons"]["items"]
    assert schema["components"]["schemas"]["TextIn"]["properties"]["text"]["maxLength"] == 4000


def test_every_write_documents_the_idempotency_key_and_every_error(schema):
    writes = 0
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            assert set(op["responses"]) >= ERRORS, (method, path)
            for status in ERRORS:
                content = op["responses"][status]["content"]["application/json"]["schema"]
                assert content == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, status)
            if method == "post":
                writes += 1
                headers = [p["name"] for p in op.get("parameters", []) if p["in"] == "header"]
                assert headers == ["Idempotency-Key"], (method, path)
    assert writes == len([s for s in REGISTRY.values() if not s.multipart]) + 2  # + create, + evidence
    assert set(schema["components"]["schemas"]["ErrorOut"]["required"]) == {"error", "message", "details"}
    assert {"BearerKey", "HeaderKey", "SessionAuth"} <= set(schema["components"]["securitySchemes"])


def test_the_upload_is_documented_as_multipart(schema):
    body = schema["paths"]["/api/orders/{order_id}/evidence"]["post"]["requestBody"]["content"]
    assert body["multipart/form-data"]["schema"]["properties"]["file"]["format"] == "binary"


def test_an_action_takes_its_typed_body_and_refuses_what_the_schema_does_not_allow(district):
    oid = make_order(district)
    c = _client(district.people["chengang"])
    street_a, street_b = district.units["street-a"].pk, district.units["street-b"].pk
    for body in ({"unit_id": str(street_a)}, {"unit_id": street_a, "colour": "red"}, {"unit_id": True},
                 {"unit_id": street_a, "co_unit_ids": "3"}, {"unit_id": 0}):
        r = post(c, f"/api/orders/{oid}/actions/dispatch", body)
        assert r.status_code == 422, (body, r.content)
        assert r.json()["error"] == "invalid_input"
    r = post(c, f"/api/orders/{oid}/actions/dispatch", {"unit_id": street_a, "colour": "red"})
    assert r.json()["details"] == {"colour": ["不认识的字段。"]}  # in the user's language
    assert Event.objects.filter(order_id=oid).count() == 1
    r = post(c, f"/api/orders/{oid}/actions/dispatch", {"unit_id": street_a, "co_unit_ids": [street_b],
                                                         "note": "东湖街道主办，南苑街道协办"})
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "dispatched" and r.json()["lead_unit"] == district.units["street-a"].name


def test_an_unknown_code_is_refused_by_the_schema(district):
    oid = make_order(district)
    r = post(_client(district.people["chengang"]), f"/api/orders/{oid}/actions/screen_out",
             {"reason": "bored", "advice": "请通过法定途径解决此事项"})
    assert r.status_code == 422 and "reason" in r.json()["details"]
    r = post(_client(district.people["chengang"]), f"/api/orders/{oid}/actions/screen_out",
             {"reason": "litigation", "advice": "请通过法定途径解决此事项"})
    assert r.status_code == 200 and r.json()["state"] == "screened_out"


def test_a_retry_with_the_same_key_writes_once_and_another_body_is_refused(district):
    oid = make_order(district)
    c = _client(district.people["liudu"])
    first = post(c, f"/api/orders/{oid}/actions/urge", {"text": "请尽快处理此事项"}, HTTP_IDEMPOTENCY_KEY="u-1")
    again = post(c, f"/api/orders/{oid}/actions/urge", {"text": "请尽快处理此事项"}, HTTP_IDEMPOTENCY_KEY="u-1")
    other = post(c, f"/api/orders/{oid}/actions/urge", {"text": "另一段催办内容"}, HTTP_IDEMPOTENCY_KEY="u-1")
    assert first.status_code == again.status_code == 200
    assert other.status_code == 409 and other.json()["error"] == "idempotency_key_reused"
    assert Event.objects.filter(order_id=oid, action="urge").count() == 1


def test_an_action_without_a_body_field_takes_an_empty_object(district):
    oid = make_order(district)
    post(_client(district.people["chengang"]), f"/api/orders/{oid}/actions/dispatch",
         {"unit_id": district.units["street-a"].pk})
    r = post(_client(district.people["liqiang"]), f"/api/orders/{oid}/actions/sign", {"anything": 1})
    assert r.status_code == 422
    r = post(_client(district.people["liqiang"]), f"/api/orders/{oid}/actions/sign", {})
    assert r.status_code == 200 and r.json()["state"] == "in_progress"


def test_the_pages_form_becomes_the_same_typed_input(district):
    street_a, street_b = district.units["street-a"], district.units["street-b"]
    form = FORMS[Action.DISPATCH]({"unit": street_a.pk, "co_units": [street_b.pk], "note": "协办"})
    assert form.is_valid(), form.errors
    assert form_input(Action.DISPATCH, form.cleaned_data) == DispatchIn(
        unit_id=street_a.pk, co_unit_ids=[street_b.pk], category_id=None, note="协办")
    form = FORMS[Action.SCREEN_OUT]({"reason": "repeat", "advice": "已有答复，请查阅"})
    assert form.is_valid()
    assert form_input(Action.SCREEN_OUT, form.cleaned_data) == ScreenOutIn(reason="repeat", advice="已有答复，请查阅")
    for action in REGISTRY:
        assert action in FORMS  # every action of the registry has its page form


def _dispatched_and_signed(district) -> int:
    oid = make_order(district)
    post(_client(district.people["chengang"]), f"/api/orders/{oid}/actions/dispatch",
         {"unit_id": district.units["street-a"].pk})
    post(_client(district.people["liqiang"]), f"/api/orders/{oid}/actions/sign", {})
    return oid


def test_it_takes_evidence_as_multipart_through_do_attach_and_lists_it(district):
    oid = _dispatched_and_signed(district)
    c = _client(district.people["liqiang"])
    r = c.post(f"/api/orders/{oid}/evidence", {"file": SimpleUploadedFile("site.jpg", files.jpeg((30, 20)))},
               HTTP_IDEMPOTENCY_KEY="photo-1")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kind"] == "photo" and body["content_type"] == "image/jpeg" and body["url"].startswith("/orders/")
    again = c.post(f"/api/orders/{oid}/evidence", {"file": SimpleUploadedFile("site.jpg", files.jpeg((30, 20)))},
                   HTTP_IDEMPOTENCY_KEY="photo-1")
    assert again.status_code == 201 and again.json()["id"] == body["id"]
    assert Evidence.objects.filter(order_id=oid).count() == 1
    listed = c.get(f"/api/orders/{oid}/evidence").json()
    assert [e["id"] for e in listed] == [body["id"]]
    assert Event.objects.filter(order_id=oid, action="attach").count() == 1


def test_it_refuses_a_file_that_is_not_what_it_claims_and_keeps_nothing(district):
    oid = _dispatched_and_signed(district)
    c = _client(district.people["liqiang"])
    r = c.post(f"/api/orders/{oid}/evidence", {"file": SimpleUploadedFile("site.jpg", b"MZ\x90\x00 not a photo")})
    assert 400 <= r.status_code < 500 and set(r.json()) == {"error", "message", "details"}
    r = c.post(f"/api/orders/{oid}/evidence", {})
    assert r.status_code == 422
    assert not Evidence.objects.filter(order_id=oid).exists()


def test_another_units_handler_neither_uploads_nor_lists(district):
    oid = _dispatched_and_signed(district)
    c = _client(district.people["zhaomin"])
    r = c.post(f"/api/orders/{oid}/evidence", {"file": SimpleUploadedFile("site.jpg", files.jpeg())})
    assert r.status_code == 404
    assert c.get(f"/api/orders/{oid}/evidence").status_code == 404
    assert not Evidence.objects.filter(order_id=oid).exists()


def test_the_docs_page_loads_the_vendored_swagger_ui(district):
    from django.contrib.staticfiles import finders

    r = _client(district.people["chengang"]).get("/api/docs")
    assert r.status_code == 200
    page = r.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    assert finders.find("ninja/swagger-ui-bundle.js") and finders.find("ninja/swagger-ui-init.js")
    assert '"validatorUrl": null' in page  # no badge fetched from the online validator


def test_the_registry_sits_in_orders_without_the_api_or_the_pages():
    import ast
    from pathlib import Path

    import hotline.orders

    wrong = []
    for path in Path(hotline.orders.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            wrong += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "ninja" or n.startswith("hotline.web")]
    assert wrong == []
