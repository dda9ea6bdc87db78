"""``cqs fakes``: serve the fake outside systems of the demo until Ctrl-C or SIGTERM.

Each fake listens on the port of its setting's URL (``CQS_PAYGOV_URL``, ``CQS_DVCQG_URL``,
``CQS_SMS_URL``, ``CQS_VNEID_ISSUER``, ``CQS_VDXP_URL``, ``CQS_TSA_URL``, ``CQS_RIS_URL``,
``CQS_DANCU_URL``, ``CQS_NDXP_URL``), only when that URL points at this machine
(``cqs.fakes.registry``). ``cqs serve --fakes`` runs this command as one of its children.
"""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from cqs.fakes.registry import fake_apps_from_settings, start_fakes


class Command(BaseCommand):
    help = (
        "Chạy các hệ thống bên ngoài giả lập (cổng thanh toán, Cổng DVCQG, SMS, VNeID, trục liên thông "
        "văn bản, máy chủ dấu thời gian) trên các cổng "
        "ghi trong cấu hình, cho đến khi nhấn Ctrl-C hoặc nhận SIGTERM."
    )
    # Needs neither the database nor the checks: it may start before migrations run.
    requires_system_checks = []

    def handle(self, *args, **options):
        apps = fake_apps_from_settings()
        if not apps:
            self.stdout.write(
                "Không có hệ thống giả lập nào: mọi địa chỉ đều trỏ ra ngoài máy này hoặc để trống."
            )
            return
        stop = threading.Event()

        def request_stop(signum, frame):
            stop.set()

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            try:
                running = start_fakes(apps)
            except OSError as exc:
                raise CommandError(
                    f"Không mở được cổng cho hệ thống giả lập: {exc.strerror or exc}"
                ) from None
            try:
                for (name, _app, _host, _port), fake in zip(apps, running, strict=True):
                    self.stdout.write(f"{name}: {fake.url}")
                self.stdout.write(self.style.SUCCESS("Các hệ thống giả lập đang chạy") + " (Ctrl-C để dừng)")
                self.stdout.flush()
                while not stop.wait(0.5):
                    pass
            finally:
                for fake in running:
                    fake.stop()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("Đã dừng các hệ thống giả lập.")
