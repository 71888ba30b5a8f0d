"""The tokens page: a person makes a token (shown once), sees it listed by prefix, revokes it."""

from django.test import Client

from hotline.api.models import ApiKey


def logged_in(user):
    c = Client()
    c.force_login(user)
    return c


def test_a_person_makes_a_token_that_is_shown_once_and_works(district):
    c = logged_in(district.people["liqiang"])
    r = c.post("/tokens/", {"name": "我的手机", "scopes": ["orders:read"], "expires_days": "30"})
    assert r.status_code == 200
    key = ApiKey.objects.get(user=district.people["liqiang"])
    raw = r.context["created"]["raw"]
    assert raw in r.content.decode() and "no-store" in r["Cache-Control"]
    assert Client().get("/api/orders", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    again = c.get("/tokens/").content.decode()
    assert raw not in again and key.prefix in again


def test_bad_input_is_shown_beside_the_fields_and_makes_nothing(district):
    c = logged_in(district.people["liqiang"])
    r = c.post("/tokens/", {"name": "", "scopes": ["orders:everything"], "expires_days": "9999"})
    assert r.status_code == 200
    assert set(r.context["form"].errors) == {"name", "scopes", "expires_days"}
    assert not ApiKey.objects.exists()


def test_only_the_owner_revokes_a_token(district):
    owner = logged_in(district.people["liqiang"])
    owner.post("/tokens/", {"name": "平板", "scopes": ["orders:read"], "expires_days": "30"})
    key = ApiKey.objects.get()
    assert logged_in(district.people["zhaomin"]).post(f"/tokens/{key.pk}/revoke/").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None
    assert owner.post(f"/tokens/{key.pk}/revoke/").status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_anonymous_visitors_are_sent_to_log_in(district):
    r = Client().get("/tokens/")
    assert r.status_code == 302 and "login" in r["Location"]
