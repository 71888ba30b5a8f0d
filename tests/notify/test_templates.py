"""Templates: rendered from a safe context, edited by the administrator (checked before saving),
seeded with the defaults by the data migration."""

from __future__ import annotations

import pytest
from django.utils import translation

from hotline.notify import texts
from hotline.notify.models import Notification, Template
from hotline.notify.rules import Kind


@pytest.mark.django_db
def test_the_migration_seeded_a_chinese_template_for_every_kind():
    rows = dict(Template.objects.values_list("kind", "body"))
    assert set(rows) == {k.value for k in Kind}
    assert "{{ number }}" in rows["new_order"] and "新工单" in rows["new_order"]


def test_a_template_renders_the_context_without_html_escaping():
    out = texts.render("工单{{ number }}“{{ title }}” {{ link }}", {"number": "2026", "title": "A&B <c>",
                                                                   "link": "http://x/orders/1/?a=1&b=2"})
    assert out == "工单2026“A&B <c>” http://x/orders/1/?a=1&b=2"


def test_a_template_reaches_nothing_outside_its_context():
    assert texts.render("[{{ settings.SECRET_KEY }}{{ request }}{{ user.password }}{{ number }}]", {"number": "1"}) == "[1]"
    with pytest.raises(texts.TemplateError):
        texts.check("{{ number.__class__ }}")


@pytest.mark.parametrize("source", ["{% load static %}x", "{% include 'web/base.html' %}", "{% debug %}",
                                    "{% url 'web:home' %}", "{% if %}", "{{ number|nosuchfilter }}"])
def test_a_dangerous_or_broken_template_is_refused(source):
    with pytest.raises(texts.TemplateError):
        texts.check(source)


def test_a_broken_saved_template_falls_back_to_the_default():
    assert texts.render("{% debug %}", {"number": "9"}, fallback="工单{{ number }}") == "工单9"
    assert texts.render("{% if %}", {"number": "9"}, fallback="工单{{ number }}") == "工单9"


def test_conditions_and_defaults_are_allowed():
    src = "{% if urgency %}[{{ urgency }}]{% endif %}{{ unit|default:'本单位' }}"
    texts.check(src)
    assert texts.render(src, {"urgency": "紧急"}) == "[紧急]本单位"


@pytest.mark.django_db
def test_the_administrator_edits_a_template_in_the_admin_and_a_bad_one_is_refused(client, district):
    client.force_login(district.people["admin"])
    district.people["admin"].is_staff = district.people["admin"].is_superuser = True
    district.people["admin"].save()
    row = Template.objects.get(kind="urge")
    url = f"/admin/notify/template/{row.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    bad = client.post(url, {"kind": "urge", "subject": "催办", "body": "{% load static %}{{ number }}"})
    assert bad.status_code == 200 and "不允许使用的模板标签" in bad.content.decode()
    row.refresh_from_db()
    assert "load" not in row.body
    ok = client.post(url, {"kind": "urge", "subject": "催办{{ number }}", "body": "请速办{{ number }}：{{ text }}"})
    assert ok.status_code == 302
    row.refresh_from_db()
    assert row.body == "请速办{{ number }}：{{ text }}"


def test_the_admin_labels_are_translated_into_english():
    with translation.override("en"):
        assert str(Notification._meta.verbose_name_plural) == "Notifications"
        assert str(Template._meta.get_field("body").verbose_name) == "Text"
        assert str(Notification.State.SUPPRESSED.label) == "Not sent (by the settings)"
