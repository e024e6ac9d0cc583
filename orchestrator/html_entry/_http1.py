"""The loader's HTTP/1.1 client: keep-alive connections per origin on asyncio, parsed by llhttp.

With ``no-store`` fragments the composer asks every app server for its entry on each page, so
the cost of one GET is the cost of a page. Measured on loopback (a 4 KB response, CPU per GET):
httpx over httpcore about 1,100 us, aiohttp's session 150 us, this client under 50 us. The parser
is llhttp (through httptools, uvicorn's own parser; Node's, so Tailor's too); the rest is only
what the loader needs: bodiless GETs, no redirects followed (the loader checks each hop), no
decompression (the loader decodes within its byte budget), no cookies kept, no proxy from the
environment, and bounds on the header block, buffered body bytes and every wait.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

import httptools
import httpx

__all__ = ["Http1Pool", "Http1Transport", "Reply", "Target"]

MAX_HEAD_BYTES = 64 * 1024
"""The status line and headers of a response may not take more than this (Node: 16 KB)."""
_HIGH_WATER = 256 * 1024  # body bytes buffered before the socket stops being read
_LOW_WATER = 64 * 1024


@dataclass(frozen=True)
class Target:
    """A URL parsed once: where to connect and what the request's first lines say."""

    url: str
    origin: tuple[str, str, int]
    head: bytes  # request line and Host header

    @classmethod
    def parse(cls, url: str) -> Target:
        parsed = httpx.URL(url)
        scheme = parsed.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {scheme!r} in {url}")
        if not parsed.host:
            raise httpx.InvalidURL(f"no host in URL {url}")
        port = parsed.port or (443 if scheme == "https" else 80)
        head = b"GET " + parsed.raw_path + b" HTTP/1.1\r\nhost: " + parsed.netloc + b"\r\n"
        return cls(url, (scheme, parsed.host, port), head)


def _header_lines(headers: Mapping[str, str]) -> bytes:
    lines = []
    for name, value in headers.items():
        line = f"{name}: {value}\r\n"
        if any(c in line[:-2] for c in "\r\n\0"):
            raise httpx.LocalProtocolError(f"header {name!r} holds a line break or NUL")
        lines.append(line)
    return "".join(lines).encode("latin-1") + b"\r\n"


