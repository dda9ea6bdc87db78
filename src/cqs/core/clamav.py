"""A small client for clamd, the ClamAV daemon: INSTREAM scans and PING.

Written here rather than taken from PyPI: the only dedicated client there (python-clamd) is
unmaintained, and the protocol needs a few dozen lines. clamd's commands are documented in
clamd(8); we use the ``z`` form (NUL-terminated command and reply) so one connection carries one
command and its reply is unambiguous.

Addresses are a unix socket path (``/run/clamav/clamd.ctl``, also ``unix:///run/...``) or
``tcp://host:port``. Scanning is fail-closed at the caller: anything other than a clear "OK" or
"FOUND" reply raises ``ScannerUnavailable``, never a silent "clean".
"""

import socket
import struct
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

# clamd refuses streams longer than its StreamMaxLength (default 100 MB) and then closes the
# socket; chunks are a convenience for memory, any size up to that limit is accepted.
CHUNK_BYTES = 64 * 1024
_REPLY_LIMIT = 64 * 1024
_PREFIX = "stream: "


class ScannerUnavailable(Exception):
    """clamd could not give a verdict: not reachable, too slow, or answered with an error."""


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    # The signature name clamd reported ("Win.Test.EICAR_HDB-1"), empty when clean. For logs
    # and staff, not for citizens.
    signature: str = ""


def clamav_scan(data: bytes, *, address: str | None = None, timeout: float = 30) -> ScanResult:
    """Scan ``data`` with clamd at ``address`` (default ``settings.CQS_CLAMD``)."""
    reply = _command(address, b"zINSTREAM\0", data=data, timeout=timeout)
    if reply == _PREFIX + "OK":
        return ScanResult(clean=True)
    if reply.startswith(_PREFIX) and reply.endswith(" FOUND"):
        signature = reply[len(_PREFIX) : -len(" FOUND")].strip()
        return ScanResult(clean=False, signature=signature)
    # "INSTREAM size limit exceeded. ERROR", "stream: Can't allocate memory ERROR", ...: no verdict.
    raise ScannerUnavailable(f"clamd gave no verdict: {reply[:200]!r}")


def clamav_ping(address: str | None = None, *, timeout: float = 5) -> bool:
    """True when clamd at ``address`` answers PING with PONG."""
    try:
        return _command(address, b"zPING\0", timeout=timeout) == "PONG"
    except ScannerUnavailable:
        return False


def _connect(address: str, timeout: float) -> socket.socket:
    if address.startswith("tcp://"):
        parts = urlsplit(address)
        if not parts.hostname or not parts.port:
            raise ScannerUnavailable(f"clamd address needs a host and a port: {address!r}")
        return socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    path = address.removeprefix("unix://")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
    except BaseException:
        sock.close()
        raise
    return sock


def _command(address: str | None, command: bytes, *, data: bytes | None = None, timeout: float) -> str:
    address = address if address is not None else settings.CQS_CLAMD
    if not address:
        raise ScannerUnavailable("no clamd address configured")
    # ``timeout`` bounds the whole exchange, not each read: a clamd that trickles bytes must not
    # hold a citizen's request for ever.
    deadline = time.monotonic() + timeout
    try:
        with _connect(address, timeout) as sock:
            try:
                _send(sock, command, deadline)
                if data is not None:
                    view = memoryview(data)
                    for start in range(0, len(view), CHUNK_BYTES):
                        chunk = view[start : start + CHUNK_BYTES]
                        _send(sock, struct.pack("!L", len(chunk)) + chunk, deadline)
                    _send(sock, struct.pack("!L", 0), deadline)
            except (BrokenPipeError, ConnectionResetError):
                # clamd closes the stream early when it is over StreamMaxLength, after writing
                # why; read that reply rather than reporting a bare broken pipe.
                pass
            return _read_reply(sock, deadline)
    except ScannerUnavailable:
        raise
    except OSError as exc:  # refused, missing socket, timeout (socket.timeout is an OSError)
        raise ScannerUnavailable(f"clamd at {address!r} is unavailable: {exc}") from exc


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("clamd took too long")
    return left


def _send(sock: socket.socket, payload: bytes, deadline: float) -> None:
    sock.settimeout(_remaining(deadline))
    sock.sendall(payload)


def _read_reply(sock: socket.socket, deadline: float) -> str:
    reply = bytearray()
    while b"\0" not in reply:
        sock.settimeout(_remaining(deadline))
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            break
        reply += chunk
        if len(reply) > _REPLY_LIMIT:
            raise ScannerUnavailable("clamd reply too long")
    if not reply:
        raise ScannerUnavailable("clamd closed the connection without a reply")
    return reply.split(b"\0", 1)[0].decode("utf-8", "replace").strip()
