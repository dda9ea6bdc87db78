"""The transactional outbox: side effects to outside systems after commit (CONVENTIONS 5, ADR 0007).

A service that must tell another system something (the national portal, SMS, e-mail) calls
``outbox_enqueue`` inside its own transaction. The message commits or rolls back with the
change. ``outbox_dispatch`` (run by a background task, or ``cqs outbox dispatch``) delivers
committed messages through the handler registered for their topic, **at least once**: a crash
after the remote call and before the message is marked delivered sends it again, so handlers
must be idempotent and pass ``message.dedup_key`` to the remote side.

Dispatch claims messages in one short transaction (pushing their ``available_at`` forward by a
lease, so other workers skip them), calls the handlers **outside any transaction**, then records
each outcome in another short transaction. Holding a row lock across a slow HTTP call would,
on SQLite, hold the single database write lock for every user; a worker that dies mid-call
leaves its messages due again when the lease expires.
"""

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cqs.audit.services import audit_record
from cqs.core.exceptions import Conflict, NotFound
from cqs.core.models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

Handler = Callable[[OutboxMessage], None]
_handlers: dict[str, Handler] = {}

BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600
LAST_ERROR_MAX_LENGTH = 500


class DeliveryError(Exception):
    """Raised by a handler for an expected failure (remote refused, HTTP 503...).

    Its message is stored in ``last_error`` and shown to operators, so it must not contain
    personal data. For any other exception only the class name is stored.
    """


def register_handler(topic: str) -> Callable[[Handler], Handler]:
    """Decorator: ``@register_handler("onestop.portal.sync")`` makes the function deliver that topic."""

    def decorator(func: Handler) -> Handler:
        existing = _handlers.get(topic)
        if existing is not None and existing is not func:
            raise ValueError(f"outbox topic {topic!r} already has a handler: {existing!r}")
        _handlers[topic] = func
        return func

    return decorator


def unregister_handler(topic: str) -> None:
    _handlers.pop(topic, None)


def handler_for(topic: str) -> Handler | None:
    return _handlers.get(topic)


def max_attempts() -> int:
    return int(getattr(settings, "CQS_OUTBOX_MAX_ATTEMPTS", 10))


def lease_seconds() -> int:
    return int(getattr(settings, "CQS_OUTBOX_LEASE_SECONDS", 300))


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failed tries: 30 s, 1 min, 2 min… capped at 1 h."""
    exponent = max(attempts - 1, 0)
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** min(exponent, 20), BACKOFF_CAP_SECONDS))


def email_message_id(message: OutboxMessage, *, source: str) -> str:
    """The same Message-ID on every try of one outbox e-mail, unique to this site (``source``
    names the module: ``<cqs.onestop.…@domain>``), so a mail system that drops repeats shows one."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(">") or "cqs.invalid"
    digest = hashlib.sha256(f"{settings.CQS_SITE_URL}|{message.dedup_key}".encode()).hexdigest()[:24]
    return f"<cqs.{source}.{digest}@{domain}>"


