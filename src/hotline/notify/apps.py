from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "hotline.notify"
    label = "notify"
    verbose_name = _("通知")

    def ready(self) -> None:
        # The outbox's subscriber and the notify channel's deliverer are registered here (the
        # outbox asks for AppConfig.ready; delivery imports models).
        from . import delivery

        delivery.register()
