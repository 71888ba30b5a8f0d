"""Repeats and duplicates in plain texts: the index and the CSV grouping."""

from __future__ import annotations

from hotline.triage.duplicates import find_pairs, group_rows, parse_day
from hotline.triage.similarity import DuplicateIndex, jaccard, shingles

POTHOLE = "东湖路与湖滨路交叉口路面塌陷，有一个大坑，很危险"


def test_similar_reports_score_higher_than_different_ones():
    same = jaccard(shingles(POTHOLE), shingles("东湖路湖滨路交叉口路面塌陷了一个大坑，车辆经过很危险"))
    other = jaccard(shingles(POTHOLE), shingles("孩子小学报名需要什么材料"))
    assert same > 0.5 > 0.1 > other
    assert jaccard(shingles(""), shingles(POTHOLE)) == 0.0


def test_the_index_finds_a_duplicate_in_the_same_area_and_window_only():
    texts = [POTHOLE, POTHOLE, "孩子小学报名需要什么材料", POTHOLE]
    index = DuplicateIndex.build(texts, areas=[1, 2, 1, 1], callers=[11, 12, 13, 14], days=[0, 1, 2, 200])
    hits = index.query(POTHOLE, area=1, day=3, caller=99)
    assert [h.doc for h in hits] == [0]  # not doc 1 (other area), not doc 3 (the future)
    assert hits[0].score == 1.0 and not hits[0].same_caller
    assert index.query(POTHOLE, area=1, day=200, caller=99, before=3) == []  # doc 0 is 200 days old
    assert index.nbytes() > 0


def test_the_index_marks_the_same_caller():
    index = DuplicateIndex.build([POTHOLE], areas=[1], callers=[42], days=[0])
    (hit,) = index.query(POTHOLE, area=1, day=1, caller=42)
    assert hit.same_caller


def test_grouping_separates_repeats_from_duplicates():
    texts = [POTHOLE, "东湖路湖滨路交叉口路面塌陷了一个大坑，很危险", "邻居家的狗每天叫", "邻居家的狗每天叫，还是没人管"]
    users = ["a", "b", "c", "c"]
    times = ["2024/5/1 10:00:00", "2024/5/1 12:00:00", "2024/5/2", "2024-05-03"]
    kinds = {(a, b, k) for a, b, k, _s in find_pairs(texts, times=times, users=users)}
    assert kinds == {(0, 1, "duplicate"), (2, 3, "repeat")}
    links = group_rows(texts, times=times, users=users)
    assert {(lk.kind, lk.main, lk.row) for lk in links} == {
        ("duplicate", 0, 0), ("duplicate", 0, 1), ("repeat", 2, 2), ("repeat", 2, 3)}


def test_dates_in_common_formats_parse_and_junk_does_not():
    assert parse_day("2019/2/28 11:25:05") == parse_day("2019-02-28") == parse_day("2019年02月28日")
    assert parse_day("yesterday") is None and parse_day("") is None
