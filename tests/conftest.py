"""Shared fixtures: the district's directory and one named person per role and scope.

Personas: 王芳 (agent, city centre), 陈刚 (dispatcher), 周审 (reviewer), 孙回 (callback agent),
刘督 (supervisor), 李强 (handler, 东湖街道), 赵敏 (handler, 西城街道), 郑执 (handler, 综合执法局),
吴建 (handler, 住建委), 钱机 (handler, airport), 闵航 (handler, civil aviation authority).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

from hotline.demo.district import District, build_district
from hotline.orders import actions
from hotline.orders.actions import Intake


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Put back what the migrations seeded (the working-day calendar, the revision token) after
    a transactional test's closing flush emptied every table. Django's own runner runs such
    tests last; pytest-xdist's --dist loadfile runs them wherever their file falls, and the next
    file on that worker would find no calendar (seen on PostgreSQL, where the race tests run).
    Only tables the flush left empty are refilled (the flush's post_migrate may already have
    recreated content types and permissions)."""
    yield
    marker = item.get_closest_marker("django_db")
    if nextitem is None:  # the last test: the session's teardown has already dropped the test database
        return
    if marker is None or not (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return
    _refill_seeded_tables(item.config, pristine=not marker.kwargs.get("serialized_rollback"))


def _refill_seeded_tables(config, *, pristine: bool = False) -> None:
    from pytest_django.plugin import blocking_manager_key

    with config.stash[blocking_manager_key].unblock():
        restore_seeded_database(pristine=pristine)


def restore_seeded_database(*, pristine: bool = False) -> None:
    """Give the test database back what the migrations seeded. `pristine`: empty it first (for
    whoever committed rows outside a test's transaction: a transactional test without serialized
    rollback, a module fixture that built a district), since a flush's post_migrate recreates
    content types under new ids and a later serialized_rollback test would then collide with
    them when it restores the originals. Otherwise only tables left empty are refilled."""
    import io

    from django.core import serializers
    from django.core.management import call_command
    from django.db import connection, transaction

    from hotline.directory.models import CalendarYear

    contents = getattr(connection, "_test_serialized_contents", None)
    if not contents:
        return
    if pristine:
        # reset_sequences=False, as Django's own teardown: the rows come back with their ids, and
        # PostgreSQL's sequences must stay past them.
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True, reset_sequences=False)
    elif CalendarYear.objects.exists():
        return
    empty: dict[type, bool] = {}
    tables: set[str] = set()
    with transaction.atomic(), connection.constraint_checks_disabled():
        for obj in serializers.deserialize("json", io.StringIO(contents)):
            model = type(obj.object)
            if model not in empty:
                empty[model] = not model._default_manager.exists()
            if empty[model]:
                obj.save()
                tables.add(model._meta.db_table)
        connection.check_constraints(table_names=sorted(tables))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's, and then the freshly migrated database kept as a snapshot: it keeps one
    only when a collected test asks for serialized rollback, and restore_seeded_database needs it
    whatever was collected (a run of two files, one with a module fixture that builds a demo,
    would otherwise leave the demo's rows to the next file)."""
    from django.db import connection

    with django_db_blocker.unblock():
        if not getattr(connection, "_test_serialized_contents", None):
            connection._test_serialized_contents = connection.creation.serialize_db_to_string()
    yield


@pytest.fixture(autouse=True)
def _chinese_first():
    # The language middleware leaves the request's language active in the thread (a streamed
    # export renders after it returns); a test that requested an English page must not leave
    # English on for the next test in the same worker.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_hasher_and_media(tmp_path):
    # Password hashing would dominate the suite's time; uploads go to a temporary folder.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # No test may pick up a model trained in a developer's ./var by `make run`.
    settings.HOTLINE_MODEL_DIR = tmp_path / "models"


@pytest.fixture
def district(db) -> District:
    return build_district(password="pw")


@pytest.fixture
def people(district):
    return district.people


def make_order(district: District, *, category: str = "道路塌陷破损", area: str = "east-lake", **kw) -> int:
    """A received order, created through the intake action as the agent 王芳."""
    data = Intake(
        title=kw.pop("title", "东湖路路面塌陷"),
        description=kw.pop("description", "东湖路与湖滨路交叉口路面塌陷约一平方米，存在安全隐患，请尽快处理。"),
        caller_name=kw.pop("caller_name", "张先生"),
        caller_phone=kw.pop("caller_phone", "13812345678"),
        area_id=district.areas[area].pk if area else None,
        category_id=district.categories[category].pk if category else None,
        **kw,
    )
    return actions.do_create(data, actor=district.people["wangfang"]).pk
