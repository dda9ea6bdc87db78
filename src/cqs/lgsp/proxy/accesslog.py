"""The built-in proxy's access log: one JSON object per line in ``logs/access-builtin.jsonl``.

Lines are formatted from a fixed template (no ``json.dumps`` per call; every string in it is an
identifier, a hash or an error type the proxy made itself) and buffered; the buffer goes to the
file in one ``write()`` on an ``O_APPEND`` descriptor at least every half second and at shutdown,
so a line is never split. The log never carries paths, query strings, bodies or keys: they hold
citizen identification numbers and secrets (evidence is the hashes).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

logger = logging.getLogger("cqs.lgsp.proxy")

ENGINE = "builtin"
LOG_FILE = "access-builtin.jsonl"
# Flush early when this much is waiting, so a burst does not grow the buffer without bound.
FLUSH_BYTES = 256 * 1024
_METHODS = {m: json.dumps(m) for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")}


def format_line(
    *,
    ts: float,
    request_id: str,
    client: str,
    service: str,
    method: str,
    status: int,
    error: str,
    latency_ms: float,
    bytes_in: int,
    bytes_out: int,
    request_hash: str,
    response_hash: str,
    hash_complete: bool,
) -> str:
    method_json = _METHODS.get(method) or json.dumps(method)
    return (
        f'{{"ts": {ts:.3f}, "engine": "{ENGINE}", "request_id": "{request_id}", "client": "{client}", '
        f'"service": "{service}", "method": {method_json}, "status": {status}, "error": "{error}", '
        f'"latency_ms": {latency_ms:.3f}, "bytes_in": {bytes_in}, "bytes_out": {bytes_out}, '
        f'"request_hash": "{request_hash}", "response_hash": "{response_hash}", '
        f'"hash_complete": {"true" if hash_complete else "false"}}}\n'
    )


class AccessLog:
    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None
        self._inode: int | None = None
        self._lines: list[str] = []
        self._size = 0

    def write(self, line: str) -> None:
        self._lines.append(line)
        self._size += len(line)
        if self._size >= FLUSH_BYTES:
            self.flush()

    def _open(self) -> int:
        """The descriptor, reopened when the file was moved away (log rotation) or deleted."""
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            inode = None
        if self._fd is not None and inode == self._inode:
            return self._fd
        if self._fd is not None:
            os.close(self._fd)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self._inode = os.fstat(self._fd).st_ino
        return self._fd

    def flush(self) -> None:
        if not self._lines:
            return
        data = "".join(self._lines).encode()
        self._lines.clear()
        self._size = 0
        try:
            fd = self._open()
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
        except OSError as exc:
            logger.error(
                "LGSP proxy: access log %s not written (%d bytes lost): %s", self.path, len(data), exc
            )

    def close(self) -> None:
        self.flush()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
