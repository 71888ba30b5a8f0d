"""Rate limits of the public part: a counter per key and window in the database (like the API
keys' per-minute counter), so every process sees the same count. Addresses and numbers are
kept as keyed digests."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import Throttle


def _key(scope: str, ident: str) -> str:
    return f"{scope}:" + salted_hmac("hotline.public.throttle", f"{scope}:{ident}", algorithm="sha256").hexdigest()[:40]


def _window(seconds: int, now: dt.datetime) -> dt.datetime:
    start = int(now.timestamp()) // seconds * seconds
    return dt.datetime.fromtimestamp(start, tz=dt.UTC)


def count(scope: str, ident: str, seconds: int) -> int:
    """The count in the current window."""
    row = Throttle.objects.filter(key=_key(scope, ident), window=_window(seconds, timezone.now())).first()
    return row.count if row else 0


def hit(scope: str, ident: str, seconds: int) -> int:
    """Count one more in the current window; the new count."""
    now = timezone.now()
    key, window = _key(scope, ident), _window(seconds, now)
    with transaction.atomic():
        if not Throttle.objects.filter(key=key, window=window).update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    Throttle.objects.create(key=key, window=window, count=1)
            except IntegrityError:  # another process opened the window first
                Throttle.objects.filter(key=key, window=window).update(count=F("count") + 1)
    if now.second == 0:  # now and then, windows older than a day go
        Throttle.objects.filter(window__lt=now - dt.timedelta(days=2)).delete()
    return Throttle.objects.get(key=key, window=window).count
