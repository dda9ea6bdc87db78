"""Access logs → usage counts and call evidence (``cqs.lgsp.usage``).

The log files are written by hand in the format both engines write (one JSON object per line).
"""

import base64
import hashlib
import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from cqs.audit.models import AuditEvent
from cqs.lgsp import usage
from cqs.lgsp.models import CallEvidence, LogCursor, UsageDaily

pytestmark = pytest.mark.django_db

CLIENT = "XROADVN/GOV/000.00.00.H62/MOTCUA"
CLIENT2 = "XROADVN/GOV/000.00.15.H62/QLVB"
SERVICE = "XROADVN/GOV/000.00.00.G22/DANCU/tracuu"
SERVICE2 = "XROADVN/GOV/000.00.00.G22/DKKD/doanhnghiep"
# 2026-03-02 10:00 in Hà Nội (03:00 UTC)
MORNING = datetime(2026, 3, 2, 3, 0, tzinfo=UTC).timestamp()
_counter = iter(range(10**9))
# base64(SHA-512(b"")) and of b'{"ok": true}'
EMPTY_SHA512 = base64.b64encode(hashlib.sha512(b"").digest()).decode()
RESPONSE_SHA512 = base64.b64encode(hashlib.sha512(b'{"ok": true}').digest()).decode()


def record(**overrides) -> dict:
    base = {
        "ts": MORNING,
        "engine": "builtin",
        "request_id": f"req-{next(_counter)}",
        "client": CLIENT,
        "service": SERVICE,
        "method": "GET",
        "status": 200,
        "error": "",
        "latency_ms": 10.0,
        "bytes_in": 0,
        "bytes_out": 100,
        "request_hash": EMPTY_SHA512,
        "response_hash": RESPONSE_SHA512,
        "hash_complete": True,
    }
    base.update(overrides)
    return base


def write(path, records, *, mode="a", tail: bytes = b""):
    with open(path, mode + "b") as handle:
        for item in records:
            handle.write(item if isinstance(item, bytes) else (json.dumps(item) + "\n").encode())
        handle.write(tail)


@pytest.fixture
def logs(tmp_path):
    directory = tmp_path / "logs"
    directory.mkdir()
    return directory


def usage_of(**filters) -> list[tuple]:
    return list(
        UsageDaily.objects.filter(**filters)
        .order_by("day", "engine", "status", "client")
        .values_list("day", "engine", "client", "service", "status", "calls")
    )


def total_calls() -> int:
    return sum(UsageDaily.objects.values_list("calls", flat=True))


# ------------------------------------------------------------------------------------------
# Ingestion
# ------------------------------------------------------------------------------------------


def test_lines_of_both_engines_become_daily_usage_and_evidence(logs):
    late_evening = datetime(2026, 3, 2, 18, 30, tzinfo=UTC).timestamp()  # 01:30 on 3 March in Hà Nội
    write(
        logs / "access-builtin.jsonl",
        [
            record(latency_ms=10, bytes_in=5, bytes_out=100),
            record(latency_ms=30, bytes_in=7, bytes_out=300),
            record(status=403, error="Server.ServerProxy.AccessDenied", latency_ms=1, bytes_out=80),
            record(ts=late_evening),
        ],
    )
    write(
        logs / "access-haproxy.jsonl",
        [record(engine="haproxy", client=CLIENT2, service=SERVICE2, status=504, latency_ms=5000.5)],
    )

    result = usage.ingest_logs(directory=logs)

    assert (result.files, result.lines, result.calls, result.malformed) == (2, 5, 5, 0)
    assert usage_of() == [
        (date(2026, 3, 2), "builtin", CLIENT, SERVICE, 200, 2),
        (date(2026, 3, 2), "builtin", CLIENT, SERVICE, 403, 1),
        (date(2026, 3, 2), "haproxy", CLIENT2, SERVICE2, 504, 1),
        (date(2026, 3, 3), "builtin", CLIENT, SERVICE, 200, 1),
    ]
    ok = UsageDaily.objects.get(day=date(2026, 3, 2), status=200)
    assert (ok.latency_ms_sum, ok.latency_ms_max, ok.bytes_in, ok.bytes_out) == (40, 30, 12, 400)
    assert CallEvidence.objects.count() == 5
    refused = CallEvidence.objects.get(status=403)
    assert refused.error_type == "Server.ServerProxy.AccessDenied"
    assert refused.at == datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    assert (refused.request_hash, refused.response_hash) == (EMPTY_SHA512, RESPONSE_SHA512)
    timeout = CallEvidence.objects.get(engine="haproxy")
    assert (timeout.client, timeout.service, timeout.latency_ms) == (CLIENT2, SERVICE2, 5000.5)


