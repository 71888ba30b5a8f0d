"""Restating past days when an order's attribution changes after its callbacks were counted.

The centre may uphold a unit's unreasonable-request report after the order was called back and
the day built into the daily aggregates: the unit's figures of that day must then leave the order
out. Likewise an upheld appeal (申诉成立, docs/appeals.md): the redo's day stops counting it, or
the voided callback's day loses the rating. Likewise a re-check (复核回访) that finds a rating fabricated voids it: the day of the voided
rating loses it, and the day of the re-check gains the caller's real answers. The action cannot call the assessment (orders sit below it), so its event goes through the
outbox (DESIGN.md: turn the call into an outbox row the worker picks up): this module's subscriber
writes one row for each upheld report, in the action's transaction, and its deliverer rebuilds the
built days that hold the order's callbacks. Registered by AssessmentConfig.ready().

Until the worker has delivered the row (seconds, with a worker running) the stored days still
count the order; the pages say how fresh their figures are, as for every other built day."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline import outbox
from hotline.orders.models import Callback, Review
from hotline.orders.states import Action

from . import stats
from .stats.sql import local_tz

CHANNEL = "assessment"
RESTATING = frozenset({Action.UPHOLD_UNREASONABLE.value, Action.UPHOLD_APPEAL.value})
# A re-check (复核回访) restates only when it found the rating fabricated (the rating is voided and
# the caller's real answers counted); a confirmed or unreached one changes no figure.
RESTATING_VERDICTS = {Action.RECHECK.value: frozenset({"fabricated"})}


def restates(event: Any) -> bool:
    """Whether this event changes how the order's past callbacks count."""
    action = getattr(event, "action", None)
    if action in RESTATING:
        return True
    verdicts = RESTATING_VERDICTS.get(action)
    return verdicts is not None and (getattr(event, "data", None) or {}).get("verdict") in verdicts


def messages_for_event(event: Any) -> Iterable[outbox.Message]:
    """The outbox subscriber: an event that changes how an order's past callbacks count."""
    if not restates(event):
        return []
    return [outbox.Message(channel=CHANNEL, stream=f"restate:{event.order_id}", kind="assessment.restate",
                           payload={"order": event.order_id, "seq": event.seq},
                           dedupe_key=f"restate:{event.order_id}:{event.seq}")]


def restate_order(order_id: int) -> list[Any]:
    """Rebuild the built days that hold the order's callbacks and reviews (an upheld appeal
    against a redo changes a review's day); returns the days rebuilt."""
    mark = stats.build_mark()
    if mark is None or mark.built_through is None or mark.built_from is None:
        return []  # nothing built: every day is computed live, already without the order
    moments = [*Callback.objects.filter(order_id=order_id).values_list("at", flat=True),
               *Review.objects.filter(order_id=order_id).values_list("at", flat=True)]
    days = sorted({timezone.localtime(at, local_tz()).date() for at in moments})
    done = []
    for day in days:
        if mark.built_from <= day <= mark.built_through:
            stats.rebuild(day, day)
            done.append(day)
    return done


def deliver(row: Any) -> outbox.Outcome:
    """The deliverer of the assessment channel (idempotent: rebuilding a day twice is harmless)."""
    order_id = (row.payload or {}).get("order")
    if not isinstance(order_id, int):
        return outbox.Outcome(ok=False, retry=False, detail="payload names no order")
    days = restate_order(order_id)
    return outbox.Outcome(ok=True, detail=", ".join(f"{d:%Y-%m-%d}" for d in days))


def register() -> None:
    outbox.subscribe(messages_for_event)
    outbox.register_channel(CHANNEL, deliver, label=_("考核统计重算"))
