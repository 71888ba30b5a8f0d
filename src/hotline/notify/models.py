"""Notifications: the templates the administrator edits, each person's choices, and the record of
every notification with its delivery status.

Written by the notify subscriber and the scans (inside the transaction of the action or of the
scan, with the outbox rows that deliver them) and by the notify deliverer (the status); people
edit only their own NotifySettings and Preferences, administrators the templates."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .rules import KIND_LABELS, MEDIUM_LABELS, Kind, Medium

KIND_CHOICES = [(k.value, KIND_LABELS[k]) for k in Kind]
MEDIUM_CHOICES = [(m.value, MEDIUM_LABELS[m]) for m in Medium]


class Template(models.Model):
    """The text of one kind of notification, in Django's template language over a safe context
    (number, title, unit, due, link, ...: strings only). Defaults seeded by a data migration."""

    kind = models.CharField(_("通知类型"), max_length=20, choices=KIND_CHOICES, unique=True)
    subject = models.CharField(_("标题"), max_length=200, help_text=_("邮件标题和企业微信消息的标题。"))
    body = models.TextField(
        _("正文"),
        help_text=_("可用变量：{{ number }} 工单编号、{{ title }} 标题、{{ unit }} 承办单位、{{ due }} 时限、"
                    "{{ link }} 链接、{{ urgency }} 紧急程度、{{ person }} 收件人、{{ text }} 催办/督办/预警说明。"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知模板")
        verbose_name_plural = _("通知模板")
        ordering = ["kind"]

    def __str__(self) -> str:
        return str(KIND_LABELS.get(Kind(self.kind), self.kind))


class NotifySettings(models.Model):
    """A person's quiet hours (免打扰时段). No row: the district's default
    (HOTLINE_NOTIFY_QUIET_HOURS); a row with no times: no quiet hours."""

    person = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.CASCADE,
                                  related_name="notify_settings")
    quiet_start = models.TimeField(_("免打扰开始"), null=True, blank=True)
    quiet_end = models.TimeField(_("免打扰结束"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")

    def __str__(self) -> str:
        return str(self.person)


class Preference(models.Model):
    """Through which media a person is told of one kind of notification (none ticked: not told).
    No row for a kind: rules.DEFAULT_MEDIA."""

    owner = models.ForeignKey(NotifySettings, on_delete=models.CASCADE, related_name="preferences")
    kind = models.CharField(_("通知类型"), max_length=20, choices=KIND_CHOICES)
    sms = models.BooleanField(_("短信"), default=False)
    wecom = models.BooleanField(_("企业微信/钉钉"), default=False)
    email = models.BooleanField(_("电子邮件"), default=False)

    class Meta:
        verbose_name = _("通知方式")
        verbose_name_plural = _("通知方式")
        constraints = [models.UniqueConstraint(fields=["owner", "kind"], name="notify_preference_unique")]

    def media(self) -> tuple[Medium, ...]:
        return tuple(m for m in Medium if getattr(self, m.value))


class Notification(models.Model):
    """One notification to one person through one medium, and what became of it."""

    class State(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")
        SUPPRESSED = "suppressed", _("未发送（按设置）")

    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("收件人"), on_delete=models.CASCADE,
                               related_name="+")
    kind = models.CharField(_("通知类型"), max_length=20, choices=KIND_CHOICES)
    medium = models.CharField(_("方式"), max_length=10, choices=MEDIUM_CHOICES, blank=True)
    # The order concerned (none for a warning). By id, not a foreign key: the record of a
    # notification outlives nothing it points at, and the orders app stays unaware of it.
    order_id = models.BigIntegerField(_("工单"), null=True, blank=True, db_index=True)
    order_number = models.CharField(_("工单编号"), max_length=20, blank=True)
    subject = models.CharField(_("标题"), max_length=200, blank=True)
    text = models.TextField(_("内容"))
    address = models.CharField(_("发送地址"), max_length=200, blank=True)
    emergency = models.BooleanField(_("紧急"), default=False)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(_("发送次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("生成时间"), db_index=True)
    not_before = models.DateTimeField(_("免打扰顺延至"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    # One notification per (scan, order, clock, person, medium): a second scan finds it here.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("通知记录")
        verbose_name_plural = _("通知记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["person", "created_at"]), models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.medium} {self.state}"
