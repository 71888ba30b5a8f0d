"""What the city link keeps: the city's orders as they came, its updates (applied or waiting for
their order), and the signatures seen lately (replays)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CityOrder(models.Model):
    """An order the city handed down: the district's WorkOrder (whose idempotency key is
    "city:<city number>") and what the city sent with it, deadlines included."""

    city_number = models.CharField(_("市级工单编号"), max_length=60, unique=True)
    order = models.OneToOneField("orders.WorkOrder", on_delete=models.PROTECT, related_name="city_link")
    received_at = models.DateTimeField(_("接收时间"))
    city_sign_due = models.DateTimeField(_("市级签收时限"), null=True, blank=True)
    city_reply_due = models.DateTimeField(_("市级答复时限"), null=True, blank=True)
    category_code = models.CharField(_("市级分类编码"), max_length=400, blank=True)
    area_code = models.CharField(_("市级区域编码"), max_length=60, blank=True)
    withdrawn_at = models.DateTimeField(_("市级撤回时间"), null=True, blank=True)
    payload = models.JSONField(_("原始内容"), default=dict)

    class Meta:
        verbose_name = _("市级转办工单")
        verbose_name_plural = _("市级转办工单")

    def __str__(self) -> str:
        return self.city_number


class CityUpdate(models.Model):
    """An update from the city (联合督办, urge, withdraw, note), kept by its message id so a
    duplicate is applied once, and kept waiting when it arrives before its order."""

    class Kind(models.TextChoices):
        SUPERVISE = "supervise", _("联合督办")
        URGE = "urge", _("催办")
        WITHDRAW = "withdraw", _("市级撤回")
        NOTE = "note", _("备注")

    message_id = models.CharField(max_length=100, unique=True)
    city_number = models.CharField(max_length=60, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField()
    city_seq = models.PositiveIntegerField(default=0)  # the city's own count per order, when it sends one
    received_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=300, blank=True)  # "applied", or why it could not be

    class Meta:
        indexes = [models.Index(fields=["city_number", "applied_at"])]

    def __str__(self) -> str:
        return f"{self.city_number} {self.kind} {self.message_id}"


class SeenSignature(models.Model):
    """The sha256 of a signature accepted lately: the same signed request again is a replay.
    Rows older than twice the window are removed as new ones come."""

    digest = models.CharField(max_length=64, primary_key=True)
    seen_at = models.DateTimeField(db_index=True)
