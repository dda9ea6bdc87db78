"""Several events in one go: the same chain as recording them one by one."""

import pytest
from django.db import transaction

from cqs.audit.models import AuditChainHead, AuditEvent
from cqs.audit.selectors import audit_chain_verify
from cqs.audit.services import audit_record, audit_record_many

pytestmark = pytest.mark.django_db


def test_a_batch_continues_the_chain_and_the_chain_verifies():
    with transaction.atomic():
        audit_record(action="test.before", object_type="test.thing", object_id="0")
        events = audit_record_many(
            [{"action": "test.batch", "object_type": "test.thing", "object_id": str(n)} for n in range(1, 4)]
        )
        audit_record(action="test.after", object_type="test.thing", object_id="4")

    assert [e.object_id for e in AuditEvent.objects.order_by("id")] == ["0", "1", "2", "3", "4"]
    assert events[0].prev_hash == AuditEvent.objects.get(object_id="0").hash
    assert AuditChainHead.objects.get().last_hash == AuditEvent.objects.get(object_id="4").hash
    assert audit_chain_verify().ok


def test_an_empty_batch_writes_nothing():
    with transaction.atomic():
        assert audit_record_many([]) == []
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_batch_outside_a_transaction_is_a_programming_error():
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        audit_record_many([{"action": "test.x", "object_type": "test.thing"}])
