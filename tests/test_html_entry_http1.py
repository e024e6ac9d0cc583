"""The loader's own HTTP/1.1 client against raw servers on 127.0.0.1 that misbehave on purpose.

Each server is an asyncio server whose handler reads one request head and writes whatever bytes
the test wants, so keep-alive, chunking, truncation, oversized heads and stray bytes are all real
socket traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
import uvloop

from orchestrator.errors import EntryLoadError
from orchestrator.html_entry import EntryLoader
from orchestrator.html_entry._http1 import MAX_HEAD_BYTES, Http1Pool, Target

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, "Raw"], Awaitable[None]]


class Raw:
    """A server on a free port; counts connections and requests."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/page"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await self.handler(reader, writer, self)
        writer.close()

    async def head(self, reader: asyncio.StreamReader) -> bytes:
        request = await reader.readuntil(b"\r\n\r\n")
        self.requests.append(request)
        return request


@contextlib.asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[Raw]:
    raw = Raw(handler)
    raw.server = await asyncio.start_server(raw._serve, "127.0.0.1", 0)
    try:
        yield raw
    finally:
        raw.server.close()


def ok(body: bytes, *extra: bytes) -> bytes:
    head = [b"HTTP/1.1 200 OK", b"content-type: text/html", b"content-length: %d" % len(body)]
    return b"\r\n".join([*head, *extra]) + b"\r\n\r\n" + body


async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: Raw) -> None:
    for _ in range(100):  # bounded: one connection answers at most 100 requests
        await raw.head(reader)
        writer.write(ok(b"<p>hello</p>"))
        await writer.drain()


async def get_body(pool: Http1Pool, url: str, seconds: float = 5.0) -> tuple[int, bytes]:
    reply = await pool.get(Target.parse(url), {"accept": "*/*"}, seconds)
    try:
        return reply.status_code, b"".join([chunk async for chunk in reply.aiter_raw()])
    finally:
        await reply.aclose()


async def test_one_connection_serves_request_after_request() -> None:
    async with raw_server(keep_alive) as raw:
        pool = Http1Pool()
        for _ in range(5):
            assert await get_body(pool, raw.url) == (200, b"<p>hello</p>")
        assert raw.connections == 1 and len(raw.requests) == 5
        assert raw.requests[0].startswith(b"GET /page HTTP/1.1\r\nhost: 127.0.0.1:")
        await pool.aclose()


async def test_a_connection_the_server_closed_while_idle_is_replaced_once() -> None:
    async def once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: Raw) -> None:
        await raw.head(reader)
        writer.write(ok(b"once"))  # says keep-alive, then closes anyway
        await writer.drain()

    async with raw_server(once) as raw:
        pool = Http1Pool()
        assert await get_body(pool, raw.url) == (200, b"once")
        await asyncio.sleep(0.05)  # the close reaches us while the connection is idle
        assert await get_body(pool, raw.url) == (200, b"once")
        assert raw.connections == 2


async def test_connection_close_and_http_1_0_are_not_reused() -> None:
    async def closing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: Raw) -> None:
        await raw.head(reader)
        writer.write(ok(b"bye", b"connection: close"))
        await writer.drain()
        await asyncio.sleep(0.2)  # the socket stays open a while: the header alone must tell

    async with raw_server(closing) as raw:
        pool = Http1Pool()
        for _ in range(3):
            assert await get_body(pool, raw.url) == (200, b"bye")
        assert raw.connections == 3


async def test_chunked_and_read_to_close_bodies_arrive_whole() -> None:
    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: Raw) -> None:
        await raw.head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        for piece in (b"<p>", b"split ", b"body</p>"):
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
            await asyncio.sleep(0.01)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        await raw.head(reader)  # and the connection is used again
        writer.write(ok(b"second"))
        await writer.drain()

    async def eof(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: Raw) -> None:
        await raw.head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n\r\nuntil the end")
        await writer.drain()

    async with raw_server(chunked) as raw:
        pool = Http1Pool()
        assert await get_body(pool, raw.url) == (200, b"<p>split body</p>")
        assert await get_body(pool, raw.url) == (200, b"second")
        assert raw.connections == 1
    async with raw_server(eof) as raw:
        assert await get_body(Http1Pool(), raw.url) == (200, b"until the end")


async def test_a_body_cut_short_is_a_broken_read_named_by_the_loader() -> None:
    async def short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: Raw) -> None:
        await raw.head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 100\r\n\r\n")
        writer.write(b"<p>only part")
        await writer.drain()

    async with raw_server(short) as raw:
        with pytest.raises(httpx.ReadError, match="cut short"):
            await get_body(Http1Pool(), raw.url)
        async with EntryLoader() as loader:
            with pytest.raises(EntryLoadError, match="connection broken") as caught:
                await loader.import_entry(raw.url)
        assert caught.value.url == raw.url


async def test_a_head_over_the_limit_or_malformed_is_refused() -> None:
    async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: Raw) -> None:
        await raw.head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\n")
        filler = b"x-filler: " + b"a" * 1000 + b"\r\n"
        for _ in range(MAX_HEAD_BYTES // len(filler) + 10):
            writer.write(filler)
            await writer.drain()
        writer.write(b"\r\n")

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: Raw) -> None:
        await raw.head(reader)
        writer.write(b"SMTP ready\r\n\r\n")
        await writer.drain()

    async with raw_server(huge) as raw:
        with pytest.raises(httpx.RemoteProtocolError, match="headers over"):
            await get_body(Http1Pool(), raw.url)
    async with raw_server(garbage) as raw:
        with pytest.raises(httpx.RemoteProtocolError, match="malformed"):
            await get_body(Http1Pool(), raw.url)
        async with EntryLoader() as loader:
            with pytest.raises(EntryLoadError, match="malformed HTTP response"):
                await loader.import_entry(raw.url)


