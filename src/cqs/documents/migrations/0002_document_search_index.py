"""The full-text index of ``Document.search_text``: FTS5 on SQLite, a GIN index on PostgreSQL.

Neither is part of Django's model state (no field changes), so ``makemigrations`` stays quiet;
``cqs.documents.search.search_index_install`` holds the SQL and is idempotent. See
docs/documents-search.md.
"""

from django.db import migrations


def install(apps, schema_editor):
    from cqs.documents.search import search_index_install

    search_index_install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from cqs.documents.search import search_index_uninstall

    search_index_uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(install, uninstall, elidable=False),
    ]
