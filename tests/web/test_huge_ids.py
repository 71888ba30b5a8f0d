"""The pages' action forms refuse ids no database column can hold with a form error (400),
not a database error (500)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from hotline.orders.models import Event
from tests.conftest import make_order


def test_it_refuses_a_thirty_digit_co_unit_beside_the_field(district):
    oid = make_order(district)
    c = Client(raise_request_exception=False)
    c.force_login(district.people["chengang"])
    r = c.post(reverse("web:act", args=[oid, "dispatch"]),
               {"dispatch-unit": district.units["street-a"].pk, "dispatch-co_units": ["9" * 30]})
    assert r.status_code == 400
    assert "9" * 30 in r.content.decode()  # Django's "… is not a valid value" beside the field
    assert Event.objects.filter(order_id=oid).count() == 1
