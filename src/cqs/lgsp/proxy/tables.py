"""The snapshot compiled into lookup tables for the hot path, and the watcher that reloads it.

``compile_snapshot()`` turns ``active/snapshot.json`` (shape in ``cqs.lgsp.snapshot``) into
dicts keyed the way a request asks: API key digest → client, OAuth2 credential id → client,
``client|service`` → grant, service id → upstream. The proxy swaps a whole ``Tables`` object at
once, between two requests, so a request never sees half of two generations.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from cqs.lgsp.identifiers import METASERVICES
from cqs.lgsp.proxy.jwtcheck import TokenVerifier

logger = logging.getLogger("cqs.lgsp.proxy")

SNAPSHOT_VERSION = 1
# Metaservices are answered by the control plane; it is local and quick.
CONTROL_PLANE_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Upstream:
    key: tuple[str, str, int]  # scheme, host, port: the connection pool's key
    host_header: str
    base_path: str  # the upstream URL's path without a trailing slash ("" for none)
    timeout: float  # seconds, for connecting and the whole answer


def upstream_of(url: str, timeout: float) -> Upstream:
    """Raises ``ValueError`` for anything but an http(s) URL with a host (and a valid port)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"upstream {url!r} is not an http(s) URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return Upstream(
        key=(parts.scheme, parts.hostname, port),
        host_header=parts.netloc.rpartition("@")[2],
        base_path=parts.path.rstrip("/"),
        timeout=timeout,
    )


@dataclass(frozen=True, slots=True)
class Grant:
    rate_per_minute: int
    daily_quota: int | None
    # None: the whole service; else ((method or "*", path prefix), ...)
    endpoints: tuple[tuple[str, str], ...] | None


def _dot_segment(path: str) -> bool:
    """A ``.``/``..`` segment, plain or percent-encoded (also behind ``%2F`` or ``\\``): the
    provider may resolve it to a path outside the granted prefix, so such a path matches no
    endpoint grant."""
    if "." not in path and "%" not in path:
        return False
    decoded = unquote(path).replace("\\", "/")
    return any(segment in (".", "..") for segment in decoded.split("/"))


def endpoint_allowed(endpoints: tuple[tuple[str, str], ...], method: str, path: str) -> bool:
    """Whether ``method path`` (the rest path after the service code) falls under one grant: method
    equal or ``*``; path equal to the prefix, below it at a segment boundary, or the prefix ``/``."""
    if _dot_segment(path):
        return False
    for allowed_method, prefix in endpoints:
        if allowed_method != "*" and allowed_method != method:
            continue
        if prefix == "/" or path == prefix or path.startswith(prefix + "/"):
            return True
    return False


@dataclass(slots=True)
class Tables:
    instance: str = ""
    services: dict[str, Upstream] = field(default_factory=dict)
    api_keys: dict[str, str] = field(default_factory=dict)  # sha256 hex → client id
    oauth_clients: dict[str, str] = field(default_factory=dict)  # credential id → client id
    grants: dict[str, Grant] = field(default_factory=dict)  # "client|service" → grant
    # "I/C/M/S/listMethods" etc. for every active subsystem: forwarded to the control plane.
    metaservices: frozenset[str] = frozenset()
    control_plane: Upstream | None = None
    control_plane_token: str = ""
    verifier: TokenVerifier | None = None


def compile_snapshot(snapshot: dict, *, previous: Tables | None = None) -> Tables:
    """Tables for ``snapshot``; raises ``ValueError``/``KeyError``/``TypeError`` on a broken one.

    The token verifier (and its cache of verified tokens) is kept from ``previous`` while the
    key, issuer and audience stay the same.
    """
    if snapshot.get("version") != SNAPSHOT_VERSION:
        raise ValueError(f"snapshot version {snapshot.get('version')!r} is not {SNAPSHOT_VERSION}")
    services = {}
    for service_id, spec in snapshot["services"].items():
        try:
            services[service_id] = upstream_of(spec["upstream"], int(spec["timeout_ms"]) / 1000)
        except ValueError as exc:
            raise ValueError(f"{service_id}: {exc}") from exc
    grants = {}
    for key, spec in snapshot["grants"].items():
        endpoints = spec.get("endpoints")
        grants[key] = Grant(
            rate_per_minute=int(spec["rate_per_minute"]),
            daily_quota=None if spec.get("daily_quota") is None else int(spec["daily_quota"]),
            endpoints=None if endpoints is None else tuple((str(m), str(p)) for m, p in endpoints),
        )
    jwt = snapshot.get("jwt") or {}
    verifier = None
    if jwt.get("public_key_pem"):
        if jwt.get("alg", "ES256") != "ES256":
            raise ValueError(f"JWT algorithm {jwt.get('alg')!r} is not ES256")
        config = (jwt["public_key_pem"], jwt["issuer"], jwt["audience"])
        if previous is not None and previous.verifier is not None and previous.verifier.config == config:
            verifier = previous.verifier
        else:
            verifier = TokenVerifier(public_key_pem=config[0], issuer=config[1], audience=config[2])
    control_plane = snapshot.get("control_plane") or {}
    return Tables(
        instance=snapshot.get("instance", ""),
        services=services,
        api_keys={digest: entry["client"] for digest, entry in snapshot["api_keys"].items()},
        oauth_clients={str(cid): client for cid, client in snapshot["oauth_clients"].items()},
        grants=grants,
        metaservices=frozenset(f"{sub}/{name}" for sub in snapshot["subsystems"] for name in METASERVICES),
        control_plane=upstream_of(control_plane["url"], CONTROL_PLANE_TIMEOUT)
        if control_plane.get("url")
        else None,
        control_plane_token=str(control_plane.get("token", "")),
        verifier=verifier,
    )


class SnapshotWatcher:
    """Reloads ``active/snapshot.json`` when its inode or mtime changes. A file that cannot be read
    or compiled keeps the previous tables (and is logged once per change)."""

    def __init__(self, path: Path):
        self.path = path
        self.tables = Tables()
        self.stamp: tuple[int, int] | None = None
        self.loaded_stamp: tuple[int, int] | None = None
        self.error = ""

    def check(self) -> bool:
        """Reload if the file changed; True when new tables were installed."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            if self.stamp is not None or not self.error:
                self.error = f"{self.path} does not exist (nothing published yet)"
                logger.warning("LGSP proxy: %s", self.error)
                self.stamp = None
            return False
        except OSError as exc:
            logger.error("LGSP proxy: cannot stat %s: %s", self.path, exc)
            return False
        stamp = (stat.st_ino, stat.st_mtime_ns)
        if stamp == self.stamp:
            return False
        self.stamp = stamp
        try:
            tables = compile_snapshot(json.loads(self.path.read_bytes()), previous=self.tables)
        except Exception as exc:
            self.error = f"{self.path}: {exc.__class__.__name__}: {exc}"
            logger.error("LGSP proxy: snapshot not loaded, previous tables kept: %s", self.error)
            return False
        self.tables = tables
        self.loaded_stamp = stamp
        self.error = ""
        logger.info(
            "LGSP proxy: snapshot loaded (%d services, %d grants, %d credentials)",
            len(tables.services),
            len(tables.grants),
            len(tables.api_keys) + len(tables.oauth_clients),
        )
        return True
