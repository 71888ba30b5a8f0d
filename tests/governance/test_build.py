"""Hotspots in the database: the incremental join (the worker, through the outbox) and the full
build agree; the burst reaches the dispatch board and the supervisors; the CLI; the pages."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from hotline import outbox
from hotline.governance import build
from hotline.governance.models import Hotspot, OrderSignature
from hotline.notify.models import Notification
from hotline.orders import actions
from hotline.orders.actions import HistoryRecord, Intake
from hotline.orders.models import WorkOrder

from .data import NOISE, OTHER, PLACES, WATER

pytestmark = pytest.mark.django_db


def _intake(district, text: str, at: dt.datetime, *, area: str = "east-lake", address: str = "", phone: str = "",
            category: str = "停水") -> Intake:
    return Intake(title=text[:60], description=text, caller_name="市民", caller_phone=phone or "13700000000",
                  area_id=district.areas[area].pk, category_id=district.categories[category].pk, address=address,
                  received_at=at)


def _create(district, *args, **kw) -> int:
    return actions.do_create(_intake(district, *args, **kw), actor=district.people["wangfang"]).pk


def _drain() -> None:
    """The worker's governance thread: rounds until nothing is due (one row per stream a round)."""
    now = timezone.now() + dt.timedelta(seconds=5)
    while outbox.deliver_due("governance", now=now):
        pass


def _partition() -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for oid, root in OrderSignature.objects.values_list("order_id", "root_id_value"):
        groups.setdefault(root, set()).add(oid)
    return {frozenset(g) for g in groups.values()}


def _mixed_orders(district, start: dt.datetime) -> list[int]:
    """A burst, a persistent site and background, in time order, in two areas."""
    rows = []
    for i in range(8):
        rows.append((WATER[i % len(WATER)], start + dt.timedelta(days=3, minutes=9 * i), "east-lake", "停水"))
    for d in range(12):
        rows.append((NOISE[d % len(NOISE)], start + dt.timedelta(days=d, hours=22), "west-city", "施工噪声"))
    for k in range(16):
        rows.append((OTHER[k % len(OTHER)].format(p=PLACES[k % len(PLACES)]), start + dt.timedelta(hours=7 * k + 1),
                     "east-lake" if k % 2 else "west-city", "路灯不亮"))
    rows.sort(key=lambda r: r[1])
    return [_create(district, text, at, area=area, phone=f"1370000{n:04d}", category=cat)
            for n, (text, at, area, cat) in enumerate(rows)]


def test_the_incremental_join_equals_a_full_build(district):
    start = timezone.now() - dt.timedelta(days=20)
    _mixed_orders(district, start)
    _drain()
    assert OrderSignature.objects.count() == WorkOrder.objects.count() == 36
    joined = _partition()
    hotspots = {(h.root_order_id, h.orders, h.shape, h.label) for h in Hotspot.objects.all()}
    assert len(hotspots) >= 2  # the burst and the site at least
    build.build()
    assert _partition() == joined
    assert {(h.root_order_id, h.orders, h.shape, h.label) for h in Hotspot.objects.all()} == hotspots


def test_a_burst_is_on_the_dispatch_board_within_two_minutes_of_its_fifth_call(district, client):
    first = timezone.now() - dt.timedelta(minutes=12)
    ids = []
    for i in range(5):
        at = first + dt.timedelta(minutes=3 * i)
        ids.append(_create(district, WATER[i], at, address="东湖路与湖滨路交叉口", phone=f"1360000000{i}"))
        # the worker's governance thread, one poll after each call (at most a minute later)
        outbox.deliver_due("governance", now=timezone.now() + dt.timedelta(seconds=60))
        if i < 4:
            assert not Hotspot.objects.exclude(announced_at=None).exists()  # not before the fifth call
    hotspot = Hotspot.objects.get()
    assert hotspot.shape == "burst" and hotspot.orders == 5 and hotspot.announced_at is not None
    assert hotspot.announced_at - WorkOrder.objects.get(pk=ids[-1]).received_at < dt.timedelta(minutes=2)
    client.force_login(district.people["chengang"])
    page = client.get(reverse("web:dispatch")).content.decode()
    assert "burst-banner" in page and hotspot.label in page
    assert reverse("governance:hotspot", args=[hotspot.root_order_id]) in page
    supervisors = Notification.objects.filter(kind="warning", person=district.people["liudu"])
    assert supervisors.exists() and hotspot.label in supervisors.first().text
    # a sixth call joins the same hotspot and announces nothing again
    _create(district, WATER[5], first + dt.timedelta(minutes=16), address="湖滨路东湖路口", phone="13600000009")
    told = Notification.objects.filter(kind="warning").count()
    outbox.deliver_due("governance", now=timezone.now() + dt.timedelta(seconds=60))
    assert Hotspot.objects.get().orders == 6 and Notification.objects.filter(kind="warning").count() == told


