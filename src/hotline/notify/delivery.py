"""The notify channel of the outbox: its subscriber (an order's event → Notification rows and one
outbox message each, in the action's transaction), its deliverer (an outbox row → the sender,
and the Notification's status), and the scans' hand-over to the outbox.

Registered by NotifyConfig.ready(). A message's stream is "notify:<notification id>": each
notification is its own stream, so one person's slow gateway never holds up another's."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils.translation import gettext_lazy as _

from hotline import outbox

from . import scans, services

CHANNEL = "notify"
log = logging.getLogger("hotline.notify")


def message_of(queued: services.Queued) -> outbox.Message:
    return outbox.Message(
        channel=CHANNEL, stream=f"notify:{queued.notification_id}", kind=f"notify.{queued.kind}",
        payload={"notification": queued.notification_id, "medium": queued.medium},
        dedupe_key=queued.dedupe_key or f"notification:{queued.notification_id}", not_before=queued.not_before,
    )


def messages_for_event(event: Any) -> Iterable[outbox.Message]:
    """The outbox subscriber: called inside the action's transaction for every new event."""
    return [message_of(q) for q in services.for_event(event)]


def deliver(row: Any) -> outbox.Outcome:
    """The deliverer of the notify channel. The row's id and seq are the message id the
    receiver (the SMS gateway, the robot) uses to drop a duplicate."""
    notification_id = (row.payload or {}).get("notification")
    if not isinstance(notification_id, int):
        return outbox.Outcome(ok=False, retry=False, detail="payload names no notification")
    # The outbox gives a row up after HOTLINE_OUTBOX_MAX_ATTEMPTS: the notification then reads failed.
    final = row.attempts + 1 >= settings.HOTLINE_OUTBOX_MAX_ATTEMPTS
    out = services.deliver(notification_id, message_id=f"hotline-{row.id}-{row.seq}", final=final)
    return outbox.Outcome(ok=out.ok, retry=out.retry, detail=out.detail)


def scan(now: dt.datetime | None = None, *, warnings: bool = False) -> int:
    """One scan: due-soon and overdue orders (and, with `warnings`, the early warnings), their
    notifications and outbox rows in one transaction. Returns the outbox rows written."""
    found = scans.evaluate_warnings(now) if warnings else None
    with transaction.atomic():
        queued = scans.due_soon(now) + scans.overdue(now) + scans.supervision_due_soon(now)
        if found is not None:
            queued += scans.warnings(now, found)
        return outbox.enqueue([message_of(q) for q in queued]) if queued else 0


WARNINGS_EVERY = 3600.0  # seconds between two warning scans (the warnings change with the daily aggregates)


def scan_loop(stop: threading.Event) -> None:
    """The worker's scan thread: a scan every HOTLINE_NOTIFY_SCAN_SECONDS, the warnings among
    them once an hour, until `stop` is set. Several workers may all scan: the dedupe keys let
    each notification be written once."""
    last_warnings = -WARNINGS_EVERY
    try:
        while not stop.wait(settings.HOTLINE_NOTIFY_SCAN_SECONDS):
            hourly = time.monotonic() - last_warnings >= WARNINGS_EVERY
            try:
                close_old_connections()
                scan(warnings=hourly)
                if hourly:
                    last_warnings = time.monotonic()
            except Exception:  # noqa: BLE001 - a database hiccup: the next scan tries again
                log.exception("notification scan failed")
                connection.close()
    finally:
        connection.close()


def register() -> None:
    outbox.subscribe(messages_for_event)
    # Each notification is its own stream: several sent at once, so one slow gateway call does not
    # hold up the others of a round.
    outbox.register_channel(CHANNEL, deliver, label=_("通知"), concurrency=settings.HOTLINE_NOTIFY_CONCURRENCY)
