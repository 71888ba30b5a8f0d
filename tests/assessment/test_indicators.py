"""Three rates and process indicators on small hand-made sets whose answers are known, computed
live and from the stored aggregates (both must agree)."""

import datetime as dt

import pytest
from django.utils import timezone

from hotline.assessment import indicators, stats
from hotline.assessment.history import import_rows
from hotline.orders import actions
from tests.assessment.conftest import closed, dispatched, handled, hist


def _row(unit_id, first, last):
    return next(r for r in indicators.unit_table(first, last) if r["unit_id"] == unit_id)


def test_it_computes_the_three_rates_from_valid_callbacks_only(district):
    closed(district, "street-a", contacted=True, resolved=True, satisfaction="satisfied")
    closed(district, "street-a", contacted=True, resolved=False, satisfaction="basic")
    closed(district, "street-a", contacted=False, resolved=False, satisfaction="unsatisfied")
    closed(district, "street-a", valid=False)
    today = timezone.localdate()
    row = _row(district.units["street-a"].pk, today, today)
    assert row["valid_callbacks"] == 3
    assert row["callbacks"] == 4
    assert row["response_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert row["resolution_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert row["satisfaction_rate"] == pytest.approx(1.9 / 3, abs=1e-4)
    assert row["composite"] == pytest.approx(0.1 * 2 / 3 + 0.5 / 3 + 0.4 * 1.9 / 3, abs=1e-4)
    assert row["small_sample"] and row["rank"] is None
    lo, hi = row["resolution_ci"]
    assert lo < 1 / 3 < hi


def test_stored_aggregates_give_the_same_figures_as_the_live_computation(district):
    import_rows([hist("S1", "东湖街道办事处", "2023-07-03", redo_count=1, return_count=2),
                 hist("S2", "西城街道办事处", "2023-07-04", resolved=False, satisfaction="基本满意"),
                 hist("S3", "西城街道办事处", "2023-07-31", callback_phone="13911112222")])
    july = (dt.date(2023, 7, 1), dt.date(2023, 7, 31))
    live = indicators.unit_table(*july)
    assert stats.rebuild(*july)["unit_rows"] == 3
    assert stats.split(*july) == (july, [])
    assert indicators.unit_table(*july) == live
    # a period that runs past what is built is answered half stored, half live
    wider = (dt.date(2023, 6, 15), dt.date(2023, 8, 15))
    assert stats.split(*wider) == (july, [(dt.date(2023, 6, 15), dt.date(2023, 6, 30)),
                                           (dt.date(2023, 8, 1), dt.date(2023, 8, 15))])
    assert indicators.unit_table(*wider) == live


def test_it_never_stores_today(district):
    closed(district, "street-a")
    today = timezone.localdate()
    assert stats.rebuild(today - dt.timedelta(days=2), today)["unit_rows"] == 0
    row = _row(district.units["street-a"].pk, today, today)
    assert row["valid_callbacks"] == 1


def test_it_counts_redo_rate_as_redos_over_replies(district):
    closed(district, "street-a", redo=1)
    closed(district, "street-a")
    today = timezone.localdate()
    row = _row(district.units["street-a"].pk, today, today)
    assert (row["replies"], row["redos"]) == (3, 1)
    assert row["redo_rate"] == pytest.approx(1 / 3, abs=1e-4)


def test_it_counts_returns_upheld_rejected_and_extensions(district):
    p, u = district.people, district.units
    a = dispatched(district, "street-a")
    actions.do_return(a, actor=p["liqiang"], kind="not_remit", reason="该路段属于区交通委管理的道路，非街道职责")
    actions.do_accept_return(a, actor=p["chengang"], unit_id=u["transport"].pk, note="核实属实，改派交通委")
    b = dispatched(district, "street-a")
    actions.do_return(b, actor=p["liqiang"], kind="not_remit", reason="我们认为不属于街道的职责范围内")
    actions.do_reject_return(b, actor=p["chengang"], note="权责清单规定属地街道负责")
    actions.do_sign(b, actor=p["liqiang"])
    actions.do_request_extension(b, actor=p["liqiang"], days=3, reason="需要协调养护单位排期施工，时间较长")
    actions.do_approve_extension(b, actor=p["chengang"], note="同意")
    today = timezone.localdate()
    row = _row(u["street-a"].pk, today, today)
    # street-a was given orders three times: a, b, and b again after the rejected return
    assert row["orders"] == 3
    assert row["returns"] == 2
    assert row["return_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert (row["returns_upheld"], row["returns_rejected"]) == (1, 1)
    assert row["extensions"] == 1
    assert row["extension_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert _row(u["transport"].pk, today, today)["orders"] == 1


def test_it_measures_on_time_clocks_and_durations_from_history(district):
    # Order 1: signed, contacted and replied in time. Order 2 (general: sign within 1 working day):
    # signed three working days late, never contacted, replied after its 7 working days.
    rows = [hist("H1", "东湖街道办事处", "2023-07-03"),
            hist("H2", "东湖街道办事处", "2023-07-03", signed_at="2023-07-06 10:00:00", first_contact_at="",
                 replied_at="2023-07-20 10:00:00", closed_at="2023-07-21 09:00:00")]
    import_rows(rows)
    row = _row(district.units["street-a"].pk, dt.date(2023, 7, 1), dt.date(2023, 7, 31))
    assert row["sign_on_time"] == pytest.approx(0.5)
    assert row["contact_on_time"] == pytest.approx(0.5)
    assert row["reply_on_time"] == pytest.approx(0.5)
    assert row["replies_late"] == 1
    assert row["hours_to_dispatch"] == pytest.approx(0.5)
    # 8 hours, and 18 days exactly
    assert row["days_to_close"] == pytest.approx((8 / 24 + 18) / 2, abs=1e-3)


def test_it_counts_orders_overdue_now(district, monkeypatch):
    # Dispatch an emergency three hours ago (its sign-for clock is half an hour), by moving the
    # clock the actions read rather than by writing the order.
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() - dt.timedelta(hours=3))
    dispatched(district, "street-a", urgency="emergency")
    monkeypatch.setattr(timezone, "now", real_now)
    dispatched(district, "street-a")
    today = timezone.localdate()
    assert _row(district.units["street-a"].pk, today, today)["overdue_now"] == 1


def test_rates_by_group_category_and_area_add_up(district):
    closed(district, "street-a", resolved=True)
    closed(district, "street-b", resolved=False, satisfaction="unsatisfied", area="west-city")
    closed(district, "water", resolved=True, category="停水")
    today = timezone.localdate()
    groups = {g["group"]: g for g in indicators.groups(today, today)}
    assert groups["street"]["valid_callbacks"] == 2
    assert groups["street"]["resolution_rate"] == pytest.approx(0.5)
    assert groups["company"]["resolution_rate"] == pytest.approx(1.0)
    cats = {c["category"]: c for c in indicators.by_category(today, today, level=3)}
    assert cats["城乡建设/市政设施/道路塌陷破损"]["received"] == 2
    assert cats["公共服务/供水/停水"]["resolution_rate"] == pytest.approx(1.0)
    areas = {a["area"]: a for a in indicators.by_area(today, today)}
    assert areas["西城街道"]["resolution_rate"] == 0.0
    assert areas["东湖街道"]["valid_callbacks"] == 2


def test_monthly_trend_splits_by_month(district):
    import_rows([hist("M1", "东湖街道办事处", "2023-07-03", resolved=False, satisfaction="不满意"),
                 hist("M2", "东湖街道办事处", "2023-08-03")])
    months = indicators.monthly(dt.date(2023, 7, 1), dt.date(2023, 8, 31), district.units["street-a"].pk)
    assert [(m["month"], m["resolution_rate"]) for m in months] == [("2023-07", 0.0), ("2023-08", 1.0)]


def test_an_order_handled_without_contact_loses_the_contact_clock(district):
    oid = dispatched(district, "street-a", category="社保政策咨询")
    handled(district, oid, "street-a", contact=False)
    today = timezone.localdate()
    row = _row(district.units["street-a"].pk, today, today)
    assert row["contact_on_time"] == 0.0


def test_the_overview_for_the_dashboard_has_the_district_groups_units_and_warnings(district):
    from hotline.assessment.services import overview
    closed(district, "street-a")
    closed(district, "water", category="停水", resolved=False, satisfaction="unsatisfied")
    today = timezone.localdate()
    ov = overview(today, today)
    assert ov["district"]["received"] == 2 and ov["district"]["valid_callbacks"] == 2
    assert ov["district"]["resolution_rate"] == 0.5
    assert [g["group"] for g in ov["groups"]] == ["street", "company"]
    assert {r["unit_code"] for r in ov["units"] if r["valid_callbacks"]} == {"street-a", "water"}
    assert isinstance(ov["warnings"], list)
