"""The built-in proxy's side of publishing: the snapshot file it watches.

The proxy (``cqs.lgsp.proxy``) checks ``active/snapshot.json`` for a new inode every
``RELOAD_CHECK_SECONDS`` and swaps its tables between two requests, so a revocation takes effect
within a second of the publication. The file is replaced atomically (write, fsync, rename).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from cqs.lgsp.engines import Applied, EngineError
from cqs.lgsp.snapshot import SNAPSHOT_VERSION, snapshot_bytes

ACTIVE_DIR = "active"
SNAPSHOT_FILE = "snapshot.json"


def active_snapshot_path() -> Path:
    return Path(settings.CQS_LGSP_DIR) / ACTIVE_DIR / SNAPSHOT_FILE


def check_snapshot(snapshot: dict) -> None:
    """What both engines need of a snapshot before it may go live."""
    if snapshot.get("version") != SNAPSHOT_VERSION:
        raise EngineError(f"snapshot version {snapshot.get('version')!r} is not {SNAPSHOT_VERSION}")
    for service_id, service in snapshot["services"].items():
        parts = urlsplit(service["upstream"])
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EngineError(f"{service_id}: upstream {service['upstream']!r} is not an http(s) URL")
        try:
            parts.port  # noqa: B018 - raises on an invalid port
        except ValueError as exc:
            raise EngineError(f"{service_id}: upstream {service['upstream']!r} has an invalid port") from exc
        if not 100 <= int(service["timeout_ms"]) <= 120_000:
            raise EngineError(f"{service_id}: timeout {service['timeout_ms']} ms out of range")


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class BuiltinEngine:
    name = "builtin"

    def validate(self, snapshot: dict) -> None:
        check_snapshot(snapshot)

    def apply(self, directory: Path, snapshot: dict) -> Applied:
        check_snapshot(snapshot)
        started = time.monotonic()
        write_atomically(active_snapshot_path(), snapshot_bytes(snapshot))
        return Applied(reload_ms=int((time.monotonic() - started) * 1000))
