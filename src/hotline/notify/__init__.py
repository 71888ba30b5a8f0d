"""Notifications (通知): a unit's people told of new, redone, urged, supervised, soon-due and
overdue orders, the supervisors of warnings, by SMS, enterprise messaging or e-mail, delivered
from the outbox (rules.py says what is told to whom; senders/ how it is sent)."""
