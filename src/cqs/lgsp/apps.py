from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LgspConfig(AppConfig):
    name = "cqs.lgsp"
    label = "lgsp"
    verbose_name = _("Nền tảng tích hợp, chia sẻ dữ liệu (LGSP)")

    def ready(self) -> None:
        # Outbox handlers (the e-mail about overdue connection requests) register on import.
        from cqs.lgsp import tasks  # noqa: F401
