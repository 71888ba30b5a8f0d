"""Reads only read (DESIGN.md): a GET of the overview or of any assessment page writes nothing
(no INSERT, UPDATE or DELETE, no task queued), even when past days are not built, so the pages
can be served from a read replica; the worker schedules its own catch-up, and the pages say how
fresh their figures are."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hotline.assessment import tasks
from hotline.assessment.history import import_rows
from hotline.assessment.models import StatsBuild
from tests.assessment.conftest import closed, hist

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _pages(district) -> list[str]:
    unit = district.units["street-a"].pk
    return [
        "/overview/", "/overview/?from=2023-07-01&to=2023-08-31",
        "/assessment/", "/assessment/?month=2023-08", "/assessment/?month=2023-08&format=csv",
        "/assessment/?from=2023-07-01&to=2023-08-31&table=areas",
        f"/assessment/unit/{unit}/?month=2023-08", f"/assessment/unit/{unit}/?month=2023-08&lost=resolution",
        "/assessment/gaming/?month=2023-08", "/assessment/warnings/", "/assessment/warnings/?as_of=2023-08-20",
        "/assessment/diagnostics/?month=2023-08", "/assessment/gaps/?month=2023-08",
        "/assessment/report/?month=2023-08",
    ]


def _queued() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.count()


def _assert_every_page_reads_only(district) -> None:
    client = Client()
    client.force_login(district.people["liudu"])  # the login itself writes: before the capture
    queued = _queued()
    for url in _pages(district):
        with CaptureQueriesContext(connection) as ctx:
            resp = client.get(url)
        assert resp.status_code == 200, url
        writes = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]
        assert writes == [], (url, writes)
    assert _queued() == queued


@pytest.fixture
def history(district):
    import_rows([hist("R1", "东湖街道办事处", "2023-07-03"), hist("R2", "西城街道办事处", "2023-08-04")])
    closed(district, "street-a")  # and one order of today
    return district


def test_it_writes_nothing_when_no_day_has_ever_been_built(history):
    StatsBuild.objects.all().delete()  # not even the mark (the import asked for a catch-up)
    _assert_every_page_reads_only(history)
    assert not StatsBuild.objects.exists()


def test_it_writes_nothing_when_past_days_fell_behind(history):
    tasks.rebuild_all_stats.call()
    import_rows([hist("R3", "东湖街道办事处", "2023-08-01")])  # August goes back to live
    mark = StatsBuild.objects.get()
    assert mark.built_through == dt.date(2023, 7, 31)
    before = (mark.built_through, mark.built_at, mark.catch_up_requested_at)
    _assert_every_page_reads_only(history)
    mark.refresh_from_db()
    assert (mark.built_through, mark.built_at, mark.catch_up_requested_at) == before


def test_the_pages_say_how_fresh_the_figures_are(history):
    tasks.rebuild_all_stats.call()
    client = Client()
    client.force_login(history.people["liudu"])
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    page = client.get("/assessment/?from=2023-07-03&to=2023-08-31").content.decode()  # built from the first order
    assert f"统计截至 {yesterday:%Y-%m-%d}" in page
    assert "实时计算" not in page  # the whole period is built
    today = timezone.localdate()
    page = client.get(f"/assessment/?from={today:%Y-%m-%d}&to={today:%Y-%m-%d}").content.decode()
    assert f"{today:%Y-%m-%d} 为实时计算" in page


def test_the_overview_says_which_days_are_computed_live_when_nothing_is_built(history):
    client = Client()
    client.force_login(history.people["liudu"])
    page = client.get("/overview/?from=2023-07-01&to=2023-07-31").content.decode()
    assert "尚未生成日统计" in page
    assert "2023-07-01 至 2023-07-31 为实时计算" in page
