"""Appeals against a unit's monthly score (考核得分申诉): the flow table, the only writers with their
hash-chained trace, the deadline, and the correction as its own line of score_lines."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from hotline.assessment import appeal_actions, appealflow, indicators
from hotline.assessment.appealflow import AppealAction, AppealState, decide_appeal, next_appeal_state
from hotline.assessment.models import ScoreAppeal, ScoreAppealEvent
from hotline.directory.calendar import load_calendar
from hotline.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from hotline.orders import clock
from hotline.orders.models import WorkOrder
from tests.assessment.conftest import closed
from tests.orders import files

WHY = "本月三张工单属于市政道路塌陷，按权责清单应由城管执法局承办，误计入本单位的解决率。"
S, A = AppealState, AppealAction


# ---- the tables (pure) -------------------------------------------------------------------------------


def test_only_a_pending_appeal_moves_and_every_final_state_is_final():
    for state, action in itertools.product(AppealState, AppealAction):
        target = next_appeal_state(state, action)
        if state in appealflow.FINAL_APPEAL_STATES or action is A.FILE:
            assert target is None, (state, action)
    assert next_appeal_state(S.PENDING, A.UPHOLD) is S.UPHELD
    assert next_appeal_state(S.PENDING, A.REJECT) is S.REJECTED
    assert next_appeal_state(S.PENDING, A.WITHDRAW) is S.WITHDRAWN
    assert set(AppealState) == appealflow.OPEN_APPEAL_STATES | appealflow.FINAL_APPEAL_STATES


@pytest.mark.parametrize("role", ["agent", "dispatcher", "reviewer", "callback", "supervisor", "admin", "handler",
                                  "unit_head", "system", "city", "public"])
def test_who_may_take_which_step(role):
    own = {a: decide_appeal(role=role, action=a, actor_unit_id=7, appeal_unit_id=7).allowed for a in AppealAction}
    other = {a: decide_appeal(role=role, action=a, actor_unit_id=8, appeal_unit_id=7).allowed for a in AppealAction}
    assert own == {A.FILE: role == "unit_head", A.WITHDRAW: role == "unit_head",
                   A.UPHOLD: role == "supervisor", A.REJECT: role == "supervisor"}
    assert other == {**own, A.FILE: False, A.WITHDRAW: False}
    assert decide_appeal(role=role, action=A.FILE, actor_unit_id=None, appeal_unit_id=None).allowed is False


# ---- filing ------------------------------------------------------------------------------------------


def _in_window():
    """A moment two working days into this month: last month is over and its window open."""
    today = timezone.localdate().replace(day=1)
    day = load_calendar().nth_workday_after(today - dt.timedelta(days=1), 2)
    return dt.datetime.combine(day, dt.time(10), tzinfo=timezone.get_current_timezone())


def _last_month(now):
    return (timezone.localtime(now).date().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _file(d, **kw):
    kw.setdefault("indicators", ["resolution"])
    kw.setdefault("reasons", ["attribution"])
    kw.setdefault("explanation", WHY)
    return appeal_actions.file(actor=d.people["lizhang"], **kw)


def test_the_unit_head_files_for_last_month_with_orders_and_a_checked_file(district):
    d = district
    oid = closed(d, "street-a")
    number = WorkOrder.objects.get(pk=oid).number
    now = _in_window()
    with clock.at(now):
        appeal = _file(d, month=f"{_last_month(now):%Y-%m}", order_numbers=[number, number],
                       upload=ContentFile(files.jpeg(), name="统计截图.jpg"), indicators=["resolution", "gaming_deduction"])
    assert (appeal.state, appeal.unit_id, appeal.month) == ("pending", d.units["street-a"].pk, _last_month(now))
    assert appeal.order_numbers == [number] and appeal.indicators == ["resolution", "gaming_deduction"]
    assert appeal.evidence_name == "统计截图.jpg" and len(appeal.evidence_sha256) == 64
    assert timezone.localtime(appeal.due).date() == load_calendar().nth_workday_after(now.date(), 5)
    event = ScoreAppealEvent.objects.get(appeal=appeal)
    assert (event.seq, event.action, event.to_state, event.data["orders"]) == (1, "file", "pending", [number])
    assert appeal_actions.verify(appeal)


@pytest.mark.parametrize(("kw", "field"), [
    ({"indicators": []}, "indicators"),
    ({"indicators": ["no_such"]}, "indicators"),
    ({"indicators": "resolution"}, "indicators"),
    ({"reasons": ["=HYPERLINK(\"http://x\")"]}, "reasons"),
    ({"explanation": "分数不对"}, "explanation"),
    ({"order_numbers": ["20990101-99999"]}, "order_numbers"),
    ({"order_numbers": ["9" * 500]}, "order_numbers"),
    ({"month": "2026-13"}, "month"),
])
def test_bad_input_is_refused_and_writes_nothing(district, kw, field):
    now = _in_window()
    kw.setdefault("month", f"{_last_month(now):%Y-%m}")
    with clock.at(now), pytest.raises(InvalidInput) as exc:
        _file(district, **kw)
    assert field in (exc.value.details or {})
    assert not ScoreAppeal.objects.exists() and not ScoreAppealEvent.objects.exists()


def test_a_file_whose_content_is_not_what_its_name_says_is_refused(district):
    now = _in_window()
    with clock.at(now), pytest.raises(InvalidInput):
        _file(district, month=_last_month(now), upload=ContentFile(b"<script>alert(1)</script>", name="截图.jpg"))
    assert not ScoreAppeal.objects.exists()


def test_only_the_units_head_files_and_only_for_a_month_over_and_within_the_window(district, settings):
    d, p = district, district.people
    now = _in_window()
    month = _last_month(now)
    with clock.at(now):
        for name in ("liqiang", "liudu", "chengang", "admin"):
            with pytest.raises(NotAllowed):
                appeal_actions.file(actor=p[name], month=month, indicators=["resolution"], reasons=["other"],
                                    explanation=WHY)
        with pytest.raises(InvalidTransition) as exc:
            _file(d, month=now.date())  # this month is not over
        assert exc.value.code == "month_not_over"
    settings.HOTLINE_APPEAL_FILING_DAYS = 1
    late = now + dt.timedelta(days=10)
    with clock.at(late), pytest.raises(InvalidTransition) as exc:
        _file(d, month=month)
    assert exc.value.code == "appeal_window_closed"
    assert not ScoreAppeal.objects.exists()


def test_one_pending_appeal_per_month_and_a_decided_indicator_is_final(district):
    d, p = district, district.people
    now = _in_window()
    month = _last_month(now)
    with clock.at(now):
        first = _file(d, month=month)
        with pytest.raises(Conflict) as exc:
            _file(d, month=month, indicators=["satisfaction"])
        assert exc.value.code == "appeal_pending"
        appeal_actions.reject(first.pk, actor=p["liudu"], note="经核对，三张工单按清单属于本单位")
        with pytest.raises(Conflict) as exc:
            _file(d, month=month, indicators=["satisfaction", "resolution"])
        assert exc.value.code == "already_decided"
        second = _file(d, month=month, indicators=["satisfaction"])  # another indicator: new facts
        appeal_actions.withdraw(second.pk, actor=p["lizhang"])
        third = _file(d, month=month, indicators=["satisfaction"])  # withdrawn is not decided
    assert [a.state for a in ScoreAppeal.objects.order_by("pk")] == ["rejected", "withdrawn", "pending"]
    assert third.pk and all(appeal_actions.verify(a) for a in ScoreAppeal.objects.all())


# ---- the decision and the score ---------------------------------------------------------------------


def test_only_a_supervisor_decides_with_a_correction_and_a_reason(district):
    d, p = district, district.people
    now = _in_window()
    with clock.at(now):
        appeal = _file(d, month=_last_month(now))
        for name in ("lizhang", "chengang", "zhoushen", "admin"):
            with pytest.raises(NotAllowed):
                appeal_actions.uphold(appeal.pk, actor=p[name], correction="2", note="申诉成立，更正得分")
        for bad in ("", "abc", "0", "101", "1.234", "NaN", "Infinity", True, None):
            with pytest.raises(InvalidInput):
                appeal_actions.uphold(appeal.pk, actor=p["liudu"], correction=bad, note="申诉成立，更正得分")
        with pytest.raises(InvalidInput):
            appeal_actions.uphold(appeal.pk, actor=p["liudu"], correction="2", note="成立")
        with pytest.raises(NotAllowed):  # another unit's head
            appeal_actions.withdraw(appeal.pk, actor=p["zhaomin"])
        done = appeal_actions.uphold(appeal.pk, actor=p["liudu"], correction="-1.5", note="核实后部分成立，更正得分")
        with pytest.raises(InvalidTransition):
            appeal_actions.reject(appeal.pk, actor=p["liudu"], note="再次裁定同一申诉")
    assert (done.state, float(done.correction), done.decided_by_id) == ("upheld", -1.5, p["liudu"].pk)
    assert [e.action for e in done.events.order_by("seq")] == ["file", "uphold"]
    assert appeal_actions.verify(done)
    ScoreAppealEvent.objects.filter(appeal=done, seq=2).update(data={"note": "改过的意见"})
    assert not appeal_actions.verify(ScoreAppeal.objects.get(pk=done.pk))


def test_an_upheld_appeal_corrects_the_months_score_as_its_own_line(district):
    d, p = district, district.people
    now = _in_window()
    month = _last_month(now)
    with clock.at(dt.datetime.combine(month + dt.timedelta(days=9), dt.time(10),
                                      tzinfo=timezone.get_current_timezone())):
        closed(d, "street-a", resolved=False, satisfaction="unsatisfied")
        closed(d, "street-a")
    last = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    unit = d.units["street-a"].pk
    before = next(r for r in indicators.unit_table(month, last) if r["unit_id"] == unit)
    with clock.at(now):
        appeal = _file(d, month=month)
        appeal_actions.uphold(appeal.pk, actor=p["liudu"], correction="12.5", note="两张工单中一张应计入城管执法局")
    after = next(r for r in indicators.unit_table(month, last) if r["unit_id"] == unit)
    assert after["score"] == pytest.approx(min(100.0, before["score"] + 12.5))
    line = after["score_lines"][-1]
    assert (line["indicator"], line["value"], line["points"]) == ("appeal_correction", 1, 12.5)
    out = io.StringIO()
    call_command("assess", "--from", str(month), "--to", str(last), "--json", stdout=out)
    east = next(json.loads(x) for x in out.getvalue().splitlines() if json.loads(x)["unit_code"] == "street-a")
    assert east["score_lines"][-1]["indicator"] == "appeal_correction" and east["score"] == after["score"]
    # the month after is not corrected
    nxt = last + dt.timedelta(days=1)
    assert not appeal_actions.corrections(nxt, nxt + dt.timedelta(days=3))


def test_a_decision_after_the_deadline_is_overdue_and_marked_late(district, settings):
    d, p = district, district.people
    settings.HOTLINE_APPEAL_DAYS = 1
    now = _in_window()
    with clock.at(now) as trip:
        appeal = _file(d, month=_last_month(now))
        assert not appeal_actions.is_overdue(appeal, now)
        trip.advance(dt.timedelta(days=5))
        assert appeal_actions.is_overdue(appeal, clock.now())
        done = appeal_actions.reject(appeal.pk, actor=p["liudu"], note="经核对，统计无误，申诉不成立")
    assert appeal_actions.is_overdue(done) and done.events.get(seq=2).data["late"] is True


def test_a_unit_reads_its_own_appeals_and_the_centre_all(district):
    d, p = district, district.people
    now = _in_window()
    with clock.at(now):
        mine = _file(d, month=_last_month(now))
    assert list(appeal_actions.visible_to(p["liqiang"])) == [mine]
    assert list(appeal_actions.visible_to(p["zhaomin"])) == []
    assert list(appeal_actions.visible_to(p["liudu"])) == [mine]
    assert list(appeal_actions.visible_to(p["wangfang"])) == []