class _Connection(asyncio.Protocol):
    """One socket and the response being read on it (one request at a time)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.error: Exception | None = None
        self.idle_since = 0.0
        self._reset()

    def _reset(self) -> None:
        self.received = 0  # bytes of this response so far
        self.head_bytes = 0
        self.status = 0
        self.keep_alive = False
        self.reason = b""
        self.raw_headers: list[tuple[bytes, bytes]] = []
        self.head_done = False
        self.complete = False
        self.extra = False  # bytes after the response: the connection cannot be reused
        self.chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        self.paused = False
        self.waiter: asyncio.Future[None] | None = None

    # -- asyncio's side
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        if self.complete or self.idle_since:
            self.extra = True  # bytes nobody asked for: this connection is not used again
            self._close()
            return
        self.received += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if not self.complete:
                self._fail(httpx.RemoteProtocolError(f"malformed HTTP response: {exc}"))
            self._close()
            return
        if not self.head_done and self.received > MAX_HEAD_BYTES:
            self._fail(httpx.RemoteProtocolError(f"response headers over {MAX_HEAD_BYTES} bytes"))
            return
        if self.buffered > _HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.head_done and not self.complete and self._reads_to_close():
            self.complete = True  # no length and not chunked: the body ends with the connection
        elif not self.complete and self.error is None:
            reason = f": {exc}" if exc else ""
            self.error = httpx.RemoteProtocolError(f"server disconnected{reason}")
        self._wake()

    # -- llhttp's callbacks
    def on_message_begin(self) -> None:
        if self.complete:  # a second response in the same read: nobody asked for it
            self.extra = True
            raise httpx.RemoteProtocolError("more than one response to one request")

    def on_status(self, status: bytes) -> None:
        self.reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        self.raw_headers.append((name, value))
        self.head_bytes += len(name) + len(value) + 4
        if self.head_bytes > MAX_HEAD_BYTES:
            self.error = httpx.RemoteProtocolError(f"response headers over {MAX_HEAD_BYTES} bytes")
            raise self.error

    def on_headers_complete(self) -> None:
        # read now: llhttp forgets both once the message is complete
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()
        if 100 <= self.status < 200:
            self.raw_headers = []  # an interim response: the real one follows
            self.reason = b""
            return
        self.head_done = True
        self._wake()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)
        self._wake()

    def on_message_complete(self) -> None:
        if self.head_done:
            self.complete = True
            self._wake()

    # -- the reader's side
    def _reads_to_close(self) -> bool:
        names = {name.lower() for name, _ in self.raw_headers}
        return b"content-length" not in names and b"transfer-encoding" not in names

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, error: Exception) -> None:
        if self.error is None:
            self.error = error
        self._close()
        self._wake()

    def _close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    async def wait(self, seconds: float) -> None:
        """Until something arrives (head, body bytes, the end) or the connection fails; at most
        ``seconds`` (a read timeout: each wait has its own)."""
        waiter = self.waiter = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(seconds):
                await waiter
        except TimeoutError:
            self._close()
            raise httpx.ReadTimeout(f"nothing read within {seconds:g} s") from None
        finally:
            self.waiter = None

    def take(self) -> bytes:
        chunk = self.chunks.popleft()
        self.buffered -= len(chunk)
        if self.paused and self.buffered < _LOW_WATER and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        return chunk

    def send(self, request: bytes) -> None:
        self._reset()
        self.idle_since = 0.0
        assert self.transport is not None
        self.transport.write(request)

    def reusable(self) -> bool:
        return (
            self.complete
            and not self.closed
            and not self.extra
            and self.error is None
            and self.keep_alive
        )


class Reply:
    """A response whose body is read as it arrives; ``aclose()`` gives back its connection."""

    __slots__ = (
        "_conn",
        "_origin",
        "_pool",
        "_read_timeout",
        "_released",
        "extensions",
        "headers",
        "raw_headers",
        "reason_phrase",
        "status_code",
    )

    def __init__(
        self, conn: _Connection, pool: Http1Pool, origin: tuple[str, str, int], timeout: float
    ) -> None:
        self._conn, self._pool, self._origin = conn, pool, origin
        self._read_timeout = timeout
        self._released = False
        self.status_code: int = conn.status
        self.reason_phrase = conn.reason.decode("latin-1", "replace")
        self.raw_headers = conn.raw_headers
        joined: dict[str, str] = {}
        for raw_name, raw_value in conn.raw_headers:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            joined[name] = f"{joined[name]}, {value}" if name in joined else value
        self.headers: Mapping[str, str] = joined
        """Header names in lower case, a repeated header's values joined by commas."""
        self.extensions: dict[str, Any] = {}

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        """The body as it came on the wire (still content-encoded)."""
        conn = self._conn
        while True:
            while conn.chunks:
                yield conn.take()
            if conn.complete:
                return
            if conn.error is not None:
                raise httpx.ReadError(f"body cut short: {conn.error}")
            await conn.wait(self._read_timeout)

    async def aclose(self) -> None:
        if not self._released:
            self._released = True
            self._pool.release(self._origin, self._conn)


