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
