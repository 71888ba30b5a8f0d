"""Out to the city: which events it must hear of (an outbox selector), and the deliverer that
POSTs them, signed, to HOTLINE_CITYLINK_URL in the generic JSON format of docs/citylink.md.

One stream per city order ("order:<city number>"), so the city receives an order's updates in
the order they happened; each carries its message id and its seq in that stream, so the city
can drop a duplicate (a retry after a lost response) and see a gap."""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from typing import Any

from django.conf import settings
from django.utils import timezone

from hotline.orders.models import Event, Reply, Supervision
from hotline.orders.states import Action, State
from hotline.outbox import Message, Outcome

from . import signing
from .inbound import city_number_of

CHANNEL = "citylink"
A = Action
KINDS = {
    A.SIGN: "order.signed",
    A.REPLY: "order.replied",
    A.REQUEST_EXTENSION: "order.extension_requested",
    A.CALLBACK: "order.callback",
    A.RETURN_TO_CITY: "order.returned_to_city",
}
# What of an event's data the city is told (never hashes of the caller's number, never internals).
DATA_KEYS = {
    A.SIGN: ("unit", "late"),
    A.REPLY: ("round", "result", "late"),
    A.REQUEST_EXTENSION: ("days", "reason"),
    A.CALLBACK: ("valid", "contacted", "resolved", "satisfaction"),
    A.RETURN_TO_CITY: ("reason",),
}


ESCALATION_KIND = "order.supervision_escalated"


def escalation_for_city(event: Event, number: str | None) -> Message:
    """The request for joint supervision (联合督办) of a supervision the unit did not answer in
    time (orders.actions.supervision.do_escalate_supervision), for any order: a city order in its
    own stream, a district order in "district:<number>". Deduplicated per supervision: it is
    asked for once (and escalated once)."""
    order = event.order
    sup = Supervision.objects.filter(pk=event.data.get("supervision")).select_related("unit").first()
    data: dict[str, Any] = {"supervision": event.data.get("supervision"), "reason": event.data.get("kind"),
                            "note": event.data.get("note", ""), "due": event.data.get("due")}
    if sup is not None:
        data.update(instruction=sup.instruction, opened_at=sup.opened_at.isoformat(), due=sup.due.isoformat(),
                    unit=sup.unit_id, unit_name=sup.unit.name if sup.unit else "")
    payload = {"city_number": number, "number": order.number, "event_seq": event.seq, "action": event.action,
               "state": event.to_state, "at": event.at.isoformat(), "title": order.title, "data": data}
    stream = f"order:{number}" if number else f"district:{order.number}"
    return Message(CHANNEL, stream, ESCALATION_KIND, payload, dedupe_key=f"supervision-escalated:{data['supervision']}")


def updates_for_city(event: Event) -> list[Message]:
    """The messages the city must get for `event` (none for the district's own orders, except a
    request for joint supervision)."""
    order = event.order
    number = city_number_of(order)
    if event.action == A.ESCALATE_SUPERVISION:
        return [escalation_for_city(event, number)]
    if number is None:
        return []
    out = []
    action = event.action
    kind = KINDS.get(action)
    base = {"city_number": number, "number": order.number, "event_seq": event.seq, "action": event.action,
            "state": event.to_state, "at": event.at.isoformat()}
    if kind:
        data = {k: event.data[k] for k in DATA_KEYS.get(action, ()) if k in event.data}
        if action == A.SIGN and order.lead_unit_id:
            data["unit_name"] = order.lead_unit.name
        if action == A.REPLY and "reply" in event.data:
            reply = Reply.objects.filter(pk=event.data["reply"]).first()
            if reply is not None:
                data.update(responder=reply.responder, replied_at=reply.replied_at.isoformat(), process=reply.process,
                            outcome=reply.outcome, contacted_caller=reply.contacted_caller)
        out.append(Message(CHANNEL, f"order:{number}", kind, {**base, "data": data}))
    if event.to_state == State.CLOSED and event.from_state != State.CLOSED:
        out.append(Message(CHANNEL, f"order:{number}", "order.closed", {**base, "data": {}}))
    return out


# ---- the deliverer -------------------------------------------------------------------------------------

_local = threading.local()
RETRYABLE_4XX = {408, 409, 425, 429}


def _connection(url: urllib.parse.SplitResult, timeout: float) -> http.client.HTTPConnection:
    key = (url.scheme, url.netloc)
    conn = getattr(_local, "conns", {}).get(key)
    if conn is None:
        cls = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        conn = cls(url.netloc, timeout=timeout)
        _local.conns = {**getattr(_local, "conns", {}), key: conn}
    return conn


def _drop(url: urllib.parse.SplitResult) -> None:
    conns = getattr(_local, "conns", {})
    conn = conns.pop((url.scheme, url.netloc), None)
    if conn is not None:
        conn.close()


def body_of(row: Any) -> bytes:
    message = {"message_id": f"hotline-{row.pk}", "stream": row.stream, "seq": row.seq, "kind": row.kind,
               "sent_at": timezone.now().isoformat(), **row.payload}
    return json.dumps(message, ensure_ascii=False, sort_keys=True).encode("utf-8")


def deliver(row: Any) -> Outcome:
    """POST one row to the city. 2xx: delivered (a duplicate the city already has is 2xx too);
    4xx other than 408/409/425/429: refused for good (the failed-deliveries page); the rest
    (5xx, timeouts, refused connections): retried with backoff."""
    target = settings.HOTLINE_CITYLINK_URL
    if not target or not settings.HOTLINE_CITYLINK_SECRET:
        # not configured yet: the updates wait (retried with backoff) rather than go unsigned
        return Outcome(ok=False, detail="HOTLINE_CITYLINK_URL or HOTLINE_CITYLINK_SECRET is not set")
    url = urllib.parse.urlsplit(target)
    if url.scheme not in ("http", "https") or not url.netloc:
        return Outcome(ok=False, retry=False, detail=f"HOTLINE_CITYLINK_URL {target!r} is not an http(s) URL")
    body = body_of(row)
    headers = signing.signed_headers(settings.HOTLINE_CITYLINK_SECRET, body)
    headers["X-Citylink-Message-Id"] = f"hotline-{row.pk}"
    path = url.path or "/"
    if url.query:
        path += "?" + url.query
    timeout = settings.HOTLINE_OUTBOX_SEND_TIMEOUT_SECONDS
    try:
        conn = _connection(url, timeout)
        conn.timeout = timeout
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read(2000).decode("utf-8", "replace")
        if response.will_close:
            _drop(url)
    except (OSError, http.client.HTTPException) as exc:  # timeouts are OSErrors
        _drop(url)
        return Outcome(ok=False, detail=f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status < 300:
        return Outcome(ok=True)
    detail = f"HTTP {response.status}: {text[:400]}"
    if 400 <= response.status < 500 and response.status not in RETRYABLE_4XX:
        return Outcome(ok=False, retry=False, detail=detail)
    return Outcome(ok=False, detail=detail)
