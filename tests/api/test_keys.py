"""API keys and personal tokens: hashed at rest, scoped, revocable, rate-limited, acting as a named
user whose role and unit decide what the key sees (a unit's key sees that unit's orders only)."""

import datetime as dt
import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from hotline.api import keys
from hotline.api.models import ApiKey
from hotline.audit.models import AuditEntry
from hotline.orders import actions as do
from hotline.orders.models import Event, WorkOrder
from tests.conftest import make_order

INTAKE = {"title": "路灯不亮", "description": "西城路23号门前路灯连续三晚不亮，夜间行人看不清路。",
          "caller_phone": "13911112222"}


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def post(c, url, body, **headers):
    return c.post(url, data=json.dumps(body), content_type="application/json", **headers)


def system_key(name="grid", scopes=("orders:read",), **kw):
    return keys.create_system_key(name=name, scopes=list(scopes), **kw)


def test_the_command_prints_a_key_on_its_last_line_that_works_and_only_its_hash_is_kept(district):
    out = io.StringIO()
    call_command("apikey", "create", "--name", "grid-platform", "--scope", "orders:read", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    assert raw.startswith("hlk_")
    key = ApiKey.objects.get(name="grid-platform")
    assert key.secret_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = json.dumps(list(ApiKey.objects.values()), default=str)
    assert raw not in stored and raw.split("_")[-1] not in stored
    r = Client().get("/api/orders", **bearer(raw))
    assert r.status_code == 200, r.content
    key.refresh_from_db()
    assert key.last_used_at is not None and key.last_used_ip == "127.0.0.1"


@pytest.mark.parametrize("args", [
    ["create", "--name", "x", "--scope", "orders:read"],            # name too short
    ["create", "--name", "grid", "--scope", "everything"],          # unknown scope
    ["create", "--name", "grid"],                                    # no scope
    ["create", "--name", "grid", "--scope", "orders:read", "--role", "admin"],
    ["create", "--name", "grid", "--scope", "orders:read", "--role", "handler"],  # a unit role needs a unit
    ["create", "--name", "grid", "--scope", "orders:read", "--role", "handler", "--unit", "nowhere"],
    ["create", "--name", "grid", "--scope", "orders:read", "--rate", "0"],
    ["revoke", "--name", "nobody"],
])
def test_the_command_refuses_bad_arguments_with_a_message_and_makes_nothing(district, args):
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("apikey", *args, stdout=io.StringIO(), stderr=err)
    assert exit_.value.code == 2
    assert err.getvalue().strip()
    assert not ApiKey.objects.exists()


def test_the_x_api_key_header_works_as_well_as_bearer(district):
    _key, raw = system_key()
    assert Client().get("/api/orders", HTTP_X_API_KEY=raw).status_code == 200


@pytest.mark.parametrize("raw", ["", "hlk_", "hlk_deadbeef_" + "x" * 43, "not a key", "hlk_' OR 1=1 --_aaaaaaaaaaaaaaaaaaaaaaa"])
def test_unknown_or_malformed_keys_are_refused_with_401(district, raw):
    system_key()
    r = Client().get("/api/orders", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 401
    assert r.json()["error"] in {"invalid_key", "unauthenticated"}


def test_a_right_prefix_with_a_wrong_secret_is_refused(district):
    key, raw = system_key()
    forged = f"hlk_{key.prefix}_" + "A" * 43
    assert forged != raw
    assert Client().get("/api/orders", **bearer(forged)).status_code == 401


def test_a_wrong_key_is_refused_even_with_a_valid_session(district):
    c = Client()
    c.force_login(district.people["chengang"])
    assert c.get("/api/orders").status_code == 200
    assert c.get("/api/orders", **bearer("hlk_deadbeef_" + "x" * 43)).status_code == 401


def test_a_key_is_limited_to_its_scopes(district):
    _key, raw = system_key(scopes=["orders:read"])
    r = post(Client(), "/api/orders", INTAKE, **bearer(raw))
    assert r.status_code == 403
    assert r.json()["error"] == "insufficient_scope"
    assert not WorkOrder.objects.exists()


def test_a_system_key_acts_as_its_own_named_user_without_csrf_and_the_trace_says_so(district):
    _key, raw = system_key(name="wechat-app", scopes=["orders:create", "orders:read"])
    c = Client(enforce_csrf_checks=True)
    r = post(c, "/api/orders", INTAKE, HTTP_IDEMPOTENCY_KEY="mp-1", **bearer(raw))
    assert r.status_code == 201, r.content
    order = WorkOrder.objects.get(number=r.json()["number"])
    event = order.events.get(action="create")
    assert event.actor.username == "api.wechat-app"
    again = post(c, "/api/orders", INTAKE, HTTP_IDEMPOTENCY_KEY="mp-1", **bearer(raw))
    assert again.json()["number"] == order.number and WorkOrder.objects.count() == 1


def test_the_session_still_needs_its_csrf_token(district):
    c = Client(enforce_csrf_checks=True)
    c.force_login(district.people["wangfang"])
    r = post(c, "/api/orders", INTAKE)
    assert r.status_code == 403
    assert r.json()["error"] == "csrf_failed"


def test_a_revoked_key_is_refused_at_once_and_its_system_user_can_no_longer_see(district):
    key, raw = system_key()
    assert Client().get("/api/orders", **bearer(raw)).status_code == 200
    assert keys.revoke(key, by=district.people["admin"], reason="合同到期")
    r = Client().get("/api/orders", **bearer(raw))
    assert r.status_code == 401 and r.json()["error"] == "invalid_key"
    key.refresh_from_db()
    assert key.revoked_reason == "合同到期" and key.revoked_by == district.people["admin"]
    assert not key.user.is_active
    assert not keys.revoke(key)  # once only
    assert AuditEntry.objects.filter(kind="apikey_revoke").count() == 1


def test_the_same_name_can_have_a_new_key_after_revocation_but_not_two_live_ones(district):
    key, _raw = system_key()
    with pytest.raises(Exception) as exc:
        system_key()
    assert getattr(exc.value, "code", "") == "invalid_input"
    keys.revoke(key)
    new, raw = system_key()
    assert new.user_id == key.user_id and new.user.is_active
    assert Client().get("/api/orders", **bearer(raw)).status_code == 200


def test_an_expired_key_is_refused(district, monkeypatch):
    _key, raw = system_key(expires_days=1)
    assert Client().get("/api/orders", **bearer(raw)).status_code == 200
    later = timezone.now() + dt.timedelta(days=1, seconds=1)
    monkeypatch.setattr(keys, "_now", lambda: later)
    r = Client().get("/api/orders", **bearer(raw))
    assert r.status_code == 401 and "过期" in r.json()["message"]


def test_each_key_is_rate_limited_per_minute_with_retry_after(district, monkeypatch):
    start = timezone.now().replace(second=10, microsecond=0)
    monkeypatch.setattr(keys, "_now", lambda: start)
    _key, raw = system_key(rate=3)
    _other, other_raw = system_key(name="other", rate=3)
    codes = [Client().get("/api/orders", **bearer(raw)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = Client().get("/api/orders", **bearer(raw))
    assert limited.json()["error"] == "rate_limited"
    assert int(limited["Retry-After"]) == 51
    assert Client().get("/api/orders", **bearer(other_raw)).status_code == 200  # per key
    monkeypatch.setattr(keys, "_now", lambda: start + dt.timedelta(minutes=1))
    assert Client().get("/api/orders", **bearer(raw)).status_code == 200


def test_a_units_key_sees_only_that_units_orders_whatever_ids_it_guesses(district):
    mine = make_order(district, area="east-lake")
    theirs = make_order(district, area="west-city")
    do.do_dispatch(mine, actor=district.people["chengang"], unit_id=district.units["street-a"].pk)
    do.do_dispatch(theirs, actor=district.people["chengang"], unit_id=district.units["street-b"].pk)
    # a rate no guessing loop reaches: this test is about visibility, not the rate limit
    _key, raw = system_key(name="street-a-app", scopes=["orders:read", "orders:act"], role="handler",
                           unit_code="street-a", rate=100_000)
    c = Client()
    listed = c.get("/api/orders", **bearer(raw)).json()
    assert [o["id"] for o in listed["results"]] == [mine]
    highest = WorkOrder.objects.order_by("-id").first().pk
    # every id around the two orders and past the last one (on PostgreSQL ids do not restart
    # between tests, so the first id of the database may be far below these)
    for guess in [*range(max(1, min(mine, theirs) - 20), highest + 3), 1, 0, -1, 2**63, "abc"]:
        r = c.get(f"/api/orders/{guess}", **bearer(raw))
        assert r.status_code == (200 if guess == mine else 404), guess
        r = c.get(f"/api/orders/{guess}/events", **bearer(raw))
        assert r.status_code == (200 if guess == mine else 404), guess
    refused = post(c, f"/api/orders/{theirs}/actions/sign", {}, **bearer(raw))
    assert refused.status_code == 404
    assert WorkOrder.objects.get(pk=theirs).state == "dispatched"
    signed = post(c, f"/api/orders/{mine}/actions/sign", {}, **bearer(raw))
    assert signed.status_code == 200, signed.content
    assert Event.objects.get(order_id=mine, action="sign").actor.username == "api.street-a-app"


def test_a_personal_token_acts_as_its_person_and_cannot_exceed_their_role(district):
    oid = make_order(district)
    do.do_dispatch(oid, actor=district.people["chengang"], unit_id=district.units["street-a"].pk)
    _key, raw = keys.create_personal_token(user=district.people["wangfang"], name="手机", scopes=["orders:act", "orders:read"])
    r = post(Client(), f"/api/orders/{oid}/actions/sign", {}, **bearer(raw))
    assert r.status_code == 403 and r.json()["error"] == "not_allowed"  # an agent does not sign
    _key, raw = keys.create_personal_token(user=district.people["liqiang"], name="手机", scopes=["orders:act"])
    r = post(Client(), f"/api/orders/{oid}/actions/sign", {}, **bearer(raw))
    assert r.status_code == 200, r.content
    assert Event.objects.get(order_id=oid, action="sign").actor == district.people["liqiang"]


def test_personal_tokens_expire_by_default(district):
    key, _raw = keys.create_personal_token(user=district.people["liqiang"], name="平板", scopes=["orders:read"])
    assert key.expires_at is not None
    assert dt.timedelta(days=89) < key.expires_at - timezone.now() <= dt.timedelta(days=90)


def test_the_scope_table_names_what_each_request_needs():
    assert keys.required_scope("GET", "/api/orders/3/events") == "orders:read"
    assert keys.required_scope("POST", "/api/orders") == "orders:create"
    assert keys.required_scope("POST", "/api/orders/3/actions/sign") == "orders:act"
    assert keys.required_scope("POST", "/api/orders/3/evidence") == "evidence:write"
    assert keys.required_scope("DELETE", "/api/orders/3") == "orders:act"
