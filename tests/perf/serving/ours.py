"""Our side: ``ComposeApp`` for a TOML composition, or the static-shell limit, under uvicorn.

Usage: ``python ours.py compose CONFIG.toml`` or ``python ours.py static PAGE.html``, optionally
``--http h11|httptools|auto``. One process, one uvicorn worker, on a free 127.0.0.1 port; prints
``{"port": N, ...}`` on one line and serves until its standard input closes (or SIGTERM).
``python ours.py serve CONFIG.toml --workers N`` runs ``mfe serve`` itself (N uvicorn workers,
sessions in a ``redis-server`` it starts on a free port, one secret key), as a deployment would.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import socket
import sys
import threading
from importlib.metadata import version
from pathlib import Path
from typing import Any

import uvicorn

_NO_SHARING = {"cache-control": "private, no-store", "vary": "Cookie"}


def static_page(page: str) -> Any:
    """A plain Starlette app answering every GET with one page: the stack's own ceiling."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    async def endpoint(request: Request) -> HTMLResponse:
        return HTMLResponse(page, headers=_NO_SHARING)

    return Starlette(routes=[Route("/{path:path}", endpoint)])


def compose_app(config_path: Path) -> Any:
    """``ComposeApp`` for the composition a TOML file describes, as it is configured today."""
    from orchestrator.asgi import ComposeApp
    from orchestrator.config import load_config

    return ComposeApp(load_config(config_path))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    import http.client

    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/")
        ok = connection.getresponse().status == 200
        connection.close()
        return ok
    except OSError:
        return False


def mfe_serve(config_path: Path, workers: int) -> int:
    """``mfe serve CONFIG --workers N --redis URL`` and its Redis; stopped when stdin closes."""
    import os
    import shutil
    import subprocess
    import time

    redis_port, port = _free_port(), _free_port()
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        raise SystemExit("redis-server is not installed (make test installs Debian's package)")
    redis_argv = [redis_server, "--port", str(redis_port), "--bind", "127.0.0.1"]
    redis_argv += ["--save", "", "--appendonly", "no"]
    redis = subprocess.Popen(redis_argv, stdout=subprocess.DEVNULL)
    mfe = [sys.executable, "-m", "orchestrator.cli", "serve", str(config_path)]
    mfe += ["--port", str(port), "--workers", str(workers)]
    mfe += ["--redis", f"redis://127.0.0.1:{redis_port}/0"]
    env = {**os.environ, "MFE_SECRET_KEY": "bench-secret-key-0123456789abcdef"}
    serve = subprocess.Popen(mfe, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not _answers(port):
            if serve.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"mfe serve did not start: {' '.join(mfe)}")
            time.sleep(0.1)
        line = {"port": port, "workers": workers, "uvicorn": version("uvicorn")}
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
        sys.stdin.read()
    finally:
        for process in (serve, redis):
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0


def _http_impl(asked: str) -> str:
    if asked != "auto":
        return asked
    return "httptools" if importlib.util.find_spec("httptools") else "h11"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=("compose", "static", "serve"))
    parser.add_argument("path", type=Path)
    parser.add_argument("--http", default="auto", choices=("auto", "h11", "httptools"))
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if args.kind == "serve":
        return mfe_serve(args.path, args.workers)
    if args.kind == "compose":
        app = compose_app(args.path)
    else:
        app = static_page(args.path.read_text(encoding="utf-8"))
    http = _http_impl(args.http)
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
    # without it a response written in two parts waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app,
        http=http,
        lifespan="on" if args.kind == "compose" else "off",
        log_level="warning",
        access_log=False,
        timeout_keep_alive=30,
        timeout_graceful_shutdown=3,
        backlog=1024,
    )
    server = uvicorn.Server(config)

    async def run() -> None:
        loop = asyncio.get_running_loop()

        def wait_for_eof() -> None:
            sys.stdin.read()
            loop.call_soon_threadsafe(setattr, server, "should_exit", True)

        threading.Thread(target=wait_for_eof, daemon=True).start()
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if serving.done():
                await serving
                raise SystemExit("uvicorn stopped while starting")
            await asyncio.sleep(0.01)
        line = {
            "port": sock.getsockname()[1],
            "http": http,
            "loop": config.loop,
            "uvicorn": version("uvicorn"),
            "starlette": version("starlette"),
        }
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
        await serving

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
