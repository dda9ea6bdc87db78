"""Reading the audit trail back, and checking that nobody rewrote it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from cqs.audit.models import AuditChainHead, AuditEvent
from cqs.audit.services import GENESIS_HASH, event_hash, hashed_fields


@dataclass(frozen=True)
class ChainBreak:
    """The first place where the stored chain differs from the recomputed one.

    ``kind`` is one of:

    - ``altered``: the row's content no longer gives its stored hash (a field was edited);
    - ``missing``: the row's ``prev_hash`` is not the hash of the row before it, so the row(s)
      in between were deleted (or the previous row's hash was rewritten);
    - ``missing_tail``: the chain head records a later event than the last row: the last
      row(s) were deleted;
    - ``head_missing``: events exist but the chain head row was removed.
    """

    kind: str
    event_id: int | None
    expected: str
    found: str
    previous_id: int | None = None

    def describe(self) -> str:
        if self.kind == "altered":
            return (
                f"row {self.event_id} was altered: its content hashes to {self.expected}, "
                f"the stored hash is {self.found}"
            )
        if self.kind == "missing":
            after = f"row {self.previous_id}" if self.previous_id else "the start of the chain"
            gap = ""
            if (
                self.previous_id is not None
                and self.event_id is not None
                and self.event_id - self.previous_id > 1
            ):
                first, last = self.previous_id + 1, self.event_id - 1
                gap = f" (ids {first}–{last} are absent)" if first != last else f" (id {first} is absent)"
            return (
                f"row {self.event_id}: a row between {after} and it was deleted{gap}: prev_hash "
                f"expected {self.expected}, found {self.found}"
            )
        if self.kind == "missing_tail":
            return (
                f"the last row(s) were deleted: the chain head records event {self.event_id} with hash "
                f"{self.expected}, the last row present ends with {self.found}"
            )
        return f"the chain head row is missing while events exist (last hash {self.found})"


@dataclass(frozen=True)
class ChainVerification:
    ok: bool
    count: int
    first_break: ChainBreak | None = None


def audit_chain_verify(*, chunk_size: int = 2000) -> ChainVerification:
    """Walk the chain in id order, recomputing every hash; stop at the first broken link."""
    expected_prev = GENESIS_HASH
    previous_id: int | None = None
    count = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size):
        if event.prev_hash != expected_prev:
            return ChainVerification(
                ok=False,
                count=count,
                first_break=ChainBreak("missing", event.pk, expected_prev, event.prev_hash, previous_id),
            )
        recomputed = event_hash(prev_hash=event.prev_hash, fields=hashed_fields(event))
        if recomputed != event.hash:
            return ChainVerification(
                ok=False,
                count=count,
                first_break=ChainBreak("altered", event.pk, recomputed, event.hash, previous_id),
            )
        expected_prev, previous_id = event.hash, event.pk
        count += 1

    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        if count:
            return ChainVerification(
                ok=False, count=count, first_break=ChainBreak("head_missing", None, "", expected_prev)
            )
        return ChainVerification(ok=True, count=0)
    if head.last_hash != expected_prev:
        return ChainVerification(
            ok=False,
            count=count,
            first_break=ChainBreak(
                "missing_tail", head.last_event_id, head.last_hash, expected_prev, previous_id
            ),
        )
    return ChainVerification(ok=True, count=count)


APPEND_ONLY_TRIGGERS = {
    "sqlite": ("audit_auditevent_no_update", "audit_auditevent_no_delete"),
    "postgresql": ("audit_auditevent_append_only",),
}


def audit_append_only_installed() -> bool | None:
    """Whether the database triggers that refuse UPDATE and DELETE are in place (None: this
    database has none). A table rebuild by a later migration on SQLite would drop them."""
    names = APPEND_ONLY_TRIGGERS.get(connection.vendor)
    if not names:
        return None
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_auditevent'"
            )
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger "
                "WHERE tgrelid = 'audit_auditevent'::regclass AND NOT tgisinternal"
            )
        present = {row[0] for row in cursor.fetchall()}
    return set(names) <= present
