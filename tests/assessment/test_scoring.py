"""Scoring schemes per unit group (issue 14, point 5): the arithmetic of each line, indicators
where lower is better, the scheme's versions (a month keeps the version it was scored under),
the administrator's validation, the difficulty-adjusted switch, and `hotline assess --json`."""

from __future__ import annotations

import datetime as dt
import io
import json
import zlib

import pytest
from django.core.management import call_command
from django.test import Client

from hotline.assessment import indicators, scoring, stats
from hotline.assessment.history import import_rows
from hotline.assessment.management.commands.assess import KEYS
from hotline.assessment.models import ScoringScheme
from hotline.errors import InvalidInput
from tests.assessment.conftest import hist

JULY = (dt.date(2023, 7, 1), dt.date(2023, 7, 31))
AUGUST = (dt.date(2023, 8, 1), dt.date(2023, 8, 31))


def lines(*items):
    return [{"indicator": i, "weight": w, "target": t} for i, w, t in items]


def orders(prefix: str, unit: str, n: int, resolved: int, *, day: str = "2023-07-03", **kw) -> list[dict[str, str]]:
    """n history rows of `unit`, the first `resolved` of them resolved, each with its own caller."""
    return [hist(f"{prefix}{i:03d}", unit, day, resolved=i < resolved, caller_phone=f"1370{zlib.crc32(prefix.encode()) % 1000:03d}{i:04d}",
                 **kw) for i in range(n)]


def load(rows, first=JULY[0], last=AUGUST[1]):
    summary = import_rows(rows)
    assert not summary.errors, summary.errors
    stats.rebuild(first, last)


# ---- the arithmetic ------------------------------------------------------------------------------


def test_higher_is_better_points_are_weight_times_value_over_target_capped_at_the_weight():
    assert scoring.points(0.5, 40, 1.0, True) == pytest.approx(20)
    assert scoring.points(0.72, 30, 0.9, True) == pytest.approx(24)  # 30 × 0.72 / 0.9
    assert scoring.points(0.95, 30, 0.9, True) == pytest.approx(30)  # above the target: the whole weight
    assert scoring.points(0.0, 30, 0.9, True) == 0
    assert scoring.points(None, 30, 0.9, True) is None


def test_lower_is_better_points_use_the_share_not_redone_against_the_target_share():
    # redo 10 % against a target of at most 5 %: 10 × (1 − 0.10) / (1 − 0.05)
    assert scoring.points(0.10, 10, 0.05, False) == pytest.approx(10 * 0.9 / 0.95)
    assert scoring.points(0.03, 10, 0.05, False) == pytest.approx(10)  # under the target: the whole weight
    assert scoring.points(1.0, 10, 0.05, False) == pytest.approx(0)
    assert scoring.points(0.5, 20, 0.0, False) == pytest.approx(10)  # target 0: the share of calls not repeated


def test_score_is_the_sum_of_the_points_and_lines_without_data_are_rescaled_away():
    scheme = ScoringScheme(lines=lines(("resolution", 50, 1.0), ("reply_on_time", 30, 0.9), ("returns_upheld", 20, 0.8)))
    row = {"resolution_rate": 0.8, "reply_on_time": 0.9, "upheld_return_rate": 0.4}
    total, score_lines = scoring.score(row, scheme)
    assert [line["points"] for line in score_lines] == [40.0, 30.0, 10.0]
    assert total == 80.0
    # no decided return this period: the upheld-return line scores nothing and the rest count out of 80
    total, score_lines = scoring.score({**row, "upheld_return_rate": None}, scheme)
    assert score_lines[2]["points"] is None
    assert total == pytest.approx(100 * 70 / 80)
    assert scoring.score({}, scheme)[0] is None


def test_the_default_scheme_is_the_old_composite_times_100():
    scheme = ScoringScheme(lines=scoring.DEFAULT_LINES)
    row = {"response_rate": 0.9, "resolution_rate": 0.7, "satisfaction_rate": 0.8}
    total, _lines = scoring.score(row, scheme)
    assert total == pytest.approx(100 * (0.1 * 0.9 + 0.5 * 0.7 + 0.4 * 0.8))


def test_the_adjusted_switch_reads_resolution_and_satisfaction_adjusted_and_the_rest_as_they_are():
    row = {"resolution_rate": 0.5, "adjusted_resolution": 0.8, "satisfaction_rate": 0.6,
           "adjusted_satisfaction": 0.7, "redo_rate": 0.1}
    items = lines(("resolution", 50, 1.0), ("satisfaction", 40, 1.0), ("redo", 10, 0.0))
    raw, _l = scoring.score(row, ScoringScheme(lines=items, adjusted=False))
    adjusted, adj_lines = scoring.score(row, ScoringScheme(lines=items, adjusted=True))
    assert raw == pytest.approx(25 + 24 + 9)
    assert adjusted == pytest.approx(40 + 28 + 9)
    assert [line["adjusted"] for line in adj_lines] == [True, True, False]


