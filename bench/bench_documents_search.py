"""Benchmark of document search on PostgreSQL (issue 4, "Speed").

Target: with 1,100,000 synthetic Vietnamese documents indexed, ``documents_search`` answers in
under 100 ms at the 95th percentile for a common word, a rare word and two-word queries. Each
figure is printed next to a baseline measured in the same run: the bare PostgreSQL full-text
query over the same GIN index, ``SELECT id … WHERE search_vector @@ plainto_tsquery('simple', q)
ORDER BY id DESC LIMIT 20`` (no visibility, no count, no ranking, no highlight: the floor).
For reference, the naive ranked query (``ORDER BY ts_rank_cd(…) DESC LIMIT 20`` over every
match) is timed too, a few runs only.

The documents are generated in Python (subjects such as "Quyết định về việc phê duyệt … huyện
Tam Đảo năm 2024", issuers and signers of the province), their ``search_text`` built by the
same ``search_text_build`` the services use, and loaded with COPY into a scratch database
(``<name>_bench_search`` next to the one in ``DATABASE_URL``, dropped at the end); the GIN
index is built after the load.

    DATABASE_URL=postgres://cqs:…@127.0.0.1:5432/cqs python bench/bench_documents_search.py

Environment: ``BENCH_DOCS`` (default 1100000) sets the number of documents, ``BENCH_RUNS``
(default 50) the runs per query; ``BENCH_KEEP=1`` keeps the scratch database (a second run
with the same count skips the load). Without a PostgreSQL ``DATABASE_URL`` it says so and
exits 0. Exits 1 when a p95 misses the target at full size.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_stats import drop_database, setup_django  # noqa: E402 - shared scratch-database helpers

TARGET_P95_MS = 100.0
QUERIES = [
    ("common word", "tỉnh"),
    ("rare word", "khiêm"),
    ("two words", "quyết định"),
    ("two words, no diacritics", "tam dao"),
    ("two words, filtered (incoming, urgent)", "phê duyệt"),
]
FILTERED = {"two words, filtered (incoming, urgent)": {"direction": "in", "urgency": 1}}

PLACES = [
    "thành phố Vĩnh Yên", "thành phố Phúc Yên", "huyện Tam Đảo", "huyện Lập Thạch", "huyện Sông Lô",
    "huyện Tam Dương", "huyện Bình Xuyên", "huyện Yên Lạc", "huyện Vĩnh Tường", "thành phố Việt Trì",
    "thị xã Phú Thọ", "huyện Thanh Sơn", "huyện Đoan Hùng", "huyện Cẩm Khê", "phường Vĩnh Phúc",
    "xã Đại Đình", "xã Hợp Châu", "xã Bá Hiến", "xã Thiện Kế", "xã Đạo Trù", "phường Liên Bảo",
    "xã Hướng Đạo", "xã Nhân Đạo", "xã Tây Thiên", "xã Minh Quang", "xã Trung Mỹ",
]  # fmt: skip
TOPICS = [
    "phê duyệt quy hoạch chi tiết xây dựng", "giải phóng mặt bằng dự án đường giao thông",
    "phân bổ dự toán ngân sách nhà nước", "chuyển đổi số và cải cách hành chính",
    "tăng cường công tác phòng cháy chữa cháy", "phòng, chống thiên tai và tìm kiếm cứu nạn",
    "giao chỉ tiêu tuyển sinh lớp 10", "quyết toán vốn đầu tư công", "cấp giấy chứng nhận quyền sử dụng đất",
    "kiểm tra an toàn thực phẩm dịp Tết Nguyên đán", "tổ chức Đại hội thể dục thể thao",
    "thành lập Hội đồng thi đua khen thưởng", "điều chỉnh giá đất cụ thể",
    "bảo vệ môi trường làng nghề", "tiếp công dân định kỳ", "sắp xếp đơn vị hành chính cấp xã",
    "hỗ trợ hộ nghèo, hộ cận nghèo", "chuẩn hoá dữ liệu dân cư", "thu hồi đất thực hiện dự án",
    "phát triển du lịch sinh thái", "nâng cấp hạ tầng khu công nghiệp", "phòng chống dịch bệnh gia súc",
    "bổ nhiệm cán bộ lãnh đạo", "kế hoạch kiểm tra công vụ", "triển khai dịch vụ công trực tuyến",
]  # fmt: skip
TEMPLATES = [
    ("QD", "Quyết định", "Quyết định về việc {topic} tại {place} năm {year}"),
    ("CV", "Công văn", "V/v {topic} trên địa bàn {place}"),
    ("KH", "Kế hoạch", "Kế hoạch {topic} giai đoạn {year}-{year2}"),
    ("TB", "Thông báo", "Thông báo kết luận của Chủ tịch UBND tỉnh về {topic}"),
    ("BC", "Báo cáo", "Báo cáo kết quả {topic} quý {quarter} năm {year}"),
    ("TTr", "Tờ trình", "Tờ trình đề nghị {topic} cho {place}"),
]
ORGANS = [
    ("000.00.00.H62", "UBND tỉnh Vĩnh Phúc"), ("000.00.01.H62", "Sở Nội vụ tỉnh Vĩnh Phúc"),
    ("000.00.02.H62", "Sở Tài chính tỉnh Vĩnh Phúc"), ("000.00.03.H62", "Sở Kế hoạch và Đầu tư"),
    ("000.00.04.H62", "Sở Tài nguyên và Môi trường"), ("000.00.05.H62", "Sở Giáo dục và Đào tạo"),
    ("000.00.00.H48", "UBND tỉnh Phú Thọ"), ("000.00.06.H62", "Sở Thông tin và Truyền thông"),
]  # fmt: skip
SIGNERS = [
    "Nguyễn Văn Hùng",
    "Trần Thị Lan",
    "Lê Văn Dũng",
    "Phạm Thị Hương",
    "Hoàng Văn Nam",
    "Vũ Đức Thắng",
]
RARE_SIGNER = "Trần Văn Khiêm"  # about one document in 40,000
COLUMNS = (
    "unit_id", "direction", "channel", "type_code", "type_name", "code_number", "code_notation",
    "issued_date", "organ_id", "organ_name", "subject", "language", "page_amount", "description",
    "signer_competence", "signer_position", "signer_name", "urgency", "secrecy", "to_places",
    "document_id", "drafting_abbr", "state", "bussiness_doc_type", "bussiness_reason", "status",
    "arrival_date", "instruction", "signature_report", "search_text", "created_at", "updated_at",
    "client_token",
)  # fmt: skip


def scratch(url: str) -> tuple[str, str, str]:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'cqs'}_bench_search"
    return urlunsplit(parts._replace(path=f"/{name}")), urlunsplit(parts._replace(path="/postgres")), name


def create_database(maintenance_url: str, name: str, *, keep: bool) -> bool:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and keep:
            return False
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return True


def rows(count: int, unit_ids: list[int]):
    """The documents, oldest first; ``search_text`` as the services build it."""
    from cqs.documents.services.common import search_text_build

    rng = random.Random(326)  # noqa: S311 - reproducible data, not secrets
    start = dt.datetime(2019, 1, 1, tzinfo=dt.UTC)
    step = (dt.datetime(2026, 11, 1, tzinfo=dt.UTC) - start) / count
    for number in range(count):
        code, type_name, template = rng.choice(TEMPLATES)
        year = rng.randint(2018, 2026)
        subject = template.format(
            topic=rng.choice(TOPICS), place=rng.choice(PLACES), year=year, year2=year + 5,
            quarter=rng.choice("IV") * rng.randint(1, 3),
        )  # fmt: skip
        organ_id, organ_name = rng.choice(ORGANS)
        signer = RARE_SIGNER if rng.random() < 1 / 40_000 else rng.choice(SIGNERS)
        incoming = rng.random() < 0.6
        created = start + step * number
        issued = (created - dt.timedelta(days=rng.randint(0, 5))).date()
        code_number = str(rng.randint(1, 3000))
        notation = f"{code}-UBND" if code != "CV" else "UBND-VP"
        # The fields search_text_build reads, without the cost of a model instance.
        doc = SimpleNamespace(
            number_symbol=f"{code_number}/{notation}",
            code_number=code_number,
            code_notation=notation,
            type_name=type_name,
            subject=subject,
            organ_name=organ_name,
            signer_name=signer,
            description="",
        )
        yield (
            unit_ids[number % len(unit_ids)], "in" if incoming else "out", "internal", code, type_name,
            doc.code_number, doc.code_notation, issued, organ_id, organ_name, subject, "vi", 1, "",
            "TM.", "Chủ tịch", signer, rng.choice((0, 0, 0, 1, 2)), 0, "", "", "",
            "" if incoming else "issued", 0, "", rng.choice(("03", "04", "05", "06")) if incoming else "",
            created if incoming else None, "", "[]", search_text_build(doc), created, created, "",
        )  # fmt: skip


def load(count: int, *, fresh: bool) -> tuple[object, float]:
    from django.core.management import call_command
    from django.db import connection

    from cqs.accounts.models import User
    from cqs.documents.models import Document
    from cqs.orgs.demo import load_demo
    from cqs.orgs.models import OrgUnit

    if fresh:
        call_command("migrate", verbosity=0)
        load_demo(log=lambda line: None)
    user, _created = User.objects.get_or_create(
        username="bench.admin", defaults={"is_superuser": True, "is_staff": True}
    )
    unit_ids = list(OrgUnit.objects.order_by("pk").values_list("pk", flat=True)[:50])
    official_ensure(OrgUnit.objects.get(pk=unit_ids[0]))
    if Document.objects.count() == count:
        return user, 0.0
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE documents_document CASCADE")
        cursor.execute("DROP INDEX IF EXISTS documents_document_search")
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(f"COPY documents_document ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows(count, unit_ids):
                copy.write_row(row)
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute(
            "CREATE INDEX documents_document_search ON documents_document USING gin (search_vector)"
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE documents_document")
    return user, time.perf_counter() - began


def official_ensure(unit):
    """A leader of the province at the root of ``unit``'s tree: sees the documents through the
    grants (``documents_visible``), as officials do, not as the superuser."""
    from cqs.accounts.models import Role, RoleGrant, User
    from cqs.accounts.services import role_definitions_load, role_sync
    from cqs.orgs.models import OrgUnit

    role_sync(definitions=role_definitions_load())
    ancestors = unit.ancestor_ids
    root = OrgUnit.objects.get(pk=ancestors[0]) if ancestors else unit
    official, _created = User.objects.get_or_create(username="bench.lanhdao")
    RoleGrant.objects.get_or_create(user=official, role=Role.objects.get(code="lanh-dao"), unit=root)
    return official


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def measure(user, runs: int) -> list[dict]:
    from django.db import connection

    from cqs.accounts.models import User

    official = User.objects.get(username="bench.lanhdao")
    from cqs.documents.search import documents_search
    from cqs.documents.services.common import fold, search_words

    def timed(func, repeat):
        func()  # warm the cache once
        samples = []
        for _ in range(repeat):
            began = time.perf_counter()
            func()
            samples.append((time.perf_counter() - began) * 1e3)
        return samples

    figures = []
    for label, q in QUERIES:
        folded = " ".join(fold(word) for word in search_words(q))
        filters = FILTERED.get(label)

        def ours(q=q, filters=filters):
            return documents_search(user=user, q=q, filters=filters)

        def bare(folded=folded):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM documents_document WHERE search_vector @@ plainto_tsquery('simple', %s) "
                    "ORDER BY id DESC LIMIT 20",
                    [folded],
                )
                cursor.fetchall()

        def naive(folded=folded):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM documents_document WHERE search_vector @@ plainto_tsquery('simple', %s) "
                    "ORDER BY ts_rank_cd(search_vector, plainto_tsquery('simple', %s)) DESC LIMIT 20",
                    [folded, folded],
                )
                cursor.fetchall()

        def as_official(q=q, filters=filters):
            return documents_search(user=official, q=q, filters=filters)

        page = ours()
        mine, base, ranked = timed(ours, runs), timed(bare, runs), timed(naive, 3)
        theirs = timed(as_official, runs)
        figures.append(
            {
                "label": label,
                "q": q,
                "filters": filters or {},
                "matches": f"{page.total:,}{'+' if page.total_capped else ''}",
                "ours_p50_ms": percentile(mine, 0.5),
                "ours_p95_ms": percentile(mine, 0.95),
                "bare_p50_ms": percentile(base, 0.5),
                "bare_p95_ms": percentile(base, 0.95),
                "naive_ranked_ms": min(ranked),
                "official_p95_ms": percentile(theirs, 0.95),
            }
        )
    return figures


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print(
            "bench_documents_search: needs DATABASE_URL=postgres://… (the target is for PostgreSQL); skipped."
        )
        return 0
    count = int(os.environ.get("BENCH_DOCS", "1100000"))
    runs = int(os.environ.get("BENCH_RUNS", "50"))
    keep = os.environ.get("BENCH_KEEP") == "1"
    database_url, maintenance_url, name = scratch(url)
    fresh = create_database(maintenance_url, name, keep=keep)
    try:
        with tempfile.TemporaryDirectory(prefix="cqs-bench-search-") as data_dir:
            setup_django(data_dir, database_url)
            began = time.perf_counter()
            user, load_s = load(count, fresh=fresh)
            loaded = (
                f"{count:,} documents loaded and indexed in {load_s:.0f} s" if load_s else "kept data reused"
            )
            print(f"setup: {time.perf_counter() - began:.0f} s, of which {loaded}")
            figures = measure(user, runs)
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            drop_database(maintenance_url, name)

    print()
    header = f"{'query':<44}{'matches':>10}{'ours p50':>10}{'p95':>8}{'bare p50':>10}{'p95':>8}"
    print(f"{header}{'ratio':>8}{'naive':>9}{'official p95':>14}")
    missed = False
    for row in figures:
        ratio = row["ours_p95_ms"] / max(row["bare_p95_ms"], 1e-3)
        missed |= row["ours_p95_ms"] >= TARGET_P95_MS
        print(
            f"{row['label'] + ': ' + repr(row['q']):<44}{row['matches']:>10}"
            f"{row['ours_p50_ms']:>8.1f}ms{row['ours_p95_ms']:>6.1f}ms"
            f"{row['bare_p50_ms']:>8.1f}ms{row['bare_p95_ms']:>6.1f}ms{ratio:>7.1f}x"
            f"{row['naive_ranked_ms']:>7.0f}ms{row['official_p95_ms']:>12.1f}ms"
        )
    print(
        f"({count:,} documents, {runs} runs each; ratio = our p95 / bare p95; target p95 < "
        f"{TARGET_P95_MS:.0f} ms; naive = bare query ranked by ts_rank_cd over every match, best of 3; "
        "official = ours as a provincial leader, whose grants decide what is visible)"
    )
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = results_dir / f"{stamp}-documents-search.json"
    path.write_text(
        json.dumps(
            {
                "when": stamp,
                "python": sys.version.split()[0],
                "machine": platform.platform(),
                "cpus": os.cpu_count(),
                "documents": count,
                "runs": runs,
                "queries": figures,
                "target_p95_ms": TARGET_P95_MS,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    print(f"results: {path}")
    return 1 if missed and count >= 1_100_000 else 0


if __name__ == "__main__":
    sys.exit(main())
