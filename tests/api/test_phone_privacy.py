"""A role without the full-number right can never test a guessed phone number: no phone-derived
value in the trace it reads, no match on phone numbers in the search or the export."""

import hashlib

from django.test import Client

from hotline.orders import actions
from hotline.orders.models import Event
from tests.conftest import make_order

PHONE = "13912345678"


def as_user(user):
    c = Client()
    c.force_login(user)
    return c


def dispatched(district):
    oid = make_order(district, caller_phone=PHONE)
    actions.do_dispatch(oid, actor=district.people["chengang"], unit_id=district.units["street-a"].pk)
    return oid


def test_it_stores_a_keyed_hash_not_a_plain_sha256_of_the_phone(district):
    oid = dispatched(district)
    data = Event.objects.get(order_id=oid, action="create").data
    plain = hashlib.sha256(PHONE.encode()).hexdigest()
    assert plain not in str(data)
    assert data["caller_phone_hmac"] and data["caller_phone_hmac"] != plain


def test_a_handler_finds_no_phone_derived_value_in_the_events(district):
    oid = dispatched(district)
    body = as_user(district.people["liqiang"]).get(f"/api/orders/{oid}/events").content.decode()
    assert "caller_phone_sha256" not in body and "caller_phone_hmac" not in body
    assert hashlib.sha256(PHONE.encode()).hexdigest() not in body
    assert PHONE not in body


def test_a_handler_cannot_read_an_old_unsalted_hash_either(district):
    oid = dispatched(district)
    ev = Event.objects.get(order_id=oid, action="create")
    Event.objects.filter(pk=ev.pk).update(data={**ev.data, "caller_phone_sha256": hashlib.sha256(PHONE.encode()).hexdigest()})
    body = as_user(district.people["liqiang"]).get(f"/api/orders/{oid}/events").content.decode()
    assert hashlib.sha256(PHONE.encode()).hexdigest() not in body


def test_a_dispatcher_still_reads_the_keyed_hash(district):
    oid = dispatched(district)
    events = as_user(district.people["chengang"]).get(f"/api/orders/{oid}/events").json()
    assert events[0]["data"]["caller_phone_hmac"]


def test_a_handler_cannot_confirm_a_guessed_number_by_searching(district):
    dispatched(district)
    c = as_user(district.people["liqiang"])
    assert "东湖路路面塌陷" in c.get("/orders/").content.decode()
    for q in (PHONE, "5678", "139"):
        assert "东湖路路面塌陷" not in c.get(f"/orders/?q={q}").content.decode(), q
        export = b"".join(c.get(f"/orders/export.csv?q={q}").streaming_content).decode("utf-8-sig")
        assert "东湖路路面塌陷" not in export, q


def test_a_dispatcher_finds_an_order_by_the_full_number(district):
    dispatched(district)
    assert "东湖路路面塌陷" in as_user(district.people["chengang"]).get(f"/orders/?q={PHONE}").content.decode()


def test_the_api_list_masks_the_number_for_a_handler(district):
    dispatched(district)
    results = as_user(district.people["liqiang"]).get("/api/orders").json()["results"]
    assert [r["caller_phone"] for r in results] == ["139****5678"]
