from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "hotline.governance"
    label = "governance"
    verbose_name = _("主动治理")

    def ready(self) -> None:
        # The outbox's subscriber (a new order → a join message) and the governance channel's
        # deliverer (the join, in the worker) are registered here: delivery imports models.
        from . import delivery

        delivery.register()