def test_haproxy_lines_with_escaped_slashes_and_whole_milliseconds_are_read(logs):
    # HAProxy's JSON log format writes "/" as "\\/" and latency as an integer (docs/lgsp.md).
    line = json.dumps(record(engine="haproxy", latency_ms=12, request_id="h-1")).replace("/", "\\/")
    assert "\\/" in line
    write(logs / "access-haproxy.jsonl", [(line + "\n").encode()])

    usage.ingest_logs(directory=logs)

    evidence = CallEvidence.objects.get(request_id="h-1")
    assert (evidence.client, evidence.service, evidence.latency_ms) == (CLIENT, SERVICE, 12.0)
    assert evidence.request_hash == EMPTY_SHA512


def test_running_twice_counts_nothing_twice(logs):
    write(logs / "access-builtin.jsonl", [record() for _ in range(7)])
    usage.ingest_logs(directory=logs)

    again = usage.ingest_logs(directory=logs)

    assert (again.lines, again.calls) == (0, 0)
    assert total_calls() == 7
    assert CallEvidence.objects.count() == 7


def test_lines_appended_later_are_added_to_the_same_rows(logs):
    path = logs / "access-builtin.jsonl"
    write(path, [record(latency_ms=10) for _ in range(3)])
    usage.ingest_logs(directory=logs)

    write(path, [record(latency_ms=50) for _ in range(2)])
    result = usage.ingest_logs(directory=logs)

    assert result.calls == 2
    row = UsageDaily.objects.get()
    assert (row.calls, row.latency_ms_sum, row.latency_ms_max) == (5, 130, 50)
    assert LogCursor.objects.get().offset == path.stat().st_size


def test_a_partial_last_line_waits_until_it_is_complete(logs):
    path = logs / "access-builtin.jsonl"
    whole = (json.dumps(record(request_id="half-written")) + "\n").encode()
    write(path, [record()], tail=whole[:40])

    first = usage.ingest_logs(directory=logs)

    assert (first.lines, first.malformed) == (1, 0)
    assert not CallEvidence.objects.filter(request_id="half-written").exists()

    write(path, [], tail=whole[40:])
    second = usage.ingest_logs(directory=logs)

    assert (second.lines, second.calls, second.malformed) == (1, 1, 0)
    assert CallEvidence.objects.filter(request_id="half-written").exists()


def test_malformed_lines_are_counted_skipped_and_logged_without_their_content(logs, caplog):
    secret = "001203004567"  # what a broken line could carry: a CCCD number
    write(
        logs / "access-builtin.jsonl",
        [
            record(),
            f'{{"ts": 1, "path": "/persons/{secret}"\n'.encode(),
            b"[1, 2, 3]\n",
            record(status="200"),
            record(engine="nginx"),
            record(request_id=""),
            record(latency_ms=-1),
            record(ts=float("nan")),
            b"\n",
            record(),
        ],
    )

    with caplog.at_level(logging.WARNING, logger="cqs.lgsp.usage"):
        result = usage.ingest_logs(directory=logs)

    assert (result.lines, result.calls, result.malformed) == (10, 2, 8)
    assert total_calls() == 2
    assert len(caplog.records) == 8
    assert secret not in caplog.text
    assert "persons" not in caplog.text


