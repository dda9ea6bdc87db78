"""``cqs plans_extract <seed.txt> <out.json>``: parse the plan's seed text into its document."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cqs.plans.seed import ExtractionError, extract_file


def render(document: dict) -> str:
    """The committed form: UTF-8, two-space indent, trailing newline (stable diffs)."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


class Command(BaseCommand):
    help = (
        "Trích xuất Kế hoạch 326/KH-UBND từ văn bản gốc (seed) thành tài liệu JSON có cấu trúc, "
        "ví dụ: cqs plans_extract seed/000_9fba268cafe1d6b9.txt src/cqs/plans/data/plan_326_2021.json"
    )

    def add_arguments(self, parser):
        parser.add_argument("seed", type=Path, help="Tệp văn bản gốc của kế hoạch (UTF-8).")
        parser.add_argument("out", type=Path, help="Tệp JSON sẽ ghi ra.")

    def handle(self, *args, seed: Path, out: Path, **options):
        if not seed.is_file():
            raise CommandError(f"Không tìm thấy tệp văn bản gốc: {seed}")
        try:
            document = extract_file(seed)
        except (ExtractionError, UnicodeDecodeError) as exc:
            raise CommandError(f"Không trích xuất được kế hoạch từ {seed}: {exc}") from exc
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render(document), encoding="utf-8")
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã ghi {out}: {sum(len(a['targets']) for a in document['target_areas'])} mục tiêu, "
                f"{len(document['baselines'])} số liệu năm 2021, "
                f"{len(document['information_systems'])} hệ thống thông tin, "
                f"{len(document['projects'])} dự án, nhiệm vụ."
            )
        )
