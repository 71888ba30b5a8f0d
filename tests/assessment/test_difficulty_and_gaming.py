"""Difficulty adjustment and the period-comparing gaming check, on imported history whose
answers are worked out by hand."""

import datetime as dt

import pytest
from django.test import override_settings

from hotline.assessment import gaming, indicators
from hotline.assessment.history import import_rows
from tests.assessment.conftest import hist

JULY = (dt.date(2023, 7, 1), dt.date(2023, 7, 31))


def _rows(prefix, unit, n, resolved_n, category="道路塌陷破损", day="2023-07-03", **kw):
    return [hist(f"{prefix}{i:03d}", unit, day, resolved=i < resolved_n,
                 satisfaction="满意" if i < resolved_n else "不满意", category=category, **kw) for i in range(n)]


@override_settings(HOTLINE_ASSESSMENT={"difficulty_prior": 0})
def test_it_compares_each_unit_with_what_its_case_mix_predicts(district):
    # Potholes: 东湖 2 of 4 resolved, 西城 4 of 4 → the cell's rate is 6/8. Street lights: 西城 0 of 4.
    import_rows(_rows("A", "东湖街道办事处", 4, 2) + _rows("B", "西城街道办事处", 4, 4)
                + _rows("C", "西城街道办事处", 4, 0, category="路灯不亮"))
    adj = indicators.difficulty(*JULY)
    a, b = adj[district.units["street-a"].pk], adj[district.units["street-b"].pk]
    assert a["expected_resolution"] == pytest.approx(0.75)
    assert a["resolution_vs_expected"] == pytest.approx(-0.25)
    assert b["expected_resolution"] == pytest.approx((4 * 0.75 + 4 * 0) / 8)
    assert b["resolution_vs_expected"] == pytest.approx(0.5 - 0.375)
    assert b["satisfaction_vs_expected"] == pytest.approx(0.125)


def test_shrinkage_pulls_a_tiny_cell_towards_the_district_rate(district):
    import_rows(_rows("A", "东湖街道办事处", 1, 0) + _rows("B", "西城街道办事处", 9, 9, category="路灯不亮"))
    a = indicators.difficulty(*JULY)[district.units["street-a"].pk]
    # cell rate 0/1, district 9/10, prior 10: (0 + 10 × 0.9) / 11
    assert a["expected_resolution"] == pytest.approx(9 / 11, abs=1e-4)


def test_it_flags_satisfaction_that_jumps_while_resolution_stays(district):
    june = [hist(f"J{i:03d}", "东湖街道办事处", "2023-06-05", resolved=i < 15,
                 satisfaction="满意" if i < 15 else "不满意") for i in range(30)]
    july = [hist(f"K{i:03d}", "东湖街道办事处", "2023-07-05", resolved=i < 15,
                 satisfaction="满意" if i < 27 else "不满意", caller_phone=f"1360000{i:04d}") for i in range(30)]
    import_rows(june + july)
    fired = gaming.check(dt.date(2023, 7, 1), dt.date(2023, 7, 30))
    checks = {c["check"]: c for c in fired[district.units["street-a"].pk]}
    assert checks["satisfaction_jump"]["evidence"]["satisfaction_before"] == pytest.approx(0.5)
    assert checks["satisfaction_jump"]["evidence"]["satisfaction_now"] == pytest.approx(0.9)
    assert "satisfaction_above_resolution" in checks
    assert gaming.suspect(fired[district.units["street-a"].pk])  # two checks together


def test_a_gap_alone_is_shown_but_not_a_suspect(district):
    rows = [hist(f"G{i:03d}", "东湖街道办事处", "2023-07-05", resolved=i < 20, satisfaction="满意",
                 caller_phone=f"1360000{i:04d}") for i in range(30)]
    import_rows(rows)
    fired = gaming.check(*JULY)[district.units["street-a"].pk]
    assert [c["check"] for c in fired] == ["satisfaction_above_resolution"]
    assert not gaming.suspect(fired)


def test_a_few_family_members_answering_do_not_fire_the_other_number_check(district):
    rows = [hist(f"F{i:03d}", "东湖街道办事处", "2023-07-05", caller_phone=f"1360000{i:04d}",
                 callback_phone="13999990000" if i < 2 else "") for i in range(30)]
    import_rows(rows)
    assert district.units["street-a"].pk not in gaming.check(*JULY)


def test_a_repeat_caller_who_is_not_always_satisfied_is_no_cluster(district):
    # Scenario 8: the same caller calls about the same dog again and again, now and then satisfied.
    rows = [hist(f"D{i:03d}", "东湖街道办事处", "2023-07-05", caller_phone="13612345678", category="社保政策咨询",
                 resolved=i % 2 == 0, satisfaction="满意" if i % 2 == 0 else "不满意") for i in range(10)]
    # and ordinary callers who asked a few complex questions, satisfied each time
    rows += [hist(f"E{i:03d}", "东湖街道办事处", "2023-07-06", caller_phone=f"1361111000{i % 2}") for i in range(8)]
    import_rows(rows)
    checks = gaming.check(*JULY).get(district.units["street-a"].pk, [])
    assert "satisfied_cluster" not in [c["check"] for c in checks]
