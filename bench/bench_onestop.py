"""Load benchmark of the dossier API (issue 3, "Speed"): online submission and public lookup,
each next to a plain Django REST framework create/retrieve on the same table, same run.

Targets: ``POST /api/v1/dossiers/`` >= 200 per second and ``GET /api/v1/lookup/`` >= 1,000 per
second at 32 concurrent clients, p95 < 200 ms, and each at least 0.5 of its baseline.

Needs PostgreSQL (``DATABASE_URL``) and ``wrk`` (Debian package); without them it prints
"skipped" and measures nothing. It creates a scratch database ``cqs_bench`` next to the one
``DATABASE_URL`` names (dropped at the end; the role needs CREATEDB), migrates it, loads the demo
(orgs, accounts, catalogue, demo dossiers), a bench procedure without documents, citizens and
existing dossiers, then starts the real server (``cqs serve --no-tasks --workers 2``: Granian,
the whole middleware stack, ``bench/settings_bench.py``) and drives it with ``wrk`` on the same
machine: the load generator competes with the server and PostgreSQL for the same cores.

    python bench/bench_onestop.py [--quick] [--duration 15] [--clients 32] [--units 1] [--keep-db]

Exits 1 when a target is missed or a request fails. Results go to bench/results/.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from importlib import import_module
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
WRK_DIR = ROOT / "bench" / "wrk"
BENCH_DB = "cqs_bench"
PROCEDURE_CODE = "9.999999"  # outside the demo catalogue's 9.990001-9.990021
# The demo loaders the benchmark needs (cqs demo without the plan): units, accounts, catalogue.
DEMO_LOADERS = ("cqs.orgs.demo", "cqs.accounts.demo", "cqs.onestop.demo")
TARGETS = {"submit": 200.0, "lookup": 1000.0}
P95_LIMIT_MS = 200.0
RATIO_TARGET = 0.5
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- scratch database and Django in this process ------------------------------------------------


def scratch_database(url: str, *, drop_only: bool = False) -> str:
    import psycopg

    parts = urlsplit(url)
    admin = psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname=parts.path.lstrip("/") or "postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        if not drop_only:
            admin.execute(f"CREATE DATABASE {BENCH_DB}")
    return parts._replace(path=f"/{BENCH_DB}").geturl()


def bench_environment(database_url: str, data_dir: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CQS_DATA_DIR": data_dir,
        "CQS_SECRET_KEY": secrets.token_urlsafe(50),
        "CQS_DEBUG": "0",
        "CQS_LOG_LEVEL": "WARNING",
        "CQS_STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "DJANGO_SETTINGS_MODULE": "bench.settings_bench",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    # Production with PostgreSQL keeps connections (README); 0 would add a connect per request.
    env.setdefault("CQS_DB_CONN_MAX_AGE", "60")
    env.pop("CQS_HTTPS", None)
    return env


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    Path(env["CQS_DATA_DIR"], "static").mkdir(exist_ok=True)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def load_data(*, citizens: int, dossiers: int, sessions: int, units: int, work: Path) -> dict:
    """Migrate, load the demo and the bench data; write the files the wrk scripts read."""
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.core.management import call_command
    from django.db import transaction
    from django.test import RequestFactory
    from django.utils import timezone

    from cqs.accounts.models import CitizenProfile, User
    from cqs.accounts.services import user_login
    from cqs.onestop.choices import Channel, DossierStatus, Stage
    from cqs.onestop.models import Dossier, DossierEvent
    from cqs.onestop.services import procedure_version_publish
    from cqs.orgs.models import OrgUnit

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    for loader in DEMO_LOADERS:
        import_module(loader).load_demo(log=lambda line: None)
    demo_s = time.perf_counter() - started

    today = timezone.localdate()
    communes = list(
        OrgUnit.objects.as_of(today)
        .filter(kind__code="xa")
        .exclude(identifier="")
        .order_by("identifier")[:units]
    )
    if len(communes) < units:
        raise SystemExit(f"bench: the orgs demo has fewer than {units} communes in force with an identifier")
    unit = communes[0]
    version = procedure_version_publish(
        procedure_code=PROCEDURE_CODE,
        data={
            "name": "Thủ tục thử tải (không có thành phần hồ sơ)",
            "sector_code": "thu-tai",
            "sector_name": "Thử tải",
            "levels": ["xa"],
            "online_level": "toan-trinh",
            "channels": [Channel.ONLINE],
            "processing_time": 5,
            "processing_time_unit": "working_days",
            "fees": [],
            "documents": [],
            "form_fields": [],
        },
        valid_from=today,
        units=communes,
    )

    # Citizens and existing dossiers written directly: the benchmark needs them, not their story.
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(username=f"bench.citizen.{i:05d}", full_name=f"Công dân thử tải {i}", password="!")  # noqa: S106 (unusable)
            for i in range(1, citizens + 1)
        )
        CitizenProfile.objects.bulk_create(
            CitizenProfile(user=user, cccd=f"099{i:09d}", phone=f"09{i:08d}")
            for i, user in enumerate(users, start=1)
        )
        now = timezone.now()
        rows = []
        for i in range(dossiers):
            user = users[i % len(users)]
            day = today - dt.timedelta(days=1 + i // 100)
            at = now - dt.timedelta(days=1 + i // 100)
            rows.append(
                Dossier(
                    code=f"{unit.identifier}-{day:%y%m%d}-{i % 100 + 9001:04d}",  # above the demo's numbers
                    procedure=version.procedure,
                    version=version,
                    unit=unit,
                    handling_unit=unit,
                    status=DossierStatus.RECEIVED,
                    stage=Stage.WAITING,
                    channel=Channel.ONLINE,
                    applicant=user,
                    created_by=user,
                    applicant_name=user.full_name,
                    applicant_cccd=f"099{i % len(users) + 1:09d}",
                    applicant_phone=f"09{i % len(users) + 1:08d}",
                    submitted_at=at,
                    received_at=at,
                    due_at=at + dt.timedelta(days=7),
                )
            )
        made = Dossier.objects.bulk_create(rows, batch_size=1000)
        DossierEvent.objects.bulk_create(
            (
                DossierEvent(
                    dossier=dossier, action=action, from_status=a, to_status=b, at=dossier.received_at
                )
                for dossier in made
                for action, a, b in (("submit", 0, 1), ("receive", 1, 2))
            ),
            batch_size=2000,
        )

    # Signed-in citizens: a session opened by the login service (as the login page does) and a
    # CSRF secret, which Django accepts unmasked in the X-CSRFToken header.
    factory = RequestFactory()
    with (work / "sessions.txt").open("w") as out:
        for user in users[:sessions]:
            request = factory.post("/accounts/login/")
            SessionMiddleware(lambda r: None).process_request(request)
            request.user = user
            user_login(request=request, user=user)
            request.session.save()
            out.write(f"{request.session.session_key} {secrets.token_hex(16)}\n")

    codes = [(d.code, d.applicant_phone[-4:]) for d in made]
    random.Random(326).shuffle(codes)  # noqa: S311 - an order, not a secret
    (work / "codes.txt").write_text("".join(f"{code} {secret}\n" for code, secret in codes))
    # A procedure without form fields asks for the default one, "noi_dung" (dynforms).
    form = {"noi_dung": "Đề nghị cấp giấy xác nhận (thử tải)."}
    # One body per receiving unit; the wrk script takes them in turn. Each unit has its own daily
    # counter of dossier codes (one row, locked until commit), so --units spreads that lock.
    ours = [{"procedure": PROCEDURE_CODE, "unit": u.pk, "form_data": form} for u in communes]
    baseline = [
        {
            "procedure": version.procedure_id,
            "version": version.pk,
            "unit": u.pk,
            "channel": Channel.ONLINE,
            "applicant_name": "Công dân thử tải",
            "form_data": form,
        }
        for u in communes
    ]
    (work / "submit.json").write_text("".join(json.dumps(body) + "\n" for body in ours))
    (work / "baseline.json").write_text("".join(json.dumps(body) + "\n" for body in baseline))
    return {
        "setup_s": round(time.perf_counter() - started, 1),
        "migrate_and_demo_s": round(demo_s, 1),
        "receiving_units": [f"{u.name} ({u.identifier})" for u in communes],
        "citizens": citizens,
        "existing_dossiers": Dossier.objects.count(),
        "sessions": sessions,
    }


# --- where the time goes: the same requests in this process, statement by statement --------------

_TABLE = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM|SELECT .*? FROM)\s+"([a-z_]+)"', re.S | re.I)


def _statement_kind(sql: str) -> str:
    match = _TABLE.match(sql)
    if match:
        verb = match.group(1).split()[0].upper()
        return f"{verb} {match.group(2)}"
    return " ".join(sql.split()[:2]).upper()[:40]


def profile_requests(work: Path, count: int) -> dict:
    """Send ``count`` requests of each kind through Django's test client (the same middleware,
    no HTTP server, one at a time), timing every SQL statement (grouped by verb and table) and
    the CPU used by this process and by its PostgreSQL backend. CPU time per request hardly
    depends on what else the machine runs, unlike the rates, so it tells where the time goes."""
    import statistics

    from django.db import connection
    from django.test import Client

    from cqs.accounts.models import User

    citizen = User.objects.get(username="bench.citizen.00001")
    codes = [line.split() for line in (work / "codes.txt").read_text().splitlines()]
    bodies = {name: (work / f"{name}.json").read_text().splitlines()[0] for name in ("submit", "baseline")}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    def send(client, name: str, i: int):
        code, secret = codes[i % len(codes)]
        if name == "submit_ours":
            return client.post(
                "/api/v1/dossiers/", bodies["submit"], content_type="application/json",
                headers={"Idempotency-Key": f"profile-{i}"},
            ), 201  # fmt: skip
        if name == "submit_baseline":
            return client.post(
                "/bench/baseline/dossiers/", bodies["baseline"], content_type="application/json"
            ), 201
        if name == "lookup_ours":
            return client.get("/api/v1/lookup/", {"code": code, "secret": secret}), 200
        return client.get(f"/bench/baseline/dossiers/{code}/"), 200

    results = {}
    for name in ("submit_ours", "submit_baseline", "lookup_ours", "lookup_baseline"):
        client = Client()
        if name.startswith("submit"):
            client.force_login(citizen)  # lookups are anonymous, as in the load runs
        for i in range(5):  # warm-up: first-request imports and caches
            send(client, name, count + i)
        statements: Counter = Counter()
        seconds: Counter = Counter()

        def timer(execute, sql, params, many, context, statements=statements, seconds=seconds):
            start = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                kind = _statement_kind(sql)
                statements[kind] += 1
                seconds[kind] += time.perf_counter() - start

        walls, cpus = [], []
        pg_before = _ticks(backend)
        with connection.execute_wrapper(timer):
            for i in range(count):
                wall, cpu = time.perf_counter(), time.thread_time()
                response, expected = send(client, name, i)
                walls.append(time.perf_counter() - wall)
                cpus.append(time.thread_time() - cpu)
                if response.status_code != expected:
                    raise SystemExit(f"profile {name}: {response.status_code} {response.content[:300]!r}")
        pg_cpu = (_ticks(backend) - pg_before) / CLK_TCK
        results[name] = {
            "requests": count,
            "wall_ms_median": statistics.median(walls) * 1e3,
            "python_cpu_ms_median": statistics.median(cpus) * 1e3,
            "postgres_cpu_ms_mean": pg_cpu / count * 1e3,
            "sql_wall_ms_mean": sum(seconds.values()) / count * 1e3,
            "statements_per_request": sum(statements.values()) / count,
            "top_statements": [
                {
                    "statement": kind,
                    "per_request": statements[kind] / count,
                    "ms": seconds[kind] / count * 1e3,
                }
                for kind, _s in seconds.most_common(10)
            ],
        }
    return results


# --- the server and the load generator ----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(env: dict[str, str], port: int, workers: int, log_path: Path) -> subprocess.Popen:
    log = log_path.open("w")
    command = [sys.executable, "-m", "cqs.manage", "serve", "--no-tasks"]
    command += ["--workers", str(workers), "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"bench: the server exited ({server.returncode}); see {log_path}")
        healthz = f"http://127.0.0.1:{port}/healthz"
        with contextlib.suppress(OSError), urllib.request.urlopen(healthz, timeout=2) as response:
            if response.status == 200:
                return server
        time.sleep(0.3)
    stop_server(server)
    raise SystemExit(f"bench: the server did not answer /healthz within 60 s; see {log_path}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def check_once(base: str, work: Path) -> None:
    """One request of each kind before loading the server: a wrong answer stops the run."""
    session, csrf = (work / "sessions.txt").read_text().split("\n")[0].split()
    code, secret = (work / "codes.txt").read_text().split("\n")[0].split()
    headers = {
        "Cookie": f"sessionid={session}; csrftoken={csrf}",
        "X-CSRFToken": csrf,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    probes = [
        ("POST", "/api/v1/dossiers/", (work / "submit.json").read_bytes().splitlines()[0], 201),
        ("POST", "/bench/baseline/dossiers/", (work / "baseline.json").read_bytes().splitlines()[0], 201),
        ("GET", f"/api/v1/lookup/?code={code}&secret={secret}", None, 200),
        ("GET", f"/bench/baseline/dossiers/{code}/", None, 200),
    ]
    for method, path, body, expected in probes:
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            base + path,
            data=body,
            method=method,
            headers={**headers, "Idempotency-Key": secrets.token_hex(8)},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                status, content = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, content = error.code, error.read()
        if status != expected:
            raise SystemExit(f"bench: {method} {path} answered {status}, not {expected}: {content[:400]!r}")


def _ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def cpu_snapshot(server_pid: int) -> dict:
    """CPU seconds used so far by the server's processes, by each of PostgreSQL's bench backends
    (by pid: a backend may end between two snapshots) and by the whole machine."""
    parents, server, postgres = {}, 0, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            with open(f"/proc/{entry}/stat") as fh:
                parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                if f" {BENCH_DB} ".encode() in fh.read():
                    postgres[int(entry)] = _ticks(int(entry)) / CLK_TCK
    family = {server_pid}
    for _ in range(4):  # serve -> granian -> workers
        family |= {pid for pid, parent in parents.items() if parent in family}
    for pid in family:
        with contextlib.suppress(OSError, IndexError, ValueError):
            server += _ticks(pid)
    with open("/proc/stat") as fh:
        total = sum(int(x) for x in fh.readline().split()[1:8])
    return {"server": server / CLK_TCK, "postgres": postgres, "machine": total / CLK_TCK}


class WaitSampler(threading.Thread):
    """Samples what PostgreSQL's active bench backends wait on, every 0.2 s."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.stop, self.samples, self.waits = url, threading.Event(), 0, Counter()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.wait(0.2):
                rows = conn.execute(
                    "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU (running)')"
                    " FROM pg_stat_activity WHERE datname = %s AND state = 'active'"
                    " AND pid <> pg_backend_pid()",
                    [BENCH_DB],
                ).fetchall()
                self.samples += 1
                self.waits.update(row[0] for row in rows)