def test_calls_at_other_places_are_not_a_burst(district):
    first = timezone.now() - dt.timedelta(minutes=30)
    for i in range(6):
        _create(district, f"{PLACES[i]}停水了，水龙头不出水", first + dt.timedelta(minutes=3 * i), phone=f"1360000001{i}")
    _drain()
    assert OrderSignature.objects.count() == 6 and not Hotspot.objects.exists()


def _history(district, start: dt.datetime) -> list[str]:
    unit = district.units["water"]
    rows = [HistoryRecord(number=f"H2024{n:05d}", received_at=start + dt.timedelta(minutes=11 * n), title=WATER[n % 6],
                          description=WATER[n % 6] + "，已抢修。", unit=unit, area=district.areas["east-lake"],
                          address="东湖路与湖滨路交叉口", caller_phone=f"1350000{n:04d}",
                          closed_at=start + dt.timedelta(days=1))
            for n in range(7)]
    rows += [HistoryRecord(number=f"H2024{100 + n:05d}", received_at=start + dt.timedelta(days=n), title=NOISE[n % 5],
                           description=NOISE[n % 5], unit=district.units["enforcement"],
                           area=district.areas["west-city"], caller_phone=f"1350001{n:04d}",
                           closed_at=start + dt.timedelta(days=n + 2))
             for n in range(10)]
    actions.do_import_history(rows, actor=district.people["admin"])
    return [r.number for r in rows]


def _cli(*args: str) -> str:
    out = io.StringIO()
    call_command("hotspots", *args, stdout=out)
    return out.getvalue()


def test_the_cli_lists_imported_history_hottest_first_with_its_fields(district):
    numbers = _history(district, dt.datetime(2024, 3, 4, 8, tzinfo=dt.UTC))
    lines = _cli("--from", "2024-03-01", "--to", "2024-03-31", "--json").splitlines()
    rows = [json.loads(x) for x in lines]
    assert len(rows) == 2
    assert {"label", "area", "categories", "first_at", "last_at", "orders", "order_numbers", "shape",
            "score"} <= set(rows[0])
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    by_shape = {r["shape"]: r for r in rows}
    assert set(by_shape) == {"burst", "persistent"}
    assert by_shape["burst"]["order_numbers"] == numbers[:7] and by_shape["burst"]["orders"] == 7
    assert by_shape["burst"]["area"] == "东湖街道" and by_shape["burst"]["label"] in WATER
    assert sorted(by_shape["persistent"]["order_numbers"]) == sorted(numbers[7:])
    assert by_shape["burst"]["first_at"] < by_shape["burst"]["last_at"]
    # a period that misses them lists nothing; the table form says how many
    assert _cli("--from", "2024-05-01", "--to", "2024-05-31", "--json") == ""
    assert "2 hotspots" in _cli("--from", "2024-03-01", "--to", "2024-03-31")


@pytest.mark.parametrize("args", [
    ("--from", "2024-02-30", "--to", "2024-03-31"),
    ("--from", "yesterday", "--to", "2024-03-31"),
    ("--from", "2024-03-31", "--to", "2024-03-01"),
])
def test_the_cli_refuses_bad_dates_with_status_2(district, args, capsys):
    with pytest.raises(SystemExit) as exc:
        _cli(*args)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("hotline hotspots:") and "Traceback" not in err


