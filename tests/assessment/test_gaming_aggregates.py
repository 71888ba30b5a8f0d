"""The gaming checks read the daily aggregates once days are built: the answer must be exactly
the one computed live from the callbacks, whether the period is wholly built, partly built (a
day not rebuilt yet) or not built at all."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from hotline.assessment import gaming, stats
from hotline.assessment.history import import_rows
from hotline.assessment.models import CallerDayStats, OtherAnswerDay
from tests.assessment.conftest import hist

JULY = (dt.date(2023, 7, 1), dt.date(2023, 7, 31))
STAFF_CALLER = "13900000001"  # 李强, street-a's handler
STAFF_ANSWERER = "13900000016"  # 李长, street-a's head
FRIENDS = ["13911110001", "13911110002"]


def _gaming_history() -> None:
    rows = []
    # Friends rating simple questions "satisfied", on days on both sides of the build mark (the
    # 20th): each number reaches the cluster's three calls only with its late days counted.
    for i in range(8):
        day = f"2023-07-{(5 if i < 4 else 25) + i % 2:02d}"
        rows.append(hist(f"F{i:03d}", "东湖街道办事处", day, caller_phone=FRIENDS[i % 2], category="社保政策咨询"))
    # A repeat caller who is not always satisfied: no cluster.
    rows += [hist(f"R{i:03d}", "东湖街道办事处", f"2023-07-{8 + i:02d}", caller_phone="13612345678",
                  category="社保政策咨询", resolved=i % 2 == 0, satisfaction="满意" if i % 2 == 0 else "不满意")
             for i in range(4)]
    # Staff calling their own unit, and a callback answered from the head's phone.
    rows.append(hist("S001", "东湖街道办事处", "2023-07-06", caller_phone=STAFF_CALLER))
    rows.append(hist("S002", "东湖街道办事处", "2023-07-27", caller_phone=STAFF_CALLER))
    rows.append(hist("S003", "东湖街道办事处", "2023-07-12", caller_phone="13500000001", callback_phone=STAFF_ANSWERER))
    rows.append(hist("S004", "东湖街道办事处", "2023-07-28", caller_phone="13500000002", callback_phone=STAFF_ANSWERER))
    # The same staff number calling and answering: one order, not two.
    rows.append(hist("S005", "东湖街道办事处", "2023-07-13", caller_phone=STAFF_CALLER, callback_phone=STAFF_ANSWERER))
    # Answers from other numbers, and unresolved problems rated satisfied.
    rows += [hist(f"O{i:03d}", "东湖街道办事处", f"2023-07-{10 + i * 5:02d}", caller_phone=f"1350000{i + 10:04d}",
                  callback_phone=f"1398888{i:04d}") for i in range(4)]
    rows += [hist(f"U{i:03d}", "东湖街道办事处", f"2023-07-{2 + i:02d}", caller_phone=f"1360000{i:04d}",
                  resolved=False) for i in range(24)]
    # 西城 (street-b): honest, including a staff number of another unit calling it.
    rows += [hist(f"W{i:03d}", "西城街道办事处", f"2023-07-{3 + i:02d}", caller_phone=f"1370000{i:04d}",
                  resolved=i % 4 != 0, satisfaction="满意" if i % 4 else "不满意") for i in range(24)]
    rows.append(hist("W100", "西城街道办事处", "2023-07-09", caller_phone=STAFF_CALLER))
    import_rows(rows)


def test_built_partly_built_and_live_periods_give_the_same_gaming_checks(district):
    _gaming_history()
    a = district.units["street-a"].pk
    live = gaming.check(*JULY)
    live_a = gaming.check(*JULY, unit_ids=[a])
    assert {c["check"] for c in live[a]} == {"satisfaction_above_resolution", "staff_callers",
                                             "satisfied_cluster", "other_phone"}
    staff = {c["check"]: c for c in live[a]}["staff_callers"]
    assert staff["evidence"]["orders"] == 5
    assert sorted(staff["orders"]) == ["S001", "S002", "S003", "S004", "S005"]
    assert district.units["street-b"].pk not in live

    stats.rebuild(JULY[0], dt.date(2023, 7, 20))  # the 21st onwards is not built yet
    assert CallerDayStats.objects.exists() and OtherAnswerDay.objects.exists()
    assert gaming.check(*JULY) == live
    assert gaming.check(*JULY, unit_ids=[a]) == live_a

    stats.rebuild(*JULY)
    assert gaming.check(*JULY) == live
    assert gaming.check(*JULY, unit_ids=[a]) == live_a
    # A period inside the built days, compared with the same period computed live.
    stats.invalidate(JULY[0])
    early_live = gaming.check(JULY[0], dt.date(2023, 7, 15))
    stats.rebuild(*JULY)
    assert gaming.check(JULY[0], dt.date(2023, 7, 15)) == early_live


def test_once_built_the_checks_do_not_group_the_periods_callbacks(district):
    _gaming_history()
    stats.rebuild(*JULY)
    with CaptureQueriesContext(connection) as ctx:
        fired = gaming.check(*JULY)
    assert "satisfied_cluster" in {c["check"] for c in fired[district.units["street-a"].pk]}
    grouped = [q["sql"] for q in ctx.captured_queries
               if "GROUP BY" in q["sql"] and '"orders_callback"' in q["sql"].split("GROUP BY")[0].split("WHERE")[0]]
    assert grouped == []
