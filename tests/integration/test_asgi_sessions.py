"""Sessions that scale out, over real HTTP and a real ``redis-server`` on a free loopback port.

Lazy sessions (none for anonymous views), ids rotated on sign-in, Secure cookies behind https,
one session served by two ComposeApp instances through one Redis, Redis going away and coming
back, and an oversized state refused with a log line.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from orchestrator.asgi import ComposeApp, MemorySessionStore, RedisSessionStore
from orchestrator.config import AppConfig, ComposeConfig
from orchestrator.serve import LoopbackASGIServer
from orchestrator.testing import LoopbackServer, Reply

_SHELL = "<html><body><div id='who'></div><div id='main'></div><p>shell</p></body></html>"


def _python_app(body: str, mount: str) -> str:
    return f"""<html><body>{body}<script type="text/python">
from urllib.parse import parse_qs

def bootstrap(props):
    pass

def mount(props):
{mount}

def unmount(props):
    pass
</script></body></html>"""


_WHO = _python_app(
    "<span id='user'></span> <span id='visits'></span>",
    """    container = props["container"]
    def show(state, prev):
        for el in container.cssselect("#user"):
            el.text = "user=" + (state.get("user") or "-")
        for el in container.cssselect("#visits"):
            el.text = "visits=" + str(state.get("visits"))
    props["on_global_state_change"](show, fire_immediately=True)""",
)
_LOGIN = _python_app(
    "<p>login</p>",
    """    query = parse_qs(props["orchestrator"].location.search.lstrip("?"))
    props["set_global_state"]({"user": query.get("user", [""])[0]})""",
)
_COUNT = _python_app(
    "<p>count</p>",
    """    seen = {}
    props["on_global_state_change"](lambda state, prev: seen.update(state), fire_immediately=True)
    props["set_global_state"]({"visits": seen["visits"] + 1})""",
)
_BIG = _python_app("<p>big</p>", """    props["set_global_state"]({"blob": "x" * 100_000})""")


@pytest.fixture(scope="module")
def apps() -> Iterator[ComposeConfig]:
    with LoopbackServer() as upstream:
        for name, page in (("who", _WHO), ("login", _LOGIN), ("count", _COUNT), ("big", _BIG)):
            upstream.route(f"/{name}/", Reply(body=page))

        def app(name: str, rule: str, **extra: Any) -> AppConfig:
            container = "#who" if name == "who" else "#main"
            entry = upstream.url_for(f"/{name}/")
            return AppConfig(name, container, (rule,), entry=entry, **extra)

        yield ComposeConfig(
            shell_html=_SHELL,
            apps=(
                app("who", "/", layout=True),
                app("login", "/login", primary=True),
                app("count", "/count", primary=True),
                app("big", "/big", primary=True),
            ),
            options={"prefetch": False},
            global_state={"user": "", "visits": 0, "blob": ""},
            shell_routes=("/", "/about"),
        )


# --- a real redis-server -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RedisServer:
    """``redis-server`` on 127.0.0.1; stopping it saves its data, starting again reloads it."""

    folder: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _spawn(self) -> subprocess.Popen[bytes]:
        executable = shutil.which("redis-server")
        assert executable is not None
        arguments = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        arguments += ["--save", "3600 1", "--appendonly", "no", "--protected-mode", "no"]
        return subprocess.Popen(
            [executable, *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    async def start(self) -> None:
        self.process = self._spawn()
        for _ in range(500):  # bounded: redis-server is up in a few ms
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                if self.process.poll() is not None:
                    code = self.process.returncode
                    raise RuntimeError(f"redis-server exited with {code}") from None
                await asyncio.sleep(0.01)
                continue
            writer.close()
            await writer.wait_closed()
            return
        raise RuntimeError("redis-server did not start in 5 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    if shutil.which("redis-server") is None:
        message = "redis-server is not installed (make test installs Debian's redis-server)"
        pytest.fail(message, pytrace=False)  # a missing dependency fails, never skips
    server = RedisServer(tmp_path)
    await server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def serve() -> AsyncIterator[Any]:
    servers: list[LoopbackASGIServer] = []

    async def start(app: ComposeApp) -> str:
        server = LoopbackASGIServer(app, lifespan="on")
        await server.start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        await server.stop()


def _cookie(response: httpx.Response) -> str | None:
    value = response.headers.get("set-cookie")
    return None if value is None else value.split(";", 1)[0].split("=", 1)[1]


# --- lazy sessions, rotation, Secure -------------------------------------------------------


async def test_anonymous_views_start_no_session_and_never_evict_a_signed_in_user(
    apps: ComposeConfig, serve: Any
) -> None:
    store = MemorySessionStore(max_bytes=4_000)  # room for a few sessions only
    url = await serve(ComposeApp(apps, secret_key="k", session_store=store))
    async with httpx.AsyncClient(base_url=url) as alice:
        signed_in = await alice.get("/login?user=alice")
        assert signed_in.status_code == 200 and _cookie(signed_in) is not None
        assert len(store) == 1

        async def visitor(count: int) -> list[httpx.Response]:
            async with httpx.AsyncClient(base_url=url) as client:
                return [await client.get("/" if i % 2 else "/about") for i in range(count)]

        crowds = await asyncio.gather(*(visitor(110) for _ in range(10)))
        responses = [r for crowd in crowds for r in crowd]
        assert len(responses) == 1_100
        assert all(r.status_code == 200 and "set-cookie" not in r.headers for r in responses)
        missing = await alice.get("/nowhere")
        assert missing.status_code == 404 and "set-cookie" not in missing.headers
        assert len(store) == 1
        again = await alice.get("/")
        assert "user=alice" in again.text


async def test_the_session_id_rotates_when_the_identity_changes(
    apps: ComposeConfig, serve: Any
) -> None:
    store = MemorySessionStore()
    url = await serve(ComposeApp(apps, secret_key="k", session_store=store))
    async with httpx.AsyncClient(base_url=url) as client:
        counted = await client.get("/count")  # state diverges: an anonymous session starts
        planted = _cookie(counted)
        assert planted is not None and "visits=1" in counted.text
        assert "set-cookie" not in (await client.get("/")).headers  # same identity, same id
        signed_in = await client.get("/login?user=alice")
        rotated = _cookie(signed_in)
        assert rotated is not None and rotated != planted
        assert len(store) == 1  # the planted id is gone
        page = await client.get("/")
        assert "user=alice" in page.text and "visits=1" in page.text
    async with httpx.AsyncClient(base_url=url, cookies={"mfe_session": planted}) as attacker:
        assert "user=-" in (await attacker.get("/")).text


async def test_cookies_are_secure_behind_https(apps: ComposeConfig) -> None:
    app = ComposeApp(apps, secret_key="k")
    transport = httpx.ASGITransport(app=app)
    try:
        for base, secure in (("https://shop.test", True), ("http://shop.test", False)):
            async with httpx.AsyncClient(transport=transport, base_url=base) as client:
                response = await client.get("/login?user=alice")
            cookie = response.headers["set-cookie"]
            assert ("Secure" in cookie) is secure, cookie
            assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    finally:
        await app.aclose()


async def test_an_oversized_session_state_is_refused_with_a_log_line(
    apps: ComposeConfig, serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    store = MemorySessionStore()
    url = await serve(ComposeApp(apps, secret_key="k", session_store=store))
    caplog.set_level(logging.ERROR, logger="orchestrator.asgi")
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/big")
        assert response.status_code == 200
        assert len(store) == 0
        assert (await client.get("/")).status_code == 200
    refused = [r for r in caplog.records if "session state refused" in r.getMessage()]
    assert len(refused) == 1
    assert response.headers["x-request-id"] in refused[0].getMessage()
    assert "over the limit of 64000 bytes" in refused[0].getMessage()


def test_a_shared_store_needs_a_secret_key(
    apps: ComposeConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MFE_SECRET_KEY", raising=False)
    with pytest.raises(ValueError, match="secret_key"):
        ComposeApp(apps, session_store=RedisSessionStore("redis://127.0.0.1:9/0"))


# --- Redis ---------------------------------------------------------------------------------


async def test_two_instances_serve_one_session_alternately_through_one_redis(
    apps: ComposeConfig, serve: Any, redis_server: RedisServer
) -> None:
    workers = [
        await serve(
            ComposeApp(apps, secret_key="shared", session_store=RedisSessionStore(redis_server.url))
        )
        for _ in range(2)
    ]
    async with httpx.AsyncClient() as client:
        signed_in = await client.get(workers[0] + "login?user=alice")
        assert _cookie(signed_in) is not None
        for visit in range(1, 7):
            page = await client.get(workers[visit % 2] + "count")
            assert page.status_code == 200
            assert f"visits={visit}" in page.text and "user=alice" in page.text, page.text
            assert "set-cookie" not in page.headers


async def test_every_worker_hears_a_session_change_through_redis(
    redis_server: RedisServer,
) -> None:
    writer = RedisSessionStore(redis_server.url)
    listener = RedisSessionStore(redis_server.url)
    heard: list[str] = []
    got = asyncio.Event()
    subscribed = asyncio.Event()

    def on_change(sid: str) -> None:
        heard.append(sid)
        got.set()

    listener.subscribe(on_change)
    try:
        for _ in range(200):  # until the subscription is live: a probe save is heard
            await writer.save("probe", b"{}")
            try:
                await asyncio.wait_for(got.wait(), 0.05)
                subscribed.set()
                break
            except TimeoutError:
                continue
        assert subscribed.is_set()
        got.clear()
        await writer.save("sid-42", b'{"g":{"user":"alice"}}')
        await asyncio.wait_for(got.wait(), 5)
        assert heard[-1] == "sid-42"
        assert await listener.load("sid-42") == b'{"g":{"user":"alice"}}'
    finally:
        await writer.aclose()
        await listener.aclose()


async def test_redis_going_away_gives_fresh_sessions_and_its_return_recovers(
    apps: ComposeConfig,
    serve: Any,
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = await serve(
        ComposeApp(apps, secret_key="k", session_store=RedisSessionStore(redis_server.url))
    )
    caplog.set_level(logging.ERROR, logger="orchestrator.asgi")
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        await client.get("/login?user=alice")
        assert "user=alice" in (await client.get("/")).text
        redis_server.stop()  # saves its data on the way down
        while_down = await client.get("/")
        assert while_down.status_code == 200 and "user=-" in while_down.text
        assert any(
            "session store unavailable" in r.getMessage()
            and while_down.headers["x-request-id"] in r.getMessage()
            for r in caplog.records
        )
        count_down = await client.get("/count")  # a write while down is logged, not fatal
        assert count_down.status_code == 200
        await redis_server.start()
        back = await client.get("/")
        assert back.status_code == 200 and "user=alice" in back.text, back.text


async def test_a_hanging_redis_costs_its_socket_timeout_not_the_page(
    apps: ComposeConfig, serve: Any, redis_server: RedisServer
) -> None:
    store = RedisSessionStore(redis_server.url, socket_timeout=0.3)
    url = await serve(ComposeApp(apps, secret_key="k", session_store=store))
    assert redis_server.process is not None
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        await client.get("/login?user=alice")
        redis_server.process.send_signal(signal.SIGSTOP)  # up, but answering nothing
        try:
            started = time.perf_counter()
            stalled = await client.get("/")
            took = time.perf_counter() - started
        finally:
            redis_server.process.send_signal(signal.SIGCONT)
        assert stalled.status_code == 200 and "user=-" in stalled.text
        assert took < 1.5, f"{took:.2f} s with Redis stopped"
        back = await client.get("/")
        assert "user=alice" in back.text
