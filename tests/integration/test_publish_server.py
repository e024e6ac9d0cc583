"""``orchestrator.publish.AppServer`` and ``mfe serve-app`` over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.types import Message

from orchestrator.html_entry.live import Manifest
from orchestrator.publish import AppServer
from orchestrator.serve import LoopbackASGIServer, bind_loopback


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text("<html><body><p>v1</p></body></html>")
    (tmp_path / "main.py").write_text("x = 1\n")
    return tmp_path


@pytest.fixture
async def served(app_dir: Path) -> AsyncIterator[tuple[AppServer, str]]:
    app = AppServer(app_dir, name="catalog", hold=2.0)
    async with LoopbackASGIServer(app, lifespan="on") as server:
        yield app, server.url
        await app.aclose()


async def test_files_carry_version_manifest_and_cache_headers(
    served: tuple[AppServer, str],
) -> None:
    app, url = served
    async with httpx.AsyncClient() as client:
        entry = await client.get(url)
        script = await client.get(url + "main.py")
        manifest = await client.get(url + "manifest.json")
    assert entry.status_code == 200 and "v1" in entry.text
    assert entry.headers["x-mfe-manifest"] == "1"
    assert entry.headers["cache-control"] == "no-cache" and "etag" in entry.headers
    assert script.headers["x-mfe-version"] == str(app.manifest.t)
    assert "x-mfe-manifest" not in script.headers
    data = manifest.json()
    assert set(data) == {"c", "s", "d", "t"} and data["t"] == app.manifest.t
    assert Manifest.parse(url, manifest.content) == app.manifest
    assert manifest.headers["cache-control"] == "no-store"


async def test_long_poll_answers_at_once_on_a_mismatch_and_holds_until_a_bump(
    served: tuple[AppServer, str],
) -> None:
    app, url = served
    async with httpx.AsyncClient() as client:
        stale = await client.get(url + "manifest.json", params={"t": "1", "n": "5"})
        assert stale.json()["t"] == app.manifest.t  # t differs: at once
        known = app.manifest.t
        held = asyncio.ensure_future(
            client.get(url + "manifest.json", params={"t": str(known), "n": "6"})
        )
        async with asyncio.timeout(2):
            await app.until_waiters(lambda held: held == 1)  # it arrived and is held
        assert not held.done()
        bumped = app.bump()
        answer = await held
    assert answer.json()["t"] == bumped.t > known
    assert app.waiters == 0


async def test_a_thousand_polls_that_time_out_leave_no_waiter(app_dir: Path) -> None:
    """The app itself, called as an ASGI server calls it (1,000 over loopback HTTP take ~15 s
    on a small machine; fifty of them below go over the wire)."""
    app = AppServer(app_dir, name="catalog", hold=0.001)
    known = str(app.manifest.t).encode()

    async def poll(index: int) -> bytes:
        sent: list[Message] = []
        requested = False

        async def receive() -> Message:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()  # a client that stays: never disconnects
            raise AssertionError("unreachable")

        async def send(message: Message) -> None:
            sent.append(message)

        query = b"t=" + known + b"&n=" + str(index).encode()
        scope = {"type": "http", "method": "GET", "path": "/manifest.json", "query_string": query}
        await app(scope, receive, send)
        return bytes(sent[-1]["body"])

    answers = await asyncio.gather(*(poll(i) for i in range(1000)))
    assert {json.loads(body)["t"] for body in answers} == {app.manifest.t}  # all timed out
    assert app.waiters == 0
    async with (
        LoopbackASGIServer(app, lifespan="off") as server,
        httpx.AsyncClient(timeout=30) as client,
    ):
        replies = await asyncio.gather(
            *(
                client.get(server.url + "manifest.json", params={"t": known.decode()})
                for _ in range(50)
            )
        )
    assert all(reply.json()["t"] == app.manifest.t for reply in replies)
    assert app.waiters == 0


async def test_a_client_that_goes_away_leaves_no_waiter(served: tuple[AppServer, str]) -> None:
    app, url = served
    async with httpx.AsyncClient() as client:
        polls = [
            asyncio.ensure_future(
                client.get(url + "manifest.json", params={"t": str(app.manifest.t)})
            )
            for _ in range(5)
        ]
        async with asyncio.timeout(2):
            await app.until_waiters(lambda held: held == 5)
        for poll in polls:
            poll.cancel()
        for poll in polls:
            with contextlib.suppress(asyncio.CancelledError):
                await poll
    async with asyncio.timeout(1.5):  # before hold=2 s: by disconnect, not by timeout
        await app.until_waiters(lambda held: held == 0)
    assert app.waiters == 0


async def test_watch_bumps_t_when_a_file_changes(app_dir: Path) -> None:
    app = AppServer(app_dir, name="catalog", watch=True)
    async with LoopbackASGIServer(app, lifespan="on") as server, httpx.AsyncClient() as client:
        known = app.manifest.t
        held = asyncio.ensure_future(
            client.get(server.url + "manifest.json", params={"t": str(known)}, timeout=10)
        )
        async with asyncio.timeout(2):
            await app.until_waiters(lambda held: held == 1)
        (app_dir / "index.html").write_text("<html><body><p>v2</p></body></html>")
        async with asyncio.timeout(5):
            answer = await held  # watchfiles saw the change: the held poll is answered
        assert answer.json()["t"] > known
        assert "v2" in (await client.get(server.url)).text


def test_app_server_refuses_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is not a directory"):
        AppServer(tmp_path / "nope", name="catalog")


async def test_mfe_serve_app_serves_the_manifest(app_dir: Path) -> None:
    with contextlib.closing(bind_loopback(0)) as sock:
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "orchestrator.cli", "serve-app", str(app_dir)]
    process = await asyncio.create_subprocess_exec(
        *command,
        "--port",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        async with httpx.AsyncClient() as client, asyncio.timeout(15):
            reply = None
            while reply is None:  # the child is starting: bounded by the timeout
                with contextlib.suppress(httpx.ConnectError):
                    reply = await client.get(f"http://127.0.0.1:{port}/manifest.json")
                if reply is None:
                    await asyncio.sleep(0.05)
        assert set(json.loads(reply.content)) == {"c", "s", "d", "t"}
    finally:
        process.terminate()
        await process.wait()
