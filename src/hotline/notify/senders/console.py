"""The default sender: each message as one JSON line in a file under HOTLINE_DATA_DIR (the
console backend of Django's e-mail, for a machine with no gateway: the demo, the tests)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from .base import Outcome, OutgoingMessage, Sender

_lock = threading.Lock()


class FileSender(Sender):
    """Appends {"id", "medium", "to", "subject", "text", "at"} to OPTIONS["path"] (default
    HOTLINE_DATA_DIR/notify/messages.jsonl). A retried message is written again under the same id:
    whoever reads the file drops a duplicate by its id."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.path = Path(options.get("path") or Path(settings.DATA_DIR) / "notify" / "messages.jsonl")

    def send(self, message: OutgoingMessage) -> Outcome:
        line = json.dumps({"id": message.id, "medium": message.medium, "to": message.to, "subject": message.subject,
                           "text": message.text, "emergency": message.emergency,
                           "at": timezone.now().isoformat()}, ensure_ascii=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # One write of one line with O_APPEND: lines of several workers do not interleave.
            with _lock:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, (line + "\n").encode("utf-8"))
                finally:
                    os.close(fd)
        except OSError as e:
            return Outcome.again(f"cannot write {self.path}: {e}")
        return Outcome.sent(str(self.path))


class NullSender(Sender):
    """Sends nothing and says it did (a medium switched off)."""

    def send(self, message: OutgoingMessage) -> Outcome:
        return Outcome.sent("discarded")
