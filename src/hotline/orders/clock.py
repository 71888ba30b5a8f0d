"""The actions' clock: the moment an action writes, `timezone.now()` unless a caller set it.

The demo district plays a year of the hotline through the actions, each step at its own moment
(`with clock.at(moment) as trip: ...; trip.to(later)`), so that the event log, the replies and the
callbacks carry the times they would have had. The moment lives in a context variable: it is the
setting caller's alone, and never leaks to another thread or request (a new thread starts with the
real time). Nothing in the product sets it; a request always writes at the real time."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator

from django.utils import timezone


class Trip:
    """A moment set for the actions of one context, moved on by its holder."""

    def __init__(self, moment: dt.datetime) -> None:
        self.moment = _aware(moment)

    def to(self, moment: dt.datetime) -> dt.datetime:
        """Move to `moment` (any direction: each order of the demo has its own timeline)."""
        self.moment = _aware(moment)
        return self.moment

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        self.moment = self.moment + delta
        return self.moment


_trip: contextvars.ContextVar[Trip | None] = contextvars.ContextVar("hotline_clock_trip", default=None)


def now() -> dt.datetime:
    """The moment the actions stamp: the set one inside `at(...)`, else the real time."""
    trip = _trip.get()
    return trip.moment if trip is not None else timezone.now()


def localdate() -> dt.date:
    return timezone.localdate(now())


def travelling() -> bool:
    """Whether a moment is set in this context."""
    return _trip.get() is not None


@contextlib.contextmanager
def at(moment: dt.datetime) -> Iterator[Trip]:
    """Within the block the actions of this context write at `moment` (and wherever the returned
    Trip is moved to); the previous clock comes back after it, even on an error."""
    trip = Trip(moment)
    token = _trip.set(trip)
    try:
        yield trip
    finally:
        _trip.reset(token)


def _aware(moment: dt.datetime) -> dt.datetime:
    if not isinstance(moment, dt.datetime) or timezone.is_naive(moment):
        raise ValueError("the clock takes an aware datetime")
    return moment
