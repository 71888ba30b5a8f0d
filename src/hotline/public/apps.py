from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    name = "hotline.public"
    label = "public"
    verbose_name = _("市民服务")
    default_auto_field = "django.db.models.BigAutoField"
