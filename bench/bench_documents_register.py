"""Benchmark of registering incoming documents (issue 4: at least 100 per second).

Two figures, each next to a baseline measured in the same run (a ratio), because the machine is
shared and noisy:

- ``register``: the clerk's step on a document that has arrived (``incoming_register``: row lock
  on the document, arrival number from the register book under a row lock, duplicate check,
  history row, status back to the sender, audit event). Baseline: the bare writes any register
  step needs (one document UPDATE and one history INSERT in a transaction, no checks).
- ``batch``: the same step for the documents the clerk ticks in the inbox, 50 at a time
  (``incoming_register_many``: one lock of the register book per batch, the history rows, the
  status packages and the audit events written in a few statements). Same baseline.
- ``paper``: a scanned paper document recorded and registered in one step (``incoming_scan``: the
  PDF checked and stored, its signatures verified, then registered). Baseline: the bare INSERT of
  the document row and its file row.

On PostgreSQL (``DATABASE_URL=postgres://…``) it runs in a scratch database ``<name>_bench_docs``
dropped at the end; otherwise in a temporary SQLite file. ``CQS_BENCH_DOCS_REGISTER`` (default 400)
sets how many documents each figure registers.

    DATABASE_URL=postgres://cqs:…@127.0.0.1:5432/cqs python bench/bench_documents_register.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_stats import create_database, drop_database, setup_django  # noqa: E402

TARGET_PER_SECOND = 100
BATCH = 50


def scratch(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'cqs'}_bench_docs"
    return urlunsplit(parts._replace(path=f"/{name}")), urlunsplit(parts._replace(path="/postgres")), name


def prepare():
    from django.core.management import call_command

    from cqs.accounts.models import OfficialProfile, Role, RoleGrant, User
    from cqs.accounts.services import role_definitions_load, role_sync
    from cqs.orgs.models import OrgUnit, OrgUnitKind

    call_command("migrate", verbosity=0)
    role_sync(definitions=role_definitions_load())
    kind, _ = OrgUnitKind.objects.get_or_create(code="ubnd-tinh", defaults={"name": "UBND tỉnh", "rank": 10})
    unit = OrgUnit.objects.create(
        kind=kind,
        name="UBND tỉnh Thử",
        short_name="UBND",
        identifier="000.00.00.H98",
        valid_from="2020-01-01",
    )
    clerk = User.objects.create(username="bench.vanthu", first_name="Thư", last_name="Lê")
    OfficialProfile.objects.create(user=clerk, unit=unit, position="Văn thư")
    RoleGrant.objects.create(user=clerk, role=Role.objects.get(code="van-thu"), unit=unit)
    return unit, clerk


def arrived(unit, count: int, pdf: bytes, *, start: int = 1) -> list:
    from cqs.documents.choices import Channel
    from cqs.documents.services import incoming_receive

    return [
        incoming_receive(
            unit=unit,
            channel=Channel.AXIS,
            meta={
                "type_code": "CV",
                "code_number": str(n),
                "code_notation": "SNV-VP",
                "organ_id": "000.00.05.H41",
                "organ_name": "Sở Nội vụ tỉnh Nghệ An",
                "subject": f"V/v báo cáo tình hình thực hiện nhiệm vụ tháng {n % 12 + 1}",
            },
            files=[("van-ban.pdf", pdf, "main")],
        )
        for n in range(start, start + count)
    ]


def per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def main() -> int:
    count = int(os.environ.get("CQS_BENCH_DOCS_REGISTER", "400"))
    url = os.environ.get("DATABASE_URL", "")
    data_dir = tempfile.mkdtemp(prefix="cqs-bench-docs-")
    maintenance = name = None
    if url.startswith("postgres"):
        database_url, maintenance, name = scratch(url)
        create_database(maintenance, name, keep=False)
    else:
        database_url = f"sqlite:///{data_dir}/bench.sqlite3"
    setup_django(data_dir, database_url)
    os.environ["CQS_CLAMD"] = ""
    from django.conf import settings

    settings.CQS_CLAMD = ""
    settings.CQS_TSA_URL = ""
    try:
        return run(count)
    finally:
        from django.db import connections

        connections.close_all()
        if maintenance:
            drop_database(maintenance, name)


def run(count: int) -> int:
    from django.db import connection, transaction
    from django.utils import timezone

    from cqs.core.testing import sample_pdf
    from cqs.documents.choices import Channel, Direction, IncomingStatus
    from cqs.documents.models import Document, DocumentEvent, DocumentFile
    from cqs.documents.services import incoming_register, incoming_register_many, incoming_scan

    unit, clerk = prepare()
    pdf = sample_pdf(text="Cong van so 1")

    # register: the clerk's step on documents that arrived
    documents = arrived(unit, count, pdf)
    start = time.perf_counter()
    for document in documents:
        incoming_register(actor=clerk, document=document, confirm_duplicate=False)
    register_s = time.perf_counter() - start

    documents = arrived(unit, count, pdf, start=count + 1)
    start = time.perf_counter()
    for first in range(0, count, BATCH):
        incoming_register_many(actor=clerk, documents=documents[first : first + BATCH])
    batch_s = time.perf_counter() - start

    documents = arrived(unit, count, pdf, start=2 * count + 1)
    start = time.perf_counter()
    for number, document in enumerate(documents, start=1):
        with transaction.atomic():
            Document.objects.filter(pk=document.pk).update(
                status=IncomingStatus.REGISTERED, ordinal=number + count
            )
            DocumentEvent.objects.create(document=document, action="register", status_code="03")
    register_base_s = time.perf_counter() - start

    # paper: scanned, recorded and registered in one step
    start = time.perf_counter()
    for n in range(count):
        incoming_scan(
            actor=clerk,
            unit=unit,
            meta={
                "type_code": "CV",
                "code_number": str(n + 1),
                "code_notation": "BXD-QLN",
                "organ_name": "Bộ Xây dựng",
                "subject": f"Về việc hướng dẫn thực hiện chính sách nhà ở số {n}",
            },
            files=[("scan.pdf", pdf, "main")],
        )
    paper_s = time.perf_counter() - start

    start = time.perf_counter()
    for n in range(count):
        with transaction.atomic():
            document = Document.objects.create(
                unit=unit,
                direction=Direction.INCOMING,
                channel=Channel.PAPER,
                status=IncomingStatus.REGISTERED,
                type_code="CV",
                type_name="Công văn",
                code_number=str(n + 1),
                code_notation="BXD-X",
                organ_name="Bộ Xây dựng",
                subject=f"Về việc hướng dẫn số {n}",
                arrival_date=timezone.now(),
            )
            DocumentFile.objects.create(
                document=document, role="main", file="bench.pdf", name="scan.pdf",
                content_type="application/pdf", size=len(pdf), sha256="0" * 64,
            )  # fmt: skip
    paper_base_s = time.perf_counter() - start

    rows = [
        ("register", per_second(count, register_s), per_second(count, register_base_s)),
        ("batch", per_second(count, batch_s), per_second(count, register_base_s)),
        ("paper", per_second(count, paper_s), per_second(count, paper_base_s)),
    ]
    target = TARGET_PER_SECOND
    print(f"Registering incoming documents on {connection.vendor}, {count} each (target ≥ {target}/s)")
    print(f"{'figure':<10}{'per second':>12}{'baseline/s':>12}{'ratio':>8}  target")
    result = {}
    for label, value, base in rows:
        met = "met" if value >= TARGET_PER_SECOND else "MISSED"
        print(f"{label:<10}{value:>12.1f}{base:>12.1f}{value / base:>8.2f}  {met}")
        result[label] = {"per_second": round(value, 1), "baseline_per_second": round(base, 1)}
    print(json.dumps({"bench": "documents_register", "vendor": connection.vendor, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
