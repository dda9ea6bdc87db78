"""The LGSP minute task (publish, escalate overdue requests, book the next run) and ``cqs lgsp_publish``."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from cqs.audit.models import AuditEvent
from cqs.core.models import OutboxMessage
from cqs.core.outbox import outbox_dispatch
from cqs.lgsp import publish
from cqs.lgsp.choices import GenerationStatus
from cqs.lgsp.models import ConnectionRequest, GatewayGeneration
from cqs.lgsp.services import access
from cqs.lgsp.services.access import secret_sha256
from cqs.lgsp.snapshot import build_snapshot
from cqs.lgsp.tasks import (
    ESCALATION_TOPIC,
    MINUTE_SECONDS,
    lgsp_minute,
    operator_emails,
    requests_escalate,
    schedule_lgsp_minute,
)
from cqs.lgsp.tests.api_world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Generations and access logs of this test only (the minute task reads every log it finds).
    settings.CQS_LGSP_DIR = tmp_path / "lgsp"


@pytest.fixture
def world(db):
    return build_world()


def overdue(world, *, days: int = 1, client=None) -> ConnectionRequest:
    request = access.request_submit(
        client=client or world.client, service=world.persons, purpose="Giải quyết thủ tục hành chính"
    )
    ConnectionRequest.objects.filter(pk=request.pk).update(due_on=timezone.localdate() - timedelta(days=days))
    request.refresh_from_db()
    return request


def waiting_runs():
    return DBTaskResult.objects.filter(status=TaskResultStatus.READY, task_path=lgsp_minute.module_path)


# --- escalation --------------------------------------------------------------------------------


def test_an_overdue_request_is_escalated_once_audited_and_queued_for_e_mail(world):
    late = overdue(world)
    on_time = access.request_submit(client=world.health_sub, service=world.persons, purpose="Khám chữa bệnh")

    first = requests_escalate()
    second = requests_escalate()

    assert first == [late.pk] and second == []
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.escalated_at is not None and on_time.escalated_at is None
    event = AuditEvent.objects.get(action="lgsp.request.escalate")
    assert event.object_id == str(late.pk)
    assert event.after["days_late"] == 1
    message = OutboxMessage.objects.get(topic=ESCALATION_TOPIC)
    assert message.payload == {"request_id": late.pk}


def test_the_deadline_day_itself_is_not_late(world):
    request = overdue(world, days=0)

    assert requests_escalate() == []
    request.refresh_from_db()
    assert request.escalated_at is None


def test_answered_requests_are_never_escalated(world):
    request = overdue(world)
    access.request_refuse(
        request=request, legal_basis="Điều 16 Nghị định 194/2025/NĐ-CP", reason="Không đủ căn cứ"
    )

    assert requests_escalate() == []


def test_escalation_works_through_a_backlog_in_batches(world):
    requests = [overdue(world), overdue(world, client=world.health_sub)]

    assert sorted(requests_escalate(batch=1)) == sorted(r.pk for r in requests)
    assert ConnectionRequest.objects.filter(escalated_at__isnull=True).count() == 0


def test_the_e_mail_goes_to_the_provider_and_the_gateway_operators(world):
    request = overdue(world)
    requests_escalate()

    counts = outbox_dispatch()

    assert counts.delivered == 1
    (email,) = mail.outbox
    assert email.to == ["cong-an@example.org"]
    assert email.bcc == ["vanhanh@example.org"]
    assert str(request.pk) in email.subject
    assert world.persons.xroad_id in email.body and "2 ngày làm việc" in email.body
    assert email.extra_headers["Message-ID"].startswith("<cqs.lgsp.")
    assert "thủ tục hành chính" not in email.body  # the purpose stays in the platform


def test_a_request_answered_before_the_e_mail_leaves_sends_nothing(world):
    request = overdue(world)
    requests_escalate()
    access.request_withdraw(request=request)

    assert outbox_dispatch().delivered == 1
    assert mail.outbox == []


def test_operators_are_the_holders_of_operate_gateway(world):
    assert operator_emails() == ["vanhanh@example.org"]


# --- the minute task ---------------------------------------------------------------------------


def test_the_minute_task_publishes_escalates_and_books_its_next_run(world):
    late = overdue(world)
    before = timezone.now()

    result = lgsp_minute.call()

    generation = GatewayGeneration.objects.get()
    assert result["generation"] == generation.number and generation.status == GenerationStatus.ACTIVE
    assert generation.reason == "periodic"
    assert result["escalated"] == [late.pk]
    (booked,) = waiting_runs()
    assert booked.run_after - before >= timedelta(seconds=MINUTE_SECONDS)
    assert booked.run_after - before < timedelta(seconds=MINUTE_SECONDS + 30)


def test_a_second_run_with_nothing_changed_makes_no_generation_and_one_booking(world):
    lgsp_minute.call()

    result = lgsp_minute.call()

    assert result == {
        "generation": None,
        "generation_status": None,
        "ingested": 0,
        "purged": 0,
        "escalated": [],
    }
    assert GatewayGeneration.objects.count() == 1
    assert waiting_runs().count() == 1


def test_an_expired_credential_leaves_the_gateway_at_the_next_run(world):
    issued = access.api_key_issue(subsystem=world.client, expires_at=timezone.now() + timedelta(minutes=5))
    lgsp_minute.call()
    assert secret_sha256(issued.secret) in build_snapshot()["api_keys"]

    later = timezone.now() + timedelta(minutes=6)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: later)
        result = lgsp_minute.call()

    assert result["generation"] == 2
    active = GatewayGeneration.objects.get(status=GenerationStatus.ACTIVE)
    snapshot_file = publish.lgsp_dir() / "generations" / str(active.number) / "snapshot.json"
    assert secret_sha256(issued.secret) not in snapshot_file.read_text()


def test_a_failing_publication_still_escalates_and_books_the_next_run(world, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(publish, "publish_now", broken)
    late = overdue(world)

    result = lgsp_minute.call()

    assert result["publish_error"] == "RuntimeError"
    assert result["escalated"] == [late.pk]
    assert waiting_runs().count() == 1


def test_the_minute_task_reads_the_access_logs(world):
    import json

    from cqs.lgsp.models import UsageDaily

    logs = publish.lgsp_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    line = {
        "ts": timezone.now().timestamp(),
        "engine": "builtin",
        "request_id": "d-task-1",
        "client": world.client.xroad_id,
        "service": world.persons.xroad_id,
        "method": "GET",
        "status": 200,
        "error": "",
        "latency_ms": 12.5,
        "bytes_in": 0,
        "bytes_out": 100,
        "request_hash": "",
        "response_hash": "",
        "hash_complete": True,
    }
    (logs / "access-builtin.jsonl").write_text(json.dumps(line) + "\n")

    result = lgsp_minute.call()

    assert result["ingested"] == 1
    assert UsageDaily.objects.get(service=world.persons.xroad_id).calls == 1


def test_booking_at_startup_happens_once_however_often_it_is_asked(world):
    assert schedule_lgsp_minute() is True
    assert schedule_lgsp_minute() is False

    assert waiting_runs().count() == 1


# --- cqs lgsp_publish --------------------------------------------------------------------------


def test_the_command_publishes_and_prints_the_generation(world):
    out = StringIO()

    call_command("lgsp_publish", stdout=out)
    call_command("lgsp_publish", stdout=out)

    text = out.getvalue()
    assert "Đã áp dụng thế hệ #1 (builtin): 2 dịch vụ" in text
    assert "Cấu hình không đổi: thế hệ #1 (builtin) đang chạy" in text


def test_the_command_forces_a_new_generation_on_request(world):
    call_command("lgsp_publish", stdout=StringIO())
    out = StringIO()

    call_command("lgsp_publish", "--force", "--reason", "khởi động lại cổng", stdout=out)

    assert "thế hệ #2" in out.getvalue()
    assert GatewayGeneration.objects.get(number=2).reason == "khởi động lại cổng"


def test_the_command_fails_with_the_engine_error(world, monkeypatch):
    from cqs.lgsp import engines

    engine_class = type(engines.current())

    def refuse(self, directory, snapshot):
        raise engines.EngineError("haproxy -c: lỗi cú pháp")

    monkeypatch.setattr(engine_class, "apply", refuse)

    with pytest.raises(CommandError) as failed:
        call_command("lgsp_publish", stdout=StringIO())

    assert "[failed]: haproxy -c: lỗi cú pháp" in str(failed.value)
