"""What a GeoReport request carries that a work order has no column for."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.orders.models import WorkOrder


class Open311Request(models.Model):
    """The GeoReport fields of an order posted through Open311: the reporter's email and device
    and account ids (personal data: never in a GET), the photo's address (published) and the
    attributes as sent. Written by open311.intake right after do_create committed the order, in
    a transaction of its own (do_create is durable); a retry of the same post finds the order by
    its idempotency key and writes this row if the first try did not get to it."""

    order = models.OneToOneField(WorkOrder, on_delete=models.PROTECT, related_name="open311")
    email = models.CharField(_("电子邮箱"), max_length=254, blank=True)
    device_id = models.CharField(_("设备标识"), max_length=100, blank=True)
    account_id = models.CharField(_("账户标识"), max_length=100, blank=True)
    media_url = models.CharField(_("图片地址"), max_length=500, blank=True)
    attributes = models.JSONField(_("属性"), default=dict)
    client = models.CharField(_("接入系统"), max_length=150, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Open311请求")
        verbose_name_plural = _("Open311请求")

    def __str__(self) -> str:
        return f"open311 {self.order_id}"
