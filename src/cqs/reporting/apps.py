from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "cqs.reporting"
    label = "reporting"
    verbose_name = _("Hệ thống thông tin báo cáo")

    def ready(self) -> None:
        # Outbox handlers (the Government reporting system connector) register on import.
        from cqs.reporting import ris  # noqa: F401
