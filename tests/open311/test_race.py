"""Two tries of one post at the same moment (a client that timed out and retried while the first
was still running): one order, one Open311 row, both answered with its number."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.http import QueryDict

from hotline.open311 import intake
from hotline.open311.models import Open311Request
from hotline.orders.models import WorkOrder
from tests.open311.conftest import form
from tests.race import race


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_racing_tries_of_one_post_make_one_order(district):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    data = QueryDict(urlencode(form(district)))
    actor = district.people["wangfang"]
    results = race([lambda: intake.post(data, actor=actor, client="a")] * 4)
    assert all(isinstance(r, intake.Posted) for r in results), results
    assert len({r.order.pk for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert WorkOrder.objects.count() == 1 and Open311Request.objects.count() == 1
