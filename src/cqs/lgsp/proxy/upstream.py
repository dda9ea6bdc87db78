"""A lean HTTP/1.1 client for the proxy's calls to providers: a pool of keep-alive connections.

aiohttp's ``ClientSession`` is general (cookies, redirects, tracing, auth, proxies) and costs
about three times the rest of a proxied call in CPU; the gateway needs none of that: it sends
one request whose head it has already cleaned and reads one response. This module writes the
request head itself (refusing any line break inside it) and has the provider's answer parsed by
``httptools`` (llhttp, the parser of Node.js and uvicorn) over an ``asyncio.Protocol``, so a call
is two system calls and the parser's callbacks. llhttp is strict where smuggling and response
splitting live: duplicate or malformed ``Content-Length``, ``Content-Length`` with
``Transfer-Encoding``, bare CR or LF, folded headers, bad chunk sizes are all refused (502).

What it does: ``Content-Length``, chunked and read-until-close bodies; ``HEAD``/1xx/204/304
without a body; https with certificate verification; flow control (a slow client pauses the
provider's connection); one retry on a fresh connection when a reused idle connection turns out
to be closed before any byte of the answer (idempotent methods only). What it does not: HTTP/2,
pipelining, trailers (dropped), upgrades (a 101 answer is a broken answer: the gateway never
forwards ``Upgrade``).
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from collections.abc import AsyncIterator

from httptools import HttpParserError, HttpParserUpgrade, HttpResponseParser

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


class _Stop(Exception):
    """Raised from a parser callback to stop parsing (the reason is in ``_Connection.failure``)."""


@functools.cache
def _tls() -> ssl.SSLContext:
    """One verifying TLS context for the process, made on first https use."""
    return ssl.create_default_context()


class _Connection(asyncio.Protocol):
    """One keep-alive connection to a provider. Bytes are parsed as they arrive (``httptools``
    calls the ``on_*`` methods from ``feed_data``); the body waits in ``parts`` for the call."""

    def __init__(self, key: tuple):
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.parser = HttpResponseParser(self)
        self.response: UpstreamResponse | None = None  # the answer being read, None while idle
        self.waiter: asyncio.Future | None = None
        self.closed = False
        self.failure: UpstreamError | None = None  # the provider broke the protocol
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
        self.received_any = True
        response = self.response
        if response is None or self.failure is not None:
            # bytes nobody asked for (or after a broken answer): this connection is done
            self.close()
            return
        head_done = response.head_done
        try:
            self.parser.feed_data(data)
        except HttpParserUpgrade:
            self._fail("the provider switched protocols")
        except HttpParserError as exc:  # also a callback's _Stop (the reason is already set)
            self._fail(f"the provider's answer is not valid HTTP/1.1: {exc}")
        else:
            if not head_done and not response.head_done:  # a head arriving in many pieces
                response.head_fed += len(data)
                if response.head_fed > MAX_HEAD_BYTES:
                    self._fail("the provider's answer has a head too large")
            if response.size > HIGH_WATER and not self.paused and self.failure is None:
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
        self._wake()
        self.resume_writing()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, reason: str) -> None:
        if self.failure is None:
            self.failure = UpstreamError(reason)
        if self.transport is not None:
            self.transport.close()

    def _stop(self, reason: str):
        """From a parser callback: the answer is broken, parse nothing more of it."""
        self._fail(reason)
        raise _Stop

    # -- parser callbacks (httptools), for the answer of the current call ------------------
    def on_message_begin(self) -> None:
        response = self.response
        if response.message_complete or (response.head_done and response.no_body):
            self._stop("the provider sent more than one answer")

    def on_status(self, reason: bytes) -> None:
        response = self.response
        response.reason = reason.decode("latin-1")
        response.head_bytes += len(reason) + 15
        if response.head_bytes > MAX_HEAD_BYTES:
            self._stop("the provider's answer has a head too large")

    def on_header(self, name: bytes, value: bytes) -> None:
        response = self.response
        if response.head_done:
            return  # a trailer of a chunked body: dropped
        response.head_bytes += len(name) + len(value) + 4
        if response.head_bytes > MAX_HEAD_BYTES:
            self._stop("the provider's answer has a head too large")
        try:
            text = value.decode()
        except UnicodeDecodeError:  # not UTF-8: pass the bytes on one for one
            text = value.decode("latin-1")
        response.headers.append((name.decode("latin-1"), text))

    def on_headers_complete(self) -> None:
        response = self.response
        parser = self.parser
        status = parser.get_status_code()
        if parser.get_http_version() not in ("1.0", "1.1"):
            self._stop(f"the provider answered HTTP/{parser.get_http_version()}, not HTTP/1.x")
        if 100 <= status < 200:
            if status == 101:  # the gateway never asks for an upgrade
                self._stop("the provider switched protocols")
            else:  # 100 Continue, 103 Early Hints: informational, the answer follows
                response.reason = ""
                response.headers.clear()
                response.informational = True
            return
        response.status = status
        response.keep_alive = parser.should_keep_alive()
        length = None
        framed = False  # by Content-Length or chunked: else the body ends with the connection
        for name, value in response.headers:
            lowered = name.lower()
            if lowered == "content-length":  # one, all digits: the parser refuses anything else
                length = int(value)
                framed = True
            elif lowered == "transfer-encoding":
                framed = value.lower().replace(" ", "").endswith("chunked")
                length = None
        if response.method == "HEAD" or status in (204, 304):
            response.no_body = True
            response.content_length = length if response.method == "HEAD" else 0
        else:
            response.content_length = length
            response.until_close = not framed
        response.head_done = True

    def on_body(self, data: bytes) -> None:
        response = self.response
        if response.no_body:  # bytes after the head of an answer to HEAD
            self._stop("the provider sent a body where none is allowed")
        response.parts.append(data)
        response.size += len(data)

    def on_message_complete(self) -> None:
        response = self.response
        if response.informational:
            response.informational = False
            return
        response.message_complete = True

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

    # -- waiting ---------------------------------------------------------------------------
    async def more(self) -> None:
        """Wait for more bytes; raise if the answer is broken, late or cut off."""
        if self.failure is not None:
            raise self.failure
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

    def close(self) -> None:
        self.closed = True
        self.disarm()
        if self.transport is not None:
            self.transport.close()


class UpstreamResponse:
    """The provider's answer: status, reason, headers (as sent, minus nothing), and its body to be
    read with ``read_prefix`` then ``chunks``; ``release`` (always) returns the connection."""

    def __init__(self, pool: UpstreamPool, connection: _Connection, method: str):
        self._pool = pool
        self._connection = connection
        self.method = method
        self.status = 0
        self.reason = ""
        self.headers: list[tuple[str, str]] = []
        self.content_length: int | None = None
        # filled in by the connection's parser callbacks
        self.head_bytes = 0  # the header lines seen so far
        self.head_fed = 0  # bytes fed before the head was complete (over several pieces)
        self.head_done = False
        self.informational = False
        self.no_body = False  # HEAD, 204, 304
        self.until_close = False  # neither Content-Length nor chunked
        self.keep_alive = False
        self.message_complete = False
        self.parts: list[bytes] = []  # body bytes received and not yet read
        self.size = 0

    async def _start(self) -> None:
        connection = self._connection
        while not self.head_done:
            await connection.more()

    def _take(self, limit: int) -> bytes:
        parts = self.parts
        first = parts[0]
        if len(first) > limit:
            parts[0] = first[limit:]
            first = first[:limit]
        else:
            del parts[0]
        self.size -= len(first)
        connection = self._connection
        if connection.paused and self.size < HIGH_WATER:
            connection.paused = False
            connection.transport.resume_reading()
        return first

    async def _next(self, limit: int) -> bytes:
        """The next piece of the body (at most ``limit`` bytes); b"" when it is complete."""
        while True:
            if self.parts:
                return self._take(limit)
            if self.no_body or self.message_complete:
                return b""
            connection = self._connection
            if self.until_close and connection.closed and connection.failure is None:
                return b""
            await connection.more()

    def _finished(self) -> bool:
        return not self.parts and (self.no_body or self.message_complete)

    async def read_prefix(self, limit: int) -> tuple[bytes, bool]:
        """Up to ``limit + 1`` bytes of the body; True when that was all of it."""
        if len(self.parts) == 1 and self.size <= limit and self.message_complete:
            body = self.parts.pop()  # the usual case: the whole body came with the head
            self.size = 0
            return body, True
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
        connection.response = None
        if (
            self._finished()
            and self.keep_alive
            and not connection.closed
            and connection.failure is None
            and not self.until_close
        ):
            if not self.message_complete:  # HEAD: the parser may still expect the announced body
                connection.parser = HttpResponseParser(connection)
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
    text = "".join(lines)
    # Each line ends with the one CRLF put there above (the first holds two lines): a CR, LF or
    # NUL inside a method, target or header would split the request (not from clients: aiohttp
    # refuses those; from the gateway's own data, which must not be trusted further).
    breaks = len(lines) + 1
    if text.count("\n") != breaks or text.count("\r") != breaks or "\0" in text:
        raise UpstreamError("the forwarded request would carry a line break inside a header")
    return text.encode("utf-8", "surrogateescape")


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
            connection.response = response
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
