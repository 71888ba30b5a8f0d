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
