from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "cqs.documents"
    label = "documents"
    verbose_name = _("Quản lý văn bản và điều hành")

    def ready(self):
        # Outbox handlers register themselves on import: the axis (edXML out, status packages).
        from django.db.models.signals import post_migrate

        from cqs.documents import exchange  # noqa: F401
        from cqs.documents.search import search_index_post_migrate

        # The SQLite full-text table and its triggers are re-created after migrations, which may
        # rebuild the document table and drop them.
        post_migrate.connect(search_index_post_migrate, sender=self)
