"""E-mail through Django's own mail (EMAIL_BACKEND, EMAIL_HOST, ...)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage

from .base import Outcome, OutgoingMessage, Sender


class EmailSender(Sender):
    def send(self, message: OutgoingMessage) -> Outcome:
        if not message.to or "@" not in message.to:
            return Outcome.permanent("no e-mail address")
        mail = EmailMessage(subject=message.subject or message.text[:40], body=message.text,
                            from_email=self.options.get("from_email") or settings.DEFAULT_FROM_EMAIL,
                            to=[message.to], headers={"X-Hotline-Message-Id": message.id})
        try:
            mail.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as e:
            return Outcome.permanent(f"recipient refused: {e.recipients}")
        except (TimeoutError, smtplib.SMTPException, OSError) as e:
            return Outcome.again(f"{type(e).__name__}: {e}"[:300])
        return Outcome.sent()
