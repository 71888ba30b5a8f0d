"""A challenge that needs no outside service: a small sum, signed with the server's key (so the
answer is not in the page), valid for a while and answerable once.

A load bench on its own machine turns it off (HOTLINE_PUBLIC_CHALLENGE=false) or solves it from
the page with `solve`: it keeps out form robots that post blindly, not a person or a program
written for this form, which the rate limits are for."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from django.core import signing
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from .config import config

SALT = "hotline.public.challenge"


@dataclass(frozen=True)
class Challenge:
    a: int
    b: int
    token: str


def _digest(answer: str, nonce: str) -> str:
    return salted_hmac(SALT, f"{nonce}:{answer}", algorithm="sha256").hexdigest()


def new() -> Challenge:
    a, b = 2 + secrets.randbelow(8), 2 + secrets.randbelow(8)
    nonce = secrets.token_hex(12)
    token = signing.dumps({"n": nonce, "h": _digest(str(a + b), nonce)}, salt=SALT, compress=False)
    return Challenge(a, b, token)


def verify(token: str, answer: str) -> tuple[str, str | None]:
    """("ok" | "wrong" | "expired" | "invalid", the challenge's nonce when it was genuine)."""
    max_age = config()["challenge_minutes"] * 60
    try:
        data = signing.loads(token or "", salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        return "expired", None
    except signing.BadSignature:
        return "invalid", None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str) or not isinstance(data.get("h"), str):
        return "invalid", None
    answer = (answer or "").strip()
    if not answer.isdigit() or not constant_time_compare(_digest(str(int(answer)), data["n"]), data["h"]):
        return "wrong", data["n"]
    return "ok", data["n"]


def use(nonce: str) -> bool:
    """Mark a challenge answered; False when it was answered before (a replay)."""
    from django.db import IntegrityError, transaction

    from .models import UsedChallenge

    try:
        with transaction.atomic():
            UsedChallenge.objects.create(nonce=nonce, used_at=timezone.now())
    except IntegrityError:
        return False
    return True


_QUESTION = re.compile(r'data-challenge="(\d+)\+(\d+)"')


def solve(html: str) -> str:
    """The answer to the challenge on a filing page (for a load bench on 127.0.0.1)."""
    m = _QUESTION.search(html)
    if m is None:
        raise ValueError("no challenge in the page")
    return str(int(m.group(1)) + int(m.group(2)))