async def test_a_silent_server_times_out_and_its_connection_is_dropped() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: Raw) -> None:
        await raw.head(reader)
        await asyncio.sleep(5)

    async with raw_server(silent) as raw:
        pool = Http1Pool()
        with pytest.raises(httpx.ReadTimeout):
            await get_body(pool, raw.url, seconds=0.2)
        assert pool._idle.get(Target.parse(raw.url).origin, []) == []
        async with EntryLoader(timeout=0.2) as loader:
            with pytest.raises(EntryLoadError, match="timed out"):
                await loader.import_entry(raw.url)


async def test_stray_bytes_after_a_response_retire_the_connection() -> None:
    async def twice(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: Raw) -> None:
        for _ in range(10):  # bounded
            await raw.head(reader)
            writer.write(ok(b"one") + ok(b"unasked"))  # a second response nobody asked for
            await writer.drain()

    async with raw_server(twice) as raw:
        pool = Http1Pool()
        assert await get_body(pool, raw.url) == (200, b"one")
        assert await get_body(pool, raw.url) == (200, b"one")
        assert raw.connections == 2  # the unasked-for answer was never read as the next one


async def test_an_interim_response_is_skipped() -> None:
    async def interim(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: Raw) -> None:
        await raw.head(reader)
        writer.write(b"HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n")
        writer.write(ok(b"final"))
        await writer.drain()

    async with raw_server(interim) as raw:
        pool = Http1Pool()
        reply = await pool.get(Target.parse(raw.url), {}, 5.0)
        assert reply.status_code == 200 and "link" not in reply.headers
        assert b"".join([c async for c in reply.aiter_raw()]) == b"final"
        await reply.aclose()


async def test_a_large_body_is_read_whole_through_back_pressure() -> None:
    body = bytes(range(256)) * 8192  # 2 MB, far over the buffer's high-water mark

    async def big(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: Raw) -> None:
        await raw.head(reader)
        writer.write(ok(body))
        await writer.drain()

    async with raw_server(big) as raw:
        pool = Http1Pool()
        reply = await pool.get(Target.parse(raw.url), {}, 5.0)
        await asyncio.sleep(0.2)  # let the socket fill the buffer before anything is read
        conn = reply._conn
        assert conn.paused and conn.buffered < len(body)
        got = b"".join([chunk async for chunk in reply.aiter_raw()])
        assert got == body
        await reply.aclose()


async def test_an_unread_body_closes_its_connection() -> None:
    async with raw_server(keep_alive) as raw:
        pool = Http1Pool()
        reply = await pool.get(Target.parse(raw.url), {}, 5.0)
        await reply.aclose()
        await reply.aclose()  # twice is harmless
        assert await get_body(pool, raw.url) == (200, b"<p>hello</p>")
        # the first was complete on arrival (small), so it was reused: nothing was left unread
        assert raw.connections == 1


async def test_connections_per_origin_are_capped() -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: Raw) -> None:
        for _ in range(10):  # bounded
            await raw.head(reader)
            await asyncio.sleep(0.05)
            writer.write(ok(b"slow"))
            await writer.drain()

    async with raw_server(slow) as raw:
        pool = Http1Pool(max_connections=1)
        results = await asyncio.gather(*(get_body(pool, raw.url) for _ in range(3)))
        assert results == [(200, b"slow")] * 3 and raw.connections == 1


async def test_header_values_cannot_smuggle_lines() -> None:
    pool = Http1Pool()
    with pytest.raises(httpx.LocalProtocolError, match="line break"):
        await pool.get(Target.parse("http://127.0.0.1:9/"), {"x-a": "1\r\nx-b: 2"}, 1.0)


def test_only_http_urls_with_a_host_are_targets() -> None:
    with pytest.raises(httpx.UnsupportedProtocol):
        Target.parse("ftp://127.0.0.1/x")
    target = Target.parse("http://127.0.0.1:8080/a/b?c=d")
    assert target.origin == ("http", "127.0.0.1", 8080)
    assert target.head == b"GET /a/b?c=d HTTP/1.1\r\nhost: 127.0.0.1:8080\r\n"


async def test_connect_refused_names_the_address() -> None:
    with contextlib.closing(__import__("socket").socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: refused
        with pytest.raises(httpx.ConnectError, match=f"127.0.0.1:{port}"):
            await get_body(Http1Pool(), f"http://127.0.0.1:{port}/")


def test_the_pool_works_under_uvloop() -> None:
    """uvicorn runs the composer on uvloop, whose transports are not asyncio's classes."""

    async def main() -> list[tuple[int, bytes]]:
        async with raw_server(keep_alive) as raw:
            pool = Http1Pool()
            results = [await get_body(pool, raw.url) for _ in range(3)]
            assert raw.connections == 1
            return results

    assert uvloop.run(main()) == [(200, b"<p>hello</p>")] * 3