def test_a_rotated_log_is_finished_then_the_new_one_read_from_the_start(logs):
    path = logs / "access-haproxy.jsonl"
    write(path, [record(engine="haproxy") for _ in range(3)])
    usage.ingest_logs(directory=logs)
    # More lines land in the old file, then it is renamed and a new one started (logrotate).
    write(path, [record(engine="haproxy", request_id="tail-of-old") for _ in range(1)])
    os.rename(path, logs / "access-haproxy.jsonl.1")
    write(path, [record(engine="haproxy") for _ in range(2)], mode="w")

    result = usage.ingest_logs(directory=logs)

    assert result.restarts == 1
    assert result.calls == 3
    assert total_calls() == 6
    assert CallEvidence.objects.filter(request_id="tail-of-old").exists()
    cursor = LogCursor.objects.get()
    assert cursor.inode == path.stat().st_ino
    assert cursor.offset == path.stat().st_size
    assert usage.ingest_logs(directory=logs).calls == 0


def test_a_rotated_log_that_is_gone_restarts_the_new_file_at_zero(logs):
    path = logs / "access-builtin.jsonl"
    write(path, [record() for _ in range(4)])
    usage.ingest_logs(directory=logs)
    path.unlink()
    write(path, [record() for _ in range(2)], mode="w")

    result = usage.ingest_logs(directory=logs)

    assert (result.restarts, result.calls) == (1, 2)
    assert total_calls() == 6


def test_a_truncated_log_is_read_again_from_the_start(logs):
    path = logs / "access-builtin.jsonl"
    write(path, [record() for _ in range(5)])
    usage.ingest_logs(directory=logs)
    inode = path.stat().st_ino
    write(path, [record(status=500)], mode="w")  # copytruncate: same inode, shorter file
    assert path.stat().st_ino == inode

    result = usage.ingest_logs(directory=logs)

    assert (result.restarts, result.calls) == (1, 1)
    assert UsageDaily.objects.get(status=500).calls == 1


def test_evidence_is_one_row_per_call_even_when_a_client_reuses_its_request_id(logs):
    write(
        logs / "access-builtin.jsonl",
        [record(request_id="same"), record(request_id="same", ts=MORNING + 5)],
    )
    write(logs / "access-haproxy.jsonl", [record(engine="haproxy", request_id="same")])

    usage.ingest_logs(directory=logs)
    # a line read again (same engine, id and time) adds nothing
    path = logs / "access-builtin.jsonl"
    path.write_text(path.read_text() + json.dumps(record(request_id="same")) + "\n")
    usage.ingest_logs(directory=logs)

    assert sorted(CallEvidence.objects.values_list("engine", flat=True)) == ["builtin", "builtin", "haproxy"]
    assert total_calls() == 4


def test_batches_are_committed_one_by_one(logs, monkeypatch):
    monkeypatch.setattr(usage, "BATCH_LINES", 3)
    write(logs / "access-builtin.jsonl", [record() for _ in range(10)])

    result = usage.ingest_logs(directory=logs)

    assert (result.batches, result.calls) == (4, 10)
    assert total_calls() == 10


def test_a_failed_batch_leaves_the_cursor_before_it_and_the_next_run_catches_up(logs, monkeypatch):
    monkeypatch.setattr(usage, "BATCH_LINES", 4)
    write(logs / "access-builtin.jsonl", [record() for _ in range(10)])
    real = usage._add_evidence
    calls = {"n": 0}

    def failing_second_time(batch):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("database went away")
        real(batch)

    monkeypatch.setattr(usage, "_add_evidence", failing_second_time)
    with pytest.raises(RuntimeError):
        usage.ingest_logs(directory=logs)
    assert total_calls() == 4
    assert CallEvidence.objects.count() == 4

    monkeypatch.setattr(usage, "_add_evidence", real)
    usage.ingest_logs(directory=logs)

    assert total_calls() == 10
    assert CallEvidence.objects.count() == 10


