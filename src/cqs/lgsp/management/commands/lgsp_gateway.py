"""``cqs lgsp_gateway``: the LGSP data plane in the foreground (built-in proxy or HAProxy).

It publishes the registry first (a new generation if it changed; without a database it serves
the last active files), then runs the engine until SIGTERM or Ctrl-C:

- ``builtin``: ``cqs.lgsp.proxy.serve`` in this process;
- ``haproxy``: ``haproxy -W -db -S <master.sock> -f <current/haproxy.cfg>`` as a child, its
  access log (stdout) appended to ``logs/access-haproxy.jsonl`` and its messages to
  ``logs/haproxy.err``; signals are passed on and the command exits with HAProxy's code.
  Publishing later (``cqs lgsp_publish``, registry changes) reloads it through the master CLI.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from cqs.lgsp import engines


class Command(BaseCommand):
    help = (
        "Chạy cổng kết nối LGSP (bộ chuyển tiếp tích hợp hoặc HAProxy) ở tiền cảnh; "
        "công bố cấu hình từ danh mục trước khi chạy. Dừng bằng Ctrl-C hoặc SIGTERM."
    )
    # The gateway must start from its last files even when the database is down.
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parts = urlsplit(settings.CQS_LGSP_GATEWAY_URL)
        parser.add_argument(
            "--engine",
            choices=sorted(engines.ENGINES),
            default=settings.CQS_LGSP_ENGINE,
            help="Bộ máy chuyển tiếp (mặc định CQS_LGSP_ENGINE).",
        )
        parser.add_argument(
            "--host",
            default=parts.hostname or "127.0.0.1",
            help="Địa chỉ lắng nghe (mặc định lấy từ CQS_LGSP_GATEWAY_URL).",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=parts.port or 80,
            help="Cổng lắng nghe (mặc định lấy từ CQS_LGSP_GATEWAY_URL).",
        )
        parser.add_argument(
            "--no-publish",
            action="store_true",
            help="Không công bố lại từ cơ sở dữ liệu; chạy với cấu hình đang hiệu lực.",
        )

    def handle(self, *args, engine, host, port, no_publish=False, **options):
        # The generation compiled here must listen where this gateway listens, with this engine.
        shown_host = f"[{host}]" if ":" in host else host
        settings.CQS_LGSP_ENGINE = engine
        settings.CQS_LGSP_GATEWAY_URL = f"http://{shown_host}:{port}"
        if not no_publish:
            self._publish()
        if engine == "builtin":
            from cqs.lgsp.proxy import serve

            self.stdout.write(f"Cổng kết nối LGSP (tích hợp) tại http://{shown_host}:{port}/")
            self.stdout.flush()
            serve(host=host, port=port, lgsp_dir=settings.CQS_LGSP_DIR)
            return
        code = self._run_haproxy()
        if code:
            raise CommandError(f"HAProxy đã dừng với mã {code} (xem logs/haproxy.err).", returncode=code)

    def _publish(self) -> None:
        from cqs.lgsp import publish

        try:
            generation = publish.publish_now(reason="gateway start")
        except DatabaseError as exc:
            self.stderr.write(f"Không đọc được cơ sở dữ liệu ({exc}); chạy với cấu hình đã công bố gần nhất.")
            return
        if generation is None:
            self.stdout.write("Cấu hình đang hiệu lực đã là bản mới nhất.")
        elif generation.error and generation.status != "active":
            self.stderr.write(f"Thế hệ {generation.number} không áp dụng được: {generation.error}")
        else:
            self.stdout.write(f"Đã công bố thế hệ cấu hình {generation.number}.")

    def _ensure_current(self) -> None:
        """The active generation's files for HAProxy (e.g. after switching from the built-in engine
        with an unchanged registry, publishing had nothing to do)."""
        from cqs.lgsp.engines import haproxy

        if haproxy.current_config().exists():
            return
        from cqs.lgsp import publish

        try:
            publish.publish_now(reason="gateway start", force=True)
        except DatabaseError as exc:
            raise CommandError(f"Chưa có cấu hình HAProxy và không đọc được cơ sở dữ liệu: {exc}") from exc
        if not haproxy.current_config().exists():
            raise CommandError("Không tạo được cấu hình HAProxy (xem danh sách thế hệ cấu hình).")

    def _run_haproxy(self) -> int:
        from cqs.lgsp.engines import haproxy

        try:
            binary = haproxy.haproxy_binary()
        except engines.EngineError as exc:
            raise CommandError(exc.message) from exc
        self._ensure_current()
        runtime = haproxy.runtime_dir()
        logs = Path(settings.CQS_LGSP_DIR) / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        socket_path = haproxy.master_socket()
        socket_path.unlink(missing_ok=True)
        argv = [binary, "-W", "-db", "-S", str(socket_path), "-f", str(haproxy.current_config())]
        received: list[int] = []

        def forward(signum, frame):
            received.append(signum)
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signum)

        with (
            open(logs / "access-haproxy.jsonl", "ab", buffering=0) as out,
            open(logs / "haproxy.err", "ab", buffering=0) as err,
        ):
            child = subprocess.Popen(argv, stdout=out, stderr=err, cwd=runtime)  # noqa: S603
            pid_file = runtime / haproxy.MASTER_PID
            pid_file.write_text(f"{child.pid}\n")
            previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
            self.stdout.write(
                f"Cổng kết nối LGSP (HAProxy, master pid {child.pid}) tại "
                f"{settings.CQS_LGSP_GATEWAY_URL}/ (Ctrl-C để dừng)"
            )
            self.stdout.flush()
            try:
                code = child.wait()
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
                if child.poll() is None:
                    child.terminate()
                    child.wait()
                pid_file.unlink(missing_ok=True)
        if received and code in (0, 130, 143, -signal.SIGTERM, -signal.SIGINT):
            return 0
        return code