def outbox_enqueue(*, topic: str, payload: dict, dedup_key: str) -> OutboxMessage:
    """Add a message to the outbox in the caller's transaction and return it.

    ``dedup_key`` names the logical message (e.g. ``portal.progress:<dossier code>:<history id>``):
    enqueuing the same key again (a retried request) returns the existing message unchanged.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_enqueue must be called inside transaction.atomic()")
    if not topic or len(topic) > OutboxMessage._meta.get_field("topic").max_length:
        raise ValueError("outbox topic must be a non-empty string of at most 100 characters")
    if not dedup_key or len(dedup_key) > OutboxMessage._meta.get_field("dedup_key").max_length:
        raise ValueError("outbox dedup_key must be a non-empty string of at most 200 characters")
    message, created = OutboxMessage.objects.get_or_create(
        dedup_key=dedup_key, defaults={"topic": topic, "payload": payload}
    )
    if created:
        _dispatch_after_commit()
    return message


def outbox_enqueue_many(messages: list[tuple[str, dict, str]]) -> None:
    """Add several messages ``(topic, payload, dedup_key)`` in one INSERT, in the caller's
    transaction; keys already in the outbox are skipped (as ``outbox_enqueue`` does).

    For hot paths (a dossier action queues up to four messages): one statement instead of a
    SELECT, a savepoint and an INSERT per message.
    """
    if not messages:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_enqueue_many must be called inside transaction.atomic()")
    topic_max = OutboxMessage._meta.get_field("topic").max_length
    key_max = OutboxMessage._meta.get_field("dedup_key").max_length
    for topic, _payload, dedup_key in messages:
        if not topic or len(topic) > topic_max:
            raise ValueError("outbox topic must be a non-empty string of at most 100 characters")
        if not dedup_key or len(dedup_key) > key_max:
            raise ValueError("outbox dedup_key must be a non-empty string of at most 200 characters")
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(topic=topic, payload=payload, dedup_key=key) for topic, payload, key in messages],
        ignore_conflicts=True,
    )
    _dispatch_after_commit()


def _dispatch_after_commit() -> None:
    # One dispatch task per transaction, however many messages it enqueues.
    conn = transaction.get_connection()
    if any(func is _schedule_dispatch_now for _, func, _ in conn.run_on_commit):
        return
    transaction.on_commit(_schedule_dispatch_now, robust=True)


def _schedule_dispatch_now() -> None:
    schedule_dispatch(at=None)


def schedule_dispatch(*, at: datetime | None) -> None:
    """Enqueue the dispatch task to run at ``at`` (now if None), unless one is already due by then.

    Errors are logged, never raised: the change has committed, and a later dispatch (the next
    enqueue, the follow-up task or ``cqs outbox dispatch``) still delivers the message.
    """
    from cqs.core.tasks import outbox_dispatch_task

    try:
        if task_waiting_by(outbox_dispatch_task, at):
            return
        task = outbox_dispatch_task.using(run_after=at) if at is not None else outbox_dispatch_task
        task.enqueue()
    except Exception:
        logger.exception("could not enqueue the outbox dispatch task")


def task_waiting_by(task, at: datetime | None) -> bool:
    """Whether a run of ``task`` waiting in the database queue will start by ``at`` (or now).

    Self-scheduling tasks (the outbox dispatch, the one-stop overdue check) use it so that
    however many events ask for a run, one is queued."""
    if not type(task.get_backend()).__module__.startswith("django_tasks_db"):
        return False
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY, task_path=task.module_path)
    # The database backend stores "as soon as possible" as the maximum date.
    return waiting.filter(Q(run_after=get_date_max()) | Q(run_after__lte=at or timezone.now())).exists()


@dataclass
class DispatchCounts:
    delivered: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def claimed(self) -> int:
        return self.delivered + self.retried + self.failed


def _claim(*, batch: int, now: datetime) -> list[OutboxMessage]:
    with transaction.atomic():
        due = OutboxMessage.objects.filter(status=OutboxStatus.PENDING, available_at__lte=now).order_by(
            "available_at", "id"
        )
        if connection.features.has_select_for_update_skip_locked:
            # PostgreSQL: concurrent dispatchers take disjoint batches instead of waiting.
            due = due.select_for_update(skip_locked=True)
        messages = list(due[:batch])
        if messages:
            # Counting the attempt at claim time makes a message that crashes the worker
            # itself end up failed after N tries instead of looping for ever.
            OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
                available_at=now + timedelta(seconds=lease_seconds()),
                attempts=F("attempts") + 1,
            )
            for message in messages:
                message.attempts += 1
    return messages


def _error_text(exc: BaseException) -> str:
    name = type(exc).__name__
    text = f"{name}: {exc}" if isinstance(exc, DeliveryError) else name
    return text[:LAST_ERROR_MAX_LENGTH]


def outbox_dispatch(*, batch: int = 50, now: datetime | None = None) -> DispatchCounts:
    """Deliver up to ``batch`` due pending messages; return how many were delivered, retried, failed."""
    now = now or timezone.now()
    counts = DispatchCounts()
    for message in _claim(batch=batch, now=now):
        handler = handler_for(message.topic)
        try:
            if handler is None:
                # Recorded and retried: the handler may come with the next release.
                raise DeliveryError(f"no handler registered for topic {message.topic!r}")
            handler(message)
        except Exception as exc:
            logger.warning(
                "outbox message %s (%s) failed, attempt %s",
                message.pk,
                message.topic,
                message.attempts,
                exc_info=True,
            )
            if message.attempts >= max_attempts():
                changes = {"status": OutboxStatus.FAILED, "last_error": _error_text(exc)}
                counts.failed += 1
            else:
                changes = {"available_at": now + backoff(message.attempts), "last_error": _error_text(exc)}
                counts.retried += 1
        else:
            changes = {"status": OutboxStatus.DELIVERED, "delivered_at": timezone.now(), "last_error": ""}
            counts.delivered += 1
        # Only a still-pending row is updated: if the lease ran out and another worker already
        # delivered the message, its "delivered" stands.
        with transaction.atomic():
            OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.PENDING).update(**changes)
    return counts


def outbox_next_due() -> datetime | None:
    """When the earliest pending message becomes due (None when nothing is pending)."""
    first = (
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
        .order_by("available_at")
        .values_list("available_at", flat=True)
        .first()
    )
    return first


def outbox_message_retry(*, message_id: int, actor=None) -> OutboxMessage:
    """Make a failed (or waiting) message due now with a fresh count of attempts."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            raise NotFound(
                "outbox_message_not_found", _("Không có thông điệp số %(id)s.") % {"id": message_id}
            )
        if message.status == OutboxStatus.DELIVERED:
            raise Conflict(
                "outbox_message_delivered",
                _("Thông điệp số %(id)s đã được gửi thành công, không gửi lại.") % {"id": message_id},
            )
        before = {
            "status": message.status,
            "attempts": message.attempts,
            "available_at": message.available_at,
        }
        message.status = OutboxStatus.PENDING
        message.attempts = 0
        message.available_at = timezone.now()
        message.save(update_fields=["status", "attempts", "available_at"])
        audit_record(
            action="outbox_message.retry",
            obj=message,
            before=before,
            after={
                "status": message.status,
                "attempts": message.attempts,
                "available_at": message.available_at,
            },
            actor=actor,
        )
        _dispatch_after_commit()
    return message
