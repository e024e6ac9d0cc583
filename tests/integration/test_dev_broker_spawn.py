"""``ensure_running``: use the broker that answers, start one in the background if none does,
and say clearly when the port belongs to something else. Real processes, 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator, Iterator

import pytest
from websockets.asyncio.server import ServerConnection, serve

from orchestrator.dev import (
    Broker,
    BrokerHandle,
    BrokerPortInUseError,
    WebClient,
    ensure_running,
    probe,
)
from orchestrator.errors import OrchestratorError
from orchestrator.testing import LoopbackServer

WAIT = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def handles() -> Iterator[list[BrokerHandle]]:
    """Every handle a test gets; a broker process a test started never outlives it."""
    started: list[BrokerHandle] = []
    yield started
    for handle in started:
        handle.stop()


async def test_an_answering_broker_is_used_not_restarted() -> None:
    async with Broker(port=0) as broker:
        handle = await ensure_running("127.0.0.1", broker.port)
        assert not handle.started and handle.process is None
        assert handle.url == broker.url
        assert handle.stop() is None


async def test_no_broker_starts_one_that_leaves_after_its_last_client(
    handles: list[BrokerHandle],
) -> None:
    port = free_port()
    assert await probe("127.0.0.1", port) is False
    handle = await ensure_running("127.0.0.1", port, idle_timeout=0.5)
    handles.append(handle)
    assert handle.started and handle.process is not None
    async with WebClient("catalog", url=handle.url) as page:
        assert await probe("127.0.0.1", port) is True
        assert not page.disconnected.is_set()
    code = await asyncio.to_thread(handle.process.wait, WAIT)
    assert code == 0
    assert await probe("127.0.0.1", port) is False


async def test_stopping_the_started_broker_tells_its_clients(handles: list[BrokerHandle]) -> None:
    handle = await ensure_running("127.0.0.1", free_port(), idle_timeout=-1)
    handles.append(handle)
    page = WebClient("catalog", url=handle.url)
    await page.__aenter__()
    try:
        assert await asyncio.to_thread(handle.stop) == 0
        await asyncio.wait_for(page.broker_exited.wait(), WAIT)
        await asyncio.wait_for(page.disconnected.wait(), WAIT)
    finally:
        await page.aclose()


async def test_two_callers_at_once_share_one_broker(handles: list[BrokerHandle]) -> None:
    port = free_port()
    first, second = await asyncio.gather(
        ensure_running("127.0.0.1", port, idle_timeout=-1),
        ensure_running("127.0.0.1", port, idle_timeout=-1),
    )
    handles.extend([first, second])
    assert [first.started, second.started].count(True) == 1
    assert await probe("127.0.0.1", port) is True


async def test_a_port_held_by_an_http_server_is_a_clear_error() -> None:
    async with LoopbackServer() as server:
        port = server.port
        with pytest.raises(BrokerPortInUseError) as info:
            await ensure_running("127.0.0.1", port)
    error = info.value
    assert isinstance(error, OrchestratorError)
    assert error.port == port and error.host == "127.0.0.1"
    assert f"port {port} on 127.0.0.1 is taken" in str(error)
    assert "not a WebSocket server" in error.detail


@pytest.fixture
async def other_websocket_server() -> AsyncIterator[int]:
    async def echo(conn: ServerConnection) -> None:
        async for message in conn:
            await conn.send(message)

    async with serve(echo, "127.0.0.1", 0, server_header="some-other-app") as server:
        yield int(next(iter(server.sockets)).getsockname()[1])


async def test_a_port_held_by_another_websocket_server_is_a_clear_error(
    other_websocket_server: int,
) -> None:
    with pytest.raises(BrokerPortInUseError) as info:
        await ensure_running("127.0.0.1", other_websocket_server)
    assert "some-other-app" in str(info.value)


async def test_a_port_that_accepts_but_never_answers_is_a_clear_error() -> None:
    silent: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = int(server.sockets[0].getsockname()[1])
    try:
        with pytest.raises(BrokerPortInUseError) as info:
            await probe("127.0.0.1", port, open_timeout=0.2)
        assert "never answers" in str(info.value)
    finally:
        for writer in silent:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_the_broker_process_says_why_it_cannot_listen() -> None:
    async with LoopbackServer() as server:
        port = server.port
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "orchestrator.dev",
            "--port",
            str(port),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        out, _ = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode == 3
    assert out.decode().startswith(f"error cannot listen on 127.0.0.1:{port}")
