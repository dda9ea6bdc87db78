"""``cqs serve`` for real: Granian and the task worker as child processes of one command."""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

START_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cqs(*args) -> list[str]:
    return [sys.executable, "-m", "cqs.manage", *args]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """A fresh CQS_DATA_DIR with a migrated SQLite database (the test settings use memory)."""
    path = tmp_path_factory.mktemp("cqs-data")
    env = serve_env(path)
    subprocess.run(cqs("migrate", "--noinput", "-v", "0"), env=env, check=True, timeout=300)  # noqa: S603
    subprocess.run(cqs("collectstatic", "--noinput", "-v", "0"), env=env, check=True, timeout=300)  # noqa: S603
    return path


def serve_env(path: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        CQS_DATA_DIR=str(path),
        CQS_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        # Plain copies: quicker to collect than the hashed, compressed production storage.
        CQS_STATICFILES_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
        # No LGSP gateway on the fixed default port: the test that wants one sets a free port.
        CQS_LGSP_GATEWAY_URL="",
    )
    env.pop("PORT", None)
    return env


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes; it only waits for its parent to read its status.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


class Server:
    def __init__(self, data_dir: Path, *extra: str, env: dict | None = None):
        self.port = free_port()
        self.output = open(data_dir / f"serve-{self.port}.log", "w+")  # noqa: SIM115
        self.proc = subprocess.Popen(  # noqa: S603
            cqs("serve", "--port", str(self.port), *extra),
            env={**serve_env(data_dir), **(env or {})},
            stdout=self.output,
            stderr=subprocess.STDOUT,
            process_group=0,
        )

    @property
    def log(self) -> str:
        self.output.flush()
        self.output.seek(0)
        return self.output.read()

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        raise AssertionError(f"/healthz never answered 200:\n{self.log}")

    def child_pids(self) -> dict[str, int]:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = dict(re.findall(r"(web|tasks) pid (\d+)", self.log))
            workers = re.findall(r"Spawning worker-\d+ with PID: (\d+)", self.log)
            if "web" in found and "tasks" in found and workers:
                return {**{k: int(v) for k, v in found.items()}, "granian-worker": int(workers[0])}
            time.sleep(0.2)
        raise AssertionError(self.log)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.output.close()


@pytest.fixture
def server_factory(data_dir):
    servers = []

    def start(*extra, env=None):
        server = Server(data_dir, *extra, env=env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_serve_answers_then_sigint_stops_both_children_and_exits_zero(server_factory):
    # given cqs serve on a free port
    server = server_factory()
    server.wait_healthy()
    pids = server.child_pids()
    assert all(alive(pid) for pid in pids.values())
    assert f"http://127.0.0.1:{server.port}/" in server.log
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz", timeout=5) as response:
        assert response.read() == b'{"status": "ok"}'
    # static files come from WhiteNoise, in the same process
    with urllib.request.urlopen(
        f"http://127.0.0.1:{server.port}/static/admin/css/base.css", timeout=5
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/css")
    # when Ctrl-C is pressed
    server.proc.send_signal(signal.SIGINT)
    # then the command exits cleanly and takes its children with it
    assert server.proc.wait(timeout=30) == 0, server.log
    assert not [name for name, pid in pids.items() if alive(pid)], server.log
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", server.port), timeout=2):
        pass


def test_idle_keep_alive_connections_do_not_starve_a_new_request(server_factory):
    # given more idle keep-alive connections than the server has request threads (a browser
    # opens six per host; the default pool is 2 x cores + 1)
    server = server_factory("--no-tasks", "--threads", "2")
    server.wait_healthy()
    idle = []
    for _ in range(8):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", "/healthz")
        assert conn.getresponse().read() == b'{"status": "ok"}'
        idle.append(conn)
    # when one more client asks for a page while those connections stay open
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz", timeout=5) as response:
            # then it is answered at once
            assert response.status == 200
    finally:
        for conn in idle:
            conn.close()


def test_serve_runs_the_lgsp_gateway_when_its_address_is_local(server_factory, tmp_path):
    # given a gateway address on this machine
    gateway = f"http://127.0.0.1:{free_port()}"
    server = server_factory(
        "--no-tasks", env={"CQS_LGSP_GATEWAY_URL": gateway, "CQS_LGSP_DIR": str(tmp_path)}
    )
    server.wait_healthy()
    assert "gateway pid" in server.log
    # then the built-in gateway answers in the X-Road way (here: a path that names no service)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            urllib.request.urlopen(f"{gateway}/r1/not-a-service", timeout=2)  # noqa: S310
        except urllib.error.HTTPError as refused:
            assert refused.code == 400
            assert refused.headers["X-Road-Error"] == "Client.BadRequest"
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            assert time.monotonic() < deadline, server.log
            time.sleep(0.3)
    # and it stops with the rest
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=30) == 0, server.log
    with (
        pytest.raises(OSError),
        socket.create_connection(("127.0.0.1", int(gateway.rsplit(":", 1)[1])), timeout=2),
    ):
        pass


def test_sigterm_also_stops_cleanly(server_factory):
    server = server_factory("--no-tasks")
    server.wait_healthy()
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=30) == 0, server.log


def test_when_the_worker_dies_the_web_server_is_stopped_and_the_exit_code_is_not_zero(server_factory):
    server = server_factory()
    server.wait_healthy()
    pids = server.child_pids()
    # when the task worker is killed from outside
    os.kill(pids["tasks"], signal.SIGKILL)
    # then serve stops Granian and fails
    assert server.proc.wait(timeout=30) != 0
    assert "tasks" in server.log
    assert not alive(pids["web"])
    assert not alive(pids["granian-worker"])


def test_a_port_in_use_is_refused_with_a_clear_message(data_dir):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = subprocess.run(  # noqa: S603
            cqs("serve", "--port", str(port)),
            env=serve_env(data_dir),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"Cổng {port}" in result.stderr
