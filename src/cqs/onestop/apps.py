from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnestopConfig(AppConfig):
    name = "cqs.onestop"
    label = "onestop"
    verbose_name = _("Một cửa điện tử")

    def ready(self):
        # Outbox handlers register themselves on import: national-portal sync and notifications.
        from cqs.onestop import notifications, sync  # noqa: F401