def test_only_access_logs_are_read(logs):
    write(logs / "access-builtin.jsonl", [record()])
    write(logs / "error-builtin.jsonl", [record()])
    write(logs / "access-builtin.jsonl.1", [record()])

    result = usage.ingest_logs(directory=logs)

    assert (result.files, result.calls) == (1, 1)


def test_the_default_directory_is_the_logs_folder_of_cqs_lgsp_dir(settings, tmp_path):
    settings.CQS_LGSP_DIR = tmp_path
    (tmp_path / "logs").mkdir()
    write(tmp_path / "logs" / "access-builtin.jsonl", [record(), record()])

    assert usage.ingest_logs().calls == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_ingesters_count_every_line_once(logs, tmp_path, monkeypatch):
    if connection.vendor == "sqlite":
        return _concurrent_processes_on_sqlite(logs, tmp_path)
    # PostgreSQL: threads, each with its own connection, wait on each other's row locks.
    # Small batches so that the ingesters take turns on the cursors many times.
    monkeypatch.setattr(usage, "BATCH_LINES", 50)
    for engine in ("builtin", "haproxy"):
        write(logs / f"access-{engine}.jsonl", [record(engine=engine) for _ in range(1000)])
    errors = []

    def ingest():
        try:
            usage.ingest_logs(directory=logs)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ingest) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert usage_of() == [
        (date(2026, 3, 2), "builtin", CLIENT, SERVICE, 200, 1000),
        (date(2026, 3, 2), "haproxy", CLIENT, SERVICE, 200, 1000),
    ]
    assert CallEvidence.objects.count() == 2000


def _concurrent_processes_on_sqlite(logs, tmp_path):
    # Threads cannot share SQLite's in-memory test database (its shared cache fails with "table is
    # locked" instead of waiting), so this runs real processes of `cqs lgsp_ingest` on a file copy
    # of it, in WAL mode with IMMEDIATE transactions, as in production.
    database = tmp_path / "db.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(database) as target:
        connection.connection.backup(target)
    lines = 20_000
    for engine in ("builtin", "haproxy"):
        write(logs / f"access-{engine}.jsonl", [record(engine=engine) for _ in range(lines)])
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "CQS_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "cqs.manage", "lgsp_ingest", "--directory", str(logs)]

    workers = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603
        for _ in range(3)
    ]
    outputs = [worker.communicate(timeout=300) for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0, 0], [err.decode() for _, err in outputs]
    with sqlite3.connect(database) as db:
        usage_rows = db.execute(
            "SELECT engine, SUM(calls) FROM lgsp_usagedaily GROUP BY engine ORDER BY engine"
        ).fetchall()
        evidence = db.execute("SELECT COUNT(*) FROM lgsp_callevidence").fetchone()[0]
    assert usage_rows == [("builtin", lines), ("haproxy", lines)]
    assert evidence == 2 * lines


# ------------------------------------------------------------------------------------------
# Selectors
# ------------------------------------------------------------------------------------------


@pytest.fixture
def month(logs):
    """Calls over three days of March 2026, both engines."""

    def at(day: int, hour: int = 9) -> float:
        return datetime(2026, 3, day, hour - 7, 0, tzinfo=UTC).timestamp()

    write(
        logs / "access-builtin.jsonl",
        [
            record(ts=at(1), latency_ms=10, bytes_in=1, bytes_out=10),
            record(ts=at(1), latency_ms=30, bytes_in=1, bytes_out=10),
            record(ts=at(1), status=201, latency_ms=20),
            record(ts=at(1), status=429, error="Server.ServerProxy.RateLimitExceeded", latency_ms=1),
            record(
                ts=at(2), client=CLIENT2, status=502, error="Server.ServerProxy.ServiceFailed", latency_ms=4
            ),
            record(ts=at(3), service=SERVICE2, latency_ms=8),
        ],
    )
    write(logs / "access-haproxy.jsonl", [record(ts=at(1), engine="haproxy", latency_ms=50, request_id="h1")])
    usage.ingest_logs(directory=logs)