# ---- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad, message", [
    ([], "至少要有一项指标"),
    ("resolution", "至少要有一项指标"),
    (lines(("resolution", 60, 1.0), ("satisfaction", 30, 1.0)), "权重之和应为100"),
    (lines(("resolution", 110, 1.0), ("satisfaction", -10, 1.0)), "权重应在0到100之间"),
    (lines(("resolution", 50, 1.0), ("resolution", 50, 1.0)), "考核指标重复"),
    (lines(("<script>alert(1)</script>", 100, 1.0)), "未知的考核指标"),
    (lines(("resolution", "abc", 1.0), ("satisfaction", 50, 1.0)), "应为数字"),
    (lines(("resolution", float("nan"), 1.0), ("satisfaction", 50, 1.0)), "应为数字"),
    (lines(("resolution", True, 1.0), ("satisfaction", 99, 1.0)), "应为数字"),
    (lines(("resolution", 100, 1.5)), "目标值应大于0且不超过1"),
    (lines(("resolution", 100, 0)), "目标值应大于0且不超过1"),
    (lines(("redo", 100, 1.0)), "越低越好"),
    ([{"indicator": "resolution", "weight": 100, "target": 1, "sql": "drop table"}], "indicator、weight、target"),
    ([{"indicator": "resolution", "weight": 100}] * 20, "重复或过多"),
])
def test_the_scheme_is_refused_with_a_clear_message(bad, message):
    with pytest.raises(InvalidInput) as e:
        scoring.validate(bad)
    assert message in str(e.value.message)


def test_a_valid_scheme_is_normalised():
    out = scoring.validate([{"indicator": "resolution", "weight": "60"}, {"indicator": "redo", "weight": 40}])
    assert out == [{"indicator": "resolution", "weight": 60.0, "target": 1.0},
                   {"indicator": "redo", "weight": 40.0, "target": 0.0}]


# ---- versions --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_group_is_seeded_with_the_old_composite():
    seeded = {s.group: s for s in ScoringScheme.objects.all()}
    assert set(seeded) == set(scoring.GROUPS)
    assert all(s.version == 1 and s.lines == scoring.DEFAULT_LINES and not s.adjusted for s in seeded.values())


@pytest.mark.django_db
def test_a_change_is_a_new_version_and_months_already_begun_keep_theirs():
    today = dt.date(2024, 2, 10)
    new = lines(("resolution", 60, 1.0), ("satisfaction", 40, 1.0))
    v2 = scoring.save_version(group="street", effective_from=dt.date(2024, 3, 1), lines=new, today=today)
    assert v2.version == 2
    assert scoring.scheme_for("street", dt.date(2024, 2, 20)).version == 1
    assert scoring.scheme_for("street", dt.date(2024, 3, 5)).version == 2
    assert scoring.scheme_for("street", dt.date(2025, 1, 1)).version == 2
    assert scoring.scheme_for("department", dt.date(2024, 3, 5)).version == 1  # other groups unchanged
    # the past cannot be rescored, and a version in force cannot be edited
    with pytest.raises(InvalidInput, match="已经过去的月份"):
        scoring.save_version(group="street", effective_from=dt.date(2024, 1, 1), lines=new, today=today)
    with pytest.raises(InvalidInput, match="已经生效"):
        scoring.save_version(group="street", effective_from=dt.date(2024, 3, 1), lines=new, today=dt.date(2024, 3, 2))
    with pytest.raises(InvalidInput, match="1日"):
        scoring.save_version(group="street", effective_from=dt.date(2024, 4, 2), lines=new, today=today)
    with pytest.raises(InvalidInput, match="单位类别"):
        scoring.save_version(group="nobody", effective_from=dt.date(2024, 4, 1), lines=new, today=today)
    # a version not yet begun is replaced in place (still version 2)
    again = scoring.save_version(group="street", effective_from=dt.date(2024, 3, 1),
                                 lines=lines(("resolution", 100, 1.0)), today=today)
    assert again.pk == v2.pk and again.version == 2 and again.lines[0]["weight"] == 100
    assert ScoringScheme.objects.filter(group="street").count() == 2


