"""The grouping rule and the shapes, on small generated data (no database)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from hotline.governance import core

from .data import NOISE, T0, WATER, background, doc, group


def _times(start: dt.datetime, offsets_hours: list[float]) -> list[dt.datetime]:
    return sorted(start + dt.timedelta(hours=h) for h in offsets_hours)


def test_it_keeps_the_estate_and_drops_building_and_room_numbers():
    assert core.place_key("东湖街道阳光小区3号楼2单元501") == "阳光小区"
    assert core.place_key("阳光小区东门") == "阳光小区"
    assert core.place_key("", "我住在阳光小区，楼下水管爆裂") == "阳光小区"
    assert core.place_key("东湖路与湖滨路交叉口") == core.place_key("湖滨路和东湖路路口") == "东湖路+湖滨路"
    assert core.place_key("东湖路123号") == "东湖路"
    assert core.place_key("", "没有地点", latitude=39.9, longitude=116.4).startswith("geo:")


def test_reworded_calls_about_one_event_group_together():
    docs = [doc(i, t, T0 + dt.timedelta(minutes=15 * i)) for i, t in enumerate(WATER)]
    roots = group(docs)
    assert len(set(roots.values())) == 1


def test_the_same_text_in_two_far_apart_areas_does_not_group():
    docs = [doc(i, WATER[i % len(WATER)], T0 + dt.timedelta(minutes=10 * i), area=1 + i % 2) for i in range(8)]
    roots = group(docs)
    by_area = {d.area: {roots[x.id] for x in docs if x.area == d.area} for d in docs}
    assert len(by_area[1]) == 1 and len(by_area[2]) == 1 and by_area[1] != by_area[2]


def test_background_spread_over_places_is_no_hotspot():
    docs = background(0, 40)
    sizes = Counter(group(docs).values())
    assert max(sizes.values()) < core.MIN_ORDERS


def test_an_event_stands_out_of_its_background():
    event = [doc(100 + i, WATER[i % len(WATER)], T0 + dt.timedelta(days=20, minutes=7 * i)) for i in range(12)]
    roots = group(background(0, 60) + event)
    event_roots = Counter(roots[d.id] for d in event)
    root, held = event_roots.most_common(1)[0]
    members = [i for i, r in roots.items() if r == root]
    assert held == 12 and len(members) == 12  # all of the event, nothing else


def test_a_burst_is_many_calls_within_hours():
    times = _times(T0, [0.1 * i for i in range(12)])
    assert core.shape_of(times) == "burst" and core.is_announced_burst(times)
    spread = _times(T0, [24 * i for i in range(12)])  # the same count over twelve days is not
    assert core.shape_of(spread) != "burst" and not core.is_announced_burst(spread)


def test_a_persistent_hotspot_is_a_few_calls_a_day_for_weeks():
    times = _times(T0, [24 * d + h for d in range(35) for h in (9, 20)])
    assert core.shape_of(times) == "persistent"


def test_a_rising_hotspot_grows_week_after_week():
    times = _times(T0, [168 * w + 10 * k for w in range(8) for k in range(w + 1)])
    assert core.shape_of(times) == "rising"
    flat = _times(T0, [168 * w + 10 * k for w in range(8) for k in range(4)])
    assert core.shape_of(flat) == "persistent"


def test_a_seasonal_hotspot_returns_at_the_same_time_each_year():
    nov = dt.datetime(2024, 11, 15, 9, tzinfo=dt.UTC)
    times = _times(nov, [24 * d for d in range(0, 20, 3)]) + _times(nov.replace(year=2025), [24 * d for d in range(0, 20, 2)])
    assert core.shape_of(sorted(times)) == "seasonal"
    shifted = _times(nov, [24 * d for d in range(0, 20, 3)]) + _times(nov.replace(year=2025, month=5),
                                                                          [24 * d for d in range(0, 20, 2)])
    assert core.shape_of(sorted(shifted)) != "seasonal"  # half a year apart: not the same season


def test_a_matter_of_last_winter_joins_its_group_of_a_year_ago():
    nov = dt.datetime(2024, 11, 15, 9, tzinfo=dt.UTC)
    heat = ["金桂苑暖气不热，屋里很冷", "金桂苑暖气片冰凉不热", "金桂苑供暖不热，暖气冰凉"]
    docs = [doc(i, heat[i % 3], nov + dt.timedelta(days=2 * i)) for i in range(5)]
    docs += [doc(10 + i, heat[i % 3], nov.replace(year=2025) + dt.timedelta(days=2 * i)) for i in range(5)]
    roots = group(docs)
    assert len(set(roots.values())) == 1


def test_the_label_is_the_typical_title():
    texts = ["学府路地铁站工地夜间施工噪音扰民"] * 3 + NOISE + ["学府路地铁站工地夜间施工噪音扰民，另外小区门口乱停车"]
    sigs = [core.topic_shingles(t, "", "学府路地铁站") for t in texts]
    assert texts[core.medoid(sigs)] == "学府路地铁站工地夜间施工噪音扰民"


def test_the_score_grows_with_callers_and_severity():
    times = _times(T0, [0.2 * i for i in range(10)])
    one_caller = core.heat(times, [7] * 10).score()
    many = core.heat(times, list(range(1, 11))).score()
    urgent = core.heat(times, list(range(1, 11)), urgencies=["emergency"] * 10).score()
    assert one_caller < many < urgent


def _winters(first: dt.datetime, n: int) -> list[dt.datetime]:
    """n calls from `first`, and n more a year later, a day apart."""
    return sorted([first + dt.timedelta(days=k) for k in range(n)]
                  + [first + dt.timedelta(days=365 + k) for k in range(n)])


def test_seasonal_groups_of_one_estate_worded_apart_are_one_matter():
    """龙泉花园每年11月15日开始供暖后，居民分别以“暖气不热”“室内温度只有十几度”“供热不足”反映，
    文字不相同，但同一小区、同一季节、分类相近，应合并为一个季节性热点。"""
    nov = dt.datetime(2024, 11, 16, 9, tzinfo=dt.UTC)
    estate = (1, "龙泉花园")
    groups = [
        core.GroupFacts(10, estate, _winters(nov, 4), {"供暖": 5, "物业管理": 3}),
        core.GroupFacts(11, estate, _winters(nov + dt.timedelta(days=9), 3), {"供热": 1, "供暖": 4, "物业管理": 1}),
        core.GroupFacts(12, estate, _winters(nov + dt.timedelta(days=20), 3), {"供暖": 3, "供热": 3}),
        # the same estate in summer: another season, another matter
        core.GroupFacts(13, estate, _winters(dt.datetime(2024, 6, 20, tzinfo=dt.UTC), 4), {"供暖": 8}),
        # the same estate and season, other categories: the lifts, not the heating
        core.GroupFacts(14, estate, _winters(nov, 4), {"电梯": 6, "特种设备": 2}),
        # the heating of another estate, and of the area with no place named
        core.GroupFacts(15, (1, "阳光小区"), _winters(nov, 4), {"供暖": 8}),
        core.GroupFacts(16, (1, ""), _winters(nov, 4), {"供暖": 8}),
        # one winter only: not (yet) a season
        core.GroupFacts(17, estate, sorted(nov + dt.timedelta(days=k) for k in range(6)), {"供暖": 6}),
    ]
    assert core.seasonal_merges(groups) == {11: 10, 12: 10}


def test_the_merged_set_keeps_the_root_of_its_earliest_group():
    nov = dt.datetime(2024, 11, 16, 9, tzinfo=dt.UTC)
    late = core.GroupFacts(5, (2, "龙泉花园"), _winters(nov + dt.timedelta(days=10), 3), {"供暖": 3})
    early = core.GroupFacts(90, (2, "龙泉花园"), _winters(nov, 3), {"供暖": 3})
    assert core.seasonal_merges([late, early]) == {5: 90}


def test_mix_overlap_reads_the_smaller_mix():
    assert core.mix_overlap({"供暖": 9, "供热": 5}, {"供暖": 2}) == 1.0
    assert core.mix_overlap({"供暖": 1}, {"电梯": 4}) == 0.0
    assert core.mix_overlap({}, {"电梯": 4}) == 0.0
    assert core.mix_overlap({"供暖": 2, "电梯": 2}, {"供暖": 10}) == 0.5


def test_who_is_affected_says_nothing_of_what():
    """“老人孩子都受影响”是投诉的套话：电梯困人与餐馆噪音不因此相似。"""
    lift = core.topic_shingles("电梯困人", "老人孩子都受影响。", "龙泉花园")
    noise = core.topic_shingles("餐馆排风噪音", "老人孩子都受影响。", "龙泉花园")
    assert not lift & noise
