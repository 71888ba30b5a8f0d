"""Proactive work (未诉先办) in the assessment: credited to the unit that did it (verified and
closed, and first time), kept out of the callback-based rates and of the intake volume, the same
live and from the stored aggregates."""

from __future__ import annotations

import datetime as dt
import io
import json
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from hotline.assessment import indicators, stats
from hotline.orders import actions
from hotline.orders.states import State
from tests.assessment.conftest import closed
from tests.orders.loop import PROACTIVE_REPLY, bring_proactive_to, photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def work(district):
    """东湖街道办事处: one caller's order closed by callback, two proactive orders verified (one at the
    first try, one after a failed verification), one awaiting verification."""
    d, p = district, district.people
    closed(d, "street-a")
    bring_proactive_to(d, State.CLOSED)
    second = bring_proactive_to(d, State.AWAITING_CALLBACK)
    actions.do_reopen(second, actor=p["chengang"], reason="现场核验路面仍有裂缝")
    actions.do_attach(second, actor=p["liqiang"], file=photo())
    actions.do_reply(second, actor=p["liqiang"], **PROACTIVE_REPLY)
    actions.do_approve(second, actor=p["zhoushen"])
    actions.do_verify(second, actor=p["liudu"])
    bring_proactive_to(d, State.AWAITING_CALLBACK)
    return d


def _row(d, first, last):
    return next(r for r in indicators.unit_table(first, last) if r["unit_code"] == "street-a")


def test_the_unit_is_credited_and_its_rates_are_the_callers_alone(work):
    today = timezone.localdate()
    row = _row(work, today, today)
    assert (row["proactive_verified"], row["proactive_first_time"], row["proactive_first_time_rate"]) == (2, 1, 0.5)
    assert row["valid_callbacks"] == 1 and row["resolution_rate"] == 1.0  # the caller's order alone
    assert row["orders"] == 4  # every dispatch is the unit's work: the proactive ones too


def test_proactive_orders_are_not_intake_volume(work):
    today = timezone.localdate()
    assert indicators.overview(today, today)["district"]["received"] == 1


def test_the_stored_aggregates_give_the_same_figures(work):
    today = timezone.localdate()
    live = _row(work, today, today)
    tomorrow = today + dt.timedelta(days=1)
    with mock.patch("django.utils.timezone.localdate", return_value=tomorrow):
        stats.rebuild(today, today)
    assert stats.build_mark().built_through == today
    stored = _row(work, today, today)
    assert {k: stored[k] for k in ("proactive_verified", "proactive_first_time", "valid_callbacks")} == {
        k: live[k] for k in ("proactive_verified", "proactive_first_time", "valid_callbacks")}


def test_a_unit_with_only_proactive_work_is_listed_and_not_idle(district):
    bring_proactive_to(district, State.CLOSED)
    today = timezone.localdate()
    out = io.StringIO()
    call_command("assess", "--from", today.isoformat(), "--to", today.isoformat(), "--json", stdout=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    street = next(r for r in rows if r["unit_code"] == "street-a")
    assert street["proactive"] == {"verified": 1, "first_time": 1, "first_time_rate": 1.0}
    assert street["valid_callbacks"] == 0 and street["small_sample"] is True
    out = io.StringIO()
    call_command("assess", "--from", today.isoformat(), "--to", today.isoformat(), stdout=out)
    assert "主动治理办结1（一次核验通过1）" in out.getvalue()
    diag = next(r for r in indicators.diagnostics(today, today)["units"] if r["unit_id"] == district.units["street-a"].pk)
    assert diag["proactive_verified"] == 1


def test_the_pages_show_the_proactive_figures(work):
    c = Client()
    c.force_login(work.people["liudu"])
    overview = c.get("/assessment/").content.decode()
    assert "主动治理核验办结" in overview
    unit = c.get(f"/assessment/unit/{work.units['street-a'].pk}/").content.decode()
    assert 'id="proactive"' in unit and "一次核验通过1件" in unit
