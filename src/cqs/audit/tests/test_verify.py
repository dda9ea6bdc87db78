"""``cqs audit verify`` and the append-only triggers.

Tampering tests remove the triggers first (``append_only_disabled``), as someone with DDL
rights on the database would: that is exactly the case verify exists to catch.
"""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from cqs.audit.models import AuditChainHead, AuditEvent
from cqs.audit.selectors import audit_append_only_installed, audit_chain_verify
from cqs.audit.testing import append_only_disabled
from cqs.audit.tests.conftest import record

pytestmark = pytest.mark.django_db


def run_verify(capsys) -> tuple[int, str]:
    try:
        call_command("audit", "verify")
    except CommandError as exc:
        code = exc.returncode
    else:
        code = 0
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# --- the database refuses changes ------------------------------------------------------------


def test_the_append_only_triggers_are_installed_by_the_migrations():
    assert audit_append_only_installed() is (True if connection.vendor in ("sqlite", "postgresql") else None)


def test_the_database_refuses_to_update_an_event():
    (event,) = record(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(after={"value": 999})
    assert AuditEvent.objects.get(pk=event.pk).after["value"] == 1


def test_the_database_refuses_to_delete_an_event():
    (event,) = record(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_deleting_a_user_leaves_their_events_untouched(django_user_model):
    user = django_user_model.objects.create_user(username="roi.di", password="x" * 12)
    (event,) = record(1, actor=user)
    user_id = user.pk

    user.delete()

    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor_id, stored.actor_label) == (user_id, "roi.di")
    assert audit_chain_verify().ok


def test_protect_reinstalls_missing_triggers(capsys):
    with append_only_disabled():
        assert audit_append_only_installed() is False
        code, output = run_verify(capsys)
        assert code == 0
        assert "triggers on audit_auditevent are missing" in output
        call_command("audit", "protect")
        assert audit_append_only_installed() is True


# --- verify ----------------------------------------------------------------------------------


def test_an_empty_trail_verifies():
    result = audit_chain_verify()
    assert (result.ok, result.count) == (True, 0)


def test_an_intact_chain_verifies_with_its_count(capsys):
    record(5)

    result = audit_chain_verify()
    code, output = run_verify(capsys)

    assert (result.ok, result.count, result.first_break) == (True, 5, None)
    assert code == 0
    assert "OK: 5 audit events" in output


def test_an_altered_after_is_reported_as_the_first_broken_row(capsys):
    events = record(5)
    with append_only_disabled():
        AuditEvent.objects.filter(pk=events[2].pk).update(after={"value": 999, "note": "Đã sửa"})

    result = audit_chain_verify()
    code, output = run_verify(capsys)

    assert not result.ok
    assert result.count == 2
    assert (result.first_break.kind, result.first_break.event_id) == ("altered", events[2].pk)
    assert result.first_break.found == events[2].hash
    assert result.first_break.expected != events[2].hash
    assert code == 1
    assert f"row {events[2].pk} was altered" in output


def test_a_row_altered_together_with_its_hash_breaks_the_next_link(capsys):
    # given an attacker who recomputes the hash of the row they edited
    from cqs.audit.services import event_hash, hashed_fields

    events = record(4)
    target = AuditEvent.objects.get(pk=events[1].pk)
    target.after = {"value": 999}
    forged = event_hash(prev_hash=target.prev_hash, fields=hashed_fields(target))
    with append_only_disabled():
        AuditEvent.objects.filter(pk=target.pk).update(after=target.after, hash=forged)

    result = audit_chain_verify()

    # then the next row no longer points at it
    assert (result.first_break.kind, result.first_break.event_id) == ("missing", events[2].pk)
    assert result.first_break.expected == forged
    assert result.first_break.found == events[1].hash


def test_a_deleted_middle_row_shows_as_a_prev_hash_mismatch_on_the_next_row(capsys):
    events = record(5)
    with append_only_disabled():
        AuditEvent.objects.filter(pk=events[2].pk).delete()

    result = audit_chain_verify()
    code, output = run_verify(capsys)

    assert not result.ok
    assert result.count == 2
    brk = result.first_break
    assert (brk.kind, brk.event_id, brk.previous_id) == ("missing", events[3].pk, events[1].pk)
    assert (brk.expected, brk.found) == (events[1].hash, events[2].hash)
    assert code == 1
    assert f"row {events[3].pk}: a row between row {events[1].pk} and it was deleted" in output
    assert f"id {events[2].pk} is absent" in output


def test_a_deleted_first_row_is_reported_against_the_genesis(capsys):
    events = record(3)
    with append_only_disabled():
        AuditEvent.objects.filter(pk=events[0].pk).delete()

    brk = audit_chain_verify().first_break

    assert (brk.kind, brk.event_id, brk.previous_id) == ("missing", events[1].pk, None)
    assert brk.expected == "0" * 64


def test_a_deleted_last_row_shows_as_a_mismatch_with_the_chain_head(capsys):
    events = record(4)
    with append_only_disabled():
        AuditEvent.objects.filter(pk=events[3].pk).delete()

    result = audit_chain_verify()
    code, output = run_verify(capsys)

    assert not result.ok
    assert result.count == 3
    brk = result.first_break
    assert (brk.kind, brk.event_id) == ("missing_tail", events[3].pk)
    assert (brk.expected, brk.found) == (events[3].hash, events[2].hash)
    assert code == 1
    assert "last row(s) were deleted" in output


def test_a_removed_chain_head_is_reported():
    record(2)
    AuditChainHead.objects.all().delete()

    brk = audit_chain_verify().first_break

    assert brk.kind == "head_missing"


def test_verify_reads_in_chunks_without_loading_everything():
    record(7)
    assert audit_chain_verify(chunk_size=2).count == 7
