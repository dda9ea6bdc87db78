"""``cqs ioc_refresh [--year 2026 …] [--load]``: compute the IOC's figures (for cron, or by hand)."""

from django.core.management.base import BaseCommand, CommandError

from cqs.core.exceptions import ServiceError
from cqs.ioc.services.kpis import kpi_definitions_load, kpi_refresh


class Command(BaseCommand):
    help = "Tính lại số liệu các chỉ số IOC (lũy kế năm và từng tháng)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", help="Năm cần tính (mặc định: năm nay).")
        parser.add_argument(
            "--load", action="store_true", help="Nạp lại định nghĩa chỉ số từ data/kpis.json."
        )

    def handle(self, *args, **options):
        try:
            if options["load"]:
                count = kpi_definitions_load()
                self.stdout.write(f"Đã nạp {count} định nghĩa chỉ số.")
            for year in options["year"] or [None]:
                run = kpi_refresh(year=year)
                self.stdout.write(f"Năm {run.year}: {run.rows} dòng số liệu, {run.seconds:.1f} giây.")
        except ServiceError as error:
            raise CommandError(f"{error.error_code}: {error.detail}") from error
