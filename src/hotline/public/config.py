"""The public part's limits: settings.HOTLINE_PUBLIC (a dict; absent keys keep the defaults)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "file_per_ip_per_hour": 10,  # filings (attempts included) from one address per hour
    "file_per_phone_per_day": 5,  # filings with one phone number per day
    "track_failures": 5,  # wrong number/code pairs per address, and per order number ...
    "track_lock_minutes": 15,  # ... in this many minutes, after which both are locked
    "challenge": True,  # the arithmetic challenge on the filing form (a bench may turn it off)
    "challenge_minutes": 30,  # how long a challenge may be answered
    "max_photos": 5,
    "max_photo_bytes": 10 * 1024 * 1024,
}


def config() -> dict[str, Any]:
    out = dict(DEFAULTS)
    out.update(getattr(settings, "HOTLINE_PUBLIC", {}) or {})
    return out
