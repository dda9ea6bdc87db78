"""Benchmark of the LGSP data plane (issue 6, "Speed"): both gateway engines against a plain proxy.

Each figure is printed next to a baseline measured in the same run, as a ratio:

(a) direct: ``wrk`` straight to the upstream, an HAProxy answering a fixed 1 KiB JSON with
    ``http-request return`` (a C server, so the upstream is never the bottleneck);
(b) baseline: a plain HAProxy reverse proxy to it (no checks, no log);
(c) our HAProxy gateway (``cqs lgsp_gateway --engine haproxy``): API key, grant, rate limit (high
    limit), hashes and the JSON access log. Targets: p50 added over direct <= 0.3 ms, and at
    least 0.70 of (b)'s requests per second;
(d) the built-in proxy (``--engine builtin``) on one core: >= 2,000 requests/s;
(e) publishing (compile + ``haproxy -c`` + swap + reload) with 1,000 services and 5,000 grants:
    < 2 s, and zero failed requests (non-2xx or socket errors) while ``wrk`` runs against the
    gateway during 5 reloads.

Layout on the 2-core machines we have: ``wrk`` and the upstream on CPU 0, the proxy under test
alone on CPU 1 (``taskset``); ``--cpus-wrk`` / ``--cpus-proxy`` change that. Keep-alive, no TLS.
Runs in a temporary directory with its own SQLite database (migrated here); needs ``haproxy`` and
``wrk`` (Debian packages). About two to three minutes:

    python bench/bench_lgsp_gateway.py [--duration 5] [--connections 8]

Exits 1 when a target is missed. Results go to bench/results/.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

TARGET_ADDED_P50_MS = 0.3
TARGET_RATIO_TO_PLAIN = 0.70
TARGET_BUILTIN_RPS = 2000.0
TARGET_PUBLISH_S = 2.0
BULK_SERVICES = 1000
BULK_GRANTS = 5000
RELOADS = 5
BODY_BYTES = 1024

# A one-line JSON summary from wrk (the Lua "done" hook), parsed below.
WRK_SCRIPT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


# --- processes ----------------------------------------------------------------------------------


def free_port() -> int:
    from cqs.lgsp.testing import free_port as _free_port

    return _free_port()


def wait_port(port: int, timeout: float = 20) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.05)
    raise SystemExit(f"bench: nothing listens on 127.0.0.1:{port} after {timeout} s")


@contextlib.contextmanager
def haproxy(config: str, directory: Path, name: str, cpus: str):
    """A throw-away HAProxy (``-db``: foreground) pinned to ``cpus``."""
    path = directory / f"{name}.cfg"
    path.write_text(config)
    command = ["haproxy", "-c", "-q", "-f", str(path)]
    check = subprocess.run(command, capture_output=True, text=True)  # noqa: S603
    if check.returncode != 0:
        raise SystemExit(f"bench: {name} config invalid: {check.stdout}{check.stderr}")
    with (directory / f"{name}.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            ["taskset", "-c", cpus, "haproxy", "-db", "-f", str(path)],  # noqa: S607
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


GLOBAL = """global
    nbthread 1
    maxconn 4000
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    option http-keep-alive
"""


def upstream_config(port: int, body: Path) -> str:
    return GLOBAL + (
        f"frontend upstream\n    bind 127.0.0.1:{port}\n"
        f"    http-request return status 200 content-type application/json file {body}\n"
    )


def plain_proxy_config(port: int, upstream_port: int) -> str:
    return GLOBAL + (
        f"frontend plain\n    bind 127.0.0.1:{port}\n    default_backend upstream\n"
        f"backend upstream\n    server s1 127.0.0.1:{upstream_port}\n"
    )


def run_wrk(
    url: str,
    *,
    script: Path,
    cpus: str,
    duration: float,
    connections: int,
    headers: dict[str, str] | None = None,
) -> dict:
    command = ["taskset", "-c", cpus, "wrk", "-t", "1", "-c", str(connections), "-d", f"{duration:g}s"]
    command += ["--timeout", "5s", "-s", str(script)]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run([*command, url], capture_output=True, text=True)  # noqa: S603
    line = next((row for row in done.stdout.splitlines() if row.startswith("WRK_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"bench: wrk failed ({done.returncode}): {done.stdout[-800:]} {done.stderr[-800:]}")
    result = json.loads(line.removeprefix("WRK_RESULT "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["p50_ms"] = result["latency_us"]["p50"] / 1000
    result["failed"] = sum(result["errors"].values())
    return result


def measure(url: str, args, *, headers: dict[str, str] | None = None) -> dict:
    """p50 at one connection, then requests/s at ``--connections`` (after a short warm-up)."""
    common = {"script": args.wrk_script, "cpus": args.cpus_wrk, "headers": headers}
    run_wrk(url, duration=1, connections=args.connections, **common)
    latency = run_wrk(url, duration=args.duration, connections=1, **common)
    throughput = run_wrk(url, duration=args.duration, connections=args.connections, **common)
    return {
        "p50_ms": latency["p50_ms"],
        "p99_ms": latency["latency_us"]["p99"] / 1000,
        "rps": throughput["rps"],
        "failed": latency["failed"] + throughput["failed"],
        "latency_run": latency,
        "throughput_run": throughput,
    }


def fetch_status(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - our own gateway
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


# --- Django and the registry ---------------------------------------------------------------------


def setup_django(work: Path, gateway_port: int) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="cqs.settings",
        CQS_DATA_DIR=str(work / "data"),
        DATABASE_URL=f"sqlite:///{work / 'bench.sqlite3'}",
        CQS_LGSP_DIR=str(work / "lgsp-haproxy"),
        CQS_LGSP_ENGINE="haproxy",
        CQS_LGSP_GATEWAY_URL=f"http://127.0.0.1:{gateway_port}",
        CQS_LOG_LEVEL="WARNING",
    )
    (work / "data").mkdir(exist_ok=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def create_registry(upstream_url: str) -> dict:
    """One provider service and one client with an API key and a (very high) rate limit."""
    from cqs.lgsp.services import access, registry

    provider_member = registry.member_create(member_class="GOV", code="000.00.00.H62", name="Công an tỉnh")
    client_member = registry.member_create(member_class="GOV", code="000.00.01.H62", name="Văn phòng UBND")
    provider = registry.subsystem_create(member=provider_member, code="csdl-dancu", name="CSDL dân cư")
    client = registry.subsystem_create(member=client_member, code="dvc", name="Cổng dịch vụ công")
    service = registry.service_create(
        subsystem=provider,
        code="persons",
        name="Tra cứu công dân",
        upstream_url=f"{upstream_url}/api",
        legal_basis="Nghị định 47/2020/NĐ-CP",
        data_classification="personal",
        publish_now=True,
    )
    access.grant_create(service=service, client=client, rate_per_minute=1_000_000_000)
    key = access.api_key_issue(subsystem=client, label="bench").secret
    return {"key": key, "path": f"/r1/{service.xroad_id}/persons/001203004005", "provider": provider}


def bulk_registry(provider, upstream_url: str) -> tuple[int, int]:
    """``BULK_SERVICES`` services and ``BULK_GRANTS`` grants (100 clients x 50 services), fast."""
    from cqs.lgsp.choices import ServiceStatus
    from cqs.lgsp.models import AccessGrant, Member, Service, Subsystem

    member = Member.objects.create(instance="XROADVN", member_class="GOV", code="000.00.02.H62", name="Sở")
    clients = Subsystem.objects.bulk_create(
        Subsystem(member=member, code=f"client-{i:03d}", name=f"Hệ thống {i}") for i in range(100)
    )
    services = Service.objects.bulk_create(
        Service(
            subsystem=provider,
            code=f"svc-{i:04d}",
            name=f"Dịch vụ {i}",
            upstream_url=f"{upstream_url}/s{i}",
            legal_basis="Nghị định 47/2020/NĐ-CP",
            data_classification="shared",
            status=ServiceStatus.PUBLISHED,
        )
        for i in range(BULK_SERVICES - 1)  # with the bench's own service: 1,000
    )
    per_client = BULK_GRANTS // len(clients)
    AccessGrant.objects.bulk_create(
        AccessGrant(service=services[(c * 7 + j) % len(services)], client=client, rate_per_minute=600)
        for c, client in enumerate(clients)
        for j in range(per_client)
    )
    return Service.objects.filter(status=ServiceStatus.PUBLISHED).count(), AccessGrant.objects.count()


# --- the scenario ---------------------------------------------------------------------------------


def publish_reloads(count: int, provider) -> list[dict]:
    """``count`` publications, each a real change (one more grant), timed end to end."""
    from cqs.lgsp import publish
    from cqs.lgsp.models import AccessGrant, Service, Subsystem

    client = Subsystem.objects.get(code="dvc")
    services = list(Service.objects.filter(subsystem=provider).order_by("code")[1 : count + 1])
    timings = []
    for service in services:
        AccessGrant.objects.create(service=service, client=client, rate_per_minute=600)
        started = time.perf_counter()
        generation = publish.publish_now(reason="bench")
        elapsed = time.perf_counter() - started
        timings.append(
            {
                "seconds": elapsed,
                "status": generation.status if generation else "unchanged",
                "compile_ms": generation.compile_ms if generation else 0,
                "reload_ms": generation.reload_ms if generation else 0,
                "error": generation.error if generation else "",
            }
        )
        time.sleep(0.5)
    return timings


def run(args, work: Path) -> dict:
    from cqs.lgsp.testing import running_gateway

    ports = {name: free_port() for name in ("upstream", "plain", "gateway", "builtin")}
    body = work / "body.json"
    payload = json.dumps({"so_dinh_danh": "001203004005", "ho_ten": "Nguyễn Văn A", "pad": ""})
    body.write_text(payload[:-2] + "x" * (BODY_BYTES - len(payload.encode())) + '"}')
    args.wrk_script = work / "summary.lua"
    args.wrk_script.write_text(WRK_SCRIPT)

    print("setting up: migrating a scratch SQLite database ...", flush=True)
    setup_django(work, ports["gateway"])
    upstream_url = f"http://127.0.0.1:{ports['upstream']}"
    reg = create_registry(upstream_url)
    headers = {"X-API-Key": reg["key"]}
    results: dict = {}

    with haproxy(upstream_config(ports["upstream"], body), work, "upstream", args.cpus_wrk):
        wait_port(ports["upstream"])
        print("(a) direct to the upstream ...", flush=True)
        results["direct"] = measure(f"{upstream_url}/api/persons/001203004005", args)

        with haproxy(plain_proxy_config(ports["plain"], ports["upstream"]), work, "plain", args.cpus_proxy):
            wait_port(ports["plain"])
            print("(b) plain HAProxy reverse proxy ...", flush=True)
            results["plain"] = measure(f"http://127.0.0.1:{ports['plain']}/api/persons/001203004005", args)

        gateway_env = {"CQS_DATA_DIR": str(work / "data")}
        with running_gateway(
            "haproxy", work / "lgsp-haproxy", ports["gateway"], env=gateway_env, cpus=args.cpus_proxy
        ) as gateway:
            url = gateway.url + reg["path"]
            status = fetch_status(url, headers)
            if status != 200:
                raise SystemExit(f"bench: the HAProxy gateway answers {status}; output in {gateway.output}")
            print("(c) our HAProxy gateway (key, grant, rate limit, hashes, access log) ...", flush=True)
            results["gateway"] = measure(url, args, headers=headers)

            print(f"(e) {BULK_SERVICES} services and {BULK_GRANTS} grants, {RELOADS} reloads under load ...")
            counts = bulk_registry(reg["provider"], upstream_url)
            reload_seconds = args.duration * 3
            load: dict = {}
            wrk_thread = threading.Thread(
                target=lambda: load.update(
                    run_wrk(
                        url,
                        script=args.wrk_script,
                        cpus=args.cpus_wrk,
                        duration=reload_seconds,
                        connections=args.connections,
                        headers=headers,
                    )
                )
            )
            wrk_thread.start()
            time.sleep(1)
            reloads = publish_reloads(RELOADS, reg["provider"])
            wrk_thread.join()
            log_lines = sum(1 for _ in gateway.access_log.open("rb")) if gateway.access_log.exists() else 0
            results["reload"] = {
                "services": counts[0],
                "grants": counts[1],
                "publications": reloads,
                "under_load": load,
                "access_log_lines": log_lines,
            }

        with running_gateway(
            "builtin",
            work / "lgsp-builtin",
            ports["builtin"],
            env={**gateway_env, "CQS_LGSP_DIR": str(work / "lgsp-builtin")},
            cpus=args.cpus_proxy,
        ) as builtin:
            url = builtin.url + reg["path"]
            status = wait_for_status(url, headers)
            if status != 200:
                raise SystemExit(f"bench: the built-in gateway answers {status}; output in {builtin.output}")
            print("(d) built-in proxy on one core ...", flush=True)
            results["builtin"] = measure(url, args, headers=headers)
    return results


def wait_for_status(url: str, headers: dict[str, str], timeout: float = 10) -> int:
    deadline = time.monotonic() + timeout
    status = 0
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            status = fetch_status(url, headers)
            if status == 200:
                break
        time.sleep(0.2)
    return status


# --- report ---------------------------------------------------------------------------------------


def verdicts(results: dict) -> list[tuple[str, str, bool]]:
    direct, plain, gateway, builtin = (results[k] for k in ("direct", "plain", "gateway", "builtin"))
    reload = results["reload"]
    added = gateway["p50_ms"] - direct["p50_ms"]
    ratio = gateway["rps"] / plain["rps"]
    worst_publish = max(p["seconds"] for p in reload["publications"])
    under_load = reload["under_load"]
    failed_under_load = under_load["errors"]["status"] + sum(
        under_load["errors"][k] for k in ("connect", "read", "write", "timeout")
    )
    applied = all(p["status"] == "active" for p in reload["publications"])
    return [
        (
            f"(c) p50 added over direct: {added:.3f} ms",
            f"<= {TARGET_ADDED_P50_MS} ms",
            added <= TARGET_ADDED_P50_MS,
        ),
        (
            f"(c) rps vs plain HAProxy: {ratio:.2f}",
            f">= {TARGET_RATIO_TO_PLAIN:.2f}",
            ratio >= TARGET_RATIO_TO_PLAIN,
        ),
        (
            f"(d) built-in proxy, one core: {builtin['rps']:.0f}/s",
            f">= {TARGET_BUILTIN_RPS:.0f}/s",
            builtin["rps"] >= TARGET_BUILTIN_RPS,
        ),
        (
            f"(e) publish {reload['services']} services, {reload['grants']} grants: "
            f"worst {worst_publish:.2f} s",
            f"< {TARGET_PUBLISH_S:.0f} s, all applied",
            worst_publish < TARGET_PUBLISH_S and applied,
        ),
        (
            f"(e) failed requests during {len(reload['publications'])} reloads: {failed_under_load}"
            f" of {under_load['requests']}",
            "0",
            failed_under_load == 0,
        ),
        (
            f"all runs: failed requests (non-2xx, socket errors): "
            f"{sum(results[k]['failed'] for k in ('direct', 'plain', 'gateway', 'builtin'))}",
            "0",
            all(results[k]["failed"] == 0 for k in ("direct", "plain", "gateway", "builtin")),
        ),
    ]


def report(results: dict, args) -> bool:
    direct, plain, gateway, builtin = (results[k] for k in ("direct", "plain", "gateway", "builtin"))
    print()
    print(
        f"{'path (1 KiB JSON, keep-alive)':<44}{'p50 @1 conn':>12}"
        f"{'req/s @' + str(args.connections):>12}{'vs plain':>10}"
    )
    for label, row in (
        ("(a) direct to the upstream", direct),
        ("(b) plain HAProxy proxy (baseline)", plain),
        ("(c) LGSP gateway, HAProxy engine", gateway),
        ("(d) LGSP gateway, built-in proxy", builtin),
    ):
        print(f"{label:<44}{row['p50_ms']:>9.3f} ms{row['rps']:>12.0f}{row['rps'] / plain['rps']:>9.2f}x")
    print()
    for p in results["reload"]["publications"]:
        print(
            f"    publication: {p['seconds']:.2f} s (compile {p['compile_ms']} ms,"
            f" reload {p['reload_ms']} ms)"
            f" {p['status']} {p['error'][:80]}"
        )
    under = results["reload"]["under_load"]
    print(
        f"    under load: {under['requests']} requests, {under['rps']:.0f}/s,"
        f" non-2xx {under['errors']['status']},"
        f" socket errors {sum(under['errors'][k] for k in ('connect', 'read', 'write', 'timeout'))}"
    )
    print()
    checks = verdicts(results)
    for text, target, ok in checks:
        print(f"  {text:<78} target {target:<24} {'MET' if ok else 'MISSED'}")
    return all(ok for _, _, ok in checks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5, help="seconds per wrk run (default 5)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections for req/s (default 8)")
    parser.add_argument("--cpus-wrk", default="0", help="CPUs of wrk and the upstream (default 0)")
    parser.add_argument("--cpus-proxy", default="1", help="CPUs of the proxy under test (default 1)")
    parser.add_argument(
        "--results", type=Path, default=ROOT / "bench" / "results", help="where to write JSON"
    )
    args = parser.parse_args()

    missing = [tool for tool in ("haproxy", "wrk", "taskset") if shutil.which(tool) is None]
    if missing:
        print(f"LGSP gateway benchmark: skipped: needs {', '.join(missing)} (Debian packages)")
        return 0 if not os.environ.get("CI") else 1
    if (os.cpu_count() or 1) < 2:
        args.cpus_proxy = args.cpus_wrk = "0"

    with tempfile.TemporaryDirectory(prefix="cqs-bench-lgsp-") as tmp:
        results = run(args, Path(tmp))
        ok = report(results, args)

    args.results.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.results / f"{stamp}-lgsp-gateway.json"
    path.write_text(
        json.dumps(
            {
                "when": stamp,
                "python": sys.version.split()[0],
                "machine": platform.platform(),
                "cpus": os.cpu_count(),
                "layout": {"wrk_and_upstream": args.cpus_wrk, "proxy": args.cpus_proxy},
                "connections": args.connections,
                "duration_s": args.duration,
                "results": results,
                "verdicts": [{"figure": t, "target": g, "met": ok} for t, g, ok in verdicts(results)],
            },
            indent=2,
            default=str,
        )
    )
    print(f"results: {path}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
