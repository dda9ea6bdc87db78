"""The request path of the built-in proxy: the checks of docs/lgsp.md#gateway-behaviour, in order.

1. ``/r1/{instance}/{class}/{member}/{subsystem}/{service}[/path]`` or 400 Client.BadRequest;
2. an API key (``X-API-Key``) or an OAuth2 access token (``Authorization: Bearer``) or 401;
3. ``X-Road-Client``, if sent, equal to the authenticated client, or 403 Client.InvalidClient;
4. a published service (metaservices go to the control plane) or 404 UnknownService;
5. a grant for the client on the service (and, for endpoint grants, on the path) or 403;
6. the grant's rate per minute and 7. daily quota, or 429;
8. forward, 502 if the provider cannot be reached, 504 if it does not answer in time.

Every check is a dict lookup in the tables compiled from the snapshot (``tables.py``); the HAProxy
engine implements the same list with maps and stick tables, and one conformance suite runs
against both.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import random
import re
import time
from pathlib import Path

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from cqs.lgsp import errors
from cqs.lgsp.identifiers import PART
from cqs.lgsp.proxy.accesslog import LOG_FILE, AccessLog, format_line
from cqs.lgsp.proxy.limits import Limits, local_day, seconds_to_local_midnight
from cqs.lgsp.proxy.tables import SnapshotWatcher, Upstream, endpoint_allowed
from cqs.lgsp.proxy.upstream import UpstreamError, UpstreamPool, UpstreamResponse

logger = logging.getLogger("cqs.lgsp.proxy")

# How often the snapshot file is checked for a new generation, and the access log flushed.
RELOAD_CHECK_SECONDS = 0.25
LOG_FLUSH_SECONDS = 0.5
# On SIGTERM: calls in progress get this long to finish.
SHUTDOWN_GRACE_SECONDS = 10.0
# Idle connections to providers are looked at this often (closed after upstream.IDLE_SECONDS).
POOL_SWEEP_SECONDS = 5.0

LIMIT = errors.HASH_BODY_LIMIT
CHUNK = 64 * 1024
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
LIST_CLIENTS_PATH = "/r1/listClients"
LIST_CLIENTS = "listClients"
META_PREFIX = "/lgsp/meta/r1/"

# RFC 9110 §7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Also never forwarded to a provider: the API key, the gateway's own token (a client must not be
# able to pose as the gateway to the control plane), headers the gateway sets itself, and framing
# recomputed for the forwarded body.
DROP_FROM_REQUEST = HOP_BY_HOP | {
    "host",
    "content-length",
    "expect",
    errors.API_KEY_HEADER.lower(),
    errors.GATEWAY_TOKEN_HEADER.lower(),
    "x-road-client",
    "x-road-service",
    "x-road-id",
    "x-road-request-hash",
}
# ``Authorization`` is the gateway credential only when the call was authenticated by a bearer
# token, i.e. when no API key was sent; next to an API key it is the provider's own (the bearer
# token DVCQG or the reporting system expect) and passes unchanged, as X-Road passes headers.
DROP_FROM_TOKEN_CALL = DROP_FROM_REQUEST | {"authorization"}


def body_hash(body: bytes) -> str:
    """``X-Road-Request-Hash``: base64 of the SHA-512 of the body (not of the headers, unlike
    X-Road's own protocol: docs/lgsp.md#evidence)."""
    return base64.b64encode(hashlib.sha512(body).digest()).decode()


EMPTY_HASH = body_hash(b"")


class _Error:
    """An ``errors.GatewayError`` with its body and headers rendered once."""

    __slots__ = ("headers", "prefix", "status", "type")

    def __init__(self, error: errors.GatewayError, **headers: str):
        self.status = error.status
        self.type = error.type
        message = json.dumps(error.message, ensure_ascii=False)
        self.prefix = f'{{"type": {json.dumps(error.type)}, "message": {message}, "detail": "'.encode()
        self.headers = {
            "Content-Type": "application/json;charset=utf-8",
            "X-Road-Error": error.type,
            **headers,
        }


BAD_REQUEST = _Error(errors.BAD_REQUEST)
UNAUTHORIZED = _Error(errors.UNAUTHORIZED, **{"WWW-Authenticate": 'Bearer realm="lgsp"'})
INVALID_CLIENT = _Error(errors.INVALID_CLIENT)
UNKNOWN_SERVICE = _Error(errors.UNKNOWN_SERVICE)
ACCESS_DENIED = _Error(errors.ACCESS_DENIED)
RATE_LIMITED = _Error(errors.RATE_LIMITED, **{"Retry-After": str(errors.RATE_WINDOW_SECONDS)})
QUOTA_EXCEEDED = _Error(errors.QUOTA_EXCEEDED)
SERVICE_FAILED = _Error(errors.SERVICE_FAILED)
SERVICE_TIMEOUT = _Error(errors.SERVICE_TIMEOUT)


def error_body(error: _Error, request_id: str) -> bytes:
    # request_id matched REQUEST_ID or is a UUID: nothing in it needs JSON escaping.
    return error.prefix + request_id.encode() + b'"}'


class _Upload:
    """The request body beyond the hash limit, streamed to the provider as it arrives."""

    __slots__ = ("content", "prefix", "size")

    def __init__(self, prefix: bytes, content):
        self.prefix = prefix
        self.content = content
        self.size = len(prefix)

    async def chunks(self):
        yield self.prefix
        async for chunk in self.content.iter_any():
            self.size += len(chunk)
            yield chunk


async def _read_prefix(stream, limit: int) -> tuple[bytes, bool]:
    """Up to ``limit + 1`` bytes of ``stream``; True when that was all of it."""
    buffer = bytearray()
    while len(buffer) <= limit:
        chunk = await stream.read(limit + 1 - len(buffer))
        if not chunk:
            return bytes(buffer), True
        buffer += chunk
    return bytes(buffer), False


def _without(headers, drop: frozenset[str]) -> CIMultiDict:
    """A copy of ``headers`` without the ``drop`` ones and those the Connection header names."""
    copy = headers.copy()
    for name in drop:
        if name in copy:
            del copy[name]
    connection = headers.get("Connection")
    if connection:
        for token in connection.split(","):
            copy.popall(token.strip(), None)
    return copy


_random_bits = random.getrandbits
_UUID_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def new_request_id() -> str:
    """A random UUID (version 4) as text, several times cheaper than ``str(uuid.uuid4())``: an
    identifier needs to be unique, not unpredictable, so no system call for entropy."""
    h = f"{_random_bits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_UUID_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


class _Call:
    """What the access log needs to know of one call, filled in as the checks pass."""

    __slots__ = ("by_key", "client", "method", "now", "request", "request_id", "service_id", "started")

    def __init__(self, request: web.BaseRequest, request_id: str, now: float, started: float):
        self.request = request
        self.request_id = request_id
        self.now = now
        self.started = started
        self.method = request.method
        self.client = ""
        self.service_id = ""
        self.by_key = False  # authenticated by X-API-Key (else by a bearer token)

    def log_line(self, **fields) -> str:
        return format_line(
            ts=self.now,
            request_id=self.request_id,
            client=self.client,
            service=self.service_id,
            method=self.method,
            latency_ms=(time.monotonic() - self.started) * 1000,
            **fields,
        )


class Gateway:
    """One gateway process: the watched snapshot, the counters, the provider connection pool."""

    def __init__(self, lgsp_dir: Path):
        self.lgsp_dir = Path(lgsp_dir)
        self.watcher = SnapshotWatcher(self.lgsp_dir / "active" / "snapshot.json")
        self.log = AccessLog(self.lgsp_dir / "logs" / LOG_FILE)
        self.limits = Limits()
        self.pool = UpstreamPool()
        self.runner: web.ServerRunner | None = None
        self.port: int | None = None
        self._housekeeping: asyncio.Task | None = None

    # ---------------------------------------------------------------------------------------
    # Lifecycle
    # ---------------------------------------------------------------------------------------

    def reload(self) -> bool:
        if self.watcher.check():
            self.limits.prune(self.watcher.tables.grants.keys())
            return True
        return False

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (0: any free port); returns the port."""
        self.reload()
        server = web.Server(self.handle, access_log=None, keepalive_timeout=75)
        self.runner = web.ServerRunner(server, shutdown_timeout=SHUTDOWN_GRACE_SECONDS)
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, port, backlog=1024, reuse_address=True)
        await site.start()
        self.port = self.runner.addresses[0][1]
        self._housekeeping = asyncio.create_task(self._housekeep())
        logger.info("LGSP proxy: listening on %s:%s", host, self.port)
        return self.port

    async def _housekeep(self) -> None:
        ticks = 0
        while True:
            await asyncio.sleep(RELOAD_CHECK_SECONDS)
            ticks += 1
            try:
                self.reload()
                if ticks % round(LOG_FLUSH_SECONDS / RELOAD_CHECK_SECONDS) == 0:
                    self.log.flush()
                if ticks % round(POOL_SWEEP_SECONDS / RELOAD_CHECK_SECONDS) == 0:
                    self.pool.sweep()
            except Exception:
                logger.exception("LGSP proxy: housekeeping failed")

    async def stop(self) -> None:
        """Stop listening, let calls in progress finish (up to the grace period), flush the log."""
        if self.runner is not None:
            await self.runner.cleanup()
        if self._housekeeping is not None:
            self._housekeeping.cancel()
            await asyncio.gather(self._housekeeping, return_exceptions=True)
        self.pool.close()
        self.log.close()

    # ---------------------------------------------------------------------------------------
    # The request path
    # ---------------------------------------------------------------------------------------

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        started = time.monotonic()
        headers = request.headers
        request_id = headers.get("X-Road-Id")
        if request_id is None or REQUEST_ID.fullmatch(request_id) is None:
            request_id = new_request_id()
        call = _Call(request, request_id, time.time(), started)
        tables = self.watcher.tables
        path, separator, query = request.raw_path.partition("?")
        meta_target = None

        # 1. The X-Road REST path.
        if path == LIST_CLIENTS_PATH:
            service_id, rest = LIST_CLIENTS, ""
            meta_target = META_PREFIX + LIST_CLIENTS
        else:
            parts = path.split("/", 7)
            if len(parts) < 7 or parts[0] or parts[1] != "r1":
                return await self._refuse(call, BAD_REQUEST)
            service_id = "/".join(parts[2:7])
            if (
                service_id not in tables.services
                and service_id not in tables.metaservices
                and not all(PART.match(part) for part in parts[2:7])
            ):
                return await self._refuse(call, BAD_REQUEST)
            rest = "/" + parts[7] if len(parts) == 8 else "/"
        call.service_id = service_id

        # 2. Who is calling.
        client = ""
        api_key = headers.get(errors.API_KEY_HEADER)
        if api_key is not None:
            client = tables.api_keys.get(hashlib.sha256(api_key.encode()).hexdigest(), "")
            call.by_key = True
        else:
            authorization = headers.get("Authorization")
            if authorization and tables.verifier is not None and authorization[:7].lower() == "bearer ":
                claims = tables.verifier.claims(authorization[7:].strip())
                if (
                    claims is not None
                    and claims.exp > int(call.now)
                    and tables.oauth_clients.get(claims.cid) == claims.sub
                ):
                    client = claims.sub
        if not client:
            return await self._refuse(call, UNAUTHORIZED)
        call.client = client

        # 3. The client it says it is.
        claimed = headers.get("X-Road-Client")
        if claimed is not None and claimed != client:
            return await self._refuse(call, INVALID_CLIENT)

        # 4. The service (or a metaservice of a subsystem, answered by the control plane).
        upstream = tables.services.get(service_id)
        if upstream is None:
            if meta_target is None and service_id in tables.metaservices:
                meta_target = META_PREFIX + service_id
            if meta_target is None:
                return await self._refuse(call, UNKNOWN_SERVICE)
            control_plane = tables.control_plane
            if control_plane is None:
                return await self._refuse(call, SERVICE_FAILED)
            target = control_plane.base_path + meta_target + separator + query
            return await self._forward(call, control_plane, target, tables.control_plane_token)

        # 5. The grant, and for an endpoint grant the method and path.
        key = f"{client}|{service_id}"
        grant = tables.grants.get(key)
        if grant is None:
            return await self._refuse(call, ACCESS_DENIED)
        if grant.endpoints is not None and not endpoint_allowed(grant.endpoints, call.method, rest):
            return await self._refuse(call, ACCESS_DENIED)

        # 6. Accepted calls in the last minute (HAProxy freq_ctr semantics).
        now_ms = int(started * 1000)
        rate = self.limits.rate(key)
        if rate.read(now_ms) >= grant.rate_per_minute:
            return await self._refuse(call, RATE_LIMITED)

        # 7. Accepted calls today (local time).
        if grant.daily_quota is not None:
            second = int(call.now)
            day = local_day(second)
            today = self.limits.day(key)
            if today.read(day) >= grant.daily_quota:
                retry = {"Retry-After": str(seconds_to_local_midnight(second))}
                return await self._refuse(call, QUOTA_EXCEEDED, retry)
            today.add(day)
        rate.add(now_ms)

        # 8. Forward.
        return await self._forward(call, upstream, upstream.base_path + rest + separator + query)

    async def _refuse(self, call: _Call, error: _Error, extra: dict | None = None) -> web.StreamResponse:
        headers = CIMultiDict(error.headers)
        headers["X-Road-Id"] = call.request_id
        if extra:
            headers.update(extra)
        body = error_body(error, call.request_id)
        response = web.Response(status=error.status, body=body, headers=headers)
        await self._send(call.request, response)
        self.log.write(
            call.log_line(
                status=error.status,
                error=error.type,
                bytes_in=0,
                bytes_out=len(body),
                request_hash="",
                response_hash="",
                hash_complete=True,
            )
        )
        return response

    @staticmethod
    async def _send(request: web.BaseRequest, response: web.StreamResponse) -> bool:
        """Write the whole response now (so that the log has its real latency); False when the
        client has gone away."""
        try:
            await response.prepare(request)
            await response.write_eof()
        except (ConnectionError, aiohttp.ClientConnectionResetError):
            return False
        return True

    async def _forward(
        self, call: _Call, upstream: Upstream, target: str, gateway_token: str | None = None
    ) -> web.StreamResponse:
        request = call.request
        headers = request.headers
        # The body: up to the hash limit in memory (hashed); beyond it, streamed unhashed.
        upload = None
        data: bytes | None = None
        request_hash = EMPTY_HASH
        try:
            if request.body_exists:
                if headers.get("Expect", "").lower() == "100-continue" and request.version >= (1, 1):
                    await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                length = request.content_length
                if length is not None and length <= LIMIT:
                    data, complete = await request.read(), True
                else:
                    data, complete = await _read_prefix(request.content, LIMIT)
                if complete:
                    request_hash = body_hash(data) if data else EMPTY_HASH
                else:
                    upload = _Upload(data, request.content)
                    data = None
                    request_hash = ""
        except (ConnectionError, aiohttp.ClientError, asyncio.IncompleteReadError, web.HTTPException):
            return await self._refuse(call, BAD_REQUEST)

        forwarded = _without(headers, DROP_FROM_REQUEST if call.by_key else DROP_FROM_TOKEN_CALL)
        gateway_headers = {
            "X-Road-Id": call.request_id,
            "X-Road-Client": call.client,
            "X-Road-Service": call.service_id,
        }
        if request_hash:
            gateway_headers["X-Road-Request-Hash"] = request_hash
        forwarded.update(gateway_headers)
        if gateway_token is not None:
            forwarded[errors.GATEWAY_TOKEN_HEADER] = gateway_token

        answer = None
        try:
            answer = await self.pool.request(
                method=call.method,
                key=upstream.key,
                host_header=upstream.host_header,
                target=target,
                headers=forwarded,
                body=data,
                stream=upload.chunks() if upload is not None else None,
                stream_length=request.content_length if upload is not None else None,
                timeout=upstream.timeout,
            )
            body, complete = await answer.read_prefix(LIMIT)
        except TimeoutError:
            return await self._fail(call, SERVICE_TIMEOUT, answer, upload, data, gateway_headers)
        except (UpstreamError, OSError, aiohttp.ClientError):  # the last: the client's upload broke
            return await self._fail(call, SERVICE_FAILED, answer, upload, data, gateway_headers)

        out = _without(CIMultiDict(answer.headers), HOP_BY_HOP)
        out.update(gateway_headers)

        error = None
        response_hash = ""
        if complete:
            answer.release()
            response_hash = body_hash(body) if body else EMPTY_HASH
            response = web.Response(status=answer.status, reason=answer.reason, body=body, headers=out)
            bytes_out = len(body)
            await self._send(request, response)
        else:
            response, bytes_out, error = await self._stream(request, answer, out, body)
        self.log.write(
            call.log_line(
                status=answer.status,
                error=error.type if error is not None else "",
                bytes_in=upload.size if upload is not None else len(data or b""),
                bytes_out=bytes_out,
                request_hash=request_hash,
                response_hash=response_hash,
                hash_complete=bool(request_hash and response_hash),
            )
        )
        return response

    async def _stream(
        self, request: web.BaseRequest, answer: UpstreamResponse, headers: CIMultiDict, prefix: bytes
    ) -> tuple[web.StreamResponse, int, _Error | None]:
        """A response beyond the hash limit, passed on as it arrives. A provider failing half-way
        cannot be reported any more: the client's connection is cut so that it sees a truncated
        response, not a complete one."""
        response = web.StreamResponse(status=answer.status, reason=answer.reason, headers=headers)
        sent = 0
        error = None
        try:
            await response.prepare(request)
            await response.write(prefix)
            sent = len(prefix)
            async for chunk in answer.chunks(CHUNK):
                await response.write(chunk)
                sent += len(chunk)
            await response.write_eof()
        except (ConnectionError, aiohttp.ClientConnectionResetError):
            pass  # the client went away
        except TimeoutError:
            error = SERVICE_TIMEOUT
        except (UpstreamError, OSError):
            error = SERVICE_FAILED
        finally:
            answer.release()
        if error is not None and request.transport is not None:
            request.transport.abort()
        return response, sent, error

    async def _fail(
        self,
        call: _Call,
        error: _Error,
        answer: UpstreamResponse | None,
        upload: _Upload | None,
        data: bytes | None,
        gateway_headers: dict,
    ) -> web.StreamResponse:
        """502/504 for a call that was forwarded: it carries the forwarded call's headers."""
        if answer is not None:
            answer.release()
        headers = CIMultiDict(error.headers)
        headers.update(gateway_headers)
        body = error_body(error, call.request_id)
        response = web.Response(status=error.status, body=body, headers=headers)
        await self._send(call.request, response)
        request_hash = gateway_headers.get("X-Road-Request-Hash", "")
        self.log.write(
            call.log_line(
                status=error.status,
                error=error.type,
                bytes_in=upload.size if upload is not None else len(data or b""),
                bytes_out=len(body),
                request_hash=request_hash,
                response_hash="",
                hash_complete=bool(request_hash),
            )
        )
        return response
