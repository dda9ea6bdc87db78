import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from cqs.audit.models import AuditEvent
from cqs.core import outbox
from cqs.core.exceptions import Conflict
from cqs.core.models import OutboxMessage, OutboxStatus
from cqs.core.tests.factories import OutboxMessageFactory

pytestmark = pytest.mark.django_db

TOPIC = "test.portal"
NOW = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)


class Recorder:
    """A handler that records what it was given and fails the first ``fail_times`` calls."""

    def __init__(self, fail_times: int = 0, exc: type[Exception] = outbox.DeliveryError):
        self.calls: list[tuple[str, dict]] = []
        self.fail_times = fail_times
        self.exc = exc

    def __call__(self, message):
        self.calls.append((message.dedup_key, message.payload))
        if len(self.calls) <= self.fail_times:
            raise self.exc("HTTP 503 from the portal")


@pytest.fixture
def handler():
    recorder = Recorder()
    outbox.register_handler(TOPIC)(recorder)
    yield recorder
    outbox.unregister_handler(TOPIC)


def enqueue(dedup_key="dossier:1:status:2", payload=None, topic=TOPIC):
    with transaction.atomic():
        return outbox.outbox_enqueue(topic=topic, payload=payload or {"status": 2}, dedup_key=dedup_key)


def make_due(message):
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=NOW - dt.timedelta(seconds=1))


@pytest.mark.django_db(transaction=True)
def test_enqueue_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        outbox.outbox_enqueue(topic=TOPIC, payload={}, dedup_key="k")
    assert not OutboxMessage.objects.exists()


def test_a_rolled_back_change_enqueues_nothing():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        outbox.outbox_enqueue(topic=TOPIC, payload={"a": 1}, dedup_key="k")
        1 / 0  # noqa: B018 — the change fails after enqueuing
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_enqueue_stores_a_pending_message_and_schedules_dispatch_after_each_commit(monkeypatch):
    scheduled = []
    monkeypatch.setattr(outbox, "schedule_dispatch", lambda *, at: scheduled.append(at))
    with transaction.atomic():
        outbox.outbox_enqueue(topic=TOPIC, payload={"status": 2}, dedup_key="a")
        assert scheduled == []  # not before the commit
    enqueue("b")
    message = OutboxMessage.objects.get(dedup_key="a")
    assert (message.topic, message.payload, message.status, message.attempts) == (
        TOPIC,
        {"status": 2},
        OutboxStatus.PENDING,
        0,
    )
    assert scheduled == [None, None]  # one per committed transaction


def test_several_messages_in_one_transaction_schedule_one_dispatch(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        outbox.outbox_enqueue(topic=TOPIC, payload={}, dedup_key="a")
        outbox.outbox_enqueue(topic=TOPIC, payload={}, dedup_key="b")
    assert len(callbacks) == 1


@pytest.mark.django_db(transaction=True)
def test_committed_enqueues_put_the_dispatch_task_in_the_queue_once():
    from django_tasks_db.models import DBTaskResult

    from cqs.core.tasks import outbox_dispatch_task

    enqueue("a")
    enqueue("b")
    # The second commit finds the first task still waiting and adds none.
    assert DBTaskResult.objects.filter(task_path=outbox_dispatch_task.module_path).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_failing_task_queue_does_not_break_the_committed_change(monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("queue down")

    monkeypatch.setattr(outbox, "task_waiting_by", broken)
    enqueue("a")  # does not raise
    assert OutboxMessage.objects.filter(dedup_key="a").exists()


def test_a_duplicate_dedup_key_is_ignored():
    first = enqueue("k", payload={"v": 1})
    second = enqueue("k", payload={"v": 2})
    assert second.pk == first.pk
    assert OutboxMessage.objects.get().payload == {"v": 1}


@pytest.mark.parametrize(
    ("topic", "dedup_key"), [("", "k"), (TOPIC, ""), ("t" * 101, "k"), (TOPIC, "k" * 201)]
)
def test_an_empty_or_too_long_topic_or_key_is_refused(topic, dedup_key):
    with pytest.raises(ValueError), transaction.atomic():
        outbox.outbox_enqueue(topic=topic, payload={}, dedup_key=dedup_key)
    assert not OutboxMessage.objects.exists()


def test_dispatch_delivers_due_messages_and_marks_them_delivered(handler):
    message = enqueue("dossier:1:status:2", payload={"MaHoSo": "000.00.00.H62-261127-0001"})
    make_due(message)
    counts = outbox.outbox_dispatch(now=NOW)
    assert (counts.delivered, counts.retried, counts.failed) == (1, 0, 0)
    assert handler.calls == [("dossier:1:status:2", {"MaHoSo": "000.00.00.H62-261127-0001"})]
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED
    assert message.delivered_at is not None
    assert message.attempts == 1


def test_a_delivered_message_is_never_delivered_again(handler):
    make_due(enqueue())
    outbox.outbox_dispatch(now=NOW)
    counts = outbox.outbox_dispatch(now=NOW + dt.timedelta(days=1))
    assert counts.claimed == 0
    assert len(handler.calls) == 1


def test_a_message_not_yet_due_is_left_alone(handler):
    message = OutboxMessageFactory(topic=TOPIC, available_at=NOW + dt.timedelta(seconds=1))
    assert outbox.outbox_dispatch(now=NOW).claimed == 0
    assert handler.calls == []
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)


def test_dispatch_takes_at_most_a_batch_oldest_first(handler):
    messages = [
        OutboxMessageFactory(topic=TOPIC, available_at=NOW - dt.timedelta(minutes=i)) for i in range(3)
    ]
    assert outbox.outbox_dispatch(batch=2, now=NOW).delivered == 2
    assert [key for key, _ in handler.calls] == [messages[2].dedup_key, messages[1].dedup_key]


def test_a_failing_handler_is_retried_with_exponential_backoff(handler):
    handler.fail_times = 2
    message = enqueue()
    make_due(message)

    counts = outbox.outbox_dispatch(now=NOW)
    message.refresh_from_db()
    assert (counts.retried, message.status, message.attempts) == (1, OutboxStatus.PENDING, 1)
    assert message.available_at == NOW + dt.timedelta(seconds=30)
    assert message.last_error == "DeliveryError: HTTP 503 from the portal"

    # Not retried before the back-off has passed.
    assert outbox.outbox_dispatch(now=NOW + dt.timedelta(seconds=29)).claimed == 0

    later = NOW + dt.timedelta(seconds=30)
    outbox.outbox_dispatch(now=later)
    message.refresh_from_db()
    assert (message.attempts, message.available_at) == (2, later + dt.timedelta(seconds=60))

    outbox.outbox_dispatch(now=later + dt.timedelta(seconds=60))
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.DELIVERED, 3, "")
    assert len(handler.calls) == 3


