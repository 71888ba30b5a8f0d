from django.db import migrations

# The default list of root causes (issue 13); administrators edit it in the admin.
DEFAULTS = [
    ("ageing_facilities", "设施老化"),
    ("management_gap", "管理缺位"),
    ("policy_gap", "政策空白"),
    ("cross_department", "跨部门协同不畅"),
    ("beyond_authority", "超出区级权限"),
    ("construction_quality", "建设质量问题"),
    ("service_standard", "服务标准不落实"),
    ("other", "其他"),
]


def seed(apps, schema_editor):
    RootCause = apps.get_model("governance", "RootCause")
    for position, (code, label) in enumerate(DEFAULTS):
        RootCause.objects.get_or_create(code=code, defaults={"label": label, "position": position})


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
