"""The responsibility list keeps its versions in the admin too: a rule already in force cannot be
edited or deleted in place (orders were dispatched under it, and the change-request workflow
makes the next version); a rule not yet in force may still be corrected."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from hotline.directory.models import ResponsibilityRule

pytestmark = pytest.mark.django_db


def _form(rule, **changes):
    data = {"category": rule.category_id, "area": rule.area_id or "", "lead_unit": rule.lead_unit_id,
            "effective_from": rule.effective_from.isoformat(),
            "effective_to": rule.effective_to.isoformat() if rule.effective_to else "",
            "basis": rule.basis, "version": rule.version, "co_units": [u.pk for u in rule.co_units.all()]}
    return {k: v for k, v in (data | changes).items() if v is not None}


def test_a_rule_in_force_is_read_only_in_the_admin(district, client):
    """管理员不能在后台直接把“道路塌陷破损”的主办单位改掉：在用的条目只能经修改建议产生新版本。"""
    client.force_login(district.people["admin"])
    rule = ResponsibilityRule.objects.filter(effective_from__lte=timezone.localdate(), effective_to__isnull=True).first()
    assert rule is not None
    other = district.units["water"] if rule.lead_unit_id != district.units["water"].pk else district.units["housing"]
    url = reverse("admin:directory_responsibilityrule_change", args=[rule.pk])
    page = client.get(url)
    assert page.status_code == 200  # still viewable
    assert b'name="lead_unit"' not in page.content
    assert "修改建议".encode() in page.content  # where to go instead
    resp = client.post(url, _form(rule, lead_unit=other.pk))
    assert resp.status_code == 403
    rule.refresh_from_db()
    assert rule.lead_unit_id != other.pk
    assert client.post(reverse("admin:directory_responsibilityrule_delete", args=[rule.pk]), {"post": "yes"}).status_code == 403
    assert ResponsibilityRule.objects.filter(pk=rule.pk).exists()


def test_a_rule_not_yet_in_force_can_be_corrected_and_a_new_one_added(district, client):
    client.force_login(district.people["admin"])
    soon = timezone.localdate() + dt.timedelta(days=30)
    category = district.categories["停水"]
    current = ResponsibilityRule.objects.filter(category=category, area__isnull=True, effective_to__isnull=True).first()
    if current is not None:  # make room for a scheduled rule, as a change request would
        ResponsibilityRule.objects.filter(pk=current.pk).update(effective_to=soon)
    resp = client.post(reverse("admin:directory_responsibilityrule_add"), {
        "category": category.pk, "lead_unit": district.units["water"].pk, "effective_from": soon.isoformat(),
        "version": "2", "basis": "区政府办公室决定"})
    assert resp.status_code == 302, resp.content[:2000]
    scheduled = ResponsibilityRule.objects.get(category=category, effective_from=soon)
    resp = client.post(reverse("admin:directory_responsibilityrule_change", args=[scheduled.pk]),
                       _form(scheduled, basis="区政府办公室2026年第12次会议决定"))
    assert resp.status_code == 302
    scheduled.refresh_from_db()
    assert scheduled.basis == "区政府办公室2026年第12次会议决定"