def test_backoff_doubles_and_is_capped_at_one_hour():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 7, 8, 50)] == [30, 60, 120, 1920, 3600, 3600]


def test_a_message_is_marked_failed_after_the_maximum_attempts(handler, settings):
    settings.CQS_OUTBOX_MAX_ATTEMPTS = 3
    handler.fail_times = 99
    message = enqueue()
    make_due(message)
    when = NOW
    for expected in (OutboxStatus.PENDING, OutboxStatus.PENDING, OutboxStatus.FAILED):
        outbox.outbox_dispatch(now=when)
        message.refresh_from_db()
        assert message.status == expected
        when = message.available_at + dt.timedelta(seconds=1)
    assert message.attempts == 3
    # Failed for good: no further dispatch touches it.
    assert outbox.outbox_dispatch(now=when + dt.timedelta(days=30)).claimed == 0
    assert len(handler.calls) == 3


def test_an_unexpected_exception_stores_only_its_class_name(handler):
    # The message of an arbitrary exception may quote the payload (personal data): not stored.
    handler.fail_times, handler.exc = 1, ValueError
    message = enqueue()
    make_due(message)
    outbox.outbox_dispatch(now=NOW)
    message.refresh_from_db()
    assert message.last_error == "ValueError"


def test_a_long_delivery_error_is_truncated(handler):
    handler.fail_times, handler.exc = 1, lambda text: outbox.DeliveryError("x" * 5000)
    message = enqueue()
    make_due(message)
    outbox.outbox_dispatch(now=NOW)
    message.refresh_from_db()
    assert len(message.last_error) == outbox.LAST_ERROR_MAX_LENGTH


def test_an_unknown_topic_records_an_error_and_does_not_stop_the_others(handler):
    unknown = enqueue("u", topic="nobody.listens")
    known = enqueue("k")
    make_due(unknown)
    make_due(known)
    counts = outbox.outbox_dispatch(now=NOW)
    assert (counts.delivered, counts.retried) == (1, 1)
    unknown.refresh_from_db()
    assert unknown.status == OutboxStatus.PENDING
    assert unknown.last_error == "DeliveryError: no handler registered for topic 'nobody.listens'"


def test_a_claimed_message_is_skipped_by_another_dispatcher_until_its_lease_ends(handler, settings):
    settings.CQS_OUTBOX_LEASE_SECONDS = 300
    message = enqueue()
    make_due(message)
    claimed = outbox._claim(batch=10, now=NOW)  # a worker that then dies mid-call
    assert [m.pk for m in claimed] == [message.pk]
    assert outbox.outbox_dispatch(now=NOW + dt.timedelta(seconds=299)).claimed == 0
    assert outbox.outbox_dispatch(now=NOW + dt.timedelta(seconds=300)).delivered == 1
    message.refresh_from_db()
    assert message.attempts == 2  # the lost try counts


def test_registering_a_second_handler_for_a_topic_is_refused(handler):
    with pytest.raises(ValueError, match="already has a handler"):
        outbox.register_handler(TOPIC)(lambda message: None)


