"""Lockout and unlock events of the login throttle (django-axes) in the security log.

These are signal handlers on purpose: the house rule "no signals for domain flow" is about orders;
this is the security log of a third-party library's decisions, and axes announces a lockout only
through its `user_locked_out` signal. An unlock is the deletion of a still-active lockout's
attempt row, whoever deletes it (axes' admin, `hotline unlock`, `axes_reset_username`).
"""

from __future__ import annotations

from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from .services import record


@receiver(user_locked_out, dispatch_uid="hotline.audit.lockout")
def record_lockout(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    # Axes signals again on every attempt refused during the lock; the log wants the lock itself.
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is not None and failures > settings.AXES_FAILURE_LIMIT:
        return
    record("lockout", request=request, username=username or "", target=ip_address or "",
           failure_limit=settings.AXES_FAILURE_LIMIT)


@receiver(post_delete, sender=AccessAttempt, dispatch_uid="hotline.audit.unlock")
def record_unlock(sender, instance: AccessAttempt, **kwargs) -> None:
    # Expired attempts are cleaned up by axes too: only a lock still in force being lifted is an unlock.
    still_locked = (instance.failures_since_start >= settings.AXES_FAILURE_LIMIT
                    and instance.attempt_time + settings.AXES_COOLOFF_TIME > timezone.now())
    if still_locked:
        record("unlock", username=instance.username or "", target=instance.ip_address or "",
               failures=instance.failures_since_start)
