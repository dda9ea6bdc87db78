"""``cqs onestop_overdue``: flag dossiers past their appointment (run it from cron, e.g. hourly)."""

from django.core.management.base import BaseCommand

from cqs.onestop.tasks import overdue_mark_all


class Command(BaseCommand):
    help = (
        "Đánh dấu quá hạn các hồ sơ đang giải quyết đã qua ngày hẹn trả (mỗi hồ sơ một lần) "
        "và in số hồ sơ được đánh dấu. Chạy định kỳ bằng cron."
    )

    def handle(self, *args, **options):
        count = overdue_mark_all()
        self.stdout.write(f"Đã đánh dấu quá hạn {count} hồ sơ.")
