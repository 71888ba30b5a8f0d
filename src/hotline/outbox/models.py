"""The transactional outbox's rows: messages written in an action's transaction, delivered by the worker."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """One message to deliver. Written in the transaction of the action (or the scheduled job)
    that caused it, so it exists if and only if the change does; delivered by `deliver_due`.

    Order per stream: `seq` counts 1, 2, 3... per (channel, stream) (OutboxStream hands them out).
    Only the head of a stream (its lowest row not yet delivered or given up) has a
    `next_attempt_at`; the rows behind it wait with NULL and are scheduled when the head is done,
    so at most one row per stream is ever due, and a due-rows query needs no anti-join."""

    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("发送失败")
        GIVEN_UP = "given_up", _("已放弃")

    channel = models.CharField(_("通道"), max_length=40)
    stream = models.CharField(_("顺序键"), max_length=200)
    seq = models.PositiveBigIntegerField(_("序号"))
    kind = models.CharField(_("类型"), max_length=60)
    payload = models.JSONField(_("内容"), default=dict)
    dedupe_key = models.CharField(_("去重键"), max_length=200, null=True, blank=True)
    created_at = models.DateTimeField(_("写入时间"))
    not_before = models.DateTimeField(_("最早发送时间"), null=True, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    given_up_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("放弃人"))
    given_up_reason = models.TextField(_("放弃原因"), blank=True)

    class Meta:
        verbose_name = _("外发消息")
        verbose_name_plural = _("外发消息")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "stream", "seq"], name="outbox_stream_seq_unique"),
            models.UniqueConstraint(fields=["channel", "dedupe_key"], name="outbox_channel_dedupe_unique",
                                    condition=models.Q(dedupe_key__isnull=False)),
        ]
        indexes = [
            # the due-rows query: heads of streams, by when they are due
            models.Index(fields=["channel", "next_attempt_at"], name="outbox_due_idx",
                         condition=models.Q(state="pending", next_attempt_at__isnull=False)),
            # the failed-deliveries page
            models.Index(fields=["state", "channel"], name="outbox_state_idx",
                         condition=models.Q(state="failed")),
        ]

    def __str__(self) -> str:
        return f"{self.channel}/{self.stream}#{self.seq} {self.kind}"


class OutboxStream(models.Model):
    """One ordering key: the last seq handed out and the last one done (delivered or given up).
    Its row is the lock that keeps a stream's writers and its deliverer in step: a new row is the
    stream's head exactly when done_seq == its seq - 1."""

    channel = models.CharField(max_length=40)
    stream = models.CharField(max_length=200)
    last_seq = models.PositiveBigIntegerField(default=0)
    done_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "stream"], name="outbox_stream_unique")]

    def __str__(self) -> str:
        return f"{self.channel}/{self.stream} {self.done_seq}/{self.last_seq}"