@pytest.mark.django_db
def test_a_reported_month_keeps_the_version_it_was_scored_under(district):
    load(orders("J", "东湖街道办事处", 40, 30) + orders("A", "东湖街道办事处", 40, 30, day="2023-08-03"))
    before = next(r for r in indicators.unit_table(*JULY) if r["unit"] == "东湖街道办事处")
    assert before["scheme_version"] == 1 and before["score"] == pytest.approx(100 * before["composite"], abs=0.01)
    scoring.save_version(group="street", effective_from=dt.date(2023, 8, 1), lines=lines(("resolution", 100, 1.0)),
                         today=dt.date(2023, 7, 20))
    july = next(r for r in indicators.unit_table(*JULY) if r["unit"] == "东湖街道办事处")
    august = next(r for r in indicators.unit_table(*AUGUST) if r["unit"] == "东湖街道办事处")
    assert july["scheme_version"] == 1 and july["score"] == before["score"]
    assert august["scheme_version"] == 2 and august["score"] == pytest.approx(75.0)
    assert [line["indicator"] for line in august["score_lines"]] == ["resolution"]


# ---- ranking ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_difficulty_adjusted_switch_changes_the_ranking_within_the_group(district):
    hard, easy = "城乡建设/市政设施/道路塌陷破损", "城乡建设/市政设施/路灯不亮"
    # 东湖 handles only the hard matter (50 % resolved, where 南苑 resolves 20 %); 西城 only the easy
    # one (75 %, where 南苑 resolves 95 %): on the raw figures 西城 leads, adjusted 东湖 does.
    load(orders("H", "东湖街道办事处", 40, 20, category=hard) + orders("E", "西城街道办事处", 40, 30, category=easy)
         + orders("NH", "南苑街道办事处", 40, 8, category=hard) + orders("NE", "南苑街道办事处", 40, 38, category=easy))

    def ranks():
        return {r["unit"]: (r["rank"], r["score"]) for r in indicators.unit_table(*JULY) if r["group"] == "street"}

    raw = ranks()
    assert raw["西城街道办事处"][0] < raw["东湖街道办事处"][0]
    scoring.save_version(group="street", effective_from=dt.date(2023, 7, 1), adjusted=True,
                         lines=lines(("resolution", 60, 1.0), ("satisfaction", 40, 1.0)), today=dt.date(2023, 6, 20))
    adjusted = ranks()
    assert adjusted["东湖街道办事处"][0] < adjusted["西城街道办事处"][0]
    row = next(r for r in indicators.unit_table(*JULY) if r["unit"] == "东湖街道办事处")
    assert row["scheme_adjusted"] and row["score_lines"][0]["value"] == row["adjusted_resolution"]
    assert row["adjusted_resolution"] > row["resolution_rate"] == 0.5


@pytest.mark.django_db
def test_lower_is_better_lines_rank_the_unit_with_fewer_redos_first(district):
    # same resolution and satisfaction; 东湖 redone on 10 of its 40 orders, 西城 on none
    load(orders("R", "东湖街道办事处", 40, 30, redo_count=1)[:10] + orders("R", "东湖街道办事处", 40, 30)[10:]
         + orders("S", "西城街道办事处", 40, 30))
    scoring.save_version(group="street", effective_from=dt.date(2023, 7, 1), today=dt.date(2023, 6, 20),
                         lines=lines(("resolution", 50, 1.0), ("redo", 50, 0.05)))
    rows = {r["unit"]: r for r in indicators.unit_table(*JULY)}
    east, west = rows["东湖街道办事处"], rows["西城街道办事处"]
    assert east["redo_rate"] == pytest.approx(10 / 50)
    redo_line = east["score_lines"][1]
    assert redo_line["points"] == pytest.approx(50 * (1 - 0.2) / 0.95, abs=1e-3)
    assert west["score_lines"][1]["points"] == 50
    assert west["rank"] < east["rank"]


# ---- hotline assess --json ------------------------------------------------------------------------


@pytest.mark.django_db
def test_assess_json_keeps_its_fields_and_adds_score_and_score_lines(district):
    load(orders("Q", "东湖街道办事处", 40, 30, return_count=2, returns_upheld=1))
    out = io.StringIO()
    call_command("assess", "--from", "2023-07-01", "--to", "2023-07-31", "--json", stdout=out)
    lines_out = [json.loads(line) for line in out.getvalue().splitlines()]
    row = next(r for r in lines_out if r["unit"] == "东湖街道办事处")
    old = ["unit", "unit_code", "group", "orders", "valid_callbacks", "response_rate", "resolution_rate",
           "satisfaction_rate", "composite", "small_sample", "rank", "redo_rate", "return_rate", "returns_upheld",
           "reply_on_time", "resolution_vs_expected", "excluded_unreasonable", "gaming", "gaming_suspect"]
    assert set(old) <= set(row) and set(KEYS) <= set(row)
    assert row["score"] == pytest.approx(100 * row["composite"], abs=0.01)
    assert [line["indicator"] for line in row["score_lines"]] == ["response", "resolution", "satisfaction"]
    for line in row["score_lines"]:
        assert set(line) >= {"indicator", "value", "weight", "target", "points"}
    assert row["score_lines"][1] == {**row["score_lines"][1], "value": 0.75, "weight": 50.0, "target": 1.0,
                                     "points": 37.5}
    assert row["returns_upheld"] == 40 and row["upheld_return_rate"] == 0.5
    text = io.StringIO()
    call_command("assess", "--from", "2023-07-01", "--to", "2023-07-31", stdout=text)
    assert "得分" in text.getvalue()


