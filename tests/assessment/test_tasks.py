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
