"""``cqs lgsp_ingest``: read the gateways' access logs into usage counts and call evidence."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cqs.lgsp.usage import IngestResult, evidence_purge, ingest_logs, logs_dir


class Command(BaseCommand):
    help = (
        "Đọc nhật ký truy cập của cổng kết nối (CQS_LGSP_DIR/logs/access-*.jsonl) từ vị trí đã đọc "
        "lần trước, cộng vào thống kê khai thác theo ngày và lưu chứng cứ từng lượt gọi. Chạy an "
        "toàn nhiều lần: mỗi dòng chỉ được tính một lần."
    )

    def add_arguments(self, parser):
        parser.add_argument("--directory", type=Path, help="Thư mục nhật ký (mặc định CQS_LGSP_DIR/logs).")
        parser.add_argument(
            "--follow",
            action="store_true",
            help="Đọc tiếp mãi, mỗi --interval giây (dừng bằng Ctrl+C).",
        )
        parser.add_argument("--interval", type=float, default=10.0, help="Số giây giữa hai lần đọc.")
        parser.add_argument(
            "--purge-older-than",
            type=int,
            metavar="DAYS",
            help="Sau khi đọc, xóa chứng cứ lượt gọi cũ hơn số ngày này.",
        )

    def handle(self, *args, directory=None, follow=False, interval=10.0, purge_older_than=None, **options):
        directory = directory or logs_dir()
        if not directory.is_dir() and not follow:
            self.stdout.write(f"Chưa có thư mục nhật ký {directory}: không có gì để đọc.")
            return
        if interval <= 0:
            raise CommandError("--interval phải lớn hơn 0.")
        if purge_older_than is not None and purge_older_than < 1:
            raise CommandError("--purge-older-than phải từ 1 ngày trở lên.")
        try:
            while True:
                result = ingest_logs(directory=directory) if directory.is_dir() else IngestResult()
                # Following, a quiet pass says nothing (unless -v 2): the output stays readable.
                if not follow or result.lines or result.restarts or self.verbosity >= 2:
                    self._report(result)
                if purge_older_than is not None:
                    deleted = evidence_purge(older_than_days=purge_older_than)
                    self.stdout.write(f"Đã xóa {deleted} chứng cứ lượt gọi cũ hơn {purge_older_than} ngày.")
                if not follow:
                    return
                time.sleep(interval)
        except KeyboardInterrupt:
            self.stdout.write("Đã dừng.")

    def _report(self, result: IngestResult) -> None:
        self.stdout.write(
            f"Đã đọc {result.lines} dòng từ {result.files} tệp: {result.calls} lượt gọi, "
            f"{result.malformed} dòng lỗi bỏ qua, {result.restarts} tệp đọc lại từ đầu "
            f"({result.seconds:.2f} giây, {result.lines_per_second:.0f} dòng/giây)."
        )
