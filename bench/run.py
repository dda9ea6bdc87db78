"""CQS benchmarks (``make bench``): each figure is printed next to a baseline measured in the
same run on the same machine, as a ratio, so that numbers from a busy or a fast machine can
still be compared with each other.

Runs against a scratch SQLite database in a temporary CQS_DATA_DIR (migrated, with the orgs
demo tree), never against var/ or DATABASE_URL. Results are also written to bench/results/.

    python bench/run.py [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(data_dir: str) -> None:
    os.environ["CQS_DATA_DIR"] = data_dir
    Path(data_dir, "static").mkdir(exist_ok=True)  # WhiteNoise warns about a missing STATIC_ROOT
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("CQS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("CQS_STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage")
    os.environ["DJANGO_SETTINGS_MODULE"] = "cqs.settings"
    import django

    django.setup()


def timed(func: Callable[[], object], repeat: int) -> list[float]:
    """Seconds per call, one sample per call."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return samples


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "calls": len(samples),
        "total_s": sum(samples),
        "mean_us": statistics.fmean(samples) * 1e6,
        "p50_us": ordered[len(ordered) // 2] * 1e6,
        "p95_us": ordered[int(len(ordered) * 0.95) - 1] * 1e6,
    }


def bench_calendar(calls: int) -> dict:
    import holidays
    from django.db import connection

    from cqs.core.calendar import add_working_days

    starts = [dt.date(2022, 1, 1) + dt.timedelta(days=i % 1800) for i in range(calls)]
    spans = [1 + i % 30 for i in range(calls)]
    national = holidays.country_holidays("VN", years=range(2021, 2028))
    add_working_days(starts[0], 1)  # warm the holidays cache

    def ours():
        for start, n in zip(starts, spans, strict=True):
            add_working_days(start, n)

    def peer():
        # The holidays package answering the same question, without our override table.
        for start, n in zip(starts, spans, strict=True):
            national.get_nth_working_day(start, n)

    def select_one():
        with connection.cursor() as cursor:
            for _ in range(calls):
                cursor.execute("SELECT 1")
                cursor.fetchone()

    ours_s = min(timed(ours, 3))
    peer_s = min(timed(peer, 3))
    select_s = min(timed(select_one, 3))
    return {
        "name": f"add_working_days x {calls}",
        "value_s": ours_s,
        "baselines": {
            "holidays.get_nth_working_day (no database)": peer_s,
            f"SELECT 1 x {calls} (one query, as ours makes)": select_s,
        },
    }


def bench_org_units(requests: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(username="bench.reader")
    client = Client()
    client.force_login(user)
    urls = {
        "as_of=2025-06-30 (before the merger)": "/api/v1/org-units/?as_of=2025-06-30",
        "as_of=2025-07-01 (after the merger)": "/api/v1/org-units/?as_of=2025-07-01",
    }
    for url in [*urls.values(), "/healthz"]:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")

    results = {}
    baseline = summary(timed(lambda: client.get("/healthz"), requests))
    for label, url in urls.items():
        results[label] = summary(timed(lambda url=url: client.get(url), requests))
    body = client.get(urls["as_of=2025-06-30 (before the merger)"]).json()
    page = body.get("results", []) if isinstance(body, dict) else body
    total = body.get("count", len(page)) if isinstance(body, dict) else len(body)
    size = f"{total} units in force, {len(page)} per response"
    return {
        "requests": requests,
        "units": size,
        "healthz": baseline,
        "org_units": results,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run)")
    parser.add_argument(
        "--results", type=Path, default=ROOT / "bench" / "results", help="where to write JSON"
    )
    args = parser.parse_args()
    calls, requests = (1_000, 20) if args.quick else (10_000, 200)

    with tempfile.TemporaryDirectory(prefix="cqs-bench-") as data_dir:
        setup_django(data_dir)
        from django.core.management import call_command

        from cqs.orgs.demo import load_demo

        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        load_demo(log=lambda line: None)
        print(f"setup: migrate + orgs demo in {time.perf_counter() - t0:.1f} s ({data_dir})")

        calendar = bench_calendar(calls)
        api = bench_org_units(requests)

    print()
    print(f"{'benchmark':<58}{'ours':>12}{'baseline':>12}{'ratio':>9}")
    for label, base in calendar["baselines"].items():
        print(
            f"{calendar['name']:<58}{calendar['value_s'] * 1e3:>10.1f}ms{base * 1e3:>10.1f}ms"
            f"{calendar['value_s'] / base:>8.1f}x   vs {label}"
        )
    base = api["healthz"]
    for label, stats in api["org_units"].items():
        print(
            f"{'GET /api/v1/org-units/?' + label.split(' ')[0]:<58}{stats['p50_us'] / 1e3:>10.2f}ms"
            f"{base['p50_us'] / 1e3:>10.2f}ms{stats['p50_us'] / base['p50_us']:>8.1f}x   p50 vs GET /healthz"
            f" (SELECT 1 through the middleware); p95 {stats['p95_us'] / 1e3:.2f} ms"
        )
    print(f"(org-units on 2025-06-30: {api['units']}; {api['requests']} requests each)")

    results_dir = args.results
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = results_dir / f"{stamp}.json"
    path.write_text(
        json.dumps(
            {
                "when": stamp,
                "python": sys.version.split()[0],
                "machine": platform.platform(),
                "cpus": os.cpu_count(),
                "calendar": calendar,
                "api": api,
            },
            indent=2,
        )
    )
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
