"""Test support for the LGSP data plane: a recording upstream, a gateway in a subprocess, tokens.

The conformance suite (``tests/test_gateway_conformance.py``) runs the same assertions against
both engines with these helpers; the gateway benchmark reuses ``free_port`` and ``running_gateway``.

- ``upstream_server()``: a real HTTP/1.1 server on a free port that echoes what it received
  (method, path, query, headers, body length and hash) and records every request, so a test can
  assert what reached the provider, e.g. that the gateway's credentials never do. Special paths
  (matched at the end of the path, so they work under an upstream base path): ``…/slow?ms=N``
  answers after N ms, ``…/status/NNN`` answers status NNN, ``…/big?kb=N`` answers N KiB.
- ``running_gateway(engine, lgsp_dir, port)``: ``python -m cqs.manage lgsp_gateway`` as a
  subprocess, stopped with SIGTERM (then SIGKILL) at the end.
- ``wait_for(predicate, timeout)``: for "takes effect within seconds".
- ``sign_token(...)`` / ``access_token(credential)``: ES256 access tokens as the token endpoint
  issues them, or deliberately wrong ones (expired, another audience).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

START_TIMEOUT = 30
STOP_TIMEOUT = 10


def _missing(message: str) -> None:
    import pytest

    # CI installs haproxy: there a missing binary is a broken job, not a reason to skip.
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def body_hash(body: bytes) -> str:
    """``X-Road-Request-Hash`` of a body: base64 of its SHA-512 (common to both engines)."""
    return base64.b64encode(hashlib.sha512(body).digest()).decode()


def wait_for(predicate: Callable[[], object], timeout: float = 5.0, interval: float = 0.05):
    """Call ``predicate`` until it returns something truthy (returned) or ``timeout`` seconds pass
    (then the last value is returned, falsy, for the caller's assertion to report)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# ------------------------------------------------------------------------------------------------
# HTTP calls
# ------------------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    elapsed: float

    def json(self):
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def call(
    base_url: str,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 30,
) -> Response:
    """One request on a fresh connection, the path sent exactly as given (no normalisation)."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    started = time.monotonic()
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return Response(response.status, response.headers, data, time.monotonic() - started)
    finally:
        connection.close()


# ------------------------------------------------------------------------------------------------
# The upstream (a provider's service)
# ------------------------------------------------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), None)

    def has_header(self, name: str) -> bool:
        return self.header(name) is not None


@dataclass
class Upstream:
    url: str
    port: int
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, received: Received) -> None:
        with self.lock:
            self.requests.append(received)

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()

    def find(self, request_id: str) -> Received | None:
        """The request the gateway forwarded with this ``X-Road-Id``."""
        with self.lock:
            return next((r for r in self.requests if r.header("X-Road-Id") == request_id), None)


def big_body(kb: int) -> bytes:
    """The body of ``/big?kb=N``: N KiB of a repeating, position-dependent pattern."""
    line = bytes(range(32, 127)) + b"\n"
    data = line * (kb * 1024 // len(line) + 1)
    return data[: kb * 1024]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cqs-test-upstream"
    sys_version = ""
    upstream: Upstream  # set on the subclass made per server

    def log_message(self, format, *args):
        pass

    def handle(self) -> None:
        # A gateway closing an idle keep-alive connection is no error of the test.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            super().handle()

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Upstream", "echo")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the gateway gave up (timeout)
            self.close_connection = True

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        body = self._read_body()
        received = Received(
            method=self.command,
            path=parts.path,
            query=parts.query,
            headers=list(self.headers.items()),
            body=body,
        )
        self.upstream.record(received)
        params = parse_qs(parts.query)
        segments = parts.path.rstrip("/").split("/")
        if segments[-1] == "slow":
            time.sleep(int(params.get("ms", ["1000"])[0]) / 1000)
        if segments[-1] == "big":
            self._answer(200, big_body(int(params.get("kb", ["1"])[0])), "application/octet-stream")
            return
        status = 200
        if len(segments) >= 2 and segments[-2] == "status" and segments[-1].isdigit():
            status = int(segments[-1])
        echo = {
            "method": received.method,
            "path": received.path,
            "query": received.query,
            "headers": dict(received.headers),
            "body_length": len(body),
            "body_sha512": body_hash(body),
        }
        if status != 200:
            echo["upstream_status"] = status
        self._answer(status, json.dumps(echo, ensure_ascii=False).encode())

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


@contextlib.contextmanager
def upstream_server(host: str = "127.0.0.1") -> Iterator[Upstream]:
    """An echoing, recording HTTP/1.1 server on a free port, in daemon threads."""
    upstream = Upstream(url="", port=0)
    handler = type("Handler", (_Handler,), {"upstream": upstream})
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    upstream.port = server.server_address[1]
    upstream.url = f"http://{host}:{upstream.port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield upstream
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ------------------------------------------------------------------------------------------------
# The gateway
# ------------------------------------------------------------------------------------------------


@dataclass
class Gateway:
    engine: str
    url: str
    lgsp_dir: Path
    process: subprocess.Popen
    output: Path

    @property
    def access_log(self) -> Path:
        return self.lgsp_dir / "logs" / f"access-{self.engine}.jsonl"

    def log_lines(self) -> list[dict]:
        if not self.access_log.exists():
            return []
        lines = []
        for raw in self.access_log.read_text(encoding="utf-8").splitlines():
            raw = raw.strip()
            if raw.startswith("{"):
                lines.append(json.loads(raw))
        return lines

    def log_line(self, request_id: str) -> dict | None:
        return next((line for line in self.log_lines() if line.get("request_id") == request_id), None)

    def raw_log(self) -> str:
        return self.access_log.read_text(encoding="utf-8") if self.access_log.exists() else ""

    def call(self, method: str, path: str, **kwargs) -> Response:
        return call(self.url, method, path, **kwargs)


def haproxy_binary() -> str | None:
    from django.conf import settings

    configured = getattr(settings, "CQS_LGSP_HAPROXY_BIN", "haproxy")
    return shutil.which(configured) or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if os.access(p, os.X_OK)), None
    )


def require_haproxy() -> str:
    binary = haproxy_binary()
    if binary is None:
        _missing("haproxy not installed (Debian: apt-get install haproxy)")
    return binary


def _answers(host: str, port: int) -> bool:
    try:
        response = call(f"http://{host}:{port}", "GET", "/", timeout=2)
    except OSError:
        return False
    return response.status > 0


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    # The process group is the one made for this gateway (start_new_session): whatever it left
    # (an HAProxy master or worker) goes with it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def running_gateway(
    engine: str,
    lgsp_dir: Path,
    port: int,
    *,
    host: str = "127.0.0.1",
    database_url: str | None = None,
    publish: bool = True,
    env: dict[str, str] | None = None,
    cpus: str | None = None,
    command: list[str] | None = None,
    start_timeout: float = START_TIMEOUT,
) -> Iterator[Gateway]:
    """``cqs lgsp_gateway --engine <engine>`` on ``host:port``, serving ``lgsp_dir``.

    The command publishes the registry once at start, unless ``publish=False`` (``--no-publish``:
    it serves the generation already applied in ``lgsp_dir``). ``database_url`` replaces
    ``DATABASE_URL`` for the gateway; by default the caller's environment is passed through.
    ``cpus`` pins the gateway with ``taskset -c`` (benchmarks). ``command`` replaces the
    ``cqs lgsp_gateway`` command line (its environment is the same). With ``engine="haproxy"``
    and no haproxy binary the test is skipped, or failed under ``CI``.
    """
    if engine == "haproxy":
        require_haproxy()
    lgsp_dir = Path(lgsp_dir)
    lgsp_dir.mkdir(parents=True, exist_ok=True)
    child_env = {**os.environ, **(env or {})}
    child_env.update(
        DJANGO_SETTINGS_MODULE="cqs.settings",
        CQS_LGSP_DIR=str(lgsp_dir),
        CQS_LGSP_ENGINE=engine,
        CQS_LGSP_GATEWAY_URL=f"http://{host}:{port}",
        PYTHONUNBUFFERED="1",
    )
    if database_url is not None:
        child_env["DATABASE_URL"] = database_url
    if command is None:
        command = [sys.executable, "-m", "cqs.manage", "lgsp_gateway", "--engine", engine]
        command += ["--host", host, "--port", str(port)]
        if not publish:
            command.append("--no-publish")
    if cpus is not None:
        command = [shutil.which("taskset") or "taskset", "-c", cpus, *command]
    output = lgsp_dir / f"gateway-{engine}-{port}.out"
    with output.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
            command, env=child_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + start_timeout
        while not _answers(host, port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the {engine} gateway did not start on {host}:{port}; its output:\n"
                    + output.read_text(errors="replace")[-4000:]
                )
            time.sleep(0.1)
        yield Gateway(engine, f"http://{host}:{port}", lgsp_dir, process, output)
    finally:
        _stop(process)


# ------------------------------------------------------------------------------------------------
# Access tokens
# ------------------------------------------------------------------------------------------------


def sign_token(
    *,
    client: str,
    credential_id: int | str,
    lifetime: int = 300,
    audience: str | None = None,
    issuer: str | None = None,
    now: int | None = None,
    private_pem: bytes | None = None,
) -> str:
    """An ES256 access token with the claims of the token endpoint (RFC 9068 shape), signed with
    the platform's key unless ``private_pem`` says otherwise; negative ``lifetime`` = expired."""
    from joserfc import jwt
    from joserfc.jwk import ECKey

    from cqs.lgsp import tokens

    now = int(time.time()) if now is None else now
    snapshot = tokens.jwt_snapshot()
    claims = {
        "iss": snapshot["issuer"] if issuer is None else issuer,
        "aud": snapshot["audience"] if audience is None else audience,
        "sub": client,
        "cid": str(credential_id),
        "client_id": f"test-{credential_id}",
        "iat": now - (600 if lifetime < 0 else 0),
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    header = {"alg": tokens.ALGORITHM, "typ": "at+jwt"}
    key = ECKey.import_key(private_pem or tokens.signing_key().private_pem)
    return jwt.encode(header, claims, key, algorithms=[tokens.ALGORITHM])


def access_token(credential) -> str:
    """A valid token for an OAuth2 client credential: from the token endpoint's own function when
    it exists (``cqs.lgsp.oauth.issue_access_token``), else signed here with the same claims."""
    try:
        from cqs.lgsp.oauth import issue_access_token
    except ImportError:
        return sign_token(client=credential.subsystem.xroad_id, credential_id=credential.pk)
    token, _expires_in = issue_access_token(credential)
    return token
