from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "cqs.feedback"
    label = "feedback"
    verbose_name = _("Phản ánh, kiến nghị")

    def ready(self) -> None:
        # Outbox handlers (notices to reporters, overdue alerts to units) register on import.
        from cqs.feedback import notifications  # noqa: F401
