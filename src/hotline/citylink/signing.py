"""Signed requests between the district and the city platform, both ways: HMAC-SHA256 over
"<timestamp>.<body>" with a shared secret, the timestamp in seconds since the epoch.

    X-Citylink-Timestamp: 1764763200
    X-Citylink-Signature: sha256=<64 hex digits>

A request is accepted within WINDOW seconds of the receiver's clock, either way; a signature
seen before within the window is a replay and refused (models.SeenSignature)."""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Citylink-Timestamp"
SIGNATURE_HEADER = "X-Citylink-Signature"
PREFIX = "sha256="


class BadSignature(Exception):
    """Why a request's signature is refused (the reason is for the log and the 401 body)."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return PREFIX + mac.hexdigest()


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body),
            "Content-Type": "application/json; charset=utf-8"}


def verify(secret: str, timestamp: str | None, sig: str | None, body: bytes, *, window: float,
           now: float | None = None) -> str:
    """Check a request; return the digest that identifies its signature (for the replay check),
    or raise BadSignature."""
    if not secret:
        raise BadSignature("no shared secret configured")
    if not timestamp or not sig:
        raise BadSignature("missing signature headers")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise BadSignature("bad timestamp")
    now = now if now is not None else time.time()
    if abs(now - int(timestamp)) > window:
        raise BadSignature("timestamp outside the window")
    if not sig.isascii() or not hmac.compare_digest(sig, signature(secret, timestamp, body)):
        raise BadSignature("signature does not match")
    return hashlib.sha256(sig.encode("ascii")).hexdigest()
