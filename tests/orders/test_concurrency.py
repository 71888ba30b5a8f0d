"""Conflicting actions on one order from 20 threads at once, on PostgreSQL: exactly one wins, the
others are refused with InvalidTransition, and the trace still verifies.

SQLite serialises all writers on one database lock, so these races cannot happen there; the
tests run where they can (CI's PostgreSQL job: DATABASE_URL=postgres://...).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from hotline.errors import DomainError, InvalidTransition
from hotline.orders import actions, trace
from hotline.orders.actions import Intake
from hotline.orders.models import Event, WorkOrder
from hotline.orders.states import State
from tests.orders.loop import bring_to

THREADS = 20

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks (SELECT ... FOR UPDATE) race only on PostgreSQL; SQLite has one writer"),
    # serialized_rollback restores the calendar rows the migrations seeded, which a
    # transactional test's flush would otherwise remove for the tests that run after it
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _race(calls: list[Callable[[], object]]) -> list[tuple[int, object]]:
    """Run the calls in threads released together; (index, result or exception) for each."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[int, object]] = []
    lock = threading.Lock()

    def run(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                out: object = call()
            except Exception as exc:  # noqa: BLE001 - collected and asserted on below
                out = exc
            with lock:
                results.append((i, out))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == len(calls)
    return sorted(results, key=lambda r: r[0])


def _outcomes(results) -> tuple[list[int], Counter]:
    winners = [i for i, out in results if not isinstance(out, Exception)]
    errors = Counter(type(out).__name__ for _i, out in results if isinstance(out, Exception))
    return winners, errors


def _assert_one_winner(results, oid: int, events_before: int) -> int:
    winners, errors = _outcomes(results)
    assert len(winners) == 1, (winners, errors)
    assert errors == Counter({"InvalidTransition": THREADS - 1})
    assert all(isinstance(out, InvalidTransition) for _i, out in results if isinstance(out, DomainError))
    order = WorkOrder.objects.get(pk=oid)
    assert order.event_seq == events_before + 1
    assert Event.objects.filter(order_id=oid).count() == events_before + 1
    assert list(trace.verify_all()) == []
    return winners[0]


def test_it_lets_only_one_of_twenty_signs_through(district):
    oid = bring_to(district, State.DISPATCHED)
    before = WorkOrder.objects.get(pk=oid).event_seq
    handler = district.people["liqiang"]
    results = _race([lambda: actions.do_sign(oid, actor=handler)] * THREADS)
    _assert_one_winner(results, oid, before)
    assert WorkOrder.objects.get(pk=oid).state == State.IN_PROGRESS


def test_it_lets_either_a_sign_or_a_return_win_but_not_both(district):
    oid = bring_to(district, State.DISPATCHED)
    before = WorkOrder.objects.get(pk=oid).event_seq
    p = district.people
    sign = lambda: actions.do_sign(oid, actor=p["liqiang"])  # noqa: E731
    ret = lambda: actions.do_return(oid, actor=p["lizhang"], kind="not_remit",  # noqa: E731
                                    reason="该路段属于市政道路，由区城管执法局负责。")
    results = _race([sign, ret] * (THREADS // 2))
    winner = _assert_one_winner(results, oid, before)
    order = WorkOrder.objects.get(pk=oid)
    assert order.state == (State.IN_PROGRESS if winner % 2 == 0 else State.RETURNED)
    assert order.return_count == (winner % 2)


def test_it_lets_only_one_review_decide_a_reply(district):
    oid = bring_to(district, State.REPLIED)
    before = WorkOrder.objects.get(pk=oid).event_seq
    reviewer = district.people["zhoushen"]
    approve = lambda: actions.do_approve(oid, actor=reviewer)  # noqa: E731
    redo = lambda: actions.do_redo(oid, actor=reviewer, reasons=["not_solved"], note="未说明修复是否完成")  # noqa: E731
    results = _race([approve, redo] * (THREADS // 2))
    winner = _assert_one_winner(results, oid, before)
    order = WorkOrder.objects.get(pk=oid)
    assert order.state == (State.AWAITING_CALLBACK if winner % 2 == 0 else State.IN_PROGRESS)
    assert order.reviews.count() == 1


def test_it_creates_one_order_for_twenty_retries_with_one_idempotency_key(district):
    d = district
    data = Intake(title="路灯不亮", description="东湖路路灯连续三晚不亮。", caller_phone="13812345678",
                  area_id=d.areas["east-lake"].pk, category_id=d.categories["路灯不亮"].pk,
                  idempotency_key="web-form-7f3a")
    results = _race([lambda: actions.do_create(data, actor=d.people["wangfang"])] * THREADS)
    assert [out for _i, out in results if isinstance(out, Exception)] == []
    assert len({out.pk for _i, out in results}) == 1
    assert WorkOrder.objects.count() == 1
    assert list(trace.verify_all()) == []


def test_it_numbers_orders_created_at_once_without_gaps_or_clashes(district):
    d = district
    agent = d.people["wangfang"]

    def create(i: int) -> Callable[[], object]:
        return lambda: actions.do_create(
            Intake(title=f"路灯不亮{i}", description="东湖路路灯连续三晚不亮。", area_id=d.areas["east-lake"].pk),
            actor=agent)

    results = _race([create(i) for i in range(THREADS)])
    numbers = sorted(out.number for _i, out in results)
    assert len(set(numbers)) == THREADS
    assert [int(n[-5:]) for n in numbers] == list(range(1, THREADS + 1))
