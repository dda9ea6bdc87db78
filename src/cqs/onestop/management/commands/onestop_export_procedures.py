"""``cqs onestop_export_procedures``: the catalogue as LayThuTuc JSON (stdout) or Excel (--xlsx)."""

import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cqs.onestop import selectors
from cqs.onestop.exports import procedures_export_json, procedures_export_xlsx


class Command(BaseCommand):
    help = "Xuất danh mục thủ tục hành chính (phiên bản hiệu lực) dạng JSON LayThuTuc hoặc Excel."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of", type=date.fromisoformat, help="Phiên bản hiệu lực vào ngày (YYYY-MM-DD)."
        )
        parser.add_argument("--output", "-o", type=Path, help="Ghi ra tệp thay vì màn hình.")
        parser.add_argument("--xlsx", action="store_true", help="Xuất Excel (cần --output).")

    def handle(self, *args, as_of, output, xlsx, **options):
        as_of = as_of or selectors.today()
        if xlsx:
            if output is None:
                raise CommandError("--xlsx cần --output tệp.xlsx")
            output.write_bytes(procedures_export_xlsx(as_of=as_of))
            return
        text = json.dumps(procedures_export_json(as_of=as_of), ensure_ascii=False, indent=2)
        if output:
            output.write_text(text + "\n", encoding="utf-8")
        else:
            self.stdout.write(text)
