"""Seed the default Chinese text of each kind of notification (the administrator edits them)."""

from django.db import migrations

# A copy, as of this migration, of hotline.notify.texts.DEFAULTS (a migration imports no app code).
DEFAULTS = [
    ('new_order', '新工单{{ number }}',
     '【新工单】{{ unit }}：工单{{ number }}“{{ title }}”已派至本单位，请于{{ due }}前签收办理。{{ link }}'),
    ('redo', '工单{{ number }}被驳回重办',
     '【驳回重办】工单{{ number }}“{{ title }}”的答复未通过，请重新办理，答复时限{{ due }}。{{ text }} {{ link }}'),
    ('urge', '工单{{ number }}催办',
     '【催办】工单{{ number }}“{{ title }}”被催办：{{ text }}。答复时限{{ due }}。{{ link }}'),
    ('supervise', '工单{{ number }}督办',
     '【督办】工单{{ number }}“{{ title }}”已列入督办：{{ text }}。答复时限{{ due }}。{{ link }}'),
    ('due_soon', '工单{{ number }}即将超时',
     '【即将超时】工单{{ number }}“{{ title }}”将于{{ due }}到期（{{ clock }}），请抓紧办理。{{ link }}'),
    ('overdue', '工单{{ number }}已超时',
     '【已超时】工单{{ number }}“{{ title }}”已超过{{ clock }}（{{ due }}），请立即办理。{{ link }}'),
    ('warning', '{{ rule }}：{{ subject }}',
     '【预警】{{ rule }}：{{ text }} {{ link }}'),
]


def seed(apps, schema_editor):
    Template = apps.get_model("notify", "Template")
    for kind, subject, body in DEFAULTS:
        Template.objects.get_or_create(kind=kind, defaults={"subject": subject, "body": body})


class Migration(migrations.Migration):
    dependencies = [("notify", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