@pytest.mark.parametrize("user, status", [("liudu", 200), ("chengang", 200), ("wangfang", 403), ("liqiang", 403)])
def test_the_board_is_for_supervisors_and_dispatchers(district, client, user, status):
    _history(district, timezone.now() - dt.timedelta(days=10))
    call_command("hotspots", "--from", "2020-01-01", "--to", "2030-01-01", stdout=io.StringIO())
    hotspot = Hotspot.objects.order_by("-score").first()
    client.force_login(district.people[user])
    board = client.get(reverse("governance:hotspots"))
    detail = client.get(reverse("governance:hotspot", args=[hotspot.root_order_id]))
    assert (board.status_code, detail.status_code) == (status, status)
    if status == 200:
        page = board.content.decode()
        assert hotspot.label in page and "<svg" in page and "<script>" not in page  # no inline script
        text = detail.content.decode()
        number = WorkOrder.objects.get(pk=hotspot.root_order_id).number
        assert number in text and reverse("web:order", args=[hotspot.root_order_id]) in text


def test_the_board_sends_anonymous_people_to_the_login_and_refuses_bad_dates(district, client):
    assert client.get(reverse("governance:hotspots")).status_code == 302
    client.force_login(district.people["liudu"])
    assert client.get(reverse("governance:hotspots"), {"from": "2024-13-01"}).status_code == 400


def test_the_nightly_build_records_itself(district):
    _history(district, dt.datetime(2024, 3, 4, 8, tzinfo=dt.UTC))
    from hotline.governance import tasks
    from hotline.governance.models import HotspotBuild

    result = tasks.rebuild_hotspots.call()
    assert result["orders"] == 17 and result["hotspots"] == Hotspot.objects.count() == 2
    assert HotspotBuild.objects.get().built_at is not None


def test_the_board_asks_as_many_queries_for_many_hotspots_as_for_one(district, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = timezone.now()

    def add(k: int) -> None:
        Hotspot.objects.create(root_order_id=10_000 + k, label=f"热点{k}", medoid_order_id=10_000 + k,
                               area=district.areas["east-lake"], shape="persistent", score=float(k), orders=3, callers=3,
                               first_at=now - dt.timedelta(days=3), last_at=now, weekly=[1, 2], updated_at=now)

    client.force_login(district.people["liudu"])
    add(0)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("governance:hotspots")).status_code == 200
    for k in range(1, 12):
        add(k)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("governance:hotspots")).content.decode()
    assert "热点11" in page and len(many.captured_queries) == len(one.captured_queries)
    assert page.index("热点11") < page.index("热点10")  # the hottest first


HEAT_A = ["龙泉花园暖气不热", "龙泉花园家里暖气不热", "龙泉花园暖气一直不热"]
HEAT_B = ["龙泉花园室内温度只有十几度", "龙泉花园屋里温度只有十几度", "龙泉花园室内只有十几度"]


def test_the_nightly_build_merges_one_estates_heating_worded_two_ways_over_two_winters(district):
    """龙泉花园连续两个冬季供暖期都有居民来电，一部分说“暖气不热”，一部分说“室内温度只有十几度”：
    夜间重建把两组合为一个季节性热点；之后的新来电归入该热点。"""
    nov = dt.datetime(2024, 11, 16, 1, tzinfo=dt.UTC)
    ids = []
    for year in (0, 1):
        for k in range(3):
            at = nov + dt.timedelta(days=365 * year + 2 * k)
            ids.append(_create(district, HEAT_A[k], at, address="龙泉花园", phone=f"1361000{year}{k:03d}",
                               category="室温不达标"))
            ids.append(_create(district, HEAT_B[k], at + dt.timedelta(hours=5), address="龙泉花园",
                               phone=f"1362000{year}{k:03d}", category="室温不达标"))
    _drain()
    assert len({g for g in _partition() if len(g) >= 3}) == 2  # the join cannot tell they are one matter
    build.build()
    assert frozenset(ids) in _partition()
    (hotspot,) = Hotspot.objects.all()
    assert hotspot.shape == "seasonal" and hotspot.orders == 12 and hotspot.root_order_id == ids[0]
    new = _create(district, "龙泉花园室内温度只有十几度", nov + dt.timedelta(days=366 * 2, hours=3), address="龙泉花园",
                  phone="13630000001", category="室温不达标")
    _drain()
    assert OrderSignature.objects.get(order_id=new).root_id_value == ids[0]
