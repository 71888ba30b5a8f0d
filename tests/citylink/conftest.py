from __future__ import annotations

import itertools
import json
import time

import pytest

from hotline.citylink import signing

SECRET = "city-secret-for-tests-0123456789"
# Each request of a test is signed a second after the one before (a sender's retry is signed anew;
# the same body signed in the same second is the same request, a replay).
_offsets = itertools.count()


@pytest.fixture
def citylink_settings(settings):
    settings.HOTLINE_CITYLINK_SECRET = SECRET
    settings.HOTLINE_CITYLINK_WINDOW_SECONDS = 300
    return settings


_signed: set[tuple[int, bytes]] = set()


def _fresh_second(data: bytes) -> int:
    """A timestamp inside the window at which this body was never signed here: the same body sent
    twice is a retry signed anew, not a replay (two sends within one second would sign the same)."""
    second = int(time.time()) - next(_offsets) % 200
    while (second, data) in _signed:
        second -= 1
    _signed.add((second, data))
    return second


def post(client, body, *, secret: str = SECRET, at: float | None = None, headers: dict | None = None, raw: bytes | None = None):
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    signed = signing.signed_headers(secret, data, now=at if at is not None else _fresh_second(data))
    if headers is not None:
        signed = headers
    return client.post("/citylink/inbound", data=data, content_type="application/json",
                       headers={k: v for k, v in signed.items() if k != "Content-Type"})


def city_order(number: str = "SZ20261203-0001", **kw) -> dict:
    body = {
        "type": "order", "city_number": number, "title": "东湖路路灯不亮",
        "text": "市民反映东湖路88号门口路灯连续三天不亮，夜间出行不便，请尽快维修。",
        "caller_name": "王女士", "caller_phone": "13912345678", "address": "东湖路88号", "area_code": "east-lake",
        "urgency": "general", "received_at": "2026-12-03T09:30:00+08:00",
        "reply_deadline": "2026-12-10T18:00:00+08:00",
    }
    body.update(kw)
    return body


def city_update(number: str = "SZ20261203-0001", message_id: str = "U-1", kind: str = "supervise", **kw) -> dict:
    body = {"type": "update", "city_number": number, "message_id": message_id, "kind": kind,
            "text": "请于本周内办结并答复市级平台。"}
    body.update(kw)
    return body
