"""One append-only table of security-relevant acts that belong to no single order."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Kinds are plain strings (no `choices` on the field), so a new kind needs no migration; each one
# that pages show has its label here.
KIND_LABELS: dict[str, object] = {
    "export": _("导出个人信息"),
    "lockout": _("登录锁定"),
    "unlock": _("解除锁定"),
    "apikey_create": _("创建接口密钥"),
    "apikey_revoke": _("吊销接口密钥"),
}


class AuditEntry(models.Model):
    """Who did what, when, from where. Written only by `audit.services.record`; never updated or
    deleted (the admin is read-only)."""

    at = models.DateTimeField(db_index=True)
    kind = models.CharField(_("类型"), max_length=32)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    # The account a lockout or unlock is about (it may not exist: a guessed username).
    username = models.CharField(_("账号"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    target = models.CharField(_("对象"), max_length=200, blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("安全日志")
        verbose_name_plural = _("安全日志")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["kind", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.username or self.actor_id or ''}"

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))
