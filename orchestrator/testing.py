"""A real HTTP server on 127.0.0.1 for tests: static files, programmable replies, fault injection.

The server runs its own asyncio loop in a background thread, so it keeps answering while the
test's event loop is busy or blocked. It speaks just enough HTTP/1.1 (keep-alive, Content-Length)
for httpx, browsers and curl, and can misbehave on purpose: slow headers, trickled or oversized
bodies (streamed, never built in memory), connections reset mid-body, and garbage bytes.

Usage::

    with LoopbackServer(root="apps/") as server:
        server.route("/flaky.html", Reply(503), Reply(200, body="<p>ok</p>"))
        server.route("/huge.html", Reply(body_size=50_000_000))
        httpx.get(server.url_for("/flaky.html"))          # 503, then 200 on every later call
        assert server.count("/flaky.html") == 1

As a pytest plugin (``pytest_plugins = ["orchestrator.testing"]``) it provides the
``loopback_server`` fixture: a factory ``loopback_server(root=None) -> LoopbackServer`` whose
servers are started at once and stopped when the test ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import socket
import struct
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import unquote, urlsplit

__all__ = ["LoopbackServer", "RecordedRequest", "Reply", "loopback_server"]

_MAX_HEAD = 64 * 1024


@dataclass(frozen=True)
class Reply:
    """One programmed answer; the defaults give a plain ``200 OK`` HTML response.

    ``delay`` waits before the status line; ``chunk_delay`` sleeps between body chunks
    (a trickled body); ``body_size`` streams that many bytes (``body`` repeated, or ``x``)
    without building them; ``reset_after`` sends that many body bytes, then resets the
    connection; ``raw`` is written verbatim instead of an HTTP response, then the connection
    is closed; ``content_length=False`` omits the header and closes to end the body.
    """

    status: int = 200
    body: bytes | str = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = "text/html; charset=utf-8"
    delay: float = 0.0
    body_size: int | None = None
    chunk_size: int = 64 * 1024
    chunk_delay: float = 0.0
    reset_after: int | None = None
    raw: bytes | None = None
    content_length: bool = True

    def body_bytes(self) -> bytes:
        """The body as bytes (``str`` bodies are encoded as UTF-8)."""
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body

    def total_length(self) -> int:
        """The number of body bytes the reply announces."""
        return self.body_size if self.body_size is not None else len(self.body_bytes())


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the server saw it (header names lower-cased)."""

    method: str
    target: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes


Handler = Callable[[RecordedRequest], Reply]


class _Route:
    """Replies served in order; the last one repeats (or a handler computes each one)."""

    def __init__(self, replies: tuple[Reply, ...] | None, handler: Handler | None) -> None:
        self._replies = replies
        self._handler = handler
        self._served = 0
        self._lock = threading.Lock()

    def next_reply(self, request: RecordedRequest) -> Reply:
        if self._handler is not None:
            return self._handler(request)
        assert self._replies
        with self._lock:
            index = min(self._served, len(self._replies) - 1)
            self._served += 1
        return self._replies[index]


