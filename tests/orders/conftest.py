"""The district built once per test package instead of once per test.

Building the directory costs more than most tests here, so it is committed once when the first
test of the package needs it; each test then runs in a transaction that is rolled back, and may
still change units, rules or profiles freely. When the package is done the directory rows are
deleted again, so other packages (which build their own district per test) find the database
as the migrations left it. Transactional tests (the PostgreSQL races) empty the database when
they end; the next test then finds the district gone and builds it again.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from hotline.demo.district import District, build_district
from hotline.directory.models import (
    Area,
    Category,
    DeadlineRule,
    ProcedureProfile,
    ResponsibilityRule,
    StaffPhone,
    Unit,
    User,
)

# Children before parents; foreign keys are checked at commit, so self-references are fine.
_DIRECTORY = [StaffPhone, DeadlineRule, ResponsibilityRule.co_units.through, ResponsibilityRule, User.groups.through,
              User.user_permissions.through, User, Category, ProcedureProfile, Area, Unit]


def _load() -> District | None:
    units = {u.code: u for u in Unit.objects.all()}
    if "street-a" not in units:
        return None
    d = District(units=units)
    d.areas = {a.code: a for a in Area.objects.all()}
    d.people = {u.username: u for u in User.objects.exclude(username="system")}
    d.profiles = {p.code: p for p in ProcedureProfile.objects.all()}
    d.categories = {c.name: c for c in Category.objects.filter(level=3)}
    for rule in ResponsibilityRule.objects.select_related("category", "area"):
        d.rules[rule.category.name + (f"@{rule.area.code}" if rule.area_id else "")] = rule
    return d


def _wipe_directory() -> None:
    with transaction.atomic():
        for model in _DIRECTORY:
            model.objects.all()._raw_delete(model.objects.db)


# Module scope, not package: under xdist's --dist loadfile a worker runs each file's tests
# together, but files of other packages may run between two files of this one, and they must
# not find these committed rows.
@pytest.fixture(scope="module")
def _shared_district(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        if _load() is None:
            build_district(password="pw")
    yield
    with django_db_blocker.unblock():
        _wipe_directory()


@pytest.fixture
def district(_shared_district, db) -> District:
    # a transactional test before this one may have emptied the database
    return _load() or build_district(password="pw")
