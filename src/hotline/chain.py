"""Hash chains, shared by every trace (an order's events, a responsibility-list change request's,
a governance task's): how a value is written canonically and how one link's hash is taken. A leaf
module (no import of the project), so the layers below orders can keep a trace too.

Each link's hash covers the previous hash and the link's own content; the owner row keeps the
hash of its latest link. So a changed link, a removed link in the middle and a removed tail are
all caught. Changing anything here changes every stored hash: it never changes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

GENESIS = "0" * 64


def canonical(value: Any) -> Any:
    """A value as it is hashed and stored: times in UTC to the microsecond, dates in ISO form,
    mapping keys as text, tuples as lists, whole floats as integers."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def link_hash(parts: list[Any]) -> str:
    """sha256 of one link: `parts` (the previous hash first) in canonical JSON."""
    body = json.dumps(canonical(parts), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def step_hash(*, prev_hash: str, key: Any, seq: int, action: str, from_state: str, to_state: str,
              actor_id: int | None, actor_role: str, at: dt.datetime, data: dict[str, Any]) -> str:
    """The hash of one step of a flow's trace (an order's, a change request's, a governance task's,
    a score appeal's): `key` names the owner (its number or id)."""
    return link_hash([prev_hash, key, seq, action, from_state, to_state, actor_id, actor_role, at, data])


def advance(owner: Any, key: Any, *, action: str, from_state: str, to_state: str, actor: Any, at: dt.datetime,
            data: Mapping[str, Any]) -> dict[str, Any]:
    """The next step of `owner`'s chain: moves `owner.event_seq` and `owner.last_hash` on (the caller
    saves the owner) and returns the step row's chain fields (seq, prev_hash, hash and the data as
    stored: canonical, empty values left out)."""
    data = canonical({k: v for k, v in data.items() if v not in (None, "", [], {})})
    seq, prev = owner.event_seq + 1, owner.last_hash or GENESIS
    digest = step_hash(prev_hash=prev, key=key, seq=seq, action=str(action), from_state=from_state,
                       to_state=to_state, actor_id=actor.pk, actor_role=actor.role, at=at, data=data)
    owner.event_seq, owner.last_hash = seq, digest
    return {"seq": seq, "prev_hash": prev, "hash": digest, "data": data}


def verify_steps(key: Any, steps: Any, last_hash: str | None) -> bool:
    """Whether `steps` (the owner's step rows in seq order) form an unbroken chain that ends at the
    owner's `last_hash`: nothing changed, inserted or removed."""
    prev = GENESIS
    for k, e in enumerate(steps, start=1):
        digest = step_hash(prev_hash=prev, key=key, seq=e.seq, action=e.action, from_state=e.from_state,
                           to_state=e.to_state, actor_id=e.actor_id, actor_role=e.actor_role, at=e.at, data=e.data)
        if e.seq != k or e.prev_hash != prev or e.hash != digest:
            return False
        prev = e.hash
    return prev == (last_hash or GENESIS)
