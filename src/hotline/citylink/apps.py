from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitylinkConfig(AppConfig):
    name = "hotline.citylink"
    label = "citylink"
    verbose_name = _("市级平台对接")

    def ready(self) -> None:
        # What the city must hear of goes out through the outbox; the deliverer POSTs it.
        from django.conf import settings

        from hotline import outbox

        from . import outbound

        outbox.subscribe(outbound.updates_for_city)
        outbox.register_channel(outbound.CHANNEL, outbound.deliver, label=_("市级平台"),
                                concurrency=settings.HOTLINE_CITYLINK_CONCURRENCY)
