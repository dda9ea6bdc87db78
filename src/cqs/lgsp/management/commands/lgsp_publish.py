"""``cqs lgsp_publish``: compile the registry and apply it to the gateway now, and say what happened."""

from django.core.management.base import BaseCommand, CommandError

from cqs.lgsp import publish, selectors
from cqs.lgsp.choices import GenerationStatus


class Command(BaseCommand):
    help = (
        "Biên dịch danh bạ LGSP và áp dụng ngay cho cổng kết nối, rồi in thế hệ cấu hình. Máy chủ CQS "
        "tự làm việc này sau mỗi thay đổi và mỗi phút; lệnh này để chạy bằng tay."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Tạo và áp dụng thế hệ mới kể cả khi cấu hình không đổi (ví dụ sau khi khởi động lại cổng).",
        )
        parser.add_argument("--reason", default="", help="Lý do, ghi vào thế hệ cấu hình.")

    def handle(self, *args, force: bool, reason: str, **options):
        generation = publish.publish_now(reason=reason or "command line", force=force)
        if generation is None:
            active = selectors.generation_active()
            self.stdout.write(
                f"Cấu hình không đổi: thế hệ #{active.number} ({active.engine}) đang chạy, "
                f"{active.services} dịch vụ, {active.grants} quyền, {active.credentials} tài khoản."
            )
            return
        if generation.status != GenerationStatus.ACTIVE:
            raise CommandError(
                f"Thế hệ #{generation.number} ({generation.engine}) không được áp dụng "
                f"[{generation.status}]: {generation.error}"
            )
        self.stdout.write(
            f"Đã áp dụng thế hệ #{generation.number} ({generation.engine}): {generation.services} dịch vụ, "
            f"{generation.grants} quyền, {generation.credentials} tài khoản; "
            f"biên dịch {generation.compile_ms} ms, nạp lại {generation.reload_ms} ms; "
            f"băm {generation.snapshot_sha256[:12]}."
        )