# ---- the administrator ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_refuses_a_bad_scheme_and_records_a_good_one_as_a_new_version(district):
    c = Client()
    c.force_login(district.people["admin"])
    url = "/admin/assessment/scoringscheme/add/"
    assert c.get(url).status_code == 200
    from django.utils import timezone
    month = (timezone.localdate().replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    base = {"group": "department", "effective_from": month.isoformat(), "note": "部门组加入退单成立率"}
    for bad, message in [("[{\"indicator\": \"resolution\", \"weight\": 90}]", "权重之和应为100"),
                         ("not json", "JSON"), ("{\"indicator\": \"x\"}", "至少要有一项指标")]:
        r = c.post(url, {**base, "lines": bad})
        assert r.status_code == 200 and message in r.content.decode()
    r = c.post(url, {**base, "effective_from": "2020-01-01", "lines": json.dumps(scoring.DEFAULT_LINES)})
    assert "已经过去的月份" in r.content.decode()
    assert ScoringScheme.objects.filter(group="department").count() == 1
    good = lines(("resolution", 40, 1.0), ("satisfaction", 30, 1.0), ("returns_upheld", 30, 0.8))
    r = c.post(url, {**base, "lines": json.dumps(good), "adjusted": "on"})
    assert r.status_code == 302
    saved = ScoringScheme.objects.get(group="department", version=2)
    assert saved.effective_from == month and saved.adjusted and saved.created_by == district.people["admin"]
    assert saved.lines[2] == {"indicator": "returns_upheld", "weight": 30.0, "target": 0.8}
    # the seeded version is in force: view only
    seeded = ScoringScheme.objects.get(group="department", version=1)
    r = c.post(f"/admin/assessment/scoringscheme/{seeded.pk}/change/", {**base, "lines": json.dumps(good)})
    assert r.status_code == 403
    assert ScoringScheme.objects.get(pk=seeded.pk).lines == scoring.DEFAULT_LINES


def test_proactive_work_is_a_count_against_a_target_count():
    assert scoring.points(3, 20, 5, True, count=True) == pytest.approx(12)  # 20 × 3 / 5
    assert scoring.points(9, 20, 5, True, count=True) == pytest.approx(20)
    scheme = ScoringScheme(lines=lines(("resolution", 80, 1.0), ("proactive", 20, 4)))
    total, score_lines = scoring.score({"resolution_rate": 0.5, "proactive_verified": 2}, scheme)
    assert score_lines[1]["points"] == 10.0 and score_lines[1]["count"]
    assert total == pytest.approx(40 + 10)
    with pytest.raises(InvalidInput, match="件数"):
        scoring.validate(lines(("resolution", 80, 1.0), ("proactive", 20, 0.5)))
    assert scoring.validate(lines(("resolution", 80, 1.0), ("proactive", 20, 4)))[1]["target"] == 4.0


# ---- lines outside the scheme: the gaming deduction and upheld score appeals ------------------------


def test_the_gaming_deduction_and_appeal_corrections_are_lines_of_their_own_and_move_the_score():
    scheme = ScoringScheme(group="street", version=1, effective_from=dt.date(2023, 1, 1),
                           lines=[{"indicator": "resolution", "weight": 100, "target": 1.0}])
    total, lines = scoring.score({"resolution_rate": 0.8}, scheme)
    assert total == 80.0
    # nothing to add: the same score and lines
    assert scoring.adjust(total, lines) == (80.0, lines)
    assert scoring.adjust(total, lines, deduction={"count": 0, "points": 0.0}) == (80.0, lines)
    score, out = scoring.adjust(total, lines, deduction={"count": 3, "points": 4.5},
                                correction={"count": 1, "points": 2.25})
    assert score == pytest.approx(80.0 - 4.5 + 2.25)
    assert [x["indicator"] for x in out] == ["resolution", "gaming_deduction", "appeal_correction"]
    assert (out[1]["value"], out[1]["points"], out[1]["adjustment"]) == (3, -4.5, True)
    assert (out[2]["value"], out[2]["points"]) == (1, 2.25)
    # the score stays within 0..100; a unit with nothing to score stays unscored
    assert scoring.adjust(3.0, lines, deduction={"count": 9, "points": 9.0})[0] == 0.0
    assert scoring.adjust(99.0, lines, correction={"count": 1, "points": 5.0})[0] == 100.0
    none, shown = scoring.adjust(None, [], deduction={"count": 1, "points": 1.0})
    assert none is None and shown[0]["indicator"] == "gaming_deduction"