class Http1Pool:
    """Keep-alive connections per origin (made in the loop that uses them), at most
    ``max_connections`` open per origin; idle ones are dropped after ``keepalive_expiry``."""

    def __init__(self, *, max_connections: int = 100, keepalive_expiry: float = 5.0) -> None:
        self._max = max_connections
        self._expiry = keepalive_expiry
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._open: dict[tuple[str, str, int], int] = {}
        self._waiting: dict[tuple[str, str, int], collections.deque[asyncio.Future[None]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ssl: ssl.SSLContext | None = None

    async def get(self, target: Target, headers: Mapping[str, str], seconds: float) -> Reply:
        """Send a GET and wait for its head (status and headers); the body follows on demand.
        ``seconds`` bounds the connect, and each wait for bytes, separately."""
        request = target.head + _header_lines(headers)
        origin = target.origin
        for attempt in (0, 1):
            conn, reused = await self._acquire(origin, seconds)
            try:
                conn.send(request)
                while not conn.head_done:
                    if conn.error is not None:
                        raise conn.error
                    if conn.closed:
                        raise httpx.RemoteProtocolError("server disconnected without answering")
                    await conn.wait(seconds)
            except httpx.RemoteProtocolError:
                self.release(origin, conn)
                if reused and attempt == 0 and not conn.received:
                    continue  # the server had closed the idle connection: once more, afresh
                raise
            except BaseException:
                self.release(origin, conn)
                raise
            return Reply(conn, self, origin, seconds)
        raise AssertionError("unreachable")

    async def _acquire(
        self, origin: tuple[str, str, int], seconds: float
    ) -> tuple[_Connection, bool]:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # connections of another loop cannot be used from this one
            self._idle, self._open, self._waiting = {}, {}, {}
            self._loop = loop
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if not conn.closed and now - conn.idle_since < self._expiry:
                return conn, True
            self._forget(origin, conn)
        while self._open.get(origin, 0) >= self._max:
            waiter = loop.create_future()
            self._waiting.setdefault(origin, collections.deque()).append(waiter)
            try:
                async with asyncio.timeout(seconds):
                    await waiter
            except TimeoutError:
                raise httpx.PoolTimeout(f"no free connection within {seconds:g} s") from None
            idle = self._idle.get(origin)
            while idle:
                conn = idle.pop()
                if not conn.closed:
                    return conn, True
                self._forget(origin, conn)
        self._open[origin] = self._open.get(origin, 0) + 1
        try:
            return await self._connect(origin, seconds), False
        except BaseException:
            self._open[origin] -= 1
            self._wake_one(origin)
            raise

    async def _connect(self, origin: tuple[str, str, int], seconds: float) -> _Connection:
        scheme, host, port = origin
        context = None
        if scheme == "https":
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            context = self._ssl
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(seconds):
                _, conn = await loop.create_connection(
                    _Connection, host, port, ssl=context, server_hostname=host if context else None
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"connect to {host}:{port} timed out") from None
        except OSError as exc:
            raise httpx.ConnectError(f"{exc.strerror or exc} ({host}:{port})") from exc
        return conn

    def release(self, origin: tuple[str, str, int], conn: _Connection) -> None:
        """Back to the idle list if its response was read whole; closed otherwise."""
        if conn.idle_since:
            return  # released already
        if conn.reusable():
            conn.idle_since = time.monotonic()
            self._idle.setdefault(origin, []).append(conn)
        else:
            conn._close()
            self._forget(origin, conn)
        self._wake_one(origin)

    def _forget(self, origin: tuple[str, str, int], conn: _Connection) -> None:
        conn._close()
        conn.idle_since = -1.0  # counted out once
        self._open[origin] = max(self._open.get(origin, 1) - 1, 0)

    def _wake_one(self, origin: tuple[str, str, int]) -> None:
        waiting = self._waiting.get(origin)
        while waiting:
            waiter = waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def aclose(self) -> None:
        for origin, idle in self._idle.items():
            for conn in idle:
                self._forget(origin, conn)
        self._idle = {}


class _ReplyStream(httpx.AsyncByteStream):
    def __init__(self, reply: Reply) -> None:
        self._reply = reply

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._reply.aiter_raw():
            yield chunk

    async def aclose(self) -> None:
        await self._reply.aclose()


class Http1Transport(httpx.AsyncBaseTransport):
    """httpx's transport interface over the pool (what hishel's cache sends through)."""

    def __init__(self, pool: Http1Pool, timeout: float) -> None:
        self.pool = pool
        self._timeout = timeout

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            raise httpx.UnsupportedProtocol(f"only GET is sent, not {request.method}")
        target = Target.parse(str(request.url))
        limits: dict[str, Any] = request.extensions.get("timeout", {})
        timeout = limits.get("read") or self._timeout
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        reply = await self.pool.get(target, headers, timeout)
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
        if reply.reason_phrase:
            extensions["reason_phrase"] = reply.reason_phrase.encode("latin-1", "replace")
        return httpx.Response(
            status_code=reply.status_code,
            headers=reply.raw_headers,
            stream=_ReplyStream(reply),
            request=request,
            extensions=extensions,
        )

    async def aclose(self) -> None:
        await self.pool.aclose()
