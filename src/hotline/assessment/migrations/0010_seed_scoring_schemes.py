"""Seed one scheme per unit group that reproduces DESIGN.md's composite (10 response + 50
resolution + 40 satisfaction, targets 100 %: score = 100 × composite), in force since 2000-01,
so nothing changes until an administrator adds a version."""

import datetime as dt

from django.db import migrations

GROUPS = ["street", "department", "company", "authority", "community", "other", "centre"]
LINES = [{"indicator": "response", "weight": 10, "target": 1.0},
         {"indicator": "resolution", "weight": 50, "target": 1.0},
         {"indicator": "satisfaction", "weight": 40, "target": 1.0}]


def seed(apps, schema_editor):
    Scheme = apps.get_model("assessment", "ScoringScheme")
    for group in GROUPS:
        if not Scheme.objects.filter(group=group).exists():
            Scheme.objects.create(group=group, version=1, effective_from=dt.date(2000, 1, 1), lines=LINES,
                                  adjusted=False, note="默认方案：与原综合得分一致")


def unseed(apps, schema_editor):
    apps.get_model("assessment", "ScoringScheme").objects.filter(version=1, effective_from=dt.date(2000, 1, 1)).delete()


class Migration(migrations.Migration):
    dependencies = [("assessment", "0009_scoring_schemes")]
    operations = [migrations.RunPython(seed, unseed)]
