"""The governance channel of the outbox: every new order (its create event) becomes a join
message, delivered by the worker's governance thread, which places the order in a hotspot
(governance.build.join) within a poll interval of its intake. A group that becomes a burst is
announced there: it shows on the dispatch board (the burst banner) and every supervisor gets an
early-warning notification (notify's WARNING kind) written in the join's transaction.

Streams are per area ("governance:area:<id>"): orders of one place are joined in the order they
came in (the grouping depends on it), and a failing order holds up only its own area."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline import outbox
from hotline.notify import delivery as notify_delivery
from hotline.notify import services as notify_services
from hotline.notify.rules import Kind
from hotline.orders.states import PROACTIVE_SOURCES

from . import build
from .models import Hotspot

CHANNEL = "governance"
log = logging.getLogger("hotline.governance")


def messages_for_event(event: Any) -> Iterable[outbox.Message]:
    """The outbox subscriber: a join message for each new order (imported history publishes
    nothing: the nightly build and `hotline hotspots` take it in)."""
    if event.action != "create" or event.data.get("source") in PROACTIVE_SOURCES:
        return []  # a proactive order (未诉先办) is the centre's own work, not a call: no hotspot
    area = getattr(event.order, "area_id", None) or 0
    return [outbox.Message(channel=CHANNEL, stream=f"governance:area:{area}", kind="governance.join",
                           payload={"order": event.order_id}, dedupe_key=f"governance:join:{event.order_id}")]


def announce(hotspot: Hotspot) -> int:
    """Tell every supervisor of a new burst (once per hotspot: the dedupe key). Returns the
    outbox rows written."""
    link = notify_services.base_url() + reverse("governance:hotspot", args=[hotspot.root_order_id])
    text = _("突发热点：%(label)s（%(place)s），%(n)s件来电。建议将新来电合并到同一事件，由一张联合处办工单办理。") % {
        "label": hotspot.label, "place": hotspot.address or hotspot.place or "-", "n": hotspot.orders}
    ctx = {"rule": _("突发热点"), "subject": hotspot.label, "text": text, "link": link}
    queued = notify_services.notify(Kind.WARNING, notify_services.supervisors(), ctx,
                                    dedupe=f"hotspot-burst:{hotspot.root_order_id}")
    return outbox.enqueue([notify_delivery.message_of(q) for q in queued]) if queued else 0


def deliver(row: Any) -> outbox.Outcome:
    """The deliverer of the governance channel: join the order (idempotent: an order already
    joined is left where it is)."""
    order_id = (row.payload or {}).get("order")
    if not isinstance(order_id, int):
        return outbox.Outcome(ok=False, retry=False, detail="payload names no order")
    build.join(order_id, on_burst=announce)
    return outbox.Outcome(ok=True)


def register() -> None:
    outbox.subscribe(messages_for_event)
    outbox.register_channel(CHANNEL, deliver, label=gettext_lazy("主动治理"))
