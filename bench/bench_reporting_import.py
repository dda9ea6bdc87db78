"""Benchmark of the DHIS2 dataValueSets import (issue 5: at least 20,000 values per second for a
100,000-value JSON import on PostgreSQL).

Figures, each next to a baseline measured in the same run (a ratio), because the machine is
shared and noisy:

- ``create``: a JSON payload of new values parsed and imported (``datavalueset_import``: ids
  resolved, every value type-checked, the draft reports opened under the regime's rules, values
  written, history and audit). The payload spreads over 200 communes and 10 months of a monthly
  regime with 50 indicators, so the import opens 2,000 reports.
- ``update``: the same payload again, every value now an update.
- baseline: a plain ``bulk_create`` of the same rows into the same reports, no checks.

On PostgreSQL (``DATABASE_URL=postgres://…``) it runs in a scratch database ``<name>_bench_import``
dropped at the end; otherwise in a temporary SQLite file. ``CQS_BENCH_IMPORT_VALUES`` (default
100000) sets the size of the payload.

    DATABASE_URL=postgres://cqs:…@127.0.0.1:5432/cqs python bench/bench_reporting_import.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_stats import create_database, drop_database, setup_django  # noqa: E402

TARGET_PER_SECOND = 20_000
UNITS = 200
PERIODS = 10
INDICATORS = 50


def scratch(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'cqs'}_bench_import"
    return urlunsplit(parts._replace(path=f"/{name}")), urlunsplit(parts._replace(path="/postgres")), name


def prepare(count: int):
    """An org tree of communes, a monthly regime with 50 indicators assigned to communes, an
    officer allowed on the whole province, and the JSON payload."""
    from django.core.management import call_command

    from cqs.accounts.models import OfficialProfile, Role, RoleGrant, User
    from cqs.accounts.services import role_definitions_load, role_sync
    from cqs.orgs.models import OrgUnit, OrgUnitKind
    from cqs.reporting.choices import PeriodType
    from cqs.reporting.services.metadata import (
        AssignmentSpec,
        RegimeSpec,
        indicator_ensure,
        regime_version_create,
    )

    call_command("migrate", verbosity=0)
    role_sync(definitions=role_definitions_load())
    province_kind, _ = OrgUnitKind.objects.get_or_create(
        code="ubnd-tinh", defaults={"name": "UBND tỉnh", "rank": 10}
    )
    commune_kind, _ = OrgUnitKind.objects.get_or_create(code="xa", defaults={"name": "Xã", "rank": 50})
    province = OrgUnit.objects.create(
        kind=province_kind, name="UBND tỉnh Thử", identifier="000.00.00.H98", valid_from=date(2020, 1, 1)
    )
    province.path = f"/{province.pk}/"
    province.save(update_fields=["path"])
    communes = []
    for n in range(UNITS):
        unit = OrgUnit.objects.create(
            kind=commune_kind,
            name=f"Xã {n}",
            identifier=f"000.{n // 100:02d}.{n % 100:02d}.H98",
            parent=province,
            depth=1,
            valid_from=date(2020, 1, 1),
        )
        unit.path = f"{province.path}{unit.pk}/"
        unit.save(update_fields=["path"])
        communes.append(unit)
    codes = [f"CT_{n:03d}" for n in range(INDICATORS)]
    for code in codes:
        indicator_ensure(code=code, name=f"Chỉ tiêu {code}")
    regime_version_create(
        spec=RegimeSpec(
            code="BC_THU",
            name="Báo cáo thử",
            legal_basis="Thử",
            content="Thử",
            receiver=province,
            period_type=PeriodType.MONTHLY,
            valid_from=date(2020, 1, 1),
            rows=[(code, "", False) for code in codes],
            assignments=[AssignmentSpec(kind="xa")],
            cutoff_day=None,
            expiry_days=0,
            signature_required=False,
        )
    )
    officer = User.objects.create(username="bench.baocao", first_name="Báo", last_name="Cáo")
    OfficialProfile.objects.create(user=officer, unit=province, position="Cán bộ")
    RoleGrant.objects.create(user=officer, role=Role.objects.get(code="can-bo-bao-cao"), unit=province)
    values = []
    for unit in communes:
        for month in range(1, PERIODS + 1):
            for code in codes:
                values.append(
                    {
                        "dataElement": code,
                        "period": f"2025{month:02d}",
                        "orgUnit": str(unit.pk),
                        "value": str(len(values) % 997),
                    }
                )
                if len(values) == count:
                    return officer, json.dumps({"dataValues": values}).encode()
    return officer, json.dumps({"dataValues": values}).encode()


def per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def main() -> int:
    count = int(os.environ.get("CQS_BENCH_IMPORT_VALUES", "100000"))
    url = os.environ.get("DATABASE_URL", "")
    data_dir = tempfile.mkdtemp(prefix="cqs-bench-import-")
    maintenance = name = None
    if url.startswith("postgres"):
        database_url, maintenance, name = scratch(url)
        create_database(maintenance, name, keep=False)
    else:
        database_url = f"sqlite:///{data_dir}/bench.sqlite3"
    setup_django(data_dir, database_url)
    try:
        return run(count)
    finally:
        from django.db import connections

        connections.close_all()
        if maintenance:
            drop_database(maintenance, name)


def import_once(officer, body: bytes):
    from django.utils import timezone

    from cqs.reporting.dhis.formats import parse_json
    from cqs.reporting.services.imports import datavalueset_import

    start = time.perf_counter()
    payload = parse_json(body)
    summary = datavalueset_import(actor=officer, values=payload.values, now=timezone.now())
    return time.perf_counter() - start, summary


def run(count: int) -> int:
    from django.db import connection, transaction

    from cqs.reporting.models import DataValue

    officer, body = prepare(count)

    create_s, created = import_once(officer, body)
    update_s, updated = import_once(officer, body)
    if created.status != "SUCCESS" or created.imported != count or updated.updated != count:
        print(f"import failed: {created.as_dhis()['importCount']} {created.conflicts[:3]}")
        return 1

    rows = list(DataValue.objects.all())
    DataValue.objects.all().delete()
    for row in rows:
        row.pk = None
    start = time.perf_counter()
    with transaction.atomic():
        DataValue.objects.bulk_create(rows, batch_size=5000)
    base_s = time.perf_counter() - start

    base = per_second(count, base_s)
    figures = [("create", per_second(count, create_s)), ("update", per_second(count, update_s))]
    print(f"DHIS2 dataValueSets import on {connection.vendor}, {count} values (target ≥ 20,000 values/s)")
    print(f"{'figure':<10}{'values/s':>12}{'baseline/s':>12}{'ratio':>8}  target")
    result = {}
    for label, value in figures:
        met = "met" if value >= TARGET_PER_SECOND else "MISSED"
        print(f"{label:<10}{value:>12.0f}{base:>12.0f}{value / base:>8.2f}  {met}")
        result[label] = {"per_second": round(value), "baseline_per_second": round(base)}
    print(json.dumps({"bench": "reporting_import", "vendor": connection.vendor, "values": count, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
