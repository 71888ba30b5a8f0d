from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "hotline.assessment"
    label = "assessment"
    verbose_name = _("考核评估")

    def ready(self) -> None:
        # The outbox subscriber and deliverer that restate built days when an order's attribution
        # changes after its callbacks were counted (an upheld unreasonable request).
        from . import restate

        restate.register()
