"""Random action sequences by random actors over a few orders, with the loop's invariants
checked after every step (hypothesis stateful testing)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from hotline.directory.roles import Role
from hotline.errors import DomainError
from hotline.orders import actions, policies, states, trace
from hotline.orders.models import Callback, Event, OrderAppeal, WorkOrder
from hotline.orders.states import Action, State
from hotline.outbox.models import OutboxMessage
from tests.conftest import make_order
from tests.orders.loop import CALLS, Ctx, new_proactive, photo

ACTORS = ["wangfang", "chengang", "zhoushen", "sunhui", "liudu", "admin", "liqiang", "lizhang", "zhaomin",
          "zhengzhi", "wujian", "renshe", "qianji", "minhang", "system"]
# (category, area): a street's place-based matter in two streets, a consultation with sampled
# review, and aircraft noise (the airport leads; the civil aviation authority can act)
KINDS = [("道路塌陷破损", "east-lake"), ("道路塌陷破损", "west-city"), ("社保政策咨询", "east-lake"),
         ("航空器噪声", "north-hill")]
CLOCKS = ("sign_due", "contact_due", "reply_due")


def _dispatch_by_rule(oid, actor, ctx):
    order = WorkOrder.objects.get(pk=oid)
    rule = actions.rule_for(order.category, order.area)
    unit = rule.lead_unit_id if rule else ctx.unit("street-a")
    return actions.do_dispatch(oid, actor=actor, unit_id=unit)


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

        @precondition(lambda self: len(self.created) < 6)
        @rule(target=orders, unit=st.sampled_from(["street-a", "enforcement"]),
              source=st.sampled_from(["patrol", "seasonal", "hotspot"]))
        def create_proactive(self, unit, source):
            # 未诉先办: no caller, dispatched at once, closed by the centre's verification
            oid = new_proactive(d, unit_id=d.units[unit].pk, source=source,
                                source_ref=None if source == "patrol" else 7,
                                note="巡查发现，由城管执法局先行处置" if unit != "street-a" else "")
            self.created.append(oid)
            order = WorkOrder.objects.get(pk=oid)
            self.clocks[oid] = tuple(getattr(order, c) for c in CLOCKS)
            return oid

        @rule(oid=orders, data=st.data())
        def act(self, oid, data):
            order = WorkOrder.objects.get(pk=oid)
            state = State(order.state)
            # mostly actions that apply now, moves forward weighted up (so orders travel the
            # loop), sometimes any action at all
            here = states.actions_from(state)
            weighted = [a for a in here for _ in range(3 if states.next_state(state, a) != state else 1)]
            pick = data.draw(st.integers(0, 999), label="action")
            pool = weighted if pick % 10 < 8 and weighted else list(states.ALL_ACTIONS)
            action = pool[pick // 10 % len(pool)]
            self._prepare(order, state, action)
            before = WorkOrder.objects.get(pk=oid)
            # mostly someone whose role and unit give the right, sometimes anyone
            co = list(before.co_units.values_list("id", flat=True))
            entitled = [n for n in ACTORS if policies.decide(
                role=Role(p[n].role), action=action, state=state, actor_unit_id=p[n].unit_id,
                lead_unit_id=before.lead_unit_id, co_unit_ids=co, proactive=before.is_proactive).allowed]
            pick = data.draw(st.integers(0, 999), label="actor")
            pool = entitled if pick % 4 and entitled else ACTORS
            name = pool[pick // 4 % len(pool)]
            others = [o for o in self.created if o != oid] or [oid]
            ctx = Ctx(d, main_order_id=data.draw(st.sampled_from(others), label="main"))
            events_before = Event.objects.count()
            call = CALLS[action] if action is not Action.DISPATCH else _dispatch_by_rule
            try:
                call(oid, p[name], ctx)
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
            # a merge or its undoing also writes one event on the main order
            assert Event.objects.count() - events_before == after.event_seq - before.event_seq + (
                1 if action in (Action.MERGE, Action.UNMERGE) else 0)
            old, new = self.clocks[oid], tuple(getattr(after, c) for c in CLOCKS)
            for name_, was, now in zip(CLOCKS, old, new, strict=True):
                assert was is None or (now is not None and now >= was), (name_, action, was, now)
            if action is Action.APPROVE_EXTENSION:
                assert new[2] > old[2] and new[:2] == old[:2]
            self.clocks[oid] = new

        def _prepare(self, order, state, action):
            """What a valid reply or extension decision needs first (a site photo, a pending
            request), done by the lead unit's person; it may be refused like any action."""
            member = next((p[n] for n in ACTORS if p[n].unit_id == order.lead_unit_id and order.lead_unit_id), None)
            try:  # a decision on an unreasonable request needs a report (or a contest) first
                if action in (Action.UPHOLD_UNREASONABLE, Action.REJECT_UNREASONABLE) and member is not None:
                    actions.do_report_unreasonable(order.pk, actor=member, reason="repeated",
                                                   explanation="已多次充分答复，来电人仍就同一事项反复来电")
                elif action in (Action.LIFT_MARK, Action.KEEP_MARK):
                    actions.do_contest_mark(order.pk, actor=p["wangfang"], reason="来电人认为诉求合理")
                elif action is Action.CLOSE_SUPERVISION and member is not None:
                    actions.do_supervision_feedback(order.pk, actor=member, text="已到现场处置，正在协调修复，两日内完成")
            except DomainError:
                pass
            head = next((p[n] for n in ACTORS if p[n].unit_id == order.lead_unit_id and order.lead_unit_id
                         and p[n].role == Role.UNIT_HEAD), None)
            try:  # a decision on an appeal needs one: the unit's head appeals the redo, else the callback
                if action in (Action.UPHOLD_APPEAL, Action.REJECT_APPEAL) and head is not None:
                    try:
                        CALLS[Action.APPEAL_REDO](order.pk, head, None)
                    except DomainError:
                        CALLS[Action.APPEAL_CALLBACK](order.pk, head, None)
            except DomainError:
                pass
            if member is None or state is not State.IN_PROGRESS:
                return
            try:
                if action is Action.REPLY:
                    actions.do_attach(order.pk, actor=member, file=photo())
                elif action in (Action.APPROVE_EXTENSION, Action.DENY_EXTENSION):
                    actions.do_request_extension(order.pk, actor=member, days=2, reason="需协调施工单位排期，时间不够")
            except DomainError:
                pass
            old = self.clocks[order.pk]
            self.clocks[order.pk] = tuple(getattr(WorkOrder.objects.get(pk=order.pk), c) for c in CLOCKS)
            assert all(o is None or n >= o for o, n in zip(old, self.clocks[order.pk], strict=True))

        @invariant()
        def loop_invariants(self):
            # no order lost or duplicated
            assert WorkOrder.objects.count() == self.baseline + len(self.created)
            events: dict[int, list[Event]] = {oid: [] for oid in self.created}
            for ev in Event.objects.filter(order_id__in=self.created).order_by("order_id", "seq"):
                events[ev.order_id].append(ev)
            for order in WorkOrder.objects.filter(pk__in=self.created).prefetch_related("co_units"):
                # exactly one lead unit (never also a co-unit) while a unit leads the order
                if order.state in states.LED_STATES:
                    assert order.lead_unit_id is not None, (order.number, order.state)
                    assert order.lead_unit_id not in {u.pk for u in order.co_units.all()}
                # joint handling: the co-units are exactly the units with a part not withdrawn; a
                # part still owed is never due after the lead's reply; a gathered part was replied and
                # gathered by a reply of its own order
                parts = list(order.co_parts.all())
                live = {pt.unit_id for pt in parts if pt.state != "withdrawn"}
                if parts:
                    assert live == {u.pk for u in order.co_units.all()}, (order.number, live)
                for pt in parts:
                    if pt.state in ("assigned", "signed") and order.reply_due is not None:
                        assert pt.due <= order.reply_due, (order.number, pt.due, order.reply_due)
                    if pt.gathered_by_id is not None:
                        assert pt.state == "replied" and pt.gathered_by.order_id == order.pk
                    assert (pt.state == "replied") <= (pt.replied_at is not None)
                    assert (pt.first_replied_at is None) == (pt.first_late is None)
                # the event chain verifies
                assert trace.verify_order(order, events[order.pk]) == []
                # unreasonable requests: at most one open report; the order is marked unreasonable
                # exactly when a report of it was upheld, and an upheld report with a number marks it once
                reports = list(order.unreasonable_reports.all())
                assert sum(r.status == "pending" for r in reports) <= 1
                upheld = [r for r in reports if r.status == "upheld"]
                assert order.unreasonable == bool(upheld) and len(upheld) <= 1
                assert order.caller_marks.count() == (len(upheld) if order.caller_phone else 0)
                for mark in order.caller_marks.all():
                    assert mark.contests.filter(outcome="pending").count() <= 1
                    assert mark.expires_at > mark.created_at
                # re-checks (复核回访): at most one verdict per callback, never by its own agent; a
                # callback is voided exactly when its verdict is "fabricated", and then exactly one
                # valid callback (the caller's real answers) replaces it
                for cb in order.callbacks.all():
                    checks = list(cb.rechecks.all())
                    assert sum(r.verdict != "not_reached" for r in checks) <= 1
                    assert all(r.by_id != cb.agent_id for r in checks)
                    fabricated = [r for r in checks if r.verdict == "fabricated"]
                    appealed = OrderAppeal.objects.filter(callback=cb, status="upheld").exists()
                    assert (cb.voided_at is not None) == (bool(fabricated) or appealed), cb.pk
                    if fabricated:
                        real = Callback.objects.get(replaces=cb)
                        assert real.valid and real.voided_at is None and fabricated[0].real_callback_id == real.pk
                # review by effect: a redo stands on a "no" of its checklist, each reason on one of
                # its questions, never on a completeness code; the checks are those of its event
                review_events = [e for e in events[order.pk] if e.action in (Action.APPROVE, Action.REDO)]
                reviews = list(order.reviews.order_by("at", "pk"))
                assert [r.checks for r in reviews] == [e.data.get("checks", {}) for e in review_events]
                for rv in reviews:
                    noes = {q for q, v in rv.checks.items() if v is False}
                    if rv.decision == "redo":
                        assert rv.reasons and not set(rv.reasons) & set(actions.LEGACY_REDO_REASONS)
                        assert all(actions.REASON_QUESTIONS[r] & noes or r == "other" for r in rv.reasons)
                    elif noes:
                        assert len(rv.note) >= actions.MIN_REASON_CHARS
                events_of = [e for e in events[order.pk] if e.action == Action.RECHECK]
                assert len(events_of) == order.rechecks.count()
                # appeals (申诉): one per redo or callback, each filed by an event and decided by at
                # most one; a redo is overturned exactly when its appeal was upheld, never decided by
                # the person who made the decision appealed
                appeals = list(order.appeals.select_related("review", "callback"))
                filed = [e for e in events[order.pk] if e.action in (Action.APPEAL_REDO, Action.APPEAL_CALLBACK)]
                decided = [e for e in events[order.pk] if e.action in (Action.UPHOLD_APPEAL, Action.REJECT_APPEAL)]
                assert len(filed) == len(appeals)
                assert len(decided) == sum(a.status != "pending" for a in appeals)
                for a in appeals:
                    maker = a.review.reviewer_id if a.review_id else a.callback.agent_id
                    assert a.decided_by_id is None or a.decided_by_id != maker
                for rv in order.reviews.all():
                    upheld_redo = OrderAppeal.objects.filter(review=rv, status="upheld").exists()
                    assert (rv.overturned_at is not None) == upheld_redo, rv.pk
                # supervision (督办): at most one active supervision; the order is flagged supervised
                # exactly while one is; each was escalated at most once, each escalation has its
                # event and its one request to the city in the outbox
                sups = list(order.supervisions.all())
                active = [x for x in sups if x.state in ("open", "answered", "escalated")]
                assert len(active) <= 1 and order.supervised == bool(active), (order.number, order.supervised)
                escalated = [x for x in sups if x.escalated_at is not None]
                escalations = [e for e in events[order.pk] if e.action == Action.ESCALATE_SUPERVISION]
                assert len(escalations) == len(escalated)
                assert sorted(e.data["supervision"] for e in escalations) == sorted(x.pk for x in escalated)
                assert OutboxMessage.objects.filter(
                    channel="citylink", dedupe_key__in=[f"supervision-escalated:{x.pk}" for x in escalated]
                ).count() == len(escalated)
                for x in sups:
                    assert (x.feedback_at is not None) == bool(x.feedback), x.pk
                    assert (x.state in ("closed", "lifted")) == (x.ended_at is not None), x.pk
                # a proactive order has no caller: never called back, no first-contact clock, and
                # closed only by the centre's verification
                if order.is_proactive:
                    assert not order.callbacks.exists(), order.number
                    assert order.contact_due is None and order.caller_phone == ""
                    closes = [e.action for e in events[order.pk] if e.to_state == State.CLOSED]
                    assert set(closes) <= {Action.VERIFY.value}, closes
                elif order.state == State.CLOSED:
                    assert Action.VERIFY.value not in {e.action for e in events[order.pk]}

        def teardown(self):
            assert list(trace.verify_all()) == []

    return Loop


def test_it_keeps_the_loops_invariants_under_random_actions(district):
    run_state_machine_as_test(
        _machine(district),
        settings=settings(max_examples=20, stateful_step_count=30, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck)),
    )

