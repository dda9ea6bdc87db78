"""Writing the trail: inside the caller's transaction, chained, with request context."""

import pytest
from django.db import transaction

from cqs.audit.models import AuditChainHead, AuditEvent
from cqs.audit.services import GENESIS_HASH, audit_record, event_hash, hashed_fields
from cqs.audit.tests.conftest import record

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_a_programming_error():
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        audit_record(action="test.change", object_type="test.thing")
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_event_committed_in_a_transactional_test_is_cleared_for_the_flush():
    # The pytest plugin (cqs.audit.testing) empties the trail before Django's flush, which the
    # append-only trigger would refuse; this test fails at teardown if it does not.
    record(2)
    assert AuditEvent.objects.count() == 2


def test_each_event_carries_the_hash_of_the_previous_one():
    first, second, third = record(3)

    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    head = AuditChainHead.objects.get(pk=1)
    assert (head.last_hash, head.last_event_id) == (third.hash, third.pk)


def test_the_stored_row_hashes_to_its_hash():
    (event,) = record(1)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert event_hash(prev_hash=stored.prev_hash, fields=hashed_fields(stored)) == stored.hash


def test_rolling_back_the_outer_transaction_leaves_no_event():
    record(1)
    head_before = AuditChainHead.objects.get(pk=1).last_hash

    with pytest.raises(ZeroDivisionError), transaction.atomic():
        audit_record(action="test.change", object_type="test.thing", object_id="9")
        1 / 0  # noqa: B018 - the change that fails after the event was recorded

    assert AuditEvent.objects.count() == 1
    assert AuditChainHead.objects.get(pk=1).last_hash == head_before


def test_actor_is_kept_by_id_and_username(django_user_model):
    user = django_user_model.objects.create_user(username="canbo", password="x" * 12)
    (event,) = record(1, actor=user)
    assert (event.actor_id, event.actor_label) == (user.pk, "canbo")


def test_values_are_stored_as_canonical_json():
    import datetime as dt
    from decimal import Decimal

    with transaction.atomic():
        event = audit_record(
            action="test.change",
            object_type="test.thing",
            after={"b": Decimal("1.50"), "a": dt.date(2025, 7, 1)},
        )
    assert AuditEvent.objects.get(pk=event.pk).after == {"a": "2025-07-01", "b": "1.50"}


def test_request_id_and_ip_are_captured_through_the_middleware(client, django_user_model):
    # given an account that signs in through the login page (which writes an audit event)
    django_user_model.objects.create_user(username="canbo", password="mat-khau-rat-dai-2026")

    # when the request carries an id and comes from an address
    response = client.post(
        "/accounts/login/",
        {"username": "canbo", "password": "mat-khau-rat-dai-2026"},
        headers={"X-Request-ID": "req-2026-abc"},
        REMOTE_ADDR="203.0.113.7",
    )

    # then the event records both, and the response echoes the id
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="accounts.login")
    assert (event.request_id, event.ip) == ("req-2026-abc", "203.0.113.7")
    assert response["X-Request-ID"] == "req-2026-abc"


def test_an_ipv6_address_is_hashed_as_stored(client, django_user_model):
    django_user_model.objects.create_user(username="canbo6", password="mat-khau-rat-dai-2026")
    client.post(
        "/accounts/login/",
        {"username": "canbo6", "password": "mat-khau-rat-dai-2026"},
        REMOTE_ADDR="2001:0db8:0000:0000:0000:0000:0000:0001",
    )
    event = AuditEvent.objects.get(action="accounts.login")
    assert event.ip == "2001:db8::1"
    assert event_hash(prev_hash=event.prev_hash, fields=hashed_fields(event)) == event.hash


def test_a_malformed_request_id_is_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": "bad id; drop table"})
    assert response["X-Request-ID"] != "bad id; drop table"
    assert len(response["X-Request-ID"]) == 32
