"""The background tasks that keep the aggregates built."""

import datetime as dt

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


def test_a_page_that_finds_past_days_not_built_asks_the_worker_to_catch_up_once(district, django_capture_on_commit_callbacks):
    from hotline.assessment import indicators

    import_rows([hist("T1", "东湖街道办事处", "2023-07-03")])
    tasks.rebuild_all_stats.call()
    import_rows([hist("T2", "东湖街道办事处", "2023-08-01")])  # August goes back to live
    assert _queued_refreshes() == []
    with django_capture_on_commit_callbacks(execute=True):
        indicators.overview(dt.date(2023, 8, 1), dt.date(2023, 8, 31))
    assert len(_queued_refreshes()) == 1
    with django_capture_on_commit_callbacks(execute=True):  # later pages within the half hour: no more
        indicators.overview(dt.date(2023, 8, 1), dt.date(2023, 8, 31))
        indicators.overview(dt.date(2023, 7, 1), dt.date(2023, 8, 31))
    assert len(_queued_refreshes()) == 1
    tasks.refresh_stats.call(days=3)  # what the worker then runs
    assert StatsBuild.objects.get().built_through == timezone.localdate() - dt.timedelta(days=1)


def test_today_computed_live_asks_for_nothing(district, django_capture_on_commit_callbacks):
    from hotline.assessment import indicators

    import_rows([hist("T1", "东湖街道办事处", "2023-07-03")])
    tasks.rebuild_all_stats.call()
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        indicators.overview(today.replace(day=1), today)
    assert _queued_refreshes() == []
    assert StatsBuild.objects.get().catch_up_requested_at is None
