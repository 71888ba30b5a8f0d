"""Enterprise messaging through a group robot's webhook: WeCom (企业微信) and DingTalk (钉钉).

Both take a POST of JSON ({"msgtype": "markdown" | "text", ...}) and answer HTTP 200 with
{"errcode": 0, "errmsg": "ok"}; a non-zero errcode is a refusal (permanent), except the rate
limits (retry). The person is @-mentioned by mobile number. DingTalk's signed robots take
`timestamp` (ms) and `sign` = base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")) in the URL."""

from __future__ import annotations

import abc
import base64
import hashlib
import hmac
import time
import urllib.parse
from typing import Any

from .base import Outcome, OutgoingMessage, Sender, post_json

# Over the robot's rate limit: wait and try again (WeCom 45009, DingTalk 130101 / 410100).
RETRY_ERRCODES = frozenset({45009, 130101, 410100, -1})


class _Webhook(Sender):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.url = options.get("url", "")
        self.timeout = float(options.get("timeout", 5))
        self.msgtype = options.get("msgtype", "markdown")

    def target(self) -> str:
        return self.url

    @abc.abstractmethod
    def body(self, message: OutgoingMessage) -> dict[str, Any]:
        """The robot's JSON body for one message (its own markdown or text shape)."""

    def send(self, message: OutgoingMessage) -> Outcome:
        if not self.url:
            return Outcome.permanent("webhook URL is not configured")
        outcome, reply = post_json(self.target(), self.body(message), timeout=self.timeout)
        if not outcome.ok:
            return outcome
        if isinstance(reply, dict) and reply.get("errcode", 0) != 0:
            detail = f"errcode {reply.get('errcode')}: {str(reply.get('errmsg', ''))[:200]}"
            return Outcome.again(detail) if reply.get("errcode") in RETRY_ERRCODES else Outcome.permanent(detail)
        return outcome


def _markdown(message: OutgoingMessage) -> str:
    return f"**{message.subject}**\n\n{message.text}" if message.subject else message.text


class WeComSender(_Webhook):
    """WeCom group robot: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."""

    def body(self, message: OutgoingMessage) -> dict[str, Any]:
        mobiles = [message.to] if message.to else []
        if self.msgtype == "text":
            return {"msgtype": "text", "text": {"content": message.text, "mentioned_mobile_list": mobiles}}
        # WeCom's markdown messages cannot @-mention by mobile number; its text messages can.
        return {"msgtype": "markdown", "markdown": {"content": _markdown(message)}}


class DingTalkSender(_Webhook):
    """DingTalk group robot: https://oapi.dingtalk.com/robot/send?access_token=... (OPTIONS
    "secret" for a robot with signing on)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.secret = options.get("secret", "")

    def target(self) -> str:
        if not self.secret:
            return self.url
        timestamp, sign = dingtalk_sign(self.secret)
        joiner = "&" if urllib.parse.urlsplit(self.url).query else "?"
        return f"{self.url}{joiner}timestamp={timestamp}&sign={urllib.parse.quote_plus(sign)}"

    def body(self, message: OutgoingMessage) -> dict[str, Any]:
        at = {"atMobiles": [message.to] if message.to else [], "isAtAll": False}
        if self.msgtype == "text":
            return {"msgtype": "text", "text": {"content": message.text}, "at": at}
        return {"msgtype": "markdown", "markdown": {"title": message.subject or message.text[:20],
                                                    "text": _markdown(message)}, "at": at}


def dingtalk_sign(secret: str, timestamp_ms: int | None = None) -> tuple[int, str]:
    """DingTalk's signature of a robot call: (timestamp in ms, base64 HMAC-SHA256)."""
    ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    digest = hmac.new(secret.encode("utf-8"), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    return ts, base64.b64encode(digest).decode("ascii")
