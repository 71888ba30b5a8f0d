"""Two dispatch chiefs saving rules for one category at the same moment: one rule lands, the
other is refused as a conflict (PostgreSQL; SQLite has a single writer)."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from hotline.demo.district import build_district
from hotline.directory.models import ResponsibilityRule

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks race only on PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_concurrent_overlapping_rules_leave_exactly_one(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    d = build_district(password="pw")
    category = d.categories["就医咨询"]  # no rule yet
    units = [d.units[c] for c in ("street-a", "street-b", "street-c", "town-d", "enforcement", "housing")]
    barrier = threading.Barrier(len(units))
    outcomes: list[str] = []

    def save(unit):
        try:
            barrier.wait(timeout=30)
            ResponsibilityRule(category=category, lead_unit=unit, effective_from=dt.date(2026, 1, 1)).save()
            outcomes.append("saved")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(u,)) for u in units]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["refused"] * (len(units) - 1) + ["saved"]
    assert ResponsibilityRule.objects.filter(category=category).count() == 1