def test_retry_makes_a_failed_message_due_again_and_audits_it(handler):
    message = OutboxMessageFactory(
        topic=TOPIC, status=OutboxStatus.FAILED, attempts=10, last_error="HTTP 500"
    )
    outbox.outbox_message_retry(message_id=message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)
    assert message.available_at <= timezone.now()
    event = AuditEvent.objects.get()
    assert event.action == "outbox_message.retry"
    assert (event.before["status"], event.after["status"]) == ("failed", "pending")
    assert outbox.outbox_dispatch().delivered == 1


def test_retry_of_a_delivered_message_is_refused():
    message = OutboxMessageFactory(status=OutboxStatus.DELIVERED, attempts=1)
    with pytest.raises(Conflict) as caught:
        outbox.outbox_message_retry(message_id=message.pk)
    assert caught.value.error_code == "outbox_message_delivered"
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED
    assert not AuditEvent.objects.exists()


def test_the_dispatch_task_delivers_and_books_the_next_run_for_retries(handler, monkeypatch):
    from cqs.core.tasks import outbox_dispatch_task

    booked = []
    monkeypatch.setattr(outbox, "schedule_dispatch", lambda *, at: booked.append(at))
    handler.fail_times = 1
    failing = OutboxMessageFactory(topic=TOPIC, dedup_key="fails", available_at=timezone.now())
    OutboxMessageFactory(topic=TOPIC, dedup_key="works", available_at=timezone.now())
    result = outbox_dispatch_task.call()
    failing.refresh_from_db()
    assert result == {"delivered": 1, "retried": 1, "failed": 0}
    assert booked == [failing.available_at]


def test_command_dispatch_status_and_retry(handler, capsys):
    make_due(enqueue("a"))
    failed = OutboxMessageFactory(topic=TOPIC, status=OutboxStatus.FAILED, attempts=10, last_error="HTTP 500")
    call_command("outbox", "status")
    status = capsys.readouterr().out
    assert f"failed #{failed.pk} {TOPIC} after 10 attempts: HTTP 500" in status

    call_command("outbox", "dispatch")
    assert "delivered 1, will retry 0, failed permanently 0" in capsys.readouterr().out

    call_command("outbox", "retry", str(failed.pk))
    assert f"message #{failed.pk}" in capsys.readouterr().out
    call_command("outbox", "dispatch")
    assert "delivered 1" in capsys.readouterr().out
    assert OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).count() == 2

    with pytest.raises(CommandError, match="outbox_message_delivered"):
        call_command("outbox", "retry", str(failed.pk))
    with pytest.raises(CommandError, match="outbox_message_not_found"):
        call_command("outbox", "retry", "999999")


def test_command_dispatch_loops_until_no_due_message_is_left(handler, capsys):
    for i in range(5):
        OutboxMessageFactory(topic=TOPIC, dedup_key=f"m{i}", available_at=timezone.now())
    call_command("outbox", "dispatch", "--batch", "2")
    assert "delivered 5" in capsys.readouterr().out


@pytest.fixture
def admin_client(client, django_user_model):
    root = django_user_model.objects.create_superuser(username="root", password="x" * 12)
    device = TOTPDevice.objects.create(user=root, name="app", confirmed=True)
    client.force_login(root)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_admin_is_read_only_and_its_retry_action_uses_the_service(admin_client, handler):
    failed = OutboxMessageFactory(topic=TOPIC, status=OutboxStatus.FAILED, attempts=10)
    delivered = OutboxMessageFactory(topic=TOPIC, status=OutboxStatus.DELIVERED, attempts=1)
    url = "/admin/core/outboxmessage/"
    assert admin_client.get(url, {"status__exact": "failed"}).status_code == 200
    assert admin_client.get(f"{url}add/").status_code == 403
    response = admin_client.post(
        url, {"action": "retry", "_selected_action": [failed.pk, delivered.pk]}, follow=True
    )
    assert response.status_code == 200
    failed.refresh_from_db()
    delivered.refresh_from_db()
    assert (failed.status, failed.attempts) == (OutboxStatus.PENDING, 0)
    assert delivered.status == OutboxStatus.DELIVERED
    assert AuditEvent.objects.filter(action="outbox_message.retry").count() == 1


def test_enqueue_many_inserts_new_keys_once_and_schedules_one_dispatch(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        outbox.outbox_enqueue(topic="t", payload={"n": 0}, dedup_key="k0")
        outbox.outbox_enqueue_many([("t", {"n": 1}, "k1"), ("t", {"n": 2}, "k2"), ("t", {"n": 9}, "k0")])
        outbox.outbox_enqueue_many([("t", {"n": 1}, "k1")])

    assert sorted(OutboxMessage.objects.values_list("dedup_key", "payload")) == [
        ("k0", {"n": 0}),
        ("k1", {"n": 1}),
        ("k2", {"n": 2}),
    ]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.PENDING}
    assert len(callbacks) == 1


def test_enqueue_many_refuses_a_bad_key():
    with pytest.raises(ValueError), transaction.atomic():
        outbox.outbox_enqueue_many([("t", {}, "")])
    assert not OutboxMessage.objects.exists()
