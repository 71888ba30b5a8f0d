"""Random action sequences by random actors over a few orders, with the loop's invariants
checked after every step (hypothesis stateful testing)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from hotline.errors import DomainError
from hotline.directory.roles import Role
from hotline.orders import actions, policies, states, trace
from hotline.orders.models import Event, WorkOrder
from hotline.orders.states import Action, State
from tests.conftest import make_order
from tests.orders.loop import CALLS, Ctx

ACTORS = ["wangfang", "chengang", "zhoushen", "sunhui", "liudu", "admin", "liqiang", "lizhang", "zhaomin",
          "zhengzhi", "renshe", "qianji", "minhang", "system"]
# (category, area): a street's place-based matter in two streets, a consultation with sampled
# review, and aircraft noise (the airport leads; the civil aviation authority can act)
KINDS = [("道路塌陷破损", "east-lake"), ("道路塌陷破损", "west-city"), ("社保政策咨询", "east-lake"),
         ("航空器噪声", "north-hill")]
CLOCKS = ("sign_due", "contact_due", "reply_due")
SEEN: set[tuple[str, str]] = set()  # (state, action) pairs that succeeded, for tuning


def _machine(d):
    p = dict(d.people, system=actions.system_user())

    class Loop(RuleBasedStateMachine):
        orders = Bundle("orders")

        @initialize()
        def start(self):
            self.baseline = WorkOrder.objects.count()
            self.created: list[int] = []
            self.clocks: dict[int, tuple[dt.datetime | None, ...]] = {}

        @precondition(lambda self: len(self.created) < 4)
        @rule(target=orders, kind=st.sampled_from(KINDS), urgency=st.sampled_from(["general", "emergency", "utility"]))
        def create(self, kind, urgency):
            oid = make_order(d, category=kind[0], area=kind[1], urgency=urgency)
            self.created.append(oid)
            self.clocks[oid] = (None, None, None)
            return oid

        @rule(oid=orders, data=st.data())
        def act(self, oid, data):
            before = WorkOrder.objects.get(pk=oid)
            state = State(before.state)
            # mostly actions that apply now (so orders travel the loop), sometimes any action
            action = data.draw(st.one_of(st.sampled_from(states.actions_from(state) or [Action.ANNOTATE]),
                                         st.sampled_from(states.ALL_ACTIONS)), label="action")
            # mostly someone whose role has the right (in or out of scope), sometimes anyone
            co = list(before.co_units.values_list("id", flat=True))
            entitled = [n for n in ACTORS if policies.decide(
                role=Role(p[n].role), action=action, state=state, actor_unit_id=p[n].unit_id,
                lead_unit_id=before.lead_unit_id, co_unit_ids=co).allowed] or ACTORS
            name = data.draw(st.one_of(st.sampled_from(entitled), st.sampled_from(ACTORS)), label="actor")
            others = [o for o in self.created if o != oid] or [oid]
            ctx = Ctx(d, main_order_id=data.draw(st.sampled_from(others), label="main"))
            events_before = Event.objects.count()
            try:
                CALLS[action](oid, p[name], ctx)
            except DomainError:
                after = WorkOrder.objects.get(pk=oid)
                assert (after.state, after.event_seq, after.last_hash) == (
                    before.state, before.event_seq, before.last_hash)
                assert Event.objects.count() == events_before
                return
            after = WorkOrder.objects.get(pk=oid)
            # a reply not drawn for sampled review is approved by the system in the same step
            auto_approved = action is Action.REPLY and after.state == State.AWAITING_CALLBACK
            want = State.AWAITING_CALLBACK if auto_approved else states.next_state(state, action)
            assert after.state == want, (state, action, after.state)
            assert after.event_seq - before.event_seq == (2 if auto_approved else 1)
            # a merge also writes one event on the main order
            assert Event.objects.count() - events_before == after.event_seq - before.event_seq + (
                1 if action is Action.MERGE else 0)
            old, new = self.clocks[oid], tuple(getattr(after, c) for c in CLOCKS)
            for name_, was, now in zip(CLOCKS, old, new, strict=True):
                assert was is None or (now is not None and now >= was), (name_, action, was, now)
            if action is Action.APPROVE_EXTENSION:
                assert new[2] > old[2] and new[:2] == old[:2]
            self.clocks[oid] = new
            SEEN.add((state.value, action.value))

        @invariant()
        def one_lead_unit_while_led(self):
            for order in WorkOrder.objects.filter(pk__in=self.created).prefetch_related("co_units"):
                if order.state in states.LED_STATES:
                    assert order.lead_unit_id is not None, (order.number, order.state)
                    assert order.lead_unit_id not in {u.pk for u in order.co_units.all()}

        @invariant()
        def chains_verify(self):
            orders = list(WorkOrder.objects.filter(pk__in=self.created))
            for order in orders:
                events = list(Event.objects.filter(order_id=order.pk).order_by("seq"))
                assert trace.verify_order(order, events) == []

        @invariant()
        def no_order_lost_or_duplicated(self):
            assert WorkOrder.objects.count() == self.baseline + len(self.created)

        def teardown(self):
            assert list(trace.verify_all()) == []

    return Loop


def test_it_keeps_the_loops_invariants_under_random_actions(district):
    run_state_machine_as_test(
        _machine(district),
        settings=settings(max_examples=30, stateful_step_count=40, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck)),
    )


def test_zz_debug_coverage():
    print(len(SEEN), len(states.TRANSITIONS), sorted(set(states.TRANSITIONS) - {(State(a), Action(b)) for a, b in SEEN}))