def test_usage_rows_group_by_day_client_service_and_status_class(month):
    rows = usage.usage_rows(start=date(2026, 3, 1), end=date(2026, 3, 31))

    assert [(r.day.day, r.client, r.service, r.status_class, r.calls, r.errors) for r in rows] == [
        (3, CLIENT, SERVICE2, "2xx", 1, 0),
        (2, CLIENT2, SERVICE, "5xx", 1, 1),
        (1, CLIENT, SERVICE, "2xx", 4, 0),
        (1, CLIENT, SERVICE, "4xx", 1, 1),
    ]
    ok = rows[2]
    assert (ok.latency_avg_ms, ok.latency_max_ms, ok.bytes_in, ok.bytes_out) == (27.5, 50, 2, 220)


def test_usage_rows_filter_by_days_services_clients_and_engine(month):
    assert [r.day.day for r in usage.usage_rows(start=date(2026, 3, 2), end=date(2026, 3, 2))] == [2]
    assert {
        r.service
        for r in usage.usage_rows(start=date(2026, 3, 1), end=date(2026, 3, 31), services=[SERVICE2])
    } == {SERVICE2}
    assert {
        r.client for r in usage.usage_rows(start=date(2026, 3, 1), end=date(2026, 3, 31), clients=[CLIENT2])
    } == {CLIENT2}
    assert usage.usage_rows(start=date(2026, 3, 1), end=date(2026, 3, 31), services=[]) == []
    haproxy = usage.usage_rows(start=date(2026, 3, 1), end=date(2026, 3, 31), engine="haproxy")
    assert [(r.calls, r.latency_avg_ms) for r in haproxy] == [(1, 50)]


def test_a_scope_shows_the_calls_to_my_services_or_of_my_clients(month):
    scope = usage.scope_q(services=[SERVICE2], clients=[CLIENT2])

    rows = usage.usage_rows(start=date(2026, 3, 1), end=date(2026, 3, 31), scope=scope)

    assert {(r.client, r.service) for r in rows} == {(CLIENT, SERVICE2), (CLIENT2, SERVICE)}
    assert usage.usage_rows(start=date(2026, 3, 1), end=date(2026, 3, 31), scope=usage.scope_q()) == []


def test_usage_totals_per_service_client_and_day(month):
    march = {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}

    by_service = usage.usage_totals(**march, group_by="service")
    by_client = usage.usage_totals(**march, group_by="client")
    by_day = usage.usage_totals(**march, group_by="day")

    assert [(t.key, t.calls, t.errors) for t in by_service] == [(SERVICE, 6, 2), (SERVICE2, 1, 0)]
    assert by_service[0].error_rate == round(2 / 6, 4)
    assert [(t.key, t.calls) for t in by_client] == [(CLIENT, 6), (CLIENT2, 1)]
    assert [(t.key, t.calls) for t in by_day] == [
        (date(2026, 3, 1), 5),
        (date(2026, 3, 2), 1),
        (date(2026, 3, 3), 1),
    ]
    assert by_day[0].latency_max_ms == 50
    with pytest.raises(ValueError):
        usage.usage_totals(**march, group_by="status")


def test_evidence_search_by_request_id_service_client_and_days(month):
    assert [e.request_id for e in usage.evidence_search(request_id="h1")] == ["h1"]
    assert len(usage.evidence_search(service=SERVICE2)) == 1
    assert len(usage.evidence_search(client=CLIENT2)) == 1
    first_day = usage.evidence_search(start=date(2026, 3, 1), end=date(2026, 3, 1))
    assert len(first_day) == 5
    assert len(usage.evidence_search(start=date(2026, 3, 2))) == 2
    newest = usage.evidence_search(limit=2)
    assert [e.at.date() for e in newest] == [date(2026, 3, 3), date(2026, 3, 2)]
    assert usage.evidence_search(scope=usage.scope_q(clients=[CLIENT2]))[0].client == CLIENT2
    moment = timezone.make_aware(datetime(2026, 3, 2, 9, 0))
    assert len(usage.evidence_search(start=moment, end=moment)) == 1


