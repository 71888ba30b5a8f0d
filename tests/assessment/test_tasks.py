"""The background tasks that keep the aggregates built."""

import datetime as dt

import pytest
from django.utils import timezone

from hotline.assessment import tasks
from hotline.assessment.history import import_rows
from hotline.assessment.models import StatsBuild, UnitDayStats
from tests.assessment.conftest import hist


def test_rebuild_all_stores_every_past_day_and_marks_how_far(district):
    import_rows([hist("T1", "东湖街道办事处", "2023-07-03"), hist("T2", "西城街道办事处", "2023-07-05")])
    written = tasks.rebuild_all_stats.call()
    assert written["unit_rows"] == 2
    mark = StatsBuild.objects.get()
    assert mark.built_from == dt.date(2023, 7, 3)
    assert mark.built_through == timezone.localdate() - dt.timedelta(days=1)
    assert UnitDayStats.objects.get(unit=district.units["street-b"]).valid == 1


def test_a_history_import_into_built_days_sends_them_back_to_live(district):
    import_rows([hist("T1", "东湖街道办事处", "2023-07-03")])
    tasks.rebuild_all_stats.call()
    import_rows([hist("T2", "东湖街道办事处", "2023-08-01")])
    assert StatsBuild.objects.get().built_through == dt.date(2023, 7, 31)
    tasks.refresh_stats.call(days=3)  # catches up from where the mark fell behind
    assert StatsBuild.objects.get().built_through == timezone.localdate() - dt.timedelta(days=1)
    assert UnitDayStats.objects.get(day=dt.date(2023, 8, 1)).valid == 1


def _queued_refreshes() -> list:
    from django_tasks_db.models import DBTaskResult

    return [r for r in DBTaskResult.objects.all() if r.task_path.endswith("refresh_stats")]


def test_a_history_import_into_past_days_asks_the_worker_to_catch_up_once(district, django_capture_on_commit_callbacks):
    import_rows([hist("T1", "东湖街道办事处", "2023-07-03")])
    tasks.rebuild_all_stats.call()
    StatsBuild.objects.update(catch_up_requested_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        import_rows([hist("T2", "东湖街道办事处", "2023-08-01")])  # August goes back to live
    assert len(_queued_refreshes()) == 1
    with django_capture_on_commit_callbacks(execute=True):  # another import within the half hour: no more
        import_rows([hist("T3", "东湖街道办事处", "2023-08-02")])
    assert len(_queued_refreshes()) == 1
    tasks.refresh_stats.call(days=3)  # what the worker then runs
    assert StatsBuild.objects.get().built_through == timezone.localdate() - dt.timedelta(days=1)


def test_a_starting_worker_queues_the_nightly_run_and_a_catch_up_when_behind(district, django_capture_on_commit_callbacks):
    import_rows([hist("T1", "东湖街道办事处", "2023-07-03")])
    StatsBuild.objects.update(catch_up_requested_at=None)  # as if the import's request were long ago
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.on_worker_start() == {"nightly": True, "catch_up": True}
    queued = sorted(_queued_refreshes(), key=lambda r: r.task.run_after is not None)
    assert len(queued) == 2
    now_run, nightly = queued
    assert now_run.task.run_after is None
    at = timezone.localtime(nightly.task.run_after)
    assert (at.hour, at.minute) == (0, 30) and nightly.run_after > timezone.now()
    assert nightly.args_kwargs["kwargs"] == {"days": 3, "nightly": True}
    with django_capture_on_commit_callbacks(execute=True):  # a second worker starting: nothing more
        assert tasks.on_worker_start() == {"nightly": False, "catch_up": False}
    assert len(_queued_refreshes()) == 2


def test_the_nightly_run_queues_the_next_one(district, django_capture_on_commit_callbacks):
    import_rows([hist("T1", "东湖街道办事处", "2023-07-03")])
    with django_capture_on_commit_callbacks(execute=True):
        tasks.schedule_nightly()
    first = StatsBuild.objects.get().nightly_queued_for
    # the worker runs it at its time (the clock is moved there by marking the slot due)
    StatsBuild.objects.update(nightly_queued_for=timezone.now() - dt.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.refresh_stats.call(days=3, nightly=True)
    mark = StatsBuild.objects.get()
    assert mark.built_through == timezone.localdate() - dt.timedelta(days=1)
    assert mark.nightly_queued_for == first  # the next night's run, queued again
    assert len(_queued_refreshes()) == 2


def test_a_nightly_run_that_was_lost_is_queued_again(district, django_capture_on_commit_callbacks):
    StatsBuild.objects.create(key="default", nightly_queued_for=timezone.now() - tasks.LOST_AFTER - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.schedule_nightly() is True
    assert len(_queued_refreshes()) == 1


def test_the_build_being_up_to_date_asks_for_no_catch_up(district, django_capture_on_commit_callbacks):
    import_rows([hist("T1", "东湖街道办事处", "2023-07-03")])
    tasks.rebuild_all_stats.call()
    assert not tasks.behind()
    StatsBuild.objects.update(catch_up_requested_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.on_worker_start()["catch_up"] is False
    assert [r.args_kwargs["kwargs"].get("nightly") for r in _queued_refreshes()] == [True]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded calendar for later tests
def test_the_worker_command_catches_up_at_start_and_leaves_the_nightly_run_queued(settings):
    from django.core.management import call_command

    settings.HOTLINE_WORKER_DELIVERY = False  # no delivery threads contending for the SQLite database

    from hotline.demo.district import build_district
    build_district(password="pw")
    import_rows([hist("T1", "东湖街道办事处", "2023-07-03")])
    StatsBuild.objects.update(catch_up_requested_at=None)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    mark = StatsBuild.objects.get()
    assert mark.built_through == timezone.localdate() - dt.timedelta(days=1)
    assert mark.nightly_queued_for is not None and mark.nightly_queued_for > timezone.now()
    pending = [r for r in _queued_refreshes() if r.status == "READY"]
    assert [r.task.run_after for r in pending] == [mark.nightly_queued_for]
