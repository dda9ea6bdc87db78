"""Test support for the append-only audit table, also loaded as a pytest plugin
(``-p cqs.audit.testing`` in ``pyproject.toml``).

Transactional tests (``transactional_db``, ``live_server``, ``django_db(transaction=True)``)
end with Django's flush, which on SQLite is ``DELETE FROM audit_auditevent``: the append-only
trigger refuses it. Before their teardown this plugin empties the trail with the triggers
briefly removed, the way only an operator with DDL rights could.
"""

from contextlib import contextmanager

import pytest


@contextmanager
def append_only_disabled(using: str = "default"):
    """Remove the append-only triggers for the block (tests that tamper on purpose)."""
    from django.db import connections

    from cqs.audit import triggers

    connection = connections[using]
    triggers.uninstall(connection)
    try:
        yield
    finally:
        triggers.install(connection)


def audit_trail_clear(using: str = "default") -> None:
    from django.db import transaction

    from cqs.audit.models import AuditChainHead, AuditEvent

    with transaction.atomic(using=using), append_only_disabled(using):
        AuditEvent.objects.using(using).all().delete()
        AuditChainHead.objects.using(using).all().delete()


def _is_transactional(item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    if names & {"transactional_db", "live_server", "django_db_reset_sequences"}:
        return True
    marker = item.get_closest_marker("django_db")
    if marker is None:
        return False
    return bool(marker.kwargs.get("transaction") or (marker.args and marker.args[0]))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    if _is_transactional(item):
        from django.db import connection
        from pytest_django.plugin import blocking_manager_key

        # Only SQLite flushes with DELETE; PostgreSQL's TRUNCATE does not fire row triggers.
        if connection.vendor == "sqlite":
            with item.config.stash[blocking_manager_key].unblock():
                audit_trail_clear()
    return (yield)
