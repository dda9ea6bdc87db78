"""The audit table refuses UPDATE and DELETE (triggers, PostgreSQL and SQLite).

``actor`` no longer uses SET_NULL: deleting a user would otherwise have to UPDATE past events,
which the trigger refuses; the event keeps the id and ``actor_label`` of who acted.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def install_triggers(apps, schema_editor):
    from cqs.audit import triggers

    if schema_editor.connection.vendor in ("postgresql", "sqlite"):
        triggers.install(schema_editor.connection)


def uninstall_triggers(apps, schema_editor):
    from cqs.audit import triggers

    if schema_editor.connection.vendor in ("postgresql", "sqlite"):
        triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="người thực hiện",
            ),
        ),
        migrations.RunPython(install_triggers, uninstall_triggers, elidable=False),
    ]
