"""A small run of bench/simulate_district.py: the history import and the assessment reproduce a
generated district's truth for the indicators the scoring schemes add (on-time replies, redo,
upheld returns, repeat calls), for the score itself, and for the unreasonable requests left out;
honest units that handle hard matters do not lose rank on the difficulty-adjusted figures."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import pytest

from hotline.assessment import stats
from hotline.assessment.history import import_rows

BENCH = Path(__file__).resolve().parents[2] / "bench" / "simulate_district.py"


def _sim():
    spec = importlib.util.spec_from_file_location("simulate_district", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db
def test_a_small_generated_district_is_reproduced():
    sim = _sim()
    rng = random.Random(14)
    units, areas, leaves = sim.directory(rng, 15)
    rows, truth = sim.simulate(700, rng, units, areas, leaves, 2, 1, n_hard=3, n_honest_reporters=2,
                               n_abusive_reporters=2)
    summary = import_rows(rows)
    assert not summary.errors and summary.created == 700
    stats.rebuild(sim.FIRST, sim.LAST)
    sim.set_schemes(sim.FIRST)
    result = sim.check_scoring(truth, sim.FIRST, sim.LAST)
    for indicator in ["reply_on_time", "redo", "returns_upheld", "repeat_calls", "score", "excluded"]:
        entry = result[indicator]
        assert entry["units"] > 0, indicator
        assert entry["exact"] == entry["units"], (indicator, entry)
    # the generated district really has what the check is about
    per_unit = truth["per_unit"].values()
    assert sum(c["late"] for c in per_unit) > 0 and sum(c["upheld"] for c in per_unit) > 0
    assert sum(c["repeats"] for c in per_unit) > 0 and sum(c["unreasonable"] for c in per_unit) > 0
    assert sum(truth["abusive_reports"].values()) > 0
    assert result["score"]["units"] >= 8
    # honest units with hard matters: never ranked lower on the adjusted figures than on the raw ones
    assert result["hard_units"]
    assert all(h["rank_adjusted"] <= h["rank_raw"] for h in result["hard_units"])
    assert all(h["adjusted_resolution"] > h["resolution"] for h in result["hard_units"])


def test_staff_numbers_are_phone_numbers_whatever_the_unit_ids():
    sim = _sim()
    numbers = {sim.staff_phone(pk, k) for pk in (1, 999, 1000, 123456) for k in range(5)}
    assert all(len(n) == 11 and n.isdigit() for n in numbers)
    assert len({sim.staff_phone(pk, k) for pk in range(1000, 1016) for k in range(5)}) == 80
