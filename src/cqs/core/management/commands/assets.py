from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cqs.core import assets


class Command(BaseCommand):
    help = (
        "Tải các gói giao diện (Bootstrap...) đã ghim trong src/cqs/core/assets.json từ npm registry, "
        "kiểm tra mã toàn vẹn và giải nén vào build/static/vendor/. Đặt CQS_NPM_REGISTRY hoặc "
        "npm_config_registry để dùng bản sao (mirror)."
    )
    # Runs before migrate and needs no database.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--dest",
            type=Path,
            default=Path(settings.BASE_DIR) / "build" / "static" / "vendor",
            help="Thư mục đích (mặc định build/static/vendor).",
        )
        parser.add_argument("--manifest", type=Path, default=assets.MANIFEST_PATH, help="Tệp manifest.")
        parser.add_argument("--force", action="store_true", help="Tải lại cả khi đã có.")

    def handle(self, *args, dest, manifest, force, **options):
        try:
            assets.sync(vendor_dir=dest, manifest=manifest, force=force, log=self.stdout.write)
        except (assets.AssetError, OSError, ValueError, KeyError) as exc:
            raise CommandError(f"Không cài được tài nguyên giao diện: {exc}") from exc
