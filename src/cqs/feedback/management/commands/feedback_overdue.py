"""``cqs feedback_overdue``: alert the units of reports past their answer deadline (cron, e.g. hourly)."""

from django.core.management.base import BaseCommand

from cqs.feedback.services import reports_overdue_mark


class Command(BaseCommand):
    help = (
        "Gửi cảnh báo quá hạn cho đơn vị xử lý các phản ánh đã quá hạn trả lời (mỗi phản ánh một lần) "
        "và in số phản ánh được cảnh báo. Chạy định kỳ bằng cron."
    )

    def handle(self, *args, **options):
        count = len(reports_overdue_mark())
        self.stdout.write(f"Đã cảnh báo quá hạn {count} phản ánh.")