def run_wrk(
    script: str, url: str, script_args: list[str], *, duration: float, clients: int, threads: int
) -> dict:
    command = ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{duration:g}s", "--timeout", "10s"]
    # "{run}" in an argument becomes a token new for each wrk run (Idempotency-Keys never repeat).
    run = secrets.token_hex(4)
    command += ["-s", str(WRK_DIR / script), url, "--", *(arg.replace("{run}", run) for arg in script_args)]
    before = os.times()
    done = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, env={**os.environ, "LUA_PATH": f"{WRK_DIR}/?.lua;;"}
    )
    after = os.times()
    line = next((row for row in done.stdout.splitlines() if row.startswith("WRK_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"bench: wrk failed ({done.returncode}): {done.stdout[-800:]} {done.stderr[-800:]}")
    result = json.loads(line.removeprefix("WRK_RESULT "))
    result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
    result["wrk_cpu_s"] = (after.children_user + after.children_system) - (
        before.children_user + before.children_system
    )
    return result


def measure(name: str, scenario: dict, *, base: str, args, server_pid: int, db_url: str, count_rows) -> dict:
    run = {"duration": args.warmup, "clients": args.clients, "threads": args.threads}
    run_wrk(scenario["script"], base + scenario["path"], scenario["args"], **run)
    rows_before, cpu_before = count_rows(), cpu_snapshot(server_pid)
    sampler = WaitSampler(db_url)
    sampler.start()
    result = run_wrk(
        scenario["script"], base + scenario["path"], scenario["args"], **{**run, "duration": args.duration}
    )
    sampler.stop.set()
    sampler.join()
    cpu_after = cpu_snapshot(server_pid)
    seconds = result["duration_us"] / 1e6
    result["rows_added"] = count_rows() - rows_before
    # Backends that ended during the run are missed (an underestimate); new ones count in full.
    postgres = sum(t - cpu_before["postgres"].get(pid, 0.0) for pid, t in cpu_after["postgres"].items())
    result["cpu_share"] = {
        "server": (cpu_after["server"] - cpu_before["server"]) / seconds,
        "postgres": postgres / seconds,
    } | {
        "wrk": result["wrk_cpu_s"] / seconds,
        "machine": (cpu_after["machine"] - cpu_before["machine"]) / seconds,
    }
    result["pg_waits"] = {key: n / max(sampler.samples, 1) for key, n in sampler.waits.most_common(6)}
    print(
        f"  {name:<34} {result['rate']:>8.0f}/s  p50 {result['latency_us']['p50'] / 1e3:6.1f} ms  "
        f"p95 {result['latency_us']['p95'] / 1e3:6.1f} ms  errors {sum(result['errors'].values())}",
        flush=True,
    )
    return result


# --- report -------------------------------------------------------------------------------------


def verdicts(results: dict) -> list[tuple[str, bool]]:
    checks = []
    for kind, label in (("submit", "submission"), ("lookup", "lookup by code")):
        ours, base = results[f"{kind}_ours"], results[f"{kind}_baseline"]
        checks += [
            (f"{label}: {ours['rate']:.0f}/s >= {TARGETS[kind]:.0f}/s", ours["rate"] >= TARGETS[kind]),
            (
                f"{label}: p95 {ours['latency_us']['p95'] / 1e3:.1f} ms < {P95_LIMIT_MS:.0f} ms",
                ours["latency_us"]["p95"] / 1e3 < P95_LIMIT_MS,
            ),
            (
                f"{label}: ratio to plain DRF {ours['rate'] / base['rate']:.2f} >= {RATIO_TARGET}",
                ours["rate"] / base["rate"] >= RATIO_TARGET,
            ),
        ]
        for name in (f"{kind}_ours", f"{kind}_baseline"):
            if kind == "submit":
                # Every 2xx answer must be a new dossier (no replay, nothing lost).
                made, answered = results[name]["rows_added"], results[name]["requests"]
                checks.append((f"{name}: {made} dossiers stored for {answered} answers", made >= answered))
            errors = sum(results[name]["errors"].values())
            checks.append(
                (f"{name}: {errors} failed requests (non-2xx, timeouts, socket errors)", errors == 0)
            )
    return checks


def report(results: dict, profile: dict | None) -> None:
    print()
    title = f"at {results['meta']['clients']} clients"
    print(f"{title:<34}{'ours':>10}{'p95':>9}{'baseline':>11}{'p95':>9}{'ratio':>8}")
    for kind, label in (("submit", "POST /api/v1/dossiers/"), ("lookup", "GET /api/v1/lookup/")):
        ours, base = results[f"{kind}_ours"], results[f"{kind}_baseline"]
        ours_p95, base_p95 = ours["latency_us"]["p95"] / 1e3, base["latency_us"]["p95"] / 1e3
        print(
            f"{label:<34}{ours['rate']:>8.0f}/s{ours_p95:>6.1f} ms"
            f"{base['rate']:>9.0f}/s{base_p95:>6.1f} ms{ours['rate'] / base['rate']:>8.2f}"
        )
    print("(baseline: DRF ModelSerializer CreateAPIView / RetrieveAPIView on onestop.Dossier, same server)")
    if "reference_healthz" in results:
        ref = results["reference_healthz"]
        label, p95 = "GET /healthz (machine reference)", ref["latency_us"]["p95"] / 1e3
        print(f"{label:<34}{ref['rate']:>8.0f}/s{p95:>6.1f} ms   (SELECT 1 through the whole middleware)")
    print()
    print("CPU (cores busy during each run; 2 = the whole machine) and what PostgreSQL backends waited on:")
    for name, result in results.items():
        if name == "meta":
            continue
        share = result["cpu_share"]
        waits = ", ".join(f"{key} {value:.1f}" for key, value in result["pg_waits"].items())
        per_request = (share["server"] + share["postgres"]) / result["rate"] * 1e3
        print(
            f"  {name:<16} server {share['server']:.2f}  postgres {share['postgres']:.2f}"
            f"  wrk {share['wrk']:.2f}  (machine {share['machine']:.2f}) = {per_request:.1f} ms CPU per"
            f" request; rows added {result['rows_added']}; active backends: {waits or '-'}"
        )
    if profile:
        print()
        print(
            "Where the time goes, one request at a time through Django's test client (no server); CPU per"
            " request barely depends on the machine's other load, rates do:"
        )
        for name, data in profile.items():
            cpu = data["python_cpu_ms_median"] + data["postgres_cpu_ms_mean"]
            print(
                f"  {name}: {data['wall_ms_median']:.2f} ms wall (median); CPU"
                f" {data['python_cpu_ms_median']:.2f} ms Python + {data['postgres_cpu_ms_mean']:.2f} ms"
                f" PostgreSQL = at most ~{2000 / cpu:.0f}/s on 2 cores;"
                f" {data['statements_per_request']:.1f} SQL statements, {data['sql_wall_ms_mean']:.2f} ms"
            )
            for row in data["top_statements"]:
                print(f"      {row['ms']:6.3f} ms  x{row['per_request']:<4.1f} {row['statement']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 s runs and less data (a smoke run)")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up before each run")
    parser.add_argument("--clients", type=int, default=32, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--citizens", type=int, default=3000)
    parser.add_argument("--dossiers", type=int, default=5000, help="existing dossiers (looked up)")
    parser.add_argument(
        "--units", type=int, default=1, help="communes receiving the submissions (1: one busy commune)"
    )
    parser.add_argument("--profile", type=int, default=100, help="requests profiled in process (0: none)")
    parser.add_argument("--keep-db", action="store_true", help=f"keep the {BENCH_DB} database afterwards")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.warmup, args.citizens, args.dossiers, args.profile = 5.0, 1.0, 500, 1000, 20

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("onestop load benchmark: skipped: needs DATABASE_URL (PostgreSQL)")
        return 0
    if shutil.which("wrk") is None:
        print("onestop load benchmark: skipped: needs wrk (Debian: apt-get install wrk)")
        return 0

    print(f"onestop load benchmark: scratch database {BENCH_DB}, {args.clients} clients, wrk on this machine")
    db_url = scratch_database(url)
    server = None
    try:
        with tempfile.TemporaryDirectory(prefix="cqs-bench-onestop-") as data_dir:
            work = Path(data_dir)
            env = bench_environment(db_url, data_dir)
            setup_django(env)
            setup = load_data(
                units=args.units,
                citizens=args.citizens,
                dossiers=args.dossiers,
                sessions=args.clients,
                work=work,
            )
            print(f"setup: {setup['setup_s']} s (migrate + demo {setup['migrate_and_demo_s']} s); {setup}")
            profile = profile_requests(work, args.profile) if args.profile else None

            from django.db import connections

            from cqs.onestop.models import Dossier

            connections.close_all()
            port = free_port()
            server = start_server(env, port, args.workers, work / "server.log")
            base = f"http://127.0.0.1:{port}"
            check_once(base, work)
            print(f"server: cqs serve --no-tasks --workers {args.workers} (pid {server.pid}) on {base}")

            sessions, threads = str(work / "sessions.txt"), str(args.threads)
            scenarios = {
                # How fast this machine serves the smallest request today (PLATFORM_NOTES: ~1,250/s).
                "reference_healthz": {"script": "get.lua", "path": "/healthz", "args": ["/healthz"]},
                "submit_ours": {
                    "script": "submit.lua",
                    "path": "/api/v1/dossiers/",
                    "args": [sessions, str(work / "submit.json"), "/api/v1/dossiers/", "o{run}", threads],
                },
                "submit_baseline": {
                    "script": "submit.lua",
                    "path": "/bench/baseline/dossiers/",
                    "args": [
                        sessions,
                        str(work / "baseline.json"),
                        "/bench/baseline/dossiers/",
                        "b{run}",
                        threads,
                    ],
                },
                "lookup_ours": {
                    "script": "lookup.lua",
                    "path": "/api/v1/lookup/",
                    "args": [str(work / "codes.txt"), "/api/v1/lookup/?code={code}&secret={secret}", threads],
                },
                "lookup_baseline": {
                    "script": "lookup.lua",
                    "path": "/bench/baseline/dossiers/",
                    "args": [str(work / "codes.txt"), "/bench/baseline/dossiers/{code}/", threads],
                },
            }
            results: dict = {
                "meta": {
                    "clients": args.clients,
                    "duration_s": args.duration,
                    "server_workers": args.workers,
                    "server_threads_per_worker": 2 * (os.cpu_count() or 1) + 1,
                    "wrk_threads": args.threads,
                    "receiving_units": args.units,
                    "conn_max_age": env["CQS_DB_CONN_MAX_AGE"],
                    "setup": setup,
                }
            }
            for name, scenario in scenarios.items():
                results[name] = measure(
                    name,
                    scenario,
                    base=base,
                    args=args,
                    server_pid=server.pid,
                    db_url=db_url,
                    count_rows=lambda: Dossier.objects.count(),
                )
                connections.close_all()
            stop_server(server)
            server = None
    finally:
        if server is not None:
            stop_server(server)
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if not args.keep_db:
            scratch_database(url, drop_only=True)

    report(results, profile)
    checks = verdicts(results)
    print()
    for label, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")

    args.results.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.results / f"{stamp}-onestop.json"
    path.write_text(
        json.dumps(
            {
                "when": stamp,
                "python": sys.version.split()[0],
                "machine": platform.platform(),
                "cpus": os.cpu_count(),
                "load_generator": "wrk on the same machine",
                "results": results,
                "profile": profile,
                "checks": [{"check": label, "pass": ok} for label, ok in checks],
            },
            indent=2,
        )
    )
    print(f"results: {path}")
    return 0 if all(ok for _label, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
