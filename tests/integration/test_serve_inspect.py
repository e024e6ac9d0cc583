"""``mfe serve --inspect``: the inspector beside the composition (off by default), with each app's
version, health and load/mount times, and never the dev reload client in a page."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from orchestrator.config import load_config
from orchestrator.dev import INSPECTOR_PATH, inspected_app
from orchestrator.html_entry.live import Health
from orchestrator.serve import LoopbackASGIServer
from orchestrator.testing import LoopbackServer, Reply

_APP = """<html><body><p id="hello">hello</p><script type="text/python">
def bootstrap(props):
    pass

def mount(props):
    pass

def unmount(props):
    pass
</script></body></html>"""
HEALTH_STATES = {state.value for state in Health}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Path]:
    with LoopbackServer() as upstream:
        upstream.route("/hello/", Reply(body=_APP, headers={"x-mfe-version": "7.1.0"}))
        (tmp_path / "shell.html").write_text(
            "<html><head></head><body><main id='main'></main></body></html>"
        )
        config = tmp_path / "site.toml"
        config.write_text(
            f"""shell = "shell.html"
[options]
prefetch = false
[[apps]]
name = "hello"
entry = "{upstream.url_for("/hello/")}"
container = "#main"
active_rule = "/hello"
"""
        )
        yield config


async def _serve(*arguments: str) -> tuple[asyncio.subprocess.Process, int]:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "orchestrator.cli",
        "serve",
        *arguments,
        "--port",
        str(port),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
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
        return process, port
    process.kill()
    raise AssertionError("mfe serve did not listen within 20 s")


@pytest.fixture
async def stop_after() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    processes: list[asyncio.subprocess.Process] = []
    yield processes
    for process in processes:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_serve_inspect_serves_the_inspector_and_no_reload_client(
    site: Path, stop_after: list[asyncio.subprocess.Process]
) -> None:
    process, port = await _serve(str(site), "--inspect")
    stop_after.append(process)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        home = await client.get("/hello")
        assert home.status_code == 200 and 'id="hello"' in home.text
        assert "data-mfe-dev" not in home.text  # mfe serve never injects the reload client
        page = await client.get(INSPECTOR_PATH)
        assert page.status_code == 200 and "mfe inspector" in page.text
        assert "WebSocket" not in page.text  # no broker here: it polls its records
        data: dict[str, Any] = (await client.get(INSPECTOR_PATH + ".json")).json()
    (app,) = data["apps"]
    assert app["name"] == "hello" and app["status"] == "ready"
    assert app["version"] == "7.1.0" and app["version_source"] == "x-mfe-version"
    assert app["health"] in HEALTH_STATES - {"instantiated"}
    assert app["entry"].endswith("/hello/")
    assert app["last_load_ms"] >= 0 and app["last_mount_ms"] >= 0
    (request,) = data["requests"]
    assert request["path"] == "/hello" and request["apps"][0]["mount_ms"] >= 0
    process.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(process.wait(), 15) == 0
    assert process.stdout is not None
    out = (await process.stdout.read()).decode()
    assert f"Inspector: http://127.0.0.1:{port}{INSPECTOR_PATH}" in out


async def test_without_inspect_there_is_no_inspector(
    site: Path, stop_after: list[asyncio.subprocess.Process]
) -> None:
    process, port = await _serve(str(site))
    stop_after.append(process)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        assert (await client.get("/hello")).status_code == 200
        assert (await client.get(INSPECTOR_PATH)).status_code == 404
        assert (await client.get(INSPECTOR_PATH + ".json")).status_code == 404


def test_inspect_with_several_workers_is_one_line(site: Path) -> None:
    command = [sys.executable, "-m", "orchestrator.cli", "serve", str(site)]
    done = subprocess.run(
        [*command, "--inspect", "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MFE_SECRET_KEY": "k" * 32},
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "mfe serve: --inspect shows the requests of one process; use it without --workers 2"
    ]


async def test_the_inspected_app_closes_what_it_made(site: Path) -> None:
    app = inspected_app(load_config(site))
    handlers = logging.getLogger("orchestrator.asgi").handlers
    assert any(type(h).__name__ == "FailureLogHandler" for h in handlers)
    async with (
        LoopbackASGIServer(app, lifespan="on") as server,
        httpx.AsyncClient(base_url=server.url) as client,
    ):
        assert (await client.get("/hello")).status_code == 200
    loader = app.composer.tracing_loader  # type: ignore[attr-defined]
    assert loader.closed
    assert not any(
        type(h).__name__ == "FailureLogHandler"
        for h in logging.getLogger("orchestrator.asgi").handlers
    )
