"""``cqs onestop_pull_procedures CODE [CODE...]``: fetch procedures from the national portal
(``LayThuTuc``) and publish them with the same importer as ``onestop_import_procedures``."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from cqs.core.exceptions import ServiceError
from cqs.core.outbox import DeliveryError
from cqs.onestop.dvcqg import dvcqg_fetch_procedure
from cqs.onestop.laythutuc import parse_payload
from cqs.onestop.services import procedures_import


class Command(BaseCommand):
    help = (
        "Lấy thủ tục hành chính từ Cổng dịch vụ công quốc gia (LayThuTuc) theo mã và nạp vào danh mục. "
        "Tất cả hoặc không: một mã lỗi thì không nạp mã nào."
    )

    def add_arguments(self, parser):
        parser.add_argument("codes", nargs="+", metavar="CODE", help="Mã thủ tục, ví dụ 1.001612.")
        parser.add_argument("--valid-from", type=date.fromisoformat, help="Ngày hiệu lực (YYYY-MM-DD).")
        parser.add_argument("--dry-run", action="store_true", help="Kiểm tra và báo kết quả, không ghi gì.")

    def handle(self, *args, codes: list[str], valid_from, dry_run, **options):
        codes = list(dict.fromkeys(code.strip() for code in codes if code.strip()))
        if not codes:
            raise CommandError("Cần ít nhất một mã thủ tục.")
        fetched = []
        for code in codes:
            try:
                record = dvcqg_fetch_procedure(code=code)
            except DeliveryError as error:
                raise CommandError(f"Không lấy được thủ tục {code}: {error}") from error
            if str(record.get("MATTHC", "")).strip() != code:
                raise CommandError(f"Cổng trả về thủ tục khác mã đã hỏi ({code}).")
            fetched.append(record)
        try:
            summary = procedures_import(
                records=parse_payload(fetched), valid_from=valid_from, dry_run=dry_run
            )
        except ServiceError as error:
            raise CommandError(f"[{error.error_code}] {error.detail}") from error
        prefix = "(thử, không ghi) " if dry_run else ""
        self.stdout.write(
            f"{prefix}{len(summary['created'])} thủ tục mới, {len(summary['published'])} phiên bản mới, "
            f"{len(summary['unchanged'])} không đổi."
        )
