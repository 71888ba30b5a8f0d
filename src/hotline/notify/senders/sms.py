"""An HTTP SMS gateway: POST {"message_id", "to", "text", "priority"} as JSON to OPTIONS["url"]
with "Authorization: Bearer <token>". 2xx: sent; 4xx: permanent (a wrong number, a rejected
token); 5xx or a timeout: retry. The gateway drops a message_id it has seen (idempotent)."""

from __future__ import annotations

from typing import Any

from .base import Outcome, OutgoingMessage, Sender, post_json

MAX_CHARS = 500  # a long text message is split by the gateway; beyond this, cut


class SmsGatewaySender(Sender):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.url = options.get("url", "")
        self.token = options.get("token", "")
        self.timeout = float(options.get("timeout", 5))
        self.sign = options.get("sign", "")  # the SMS signature, e.g. 【某区12345】

    def send(self, message: OutgoingMessage) -> Outcome:
        if not self.url:
            return Outcome.permanent("SMS gateway URL is not configured")
        if not message.to:
            return Outcome.permanent("no mobile number")
        text = f"{self.sign}{message.text}"[:MAX_CHARS]
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = {"message_id": message.id, "to": message.to, "text": text,
                "priority": "high" if message.emergency else "normal"}
        outcome, _reply = post_json(self.url, body, headers=headers, timeout=self.timeout)
        return outcome
