"""The admin's autocomplete fields refuse a guessed or hostile id with the form's own error, not a
500 (on SQLite a number past a 64-bit column raised OverflowError when the widget looked the
posted value up to show it again)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"


@pytest.mark.parametrize("value", [HUGE, "-1", "1e9", "12; DROP TABLE x"])
def test_the_responsibility_rule_admin_refuses_an_impossible_category(district, client, value):
    from hotline.directory.models import ResponsibilityRule
    client.force_login(district.people["admin"])
    before = ResponsibilityRule.objects.count()
    resp = client.post(reverse("admin:directory_responsibilityrule_add"), {
        "category": value, "lead_unit": district.units["water"].pk, "effective_from": "2026-12-01", "version": "1"})
    assert resp.status_code == 200 and resp.context["adminform"].form.errors.get("category")
    assert ResponsibilityRule.objects.count() == before


def test_the_notification_settings_admin_refuses_an_impossible_person(district, client):
    client.force_login(district.people["admin"])
    resp = client.post(reverse("admin:notify_notifysettings_add"), {
        "person": HUGE, "preferences-TOTAL_FORMS": "0", "preferences-INITIAL_FORMS": "0"})
    assert resp.status_code == 200 and resp.context["adminform"].form.errors.get("person")
