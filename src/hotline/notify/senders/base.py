"""What a sender is given, what it answers, and how one is chosen (HOTLINE_NOTIFY_SENDERS)."""

from __future__ import annotations

import abc
import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Outcome:
    """ok; or not ok and `retry` (try again later) or permanent (retry=False), with `detail`."""

    ok: bool
    retry: bool = True
    detail: str = ""

    @classmethod
    def sent(cls, detail: str = "") -> Outcome:
        return cls(True, False, detail)

    @classmethod
    def again(cls, detail: str) -> Outcome:
        return cls(False, True, detail)

    @classmethod
    def permanent(cls, detail: str) -> Outcome:
        return cls(False, False, detail)


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one person. `id` is stable across retries (the outbox row's id and seq):
    receivers use it to drop a duplicate."""

    id: str
    medium: str
    to: str  # a phone number, an e-mail address (per medium)
    subject: str
    text: str
    emergency: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Sender(abc.ABC):
    """Base class: `send(message) -> Outcome`; never raises for a failure to deliver."""

    def __init__(self, **options: Any) -> None:
        self.options = options

    @abc.abstractmethod
    def send(self, message: OutgoingMessage) -> Outcome:
        """Deliver one message; a failure is an Outcome (retry or permanent), not an exception."""


def get_sender(medium: str) -> Sender:
    """The sender configured for `medium` (HOTLINE_NOTIFY_SENDERS: medium → dotted path, or
    {"BACKEND": path, "OPTIONS": {...}})."""
    conf = settings.HOTLINE_NOTIFY_SENDERS.get(medium) or settings.HOTLINE_NOTIFY_SENDERS.get("default")
    if conf is None:
        conf = "hotline.notify.senders.console.FileSender"
    if isinstance(conf, str):
        conf = {"BACKEND": conf}
    return import_string(conf["BACKEND"])(**conf.get("OPTIONS", {}))


# ---- a JSON POST with the outcomes every HTTP sender shares ------------------------------------

RETRY_STATUSES = frozenset({408, 425, 429})


def post_json(url: str, body: dict[str, Any], *, headers: dict[str, str] | None = None,
              timeout: float = 5.0) -> tuple[Outcome, Any]:
    """POST `body` as JSON. 2xx: ok (with the decoded reply, if JSON); 4xx: permanent (but 408,
    425, 429: retry); 5xx, a timeout, a refused connection: retry."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",
                                      headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured URL
            raw = response.read(65536)
            status = response.status
    except urllib.error.HTTPError as e:
        detail = f"HTTP {e.code}: {_snippet(e.read(2000))}"
        if e.code in RETRY_STATUSES or e.code >= 500:
            return Outcome.again(detail), None
        return Outcome.permanent(detail), None
    except TimeoutError:
        return Outcome.again(f"timeout after {timeout:g}s"), None
    except urllib.error.URLError as e:
        reason = e.reason
        if isinstance(reason, TimeoutError):
            return Outcome.again(f"timeout after {timeout:g}s"), None
        return Outcome.again(f"unreachable: {reason}"), None
    except (ConnectionError, OSError, http.client.HTTPException) as e:
        return Outcome.again(f"connection failed: {e}"), None
    try:
        decoded = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError):
        decoded = None
    return Outcome.sent(f"HTTP {status}"), decoded


def _snippet(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").strip()[:300]
