"""ComposeApp throughput: /catalog composed per session vs. the same server sending the shell.

Run: ``python tests/perf/bench_asgi.py`` (no arguments; prints only JSON lines, anchors schema).
A child process serves the demo apps, ComposeApp and a static-shell app under uvicorn on loopback;
this process drives them with 32 keep-alive clients, each holding its own session cookie.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RUNS = max(3, int(os.environ.get("ANCHOR_RUNS", "5")))
RUN_SECONDS = float(os.environ.get("ANCHOR_RUN_SECONDS", "1.0"))
WARMUP_SECONDS = float(os.environ.get("ANCHOR_WARMUP_SECONDS", "0.5"))
CLIENTS = 32
PATH = "/catalog"


# --- the server side (child process) ----------------------------------------------------------


async def _serve() -> None:
    from starlette.types import Receive, Scope, Send

    from orchestrator.asgi import ComposeApp
    from orchestrator.config import load_config
    from orchestrator.serve import LoopbackASGIServer, find_demo_config, serve_app_dirs

    config = load_config(find_demo_config())
    shell = config.shell_html.encode()
    headers = [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", str(len(shell)).encode()),
        (b"cache-control", b"private, no-store"),
        (b"vary", b"Cookie"),
    ]

    async def static_shell(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": shell})

    async with serve_app_dirs(config) as served:
        composed = ComposeApp(served, max_sessions=CLIENTS * 4)
        async with (
            LoopbackASGIServer(composed, lifespan="on") as compose_server,
            LoopbackASGIServer(static_shell, lifespan="off") as static_server,
        ):
            ready = {"compose": compose_server.port, "static": static_server.port}
            sys.stdout.write(json.dumps(ready) + "\n")
            sys.stdout.flush()
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


# --- the client side --------------------------------------------------------------------------


@dataclass
class _Client:
    port: int
    cookie: str | None = None
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    latencies: list[float] = field(default_factory=list)
    last_status: int = 0
    last_body: bytes = b""

    async def get(self, path: str) -> None:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        cookie = f"Cookie: {self.cookie}\r\n" if self.cookie else ""
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n{cookie}\r\n"
        started = time.perf_counter()
        self.writer.write(request.encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.last_status = int(lines[0].split()[1])
        length = 0
        chunked = False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                chunked = True  # a streamed page (the composer flushes the shell first)
            elif name.lower() == "set-cookie":
                self.cookie = value.strip().split(";", 1)[0]
        if chunked:
            self.last_body = await self._read_chunks(self.reader)
        else:
            self.last_body = await self.reader.readexactly(length)
        self.latencies.append(time.perf_counter() - started)

    @staticmethod
    async def _read_chunks(reader: asyncio.StreamReader) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def _drive(clients: list[_Client], path: str, seconds: float) -> tuple[int, float]:
    deadline = time.perf_counter() + seconds
    count = 0

    async def loop(client: _Client) -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            await client.get(path)
            count += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in clients))
    return count, time.perf_counter() - started


async def _measure(port: int, path: str) -> dict[str, Any]:
    clients = [_Client(port) for _ in range(CLIENTS)]
    try:
        for client in clients:  # one by one: every client gets its session and warm caches
            await client.get(path)
        await _drive(clients, path, WARMUP_SECONDS)
        for client in clients:
            client.latencies.clear()
        ops = []
        for _ in range(RUNS):
            count, elapsed = await _drive(clients, path, RUN_SECONDS)
            ops.append(count / elapsed)
        latencies = sorted(lat for client in clients for lat in client.latencies)
        sample = clients[0]
        return {
            "ops": ops,
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
            "requests": len(latencies),
            "status": sample.last_status,
            "bytes": len(sample.last_body),
            "body": sample.last_body,
            "sessions": len({c.cookie for c in clients if c.cookie}),
        }
    finally:
        for client in clients:
            await client.close()


def _line(bench: str, impl: str, measured: dict[str, Any], check: dict[str, Any]) -> str:
    ops = measured["ops"]
    med = statistics.median(ops)
    return json.dumps(
        {
            "bench": bench,
            "impl": impl,
            "input": f"demo/demo.toml {PATH}",
            "runs": len(ops),
            "ops_per_s_runs": [float(f"{x:.5g}") for x in ops],
            "ops_per_s": float(f"{med:.5g}"),
            "ms_per_op": float(f"{1000 / med:.5g}"),
            "ops_per_s_best": float(f"{max(ops):.5g}"),
            "bytes": measured["bytes"],
            "mb_per_s": float(f"{measured['bytes'] * med / 1e6:.5g}"),
            "check": {
                "status": measured["status"],
                "concurrency": CLIENTS,
                "p50_ms": round(measured["p50_ms"], 3),
                "p99_ms": round(measured["p99_ms"], 3),
                "requests": measured["requests"],
                **check,
            },
        }
    )


async def _bench(ports: dict[str, int]) -> list[str]:
    static = await _measure(ports["static"], PATH)
    composed = await _measure(ports["compose"], PATH)
    stack = f"uvicorn {version('uvicorn')}, starlette {version('starlette')}"
    ratio = statistics.median(composed["ops"]) / statistics.median(static["ops"])
    body = composed["body"].decode("utf-8", "replace")
    return [
        _line("asgi_static_shell", f"static shell HTML ({stack})", static, {}),
        _line(
            "asgi_compose",
            f"ComposeApp, session per client, warm caches ({stack})",
            composed,
            {
                "sessions": composed["sessions"],
                "products_in_page": body.count('class="product"'),
                "scoped": 'data-qiankun="catalog"' in body,
                "ratio_to_static": round(ratio, 3),
                "target_ratio": 1 / 3,
                "meets_target": ratio >= 1 / 3,
            },
        ),
    ]


def main() -> int:
    if sys.argv[1:] == ["--serve"]:
        asyncio.run(_serve())
        return 0
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        ready = child.stdout.readline()
        if not ready:
            print("bench_asgi: the server process did not start", file=sys.stderr)
            return 1
        for line in asyncio.run(_bench(json.loads(ready))):
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
        child.stdin.close()
        child.wait(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
