"""``cqs documents_poll``: receive once what waits on the national document-exchange axis."""

from django.core.management.base import BaseCommand, CommandError

from cqs.documents.exchange import axis_poll
from cqs.documents.vdxp import VdxpError, client_from_settings


class Command(BaseCommand):
    help = (
        "Nhận một lần các văn bản và gói tin trạng thái đang chờ trên trục liên thông văn bản "
        "quốc gia, rồi in số lượng. Máy chủ CQS tự nhận định kỳ; lệnh này để chạy bằng tay."
    )

    def handle(self, *args, **options):
        client = client_from_settings()
        if client is None:
            self.stdout.write("Liên thông văn bản đang tắt (CQS_VDXP_URL để trống): không nhận gì.")
            return
        try:
            counts = axis_poll(client)
        except VdxpError as error:
            raise CommandError(
                f"Không nhận được từ trục liên thông [{error.code}]: {error.message}"
            ) from None
        self.stdout.write(
            f"Đã nhận {counts.received} gói tin: {counts.documents} văn bản đến, "
            f"{counts.statuses} gói tin trạng thái, {counts.refused} gói tin bị từ chối; "
            f"{counts.seen_before} gói tin đã nhận từ trước."
        )
        if counts.errors:
            self.stdout.write("Lỗi: " + ", ".join(counts.errors))
