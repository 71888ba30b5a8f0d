"""A short schemathesis run over every operation of the OpenAPI document, in-process (WSGI) on the
test database: no 5xx, every status documented, every body as the schema says, schema-invalid
input refused. The long run against a live server on PostgreSQL is bench/api_fuzz.py."""

from __future__ import annotations

import json
import secrets

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client

from hotline.orders.models import WorkOrder
from tests.conftest import make_order

schemathesis = pytest.importorskip("schemathesis")
hypothesis = pytest.importorskip("hypothesis")

EXAMPLES = 3  # per operation: a smoke run; bench/api_fuzz.py runs hundreds


def _checks() -> list:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        negative_data_rejection,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
            response_schema_conformance, negative_data_rejection]


@pytest.fixture
def in_process():
    """Requests through Django's WSGI handler inside the test's transaction: as Django's test
    client does, the handler must not close the test's database connection after each request."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_a_short_fuzz_of_every_operation_finds_nothing(district, in_process):
    from hypothesis import HealthCheck, Phase, given, settings

    from hotline.api.api import api

    ids = [make_order(district) for _ in range(3)]
    raw = json.loads(json.dumps(api.get_openapi_schema()))
    for ops in raw["paths"].values():
        for op in ops.values():
            for param in op.get("parameters", []):
                if param["name"] == "order_id":  # real orders, and one past them
                    param["schema"].update(minimum=min(ids), maximum=max(ids) + 1)
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = in_process
    client = Client()
    client.force_login(district.people["chengang"])
    csrf = secrets.token_hex(16)  # a 32-character secret: valid as the cookie and as the header
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf}
    headers = {"X-CSRFToken": csrf}
    checks = _checks()
    failures: list[str] = []
    operations = statuses = 0
    seen: set[int] = set()

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def run(case) -> None:
            nonlocal statuses
            try:
                response = case.call_and_validate(headers=headers, cookies=cookies, checks=checks)
                seen.add(response.status_code)
                statuses += 1
            except Exception as exc:  # noqa: BLE001 - collected, reported together below
                failures.append(f"{case.method} {case.path}: {str(exc)[:400]}")

        run()
    assert operations >= 33
    assert statuses >= operations  # every operation was called
    assert failures == []
    assert not [s for s in seen if s >= 500]
    assert seen & {200, 201}  # authenticated: some calls went through
    assert WorkOrder.objects.count() >= 3
