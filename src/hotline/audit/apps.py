from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "hotline.audit"
    label = "audit"
    verbose_name = _("安全日志")

    def ready(self) -> None:
        from . import lockouts  # noqa: F401  (connects the lockout and unlock handlers)
