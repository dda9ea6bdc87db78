"""``cqs onestop_import_procedures file.json``: publish procedures from a LayThuTuc JSON file."""

import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cqs.core.exceptions import ServiceError
from cqs.onestop.exports import procedures_read_xlsx
from cqs.onestop.laythutuc import parse_payload
from cqs.onestop.services import procedures_import


class Command(BaseCommand):
    help = (
        "Nạp thủ tục hành chính từ tệp JSON dạng LayThuTuc (hoặc tệp Excel .xlsx do lệnh xuất tạo ra). "
        "Mỗi thủ tục thay đổi tạo một phiên bản mới; thủ tục không đổi được bỏ qua."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--valid-from", type=date.fromisoformat, help="Ngày hiệu lực (YYYY-MM-DD).")
        parser.add_argument("--dry-run", action="store_true", help="Kiểm tra và báo kết quả, không ghi gì.")

    def handle(self, *args, file: Path, valid_from, dry_run, **options):
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Không đọc được tệp {file}: {error.strerror}") from error
        try:
            if file.suffix.lower() == ".xlsx":
                records = procedures_read_xlsx(content)
            else:
                try:
                    payload = json.loads(content.decode("utf-8-sig"))
                except (UnicodeDecodeError, json.JSONDecodeError) as error:
                    raise CommandError(f"Tệp {file} không phải JSON hợp lệ: {error}") from error
                records = parse_payload(payload)
            summary = procedures_import(records=records, valid_from=valid_from, dry_run=dry_run)
        except ServiceError as error:
            raise CommandError(f"[{error.error_code}] {error.detail}") from error
        prefix = "(thử, không ghi) " if dry_run else ""
        self.stdout.write(
            f"{prefix}{len(summary['created'])} thủ tục mới, {len(summary['published'])} phiên bản mới, "
            f"{len(summary['unchanged'])} không đổi."
        )
