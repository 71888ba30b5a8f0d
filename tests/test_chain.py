"""The hash chain's canonical form never changes: every stored trace (orders' events, change
requests', governance tasks') would stop verifying. The vector below was taken from the order
trace's own implementation before the chain moved to `hotline.chain`."""

import datetime as dt

from hotline.chain import GENESIS, canonical, link_hash
from hotline.orders import trace

AT = dt.datetime(2026, 12, 4, 9, 30, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))
DATA = {"reply": 5, "days": 2.0, "when": dt.date(2026, 12, 4), "units": (1, 2), "note": "已联系来电人"}
VECTOR = "8fbe68bc305c026de326f70a547f324017bf2665f812886986275cdbdb0ed163"


def test_an_orders_event_hash_is_what_it_always_was():
    assert trace.event_hash(prev_hash=GENESIS, order_number="2026120400001", seq=3, action="reply",
                            from_state="in_progress", to_state="replied", actor_id=7, actor_role="handler",
                            at=AT, data=DATA) == VECTOR


def test_the_canonical_form_and_what_changes_a_link():
    assert canonical({1: AT, "d": dt.date(2026, 1, 2), "t": (1.0, 2.5)}) == {
        "1": "2026-12-04T01:30:00.123456+00:00", "d": "2026-01-02", "t": [1, 2.5]}
    base = [GENESIS, "2026120400001", 3, "reply", "in_progress", "replied", 7, "handler", AT, DATA]
    assert link_hash(base) == VECTOR
    for i, other in enumerate(["1" * 64, "2026120400002", 4, "redo", "replied", "in_progress", 8, "reviewer",
                               AT + dt.timedelta(microseconds=1), DATA | {"note": "未联系"}]):
        assert link_hash(base[:i] + [other] + base[i + 1:]) != VECTOR, i


def test_a_flows_steps_verify_until_one_is_changed_inserted_or_removed():
    from types import SimpleNamespace as NS

    from hotline.chain import advance, verify_steps

    owner, actor, steps = NS(event_seq=0, last_hash=""), NS(pk=3, role="supervisor"), []
    for i, action in enumerate(["file", "uphold"]):
        step = advance(owner, 41, action=action, from_state="", to_state=action, actor=actor,
                       at=AT + dt.timedelta(minutes=i), data={"note": f"第{i}步", "empty": ""})
        steps.append(NS(action=action, from_state="", to_state=action, actor_id=3, actor_role="supervisor",
                        at=AT + dt.timedelta(minutes=i), **step))
    assert steps[0].data == {"note": "第0步"} and owner.event_seq == 2 and owner.last_hash == steps[1].hash
    assert verify_steps(41, steps, owner.last_hash)
    assert not verify_steps(42, steps, owner.last_hash)  # another owner's chain
    assert not verify_steps(41, steps[:1], owner.last_hash)  # the tail removed
    assert not verify_steps(41, steps[1:], owner.last_hash)  # the head removed
    steps[0].data = {"note": "改过"}
    assert not verify_steps(41, steps, owner.last_hash)
