"""``cqs serve``: the web server (Granian, WSGI) and the background worker, as one unit.

Both run as child processes in their own process groups, so that Ctrl-C reaches only this
command, which then stops them in order and waits for them. If either child dies, the other is
stopped too and the command exits non-zero: a supervisor (systemd, a container runtime) sees
one failed service instead of a half-working one.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# How long a child has to finish its current request or task after SIGTERM before SIGKILL.
GRACE_SECONDS = 10.0
POLL_SECONDS = 0.2


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked child
    # Linux: if `cqs serve` is killed with SIGKILL, the children get SIGTERM instead of
    # lingering on the port. Elsewhere this is a no-op.
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError:
            return False
    return True


def _gateway_is_local() -> bool:
    url = settings.CQS_LGSP_GATEWAY_URL
    return bool(url) and urlsplit(url).hostname in {"127.0.0.1", "localhost", "::1"}


class Command(BaseCommand):
    help = (
        "Chạy CQS: máy chủ web Granian (WSGI) và tiến trình xử lý tác vụ nền (django-tasks), "
        "dừng cùng nhau bằng Ctrl-C hoặc SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--host",
            default=os.environ.get("CQS_HOST", "127.0.0.1"),
            help="Địa chỉ lắng nghe (mặc định CQS_HOST hoặc 127.0.0.1).",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("PORT", "8000")),
            help="Cổng (mặc định biến môi trường PORT hoặc 8000).",
        )
        parser.add_argument(
            "--workers", type=int, default=1, help="Số tiến trình web của Granian (mặc định 1)."
        )
        parser.add_argument(
            "--threads",
            type=int,
            # Granian's own advice for WSGI: about two threads per core, plus one.
            default=int(os.environ.get("CQS_THREADS", str(2 * (os.cpu_count() or 1) + 1))),
            help="Số yêu cầu xử lý đồng thời trong mỗi tiến trình web (mặc định CQS_THREADS "
            "hoặc 2 × số lõi CPU + 1).",
        )
        parser.add_argument("--no-tasks", action="store_true", help="Không chạy tiến trình xử lý tác vụ nền.")
        parser.add_argument(
            "--no-gateway",
            action="store_true",
            help="Không chạy cổng kết nối LGSP (mặc định chạy khi CQS_LGSP_GATEWAY_URL trỏ vào máy này).",
        )
        parser.add_argument(
            "--fakes",
            action="store_true",
            help="Chạy thêm các hệ thống bên ngoài giả lập (cqs fakes) cho bản trình diễn.",
        )

    def handle(self, *args, host, port, workers, threads, no_tasks, fakes=False, no_gateway=False, **options):
        if workers < 1 or threads < 1:
            raise CommandError("--workers và --threads phải lớn hơn hoặc bằng 1.")
        if not _port_is_free(host, port):
            raise CommandError(f"Cổng {port} trên {host} đang được dùng; hãy đặt PORT khác.")
        self.check_migrations()

        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        web = [
            sys.executable, "-m", "granian",
            "--interface", "wsgi",
            "--host", host,
            "--port", str(port),
            "--workers", str(workers),
            "--no-ws",
            # A bounded pool of Python threads for requests in flight (Granian's WSGI default
            # would allow 512). No --backpressure equal to it: Granian counts idle keep-alive
            # connections against backpressure, so a browser's six connections starved the
            # seventh request and pages never finished loading.
            "--blocking-threads", str(threads),
            "cqs.wsgi:application",
        ]  # fmt: skip
        commands = {"web": web}
        if not no_tasks:
            commands["tasks"] = [sys.executable, "-m", "cqs.manage", "db_worker", "--no-reload"]
            # The document axis is polled by a task that books its own next run: book the first.
            from cqs.documents.tasks import schedule_axis_poll

            schedule_axis_poll()
            # The LGSP's minute task: republish (expired credentials), ingest access logs, escalate.
            from cqs.lgsp.tasks import schedule_lgsp_minute

            schedule_lgsp_minute()
            # Citizen feedback: the overdue check books itself at the next deadline; book the first.
            from cqs.feedback.tasks import next_deadline, schedule_overdue_check

            upcoming = next_deadline()
            if upcoming is not None:
                schedule_overdue_check(at=upcoming)
        if not no_gateway and _gateway_is_local():
            # The LGSP data plane (docs/lgsp.md): the built-in proxy, or HAProxy when configured.
            gateway = urlsplit(settings.CQS_LGSP_GATEWAY_URL)
            if not _port_is_free(gateway.hostname, gateway.port or 80):
                raise CommandError(
                    f"Cổng {gateway.port} của cổng kết nối LGSP đang được dùng; hãy đặt "
                    "CQS_LGSP_GATEWAY_URL khác hoặc chạy với --no-gateway."
                )
            commands["gateway"] = [sys.executable, "-m", "cqs.manage", "lgsp_gateway"]
        if fakes:
            from cqs.fakes.registry import fake_apps_from_settings

            # `cqs fakes` exits at once when every URL points elsewhere, which would read here
            # as a child dying: start it only when it has something to serve.
            if fake_apps_from_settings():
                commands["fakes"] = [sys.executable, "-m", "cqs.manage", "fakes"]
            else:
                self.stdout.write(
                    "--fakes: mọi hệ thống bên ngoài đều ở máy khác hoặc tắt; không chạy giả lập."
                )

        stop_signal: list[int] = []

        def request_stop(signum, frame):
            stop_signal.append(signum)

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        children: dict[str, subprocess.Popen] = {}
        failed: tuple[str, int] | None = None
        try:
            for name, argv in commands.items():
                children[name] = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
                    argv, env=env, process_group=0, preexec_fn=_die_with_parent
                )
            shown_host = f"[{host}]" if ":" in host else host
            self.stdout.write(
                self.style.SUCCESS(f"CQS đang chạy tại http://{shown_host}:{port}/") + " (Ctrl-C để dừng)"
            )
            self.stdout.write(", ".join(f"{name} pid {proc.pid}" for name, proc in children.items()))
            self.stdout.flush()
            while not stop_signal and failed is None:
                for name, proc in children.items():
                    code = proc.poll()
                    if code is not None:
                        failed = (name, code)
                        break
                else:
                    time.sleep(POLL_SECONDS)
        finally:
            self._stop(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)

        if failed is not None:
            name, code = failed
            raise CommandError(
                f"Tiến trình {name} đã dừng bất thường (mã {code}); đã dừng các tiến trình còn lại."
            )
        self.stdout.write(f"Đã dừng ({signal.Signals(stop_signal[0]).name}).")

    def _stop(self, children: dict[str, subprocess.Popen]) -> None:
        alive = [proc for proc in children.values() if proc.poll() is None]
        for proc in alive:
            # The main process only: Granian stops its own workers, and the task worker finishes
            # the task it is running.
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for proc in alive:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"pid {proc.pid} không dừng sau {GRACE_SECONDS:.0f} giây; buộc dừng.")
                # The whole group, so that no Granian worker process is left behind.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
