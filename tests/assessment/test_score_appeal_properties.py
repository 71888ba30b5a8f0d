"""Random score appeals by random people (hypothesis stateful testing), with the invariants
checked after every step: at most one pending appeal per unit and month; an indicator decided for
a month never decided again; every appeal's trace an unbroken chain with one event per step; a
final appeal never moves again; only an upheld appeal has a correction, and the corrections the
score reads are exactly the upheld ones; a refused step writes nothing."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from hotline.assessment import appeal_actions
from hotline.assessment.appealflow import FINAL_APPEAL_STATES
from hotline.assessment.models import ScoreAppeal, ScoreAppealEvent
from hotline.directory.calendar import load_calendar
from hotline.errors import DomainError
from hotline.orders import clock

ACTORS = ["lizhang", "liqiang", "liudu", "chengang", "admin", "zhoushen"]
INDICATORS = ["resolution", "satisfaction", "redo", "gaming_deduction"]
CORRECTIONS = ["2", "-1.5", "0", "abc", "100.01", "0.25"]


def _machine(d):
    p = d.people
    today = timezone.localdate().replace(day=1)
    now = dt.datetime.combine(load_calendar().nth_workday_after(today - dt.timedelta(days=1), 1), dt.time(10),
                              tzinfo=timezone.get_current_timezone())
    months = [(today - dt.timedelta(days=1)).replace(day=1), today]  # last month (open), this month (not over)

    class ScoreAppeals(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.final: dict[int, str] = {}

        def _counts(self):
            return (ScoreAppeal.objects.count(), ScoreAppealEvent.objects.count(),
                    tuple(ScoreAppeal.objects.order_by("pk").values_list("state", flat=True)))

        @rule(who=st.sampled_from(ACTORS), month=st.sampled_from(months),
              codes=st.lists(st.sampled_from(INDICATORS), min_size=0, max_size=2))
        def file(self, who, month, codes):
            before = self._counts()
            with clock.at(now):
                try:
                    appeal_actions.file(actor=p[who], month=month, indicators=codes, reasons=["data_error"],
                                        explanation="统计数据与工单留痕不一致，请核对本月数据。")
                except DomainError:
                    assert self._counts() == before

        @rule(who=st.sampled_from(ACTORS), verb=st.sampled_from(["uphold", "reject", "withdraw"]),
              pick=st.integers(0, 20), correction=st.sampled_from(CORRECTIONS))
        def step(self, who, verb, pick, correction):
            ids = list(ScoreAppeal.objects.order_by("pk").values_list("pk", flat=True))
            if not ids:
                return
            pk = ids[pick % len(ids)]
            before = self._counts()
            with clock.at(now + dt.timedelta(hours=1)):
                try:
                    if verb == "uphold":
                        appeal_actions.uphold(pk, actor=p[who], correction=correction, note="核实后申诉成立，更正得分")
                    elif verb == "reject":
                        appeal_actions.reject(pk, actor=p[who], note="经核对统计无误，申诉不成立")
                    else:
                        appeal_actions.withdraw(pk, actor=p[who])
                except DomainError:
                    assert self._counts() == before

        @invariant()
        def invariants(self):
            appeals = list(ScoreAppeal.objects.all())
            pending = Counter((a.unit_id, a.month) for a in appeals if a.state == "pending")
            assert all(n <= 1 for n in pending.values())
            decided: Counter = Counter()
            for a in appeals:
                assert a.month < today  # a month not over is never appealed
                if a.state in ("upheld", "rejected"):
                    for code in a.indicators:
                        decided[(a.unit_id, a.month, code)] += 1
                assert (a.correction is not None) == (a.state == "upheld")
                assert appeal_actions.verify(a)
                assert a.events.count() == (1 if a.state == "pending" else 2)
                if a.pk in self.final:
                    assert a.state == self.final[a.pk]
                if a.state in FINAL_APPEAL_STATES:
                    self.final[a.pk] = a.state
            assert all(n <= 1 for n in decided.values())
            upheld = [a for a in appeals if a.state == "upheld"]
            got = appeal_actions.corrections(months[0], months[0] + dt.timedelta(days=27))
            assert sum(r["count"] for r in got.values()) == len(upheld)
            assert sum(r["points"] for r in got.values()) == sum(float(a.correction) for a in upheld)

    return ScoreAppeals


def test_score_appeals_keep_their_invariants_under_random_steps(district):
    run_state_machine_as_test(
        _machine(district),
        settings=settings(max_examples=15, stateful_step_count=20, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck)),
    )
