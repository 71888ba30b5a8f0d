"""What the public part keeps: an order's query code (only its keyed digest), counters for its
rate limits, and the challenges already used (a challenge answers once)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Ticket(models.Model):
    """The citizen's key to one order filed on the web: the keyed digest of its query code. The
    code itself is shown once, after filing, and never stored."""

    order = models.OneToOneField("orders.WorkOrder", on_delete=models.CASCADE, related_name="public_ticket")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("查询码")
        verbose_name_plural = _("查询码")


class Throttle(models.Model):
    """A counter per key and time window, shared by every process (the key holds a keyed digest
    of an address or a number, never the address itself)."""

    key = models.CharField(max_length=100)
    window = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="public_throttle_key_window")]


class UsedChallenge(models.Model):
    """A challenge that was answered: the same token does not pass twice."""

    nonce = models.CharField(max_length=32, unique=True)
    used_at = models.DateTimeField(db_index=True)
