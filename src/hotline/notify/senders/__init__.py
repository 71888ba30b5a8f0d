"""Senders in the style of Django's email backends: one class per way of sending, chosen per
medium by a dotted path in HOTLINE_NOTIFY_SENDERS, each returning an Outcome (ok / retry /
permanent, with the detail). None of them knows about the outbox or the models."""

from .base import Outcome, OutgoingMessage, Sender, get_sender

__all__ = ["Outcome", "OutgoingMessage", "Sender", "get_sender"]
