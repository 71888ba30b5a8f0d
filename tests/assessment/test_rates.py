"""The arithmetic: three rates, composite, Wilson interval, ranking with small samples (pure)."""

import pytest

from hotline.assessment.rates import DEFAULTS, rank, three_rates, wilson


def test_it_computes_the_three_rates_and_composite_with_the_default_weights():
    r = three_rates(valid=10, contacted=9, resolved=6, satisfied=5, basic=2)
    assert r.response == pytest.approx(0.9)
    assert r.resolution == pytest.approx(0.6)
    assert r.satisfaction == pytest.approx((5 + 0.9 * 2) / 10)
    assert r.composite == pytest.approx(0.1 * 0.9 + 0.5 * 0.6 + 0.4 * 0.68)


def test_it_takes_weights_from_configuration():
    cfg = {**DEFAULTS, "weights": {"response": 0.0, "resolution": 1.0, "satisfaction": 0.0}, "basic_weight": 0.5}
    r = three_rates(valid=4, contacted=4, resolved=1, satisfied=0, basic=2, cfg=cfg)
    assert r.composite == pytest.approx(0.25)
    assert r.satisfaction == pytest.approx(0.25)


def test_it_gives_no_rate_without_valid_callbacks():
    r = three_rates(0, 0, 0, 0, 0)
    assert (r.response, r.resolution, r.satisfaction, r.composite) == (None, None, None, None)
    assert r.small_sample


def test_the_wilson_interval_matches_the_textbook_value():
    lo, hi = wilson(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-4)
    assert hi == pytest.approx(0.9433, abs=1e-4)
    assert wilson(0, 0) is None


def test_the_interval_narrows_as_the_sample_grows():
    small, large = wilson(3, 3), wilson(300, 300)
    assert small[1] - small[0] > 5 * (large[1] - large[0])


def test_no_unit_ranks_first_on_three_callbacks():
    rows = [{"unit": "A", "composite": 1.0, "small_sample": True},
            {"unit": "B", "composite": 0.8, "small_sample": False},
            {"unit": "C", "composite": 0.9, "small_sample": False},
            {"unit": "D", "composite": 0.8, "small_sample": False}]
    ranked = rank(rows)
    assert [(r["unit"], r["rank"]) for r in ranked] == [("C", 1), ("B", 2), ("D", 2), ("A", None)]


def test_three_callbacks_are_a_small_sample_by_default():
    assert three_rates(3, 3, 3, 3, 0).small_sample
    assert not three_rates(DEFAULTS["min_sample"], 1, 1, 1, 0).small_sample