# ------------------------------------------------------------------------------------------
# Export, retention, command
# ------------------------------------------------------------------------------------------


def test_usage_csv_is_utf8_with_a_bom_and_vietnamese_headers(month):
    rows = usage.usage_rows(start=date(2026, 3, 1), end=date(2026, 3, 31))

    data = usage.usage_csv(rows)

    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "Ngày,Bên khai thác,Dịch vụ,Nhóm mã trạng thái,Số lượt gọi,Số lượt lỗi,"
        "Thời gian trung bình (ms),Thời gian lớn nhất (ms),Dữ liệu gửi (byte),Dữ liệu nhận (byte)"
    )
    assert lines[3] == f"2026-03-01,{CLIENT},{SERVICE},2xx,4,0,27.5,50,2,220"
    assert len(lines) == 1 + len(rows)


def test_usage_csv_never_hands_a_formula_to_a_spreadsheet():
    row = usage.UsageRow(date(2026, 3, 1), "=HYPERLINK(1)", "@x", "2xx", 1, 0, 1.0, 1.0, 0, 0)

    text = usage.usage_csv([row]).decode("utf-8-sig")

    assert ",'=HYPERLINK(1),'@x," in text


def test_evidence_purge_deletes_old_evidence_only_and_is_audited(logs):
    now = timezone.now()
    old = (now - timedelta(days=400)).timestamp()
    write(logs / "access-builtin.jsonl", [record(ts=old), record(ts=old), record(ts=now.timestamp())])
    usage.ingest_logs(directory=logs)

    deleted = usage.evidence_purge(older_than_days=365)

    assert deleted == 2
    assert CallEvidence.objects.count() == 1
    assert total_calls() == 3  # the daily counts hold no personal data and stay
    event = AuditEvent.objects.get(action="lgsp.evidence.purge")
    assert event.after["deleted"] == 2
    assert usage.evidence_purge() == 0
    with pytest.raises(ValueError):
        usage.evidence_purge(older_than_days=0)


def test_the_command_ingests_once_and_reports_counts(logs):
    write(logs / "access-builtin.jsonl", [record(), record(), b"not json\n"])
    out = StringIO()

    call_command("lgsp_ingest", directory=logs, stdout=out)

    assert "Đã đọc 3 dòng từ 1 tệp: 2 lượt gọi, 1 dòng lỗi bỏ qua" in out.getvalue()
    assert total_calls() == 2


def test_the_command_follows_until_interrupted_and_can_purge(logs, monkeypatch):
    old, now = (timezone.now() - timedelta(days=40)).timestamp(), timezone.now().timestamp()
    write(logs / "access-builtin.jsonl", [record(ts=old), record(ts=now)])
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 1:
            write(logs / "access-builtin.jsonl", [record(ts=now)])
            return
        raise KeyboardInterrupt

    monkeypatch.setattr("cqs.lgsp.management.commands.lgsp_ingest.time.sleep", sleep)
    out = StringIO()

    call_command("lgsp_ingest", directory=logs, follow=True, interval=2, purge_older_than=30, stdout=out)

    assert sleeps == [2, 2]
    assert total_calls() == 3
    assert CallEvidence.objects.count() == 2
    assert "Đã xóa 1 chứng cứ" in out.getvalue()
    assert out.getvalue().rstrip().endswith("Đã dừng.")


def test_the_command_says_so_when_there_is_no_log_directory(tmp_path):
    out = StringIO()

    call_command("lgsp_ingest", directory=tmp_path / "missing", stdout=out)

    assert "Chưa có thư mục nhật ký" in out.getvalue()


def test_inside_an_outer_transaction_batches_become_savepoints(logs):
    # Called from a task or a request that already holds a transaction, it still commits per batch
    # as savepoints and leaves the outer transaction usable.
    write(logs / "access-builtin.jsonl", [record()])
    with transaction.atomic():
        assert usage.ingest_logs(directory=logs).calls == 1
    assert total_calls() == 1
