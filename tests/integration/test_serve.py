"""``mfe serve`` as a user runs it: a real process, real ports, Ctrl-C, one-line errors, and
``--workers 2`` sharing one session through a real ``redis-server``."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from orchestrator import __version__
from orchestrator.testing import LoopbackServer, Reply

_WHO = """<html><body><span id="user"></span><script type="text/python">
def bootstrap(props):
    pass

def mount(props):
    container = props["container"]
    def show(state, prev):
        for el in container.cssselect("#user"):
            el.text = "user=" + (state.get("user") or "-")
    props["on_global_state_change"](show, fire_immediately=True)

def unmount(props):
    pass
</script></body></html>"""
_LOGIN = """<html><body><p>login</p><script type="text/python">
from urllib.parse import parse_qs

def bootstrap(props):
    pass

def mount(props):
    query = parse_qs(props["orchestrator"].location.search.lstrip("?"))
    props["set_global_state"]({"user": query.get("user", [""])[0]})

def unmount(props):
    pass
</script></body></html>"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Path]:
    with LoopbackServer() as upstream:
        upstream.route("/who/", Reply(body=_WHO))
        upstream.route("/login/", Reply(body=_LOGIN))
        (tmp_path / "shell.html").write_text(
            "<html><body><div id='who'></div><main id='main'></main></body></html>"
        )
        config = tmp_path / "site.toml"
        config.write_text(
            f"""shell = "shell.html"
[options]
prefetch = false
[global_state]
user = ""
[[apps]]
name = "who"
entry = "{upstream.url_for("/who/")}"
container = "#who"
active_rule = "/"
layout = true
[[apps]]
name = "login"
entry = "{upstream.url_for("/login/")}"
container = "#main"
active_rule = "/login"
primary = true
"""
        )
        yield config


def _mfe(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


async def _wait_until_listening(port: int, process: asyncio.subprocess.Process) -> None:
    for _ in range(1000):  # bounded: uvicorn is up within seconds
        if process.returncode is not None:
            raise AssertionError(f"mfe serve exited with {process.returncode}")
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.02)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError("mfe serve did not listen within 20 s")


@pytest.fixture
async def mfe_serve() -> AsyncIterator[Any]:
    processes: list[asyncio.subprocess.Process] = []

    async def start(*arguments: str, env: dict[str, str] | None = None) -> Any:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "orchestrator.cli",
            "serve",
            *arguments,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **(env or {})},
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


def test_version() -> None:
    done = _mfe("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"mfe {__version__}"


async def test_serve_answers_pages_and_stops_on_ctrl_c(site: Path, mfe_serve: Any) -> None:
    port = _free_port()
    process = await mfe_serve(str(site), "--port", str(port))
    await _wait_until_listening(port, process)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        home = await client.get("/")
        assert home.status_code == 200 and "user=-" in home.text
        signed_in = await client.get("/login?user=alice")
        assert signed_in.status_code == 200 and "set-cookie" in signed_in.headers
        assert "user=alice" in (await client.get("/")).text
        assert (await client.get("/nowhere")).status_code == 404
    process.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(process.wait(), 15) == 0
    assert process.stdout is not None
    out = (await process.stdout.read()).decode()
    assert f"127.0.0.1:{port}" in out and "Stopped." in out


@pytest.mark.parametrize(
    ("arguments", "status", "expected"),
    [
        (["--port", "0"], 2, "--port: must be from 1 to 65535, got 0"),
        (["--port", "http"], 2, "--port: must be an integer from 1 to 65535, got 'http'"),
        (["--workers", "0"], 2, "--workers: must be at least 1, got 0"),
        (["--workers", "2"], 1, "--workers 2 needs --redis URL"),
        (["--redis", "http://x"], 1, "--redis must be a redis:// URL"),
    ],
)
def test_bad_options_are_one_line_without_a_traceback(
    site: Path, arguments: list[str], status: int, expected: str
) -> None:
    done = _mfe("serve", str(site), *arguments)
    assert done.returncode == status
    assert expected in done.stderr and "Traceback" not in done.stderr


def test_a_config_error_is_one_line_naming_file_key_and_type(tmp_path: Path) -> None:
    (tmp_path / "shell.html").write_text("<html><body></body></html>")
    config = tmp_path / "bad.toml"
    config.write_text(
        'shell = "shell.html"\nstream = "yes"\n[[apps]]\nname = "a"\n'
        'entry = "http://127.0.0.1:9/"\ncontainer = "#a"\nactive_rule = "/"\n'
    )
    done = _mfe("serve", str(config))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line == f"mfe serve: {config}: key 'stream': must be a boolean, got a string ('yes')"


async def test_a_busy_port_is_one_line(site: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = await asyncio.to_thread(_mfe, "serve", str(site), "--port", str(port))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr


def test_two_workers_need_a_secret_key(site: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MFE_SECRET_KEY"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "orchestrator.cli",
            "serve",
            str(site),
            "--workers",
            "2",
            "--redis",
            "redis://127.0.0.1:9/0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 1 and "needs MFE_SECRET_KEY" in done.stderr


# --- two workers, one Redis --------------------------------------------------------------------


@pytest.fixture
async def redis_url(tmp_path: Path) -> AsyncIterator[str]:
    executable = shutil.which("redis-server")
    if executable is None:
        message = "redis-server is not installed (make test installs Debian's redis-server)"
        pytest.fail(message, pytrace=False)  # a missing dependency fails, never skips
    port = _free_port()
    arguments = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path)]
    arguments += ["--save", "", "--appendonly", "no"]
    process = await asyncio.create_subprocess_exec(
        executable, *arguments, stdout=asyncio.subprocess.DEVNULL
    )
    try:
        await _wait_until_listening(port, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        await process.wait()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


async def test_two_workers_share_one_session_through_redis(
    site: Path, mfe_serve: Any, redis_url: str
) -> None:
    port = _free_port()
    process = await mfe_serve(
        str(site),
        "--port",
        str(port),
        "--workers",
        "2",
        "--redis",
        redis_url,
        env={"MFE_SECRET_KEY": "one-key-for-all-workers"},
    )
    await _wait_until_listening(port, process)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as client:
        signed_in = await client.get("/login?user=alice")
        assert signed_in.status_code == 200
        cookie = client.cookies["mfe_session"]
    for _ in range(200):  # bounded: until both worker processes are there
        if len(_children(process.pid)) >= 2:
            break
        await asyncio.sleep(0.05)
    assert len(_children(process.pid)) >= 2
    pages = []
    for _ in range(20):  # a new connection each time: either worker may take it
        async with httpx.AsyncClient(base_url=base, cookies={"mfe_session": cookie}) as fresh:
            pages.append(await fresh.get("/"))
    assert all(p.status_code == 200 and "user=alice" in p.text for p in pages)
