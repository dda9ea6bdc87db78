"""Writing the audit trail. Call ``audit_record`` inside the transaction that makes the change:
the event commits or rolls back with it."""

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from cqs.audit.models import AuditChainHead, AuditEvent
from cqs.core import context

GENESIS_HASH = "0" * 64


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


def canonical_json(value: Any) -> Any:
    """The JSON form stored and hashed: keys sorted, dates as ISO strings."""
    return json.loads(json.dumps(value, default=_default, sort_keys=True, ensure_ascii=False))


def event_hash(*, prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


def hashed_fields(event: AuditEvent) -> dict[str, Any]:
    """The fields covered by the hash, read back from a stored row."""
    return {
        "created_at": event.created_at.astimezone(UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "before": event.before,
        "after": event.after,
        "ip": event.ip,
        "request_id": event.request_id,
    }


def _normalized_ip(ip: str | None) -> str | None:
    # Hash the address in the form the database stores it, or verify would see a change.
    if ip and ":" in ip:
        try:
            return clean_ipv6_address(ip)
        except ValidationError:
            return None
    return ip or None


def object_label(obj: models.Model | type[models.Model] | str) -> str:
    if isinstance(obj, str):
        return obj
    return obj._meta.label_lower


def _event(
    *,
    action,
    obj=None,
    object_type=None,
    object_id="",
    object_repr="",
    before=None,
    after=None,
    actor=None,
    ctx,
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or object_label(obj)
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:300]
    actor_id = getattr(actor, "pk", None) if actor is not None and actor.is_authenticated else None
    return AuditEvent(
        created_at=timezone.now(),
        actor_id=actor_id,
        actor_label=(actor.get_username() if actor_id else "")[:150],
        action=action,
        object_type=object_type or "",
        object_id=str(object_id),
        object_repr=object_repr[:300],
        before=canonical_json(before) if before is not None else None,
        after=canonical_json(after) if after is not None else None,
        ip=_normalized_ip(ctx.ip),
        request_id=ctx.request_id,
    )


def audit_record(
    *,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str = "",
    object_repr: str = "",
    before: dict | None = None,
    after: dict | None = None,
    actor=None,
) -> AuditEvent:
    """Append one event to the chain. Must run inside the caller's transaction.

    ``actor`` defaults to nobody (system); request id and IP come from the request context.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside transaction.atomic()")
    event = _event(
        action=action,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        before=before,
        after=after,
        actor=actor,
        ctx=context.current(),
    )
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(
        pk=1, defaults={"last_hash": GENESIS_HASH}
    )
    event.prev_hash = head.last_hash
    event.hash = event_hash(prev_hash=event.prev_hash, fields=hashed_fields(event))
    event.save(force_insert=True)
    head.last_hash, head.last_event_id = event.hash, event.pk
    head.save(update_fields=["last_hash", "last_event_id"])
    return event


def audit_record_many(entries: list[dict]) -> list[AuditEvent]:
    """Append several events (each a dict of ``audit_record``'s keyword arguments) in one go:
    one lock of the chain head, one INSERT, one update of the head. Same chain, same hashes as
    recording them one by one; must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record_many must be called inside transaction.atomic()")
    if not entries:
        return []
    ctx = context.current()
    events = [_event(**entry, ctx=ctx) for entry in entries]
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(
        pk=1, defaults={"last_hash": GENESIS_HASH}
    )
    previous = head.last_hash
    for event in events:
        event.prev_hash = previous
        event.hash = previous = event_hash(prev_hash=previous, fields=hashed_fields(event))
    created = AuditEvent.objects.bulk_create(events)
    last_id = created[-1].pk
    if last_id is None:  # a backend that does not return keys from a bulk INSERT
        last_id = AuditEvent.objects.get(hash=previous).pk
    head.last_hash, head.last_event_id = previous, last_id
    head.save(update_fields=["last_hash", "last_event_id"])
    return created