class LoopbackServer:
    """An HTTP server on 127.0.0.1 with an ephemeral port, in a background thread.

    Start and stop it with ``with``/``async with`` (or ``start()``/``stop()``). Routes take
    precedence over files under ``root``; anything else is a 404.
    """

    def __init__(self, root: str | Path | None = None, *, host: str = "127.0.0.1") -> None:
        self.root = Path(root).resolve() if root is not None else None
        self.host = host
        self.port = 0
        self._routes: dict[str, _Route] = {}
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._ready = threading.Event()
        self._start_error: BaseException | None = None

    # -- life cycle -------------------------------------------------------------------
    def start(self) -> Self:
        """Bind the port and start serving; returns once requests are accepted."""
        if self._thread is not None:
            raise RuntimeError("LoopbackServer is already started")
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name="loopback-server", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._start_error is not None:
            self._thread.join()
            self._thread = None
            raise RuntimeError("LoopbackServer could not start") from self._start_error
        return self

    def stop(self) -> None:
        """Close the listening socket and every open connection, then join the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
        thread.join(timeout=10)
        self._thread = None
        self._loop = None
        self.port = 0

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    # -- configuration and inspection ---------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL, ending in ``/``."""
        if not self.port:
            raise RuntimeError("LoopbackServer is not started")
        return f"http://{self.host}:{self.port}/"

    def url_for(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return self.url + path.lstrip("/")

    def route(self, path: str, *replies: Reply, handler: Handler | None = None) -> None:
        """Answer ``path`` (no query) with ``replies`` in order, the last one repeating;
        or with ``handler(request)`` for each request."""
        if (handler is None) == (not replies):
            raise TypeError("route() takes either replies or handler=, not both nor neither")
        if not path.startswith("/"):
            raise ValueError(f"route path must start with '/': {path!r}")
        self._routes[path] = _Route(replies or None, handler)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._requests)

    def count(self, path: str) -> int:
        """How many requests asked for ``path`` (the query string is ignored)."""
        with self._lock:
            return sum(1 for r in self._requests if r.path == path)

    def reset_counts(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    # -- the server thread ----------------------------------------------------------------
    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._listen())
        except BaseException as exc:
            self._start_error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._on_connection, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        asyncio.get_running_loop().call_soon(asyncio.get_running_loop().stop)

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while await self._serve_one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass  # the server is stopping; ending quietly keeps asyncio from logging it
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; False when the connection must end."""
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > _MAX_HEAD:
            return False
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, target, _version = lines[0].split(" ", 2)
        except ValueError:
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return False
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        body = b""
        if int(headers.get("content-length", "0") or 0):
            body = await reader.readexactly(int(headers["content-length"]))
        split = urlsplit(target)
        request = RecordedRequest(method, target, unquote(split.path), split.query, headers, body)
        with self._lock:
            self._requests.append(request)
        reply = self._reply_for(request)
        keep_alive = await self._send(writer, reply, head_only=method == "HEAD")
        return keep_alive and headers.get("connection", "").lower() != "close"

    def _reply_for(self, request: RecordedRequest) -> Reply:
        route = self._routes.get(request.path)
        if route is not None:
            return route.next_reply(request)
        if self.root is not None:
            return self._static_reply(request.path)
        return _not_found(request.path)

    def _static_reply(self, path: str) -> Reply:
        assert self.root is not None
        candidate = (self.root / path.lstrip("/")).resolve()
        if not candidate.is_relative_to(self.root):
            return _not_found(path)
        if candidate.is_dir():
            candidate = candidate / "index.html"
        if not candidate.is_file():
            return _not_found(path)
        kind, _ = mimetypes.guess_type(candidate.name)
        kind = kind or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        return Reply(body=candidate.read_bytes(), content_type=kind)

    async def _send(self, writer: asyncio.StreamWriter, reply: Reply, *, head_only: bool) -> bool:
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.raw is not None:
            writer.write(reply.raw)
            await writer.drain()
            return False
        length = reply.total_length()
        try:
            phrase = HTTPStatus(reply.status).phrase
        except ValueError:
            phrase = "Unknown"
        head = [f"HTTP/1.1 {reply.status} {phrase}"]
        if reply.content_type is not None:
            head.append(f"Content-Type: {reply.content_type}")
        if reply.content_length:
            head.append(f"Content-Length: {length}")
        else:
            head.append("Connection: close")
        head.extend(f"{k}: {v}" for k, v in reply.headers.items())
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()
        if head_only:
            return reply.content_length
        limit = length if reply.reset_after is None else min(length, reply.reset_after)
        for index, chunk in enumerate(_chunks(reply, limit)):
            if index and reply.chunk_delay:
                await asyncio.sleep(reply.chunk_delay)
            writer.write(chunk)
            await writer.drain()
        if reply.reset_after is not None:
            _reset(writer)
            return False
        return reply.content_length


def _chunks(reply: Reply, limit: int) -> Iterator[bytes]:
    """The first ``limit`` body bytes in chunks, generated lazily for ``body_size`` replies."""
    size = max(1, reply.chunk_size)
    if reply.body_size is None:
        data = reply.body_bytes()[:limit]
        for start in range(0, len(data), size):
            yield data[start : start + size]
        return
    pattern = reply.body_bytes() or b"x"
    block = (pattern * (size // len(pattern) + 1))[:size]
    sent = 0
    while sent < limit:
        n = min(size, limit - sent)
        yield block[:n]
        sent += n


def _reset(writer: asyncio.StreamWriter) -> None:
    """Abort the connection with a TCP RST rather than an orderly close."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _not_found(path: str) -> Reply:
    return Reply(404, body=f"not found: {path}", content_type="text/plain; charset=utf-8")


try:
    import pytest
except ImportError:  # pragma: no cover - pytest is only needed for the fixture
    pass
else:

    @pytest.fixture
    def loopback_server() -> Iterator[Callable[..., LoopbackServer]]:
        """A factory of started ``LoopbackServer``s, all stopped when the test ends."""
        started: list[LoopbackServer] = []

        def make(root: str | Path | None = None) -> LoopbackServer:
            server = LoopbackServer(root).start()
            started.append(server)
            return server

        yield make
        for server in started:
            server.stop()
