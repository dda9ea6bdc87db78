from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "cqs.documents"
    label = "documents"
    verbose_name = _("Quản lý văn bản và điều hành")

    def ready(self):
        # Outbox handlers register themselves on import: the axis (edXML out, status packages).
        from cqs.documents import exchange  # noqa: F401
