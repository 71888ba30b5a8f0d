"""API keys: systems (a city grid platform, a WeChat mini-program, a data warehouse) and staff apps
authenticate to the API with a key instead of the browser's session.

Only a SHA-256 hash of the secret is stored: a key is 32 random bytes, so a fast hash is as good as a
slow one and checking costs nothing. The prefix (the first characters, stored in clear) finds the row
and names the key in lists and the trace without revealing it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiKey(models.Model):
    class Kind(models.TextChoices):
        SYSTEM = "system", _("系统密钥")
        PERSONAL = "personal", _("个人令牌")

    name = models.CharField(_("名称"), max_length=80)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    # The account the key acts as: a system key's own user (api.<name>), a person's token: the person.
    # Its role and unit decide what the key sees (orders_visible_to) and may do (policies).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_keys",
                             verbose_name=_("身份"))
    prefix = models.CharField(_("前缀"), max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("权限范围"), default=list)
    rate_per_minute = models.PositiveIntegerField(_("每分钟请求上限"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"))
    expires_at = models.DateTimeField(_("失效时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(_("最近使用地址"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("吊销人"))
    revoked_reason = models.CharField(_("吊销原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("接口密钥")
        verbose_name_plural = _("接口密钥")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One live system key per name: the name is how an administrator finds and revokes it.
            models.UniqueConstraint(fields=["name"], condition=models.Q(kind="system", revoked_at__isnull=True),
                                    name="apikey_one_live_system_key_per_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class ApiKeyWindow(models.Model):
    """Requests of one key in one minute: the rate limit's counter, shared by every process."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "minute"], name="apikey_window_once_per_minute")]
