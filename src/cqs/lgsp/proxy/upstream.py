"""A lean HTTP/1.1 client for the proxy's calls to providers: a pool of keep-alive connections.

aiohttp's ``ClientSession`` is general (cookies, redirects, tracing, auth, proxies) and costs
about three times the rest of a proxied call in CPU; the gateway needs none of that: it sends
one request whose head it has already cleaned and reads one response. This module writes the
request head itself and parses the response with a small state machine over an
``asyncio.Protocol``, so a call is two system calls and some bytes slicing.

What it does: ``Content-Length``, chunked and read-until-close bodies; ``HEAD``/1xx/204/304
without a body; https with certificate verification; flow control (a slow client pauses the
provider's connection); one retry on a fresh connection when a reused idle connection turns out
to be closed before any byte of the answer (idempotent methods only). What it does not: HTTP/2,
pipelining, trailers (dropped), upgrades (refused by the gateway before).
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from collections.abc import AsyncIterator

# Idle connections kept per provider, and how long.
MAX_IDLE_PER_HOST = 64
IDLE_SECONDS = 30.0
MAX_HEAD_BYTES = 64 * 1024
# Pause reading from the provider when this much is waiting for the client.
HIGH_WATER = 256 * 1024
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})


class UpstreamError(Exception):
    """The provider could not be reached or broke the protocol (the gateway answers 502)."""


class _Closed(UpstreamError):
    def __init__(self, before_any_byte: bool):
        super().__init__("the provider closed the connection")
        self.before_any_byte = before_any_byte


@functools.cache
def _tls() -> ssl.SSLContext:
    """One verifying TLS context for the process, made on first https use."""
    return ssl.create_default_context()


class _Connection(asyncio.Protocol):
    def __init__(self, key: tuple):
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None
        self.closed = False
        self.error: BaseException | None = None
        self.paused = False
        self.received_any = False
        self.idle_since = 0.0
        self.drained: asyncio.Future | None = None  # set while the provider's socket is full
        self.timer: asyncio.TimerHandle | None = None
        self.timed_out = False

    # -- protocol callbacks ----------------------------------------------------------------
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self.received_any = True
        if len(self.buffer) > HIGH_WATER and not self.paused:
            self.paused = True
            self.transport.pause_reading()
        self._wake()

    def pause_writing(self) -> None:
        if self.drained is None:
            self.drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        drained, self.drained = self.drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def eof_received(self):
        self.closed = True
        self._wake()
        return False  # close the transport

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.error = exc
        self._wake()
        self.resume_writing()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- the call's deadline: one timer per call (cheaper than asyncio.timeout per await) ----
    def arm(self, deadline: float) -> None:
        self.timed_out = False
        self.timer = asyncio.get_running_loop().call_at(deadline, self._expire)

    def disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _expire(self) -> None:
        self.timed_out = True
        self.timer = None
        for future in (self.waiter, self.drained):
            if future is not None and not future.done():
                future.set_exception(TimeoutError())

    # -- reading ---------------------------------------------------------------------------
    async def _more(self) -> None:
        """Wait for more bytes; raise if the provider has closed the connection."""
        if self.timed_out:
            raise TimeoutError
        if self.closed:
            raise _Closed(before_any_byte=not self.received_any)
        if self.paused:
            self.paused = False
            self.transport.resume_reading()
        self.waiter = asyncio.get_running_loop().create_future()
        try:
            await self.waiter
        finally:
            self.waiter = None

    def _take(self, n: int) -> bytes:
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        if self.paused and len(self.buffer) < HIGH_WATER:
            self.paused = False
            self.transport.resume_reading()
        return data

    async def read_line(self, limit: int = MAX_HEAD_BYTES) -> bytes:
        while True:
            end = self.buffer.find(b"\r\n")
            if end >= 0:
                return self._take(end + 2)[:-2]
            if len(self.buffer) > limit:
                raise UpstreamError("the provider's answer has a line too long")
            await self._more()

    async def read_head(self) -> bytes:
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                return self._take(end + 4)
            if len(self.buffer) > MAX_HEAD_BYTES:
                raise UpstreamError("the provider's answer has a head too large")
            await self._more()

    async def read_some(self, limit: int) -> bytes:
        """Up to ``limit`` bytes (at least one); b"" at the end of the connection."""
        while not self.buffer:
            if self.closed:
                return b""
            await self._more()
        return self._take(min(limit, len(self.buffer)))

    def close(self) -> None:
        self.closed = True
        self.disarm()
        if self.transport is not None:
            self.transport.close()


def _parse_head(head: bytes) -> tuple[int, str, list[tuple[str, str]]]:
    lines = head[:-4].split(b"\r\n")
    status_line = lines[0].decode("latin-1")
    version, _, rest = status_line.partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise UpstreamError(f"the provider answered something that is not HTTP/1.x: {status_line[:40]!r}")
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip() or line[:1] in (b" ", b"\t"):
            raise UpstreamError("the provider's answer has a malformed header")
        value = value.strip()
        try:
            text = value.decode()
        except UnicodeDecodeError:  # not UTF-8: pass the bytes on one for one
            text = value.decode("latin-1")
        headers.append((name.decode("latin-1"), text))
    return int(code), reason, headers


class UpstreamResponse:
    """The provider's answer: status, reason, headers (as sent, minus nothing), and its body to be
    read with ``read_prefix`` then ``chunks``; ``release`` (always) returns the connection."""

    def __init__(self, pool: UpstreamPool, connection: _Connection, method: str):
        self._pool = pool
        self._connection = connection
        self.status = 0
        self.reason = ""
        self.headers: list[tuple[str, str]] = []
        self.content_length: int | None = None
        self._chunked = False
        self._remaining = 0  # bytes left in the body (or in the current chunk)
        self._done = False
        self._keep_alive = True
        self._method = method

    async def _start(self) -> None:
        connection = self._connection
        while True:
            status, reason, headers = _parse_head(await connection.read_head())
            if 100 <= status < 200 and status != 101:
                continue  # 100 Continue, 103 Early Hints: informational, the answer follows
            break
        self.status, self.reason, self.headers = status, reason, headers
        length = None
        chunked = False
        for name, value in headers:
            lowered = name.lower()
            if lowered == "content-length":
                if not value.isdigit() or (length is not None and int(value) != length):
                    raise UpstreamError("the provider's answer has an invalid Content-Length")
                length = int(value)
            elif lowered == "transfer-encoding":
                chunked = value.lower().replace(" ", "").endswith("chunked")
            elif lowered == "connection" and "close" in value.lower():
                self._keep_alive = False
        if self._method == "HEAD" or status in (101, 204, 304):
            self._done = True
            self.content_length = length if self._method == "HEAD" else 0
            return
        if chunked:
            self._chunked = True
            self._remaining = -1  # before the first chunk size line
        elif length is not None:
            self.content_length = length
            self._remaining = length
            self._done = length == 0
        else:  # the body ends when the provider closes the connection
            self._keep_alive = False
            self._remaining = -1

    async def _next(self, limit: int) -> bytes:
        """The next piece of the body (at most ``limit`` bytes); b"" when it is complete."""
        if self._done:
            return b""
        connection = self._connection
        if self._chunked:
            if self._remaining <= 0:
                # after a chunk's data comes a CRLF
                if self._remaining == 0 and await connection.read_line() != b"":
                    raise UpstreamError("the provider's chunked body is malformed")
                size_line = (await connection.read_line()).split(b";", 1)[0].strip()
                if not size_line or size_line.strip(b"0123456789abcdefABCDEF") or len(size_line) > 15:
                    raise UpstreamError("the provider's chunked body is malformed")
                size = int(size_line, 16)
                if size == 0:
                    while await connection.read_line():  # trailers: dropped
                        pass
                    self._done = True
                    return b""
                self._remaining = size
            data = await connection.read_some(min(limit, self._remaining))
            if not data:
                raise _Closed(before_any_byte=False)
            self._remaining -= len(data)
            return data
        if self._remaining < 0:  # until close
            data = await connection.read_some(limit)
            if not data:
                self._done = True
            return data
        data = await connection.read_some(min(limit, self._remaining))
        if not data:
            raise _Closed(before_any_byte=False)
        self._remaining -= len(data)
        if self._remaining == 0:
            self._done = True
        return data

    async def read_prefix(self, limit: int) -> tuple[bytes, bool]:
        """Up to ``limit + 1`` bytes of the body; True when that was all of it."""
        if self.content_length is not None and self.content_length <= limit and not self._chunked:
            parts = []
            while not self._done:
                parts.append(await self._next(limit + 1))
            return b"".join(parts), True
        buffer = bytearray()
        while len(buffer) <= limit:
            data = await self._next(limit + 1 - len(buffer))
            if not data:
                return bytes(buffer), True
            buffer += data
        return bytes(buffer), False

    async def chunks(self, size: int = 64 * 1024) -> AsyncIterator[bytes]:
        """The rest of the body (the call's deadline still applies)."""
        while True:
            data = await self._next(size)
            if not data:
                return
            yield data

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        connection.disarm()
        if self._done and self._keep_alive and not connection.closed and not connection.buffer:
            self._pool._put(connection)
        else:
            connection.close()


def _request_head(method: str, target: str, host: str, headers, length: int | None, streamed: bool) -> bytes:
    lines = [f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n"]
    for name, value in headers.items():
        lines.append(f"{name}: {value}\r\n")
    if streamed:
        lines.append(
            f"Content-Length: {length}\r\n" if length is not None else "Transfer-Encoding: chunked\r\n"
        )
    elif length or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {length or 0}\r\n")
    lines.append("\r\n")
    return "".join(lines).encode("utf-8", "surrogateescape")


class UpstreamPool:
    def __init__(self) -> None:
        self._idle: dict[tuple, list[_Connection]] = {}

    def _put(self, connection: _Connection) -> None:
        idle = self._idle.setdefault(connection.key, [])
        if len(idle) >= MAX_IDLE_PER_HOST:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        idle.append(connection)

    async def _connect(self, key: tuple) -> _Connection:
        scheme, host, port = key
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(
                lambda: _Connection(key),
                host,
                port,
                ssl=_tls() if scheme == "https" else None,
                server_hostname=host if scheme == "https" else None,
            )
        except OSError as exc:  # refused, unreachable, DNS, TLS (ssl.SSLError is an OSError)
            raise UpstreamError(f"cannot connect to {host}:{port}: {exc}") from exc
        return connection

    def sweep(self) -> None:
        """Close connections idle for longer than ``IDLE_SECONDS`` (from housekeeping)."""
        limit = time.monotonic() - IDLE_SECONDS
        for idle in self._idle.values():
            keep = [c for c in idle if not c.closed and c.idle_since >= limit]
            for connection in idle:
                if connection not in keep:
                    connection.close()
            idle[:] = keep

    def close(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()

    async def request(
        self,
        *,
        method: str,
        key: tuple[str, str, int],
        host_header: str,
        target: str,
        headers,
        body: bytes | None,
        stream: AsyncIterator[bytes] | None,
        stream_length: int | None,
        timeout: float,
    ) -> UpstreamResponse:
        """Send the request and read the answer's head within ``timeout`` seconds (the body is
        read within the same deadline). Raises ``UpstreamError`` or ``TimeoutError``."""
        deadline = asyncio.get_running_loop().time() + timeout
        head = _request_head(
            method,
            target,
            host_header,
            headers,
            stream_length if stream else len(body or b""),
            stream is not None,
        )
        retry = stream is None and method in IDEMPOTENT
        while True:
            connection, reused = None, False
            idle = self._idle.get(key)
            while idle:
                candidate = idle.pop()
                if not candidate.closed:
                    connection, reused = candidate, True
                    break
            if connection is None:
                async with asyncio.timeout_at(deadline):
                    connection = await self._connect(key)
            connection.received_any = False
            connection.arm(deadline)
            response = UpstreamResponse(self, connection, method)
            try:
                if stream is None:
                    connection.transport.write(head + body if body else head)
                else:  # the client's upload may stall too: bound it by the same deadline
                    async with asyncio.timeout_at(deadline):
                        await _send_stream(connection, head, stream, chunked=stream_length is None)
                await response._start()
            except _Closed as exc:
                connection.close()
                if reused and retry and exc.before_any_byte:
                    continue  # the provider had closed this idle connection: try a new one
                raise
            except BaseException:
                connection.close()
                raise
            return response


async def _send_stream(
    connection: _Connection, head: bytes, stream: AsyncIterator[bytes], chunked: bool
) -> None:
    transport = connection.transport
    transport.write(head)
    async for chunk in stream:
        if connection.closed:
            raise _Closed(before_any_byte=not connection.received_any)
        if chunk:
            transport.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
        if connection.drained is not None:  # let the provider catch up before reading on
            await connection.drained
        if connection.timed_out:
            raise TimeoutError
    if chunked:
        transport.write(b"0\r\n\r\n")
