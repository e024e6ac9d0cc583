"""Live deployments: what revalidating an unchanged entry costs next to a cold import, and what
watching 100 apps costs when nothing changes. Everything over real HTTP on 127.0.0.1.

Run: ``python tests/perf/bench_live.py`` (JSON lines in the anchors schema, ``bench: live``).

Rows (``input``: the anchors' 5 KB ``app_index.html`` with its stylesheet and script, and a
~500 KB page made from it):
  cold import        a loader with empty caches (its HTTP store too): entry 200, parse, assets
  revalidate (304)   the entry is stale (``no-cache``): a conditional request answered 304, a
                     hash of the body; no decode, no parse; assets pinned to the version
  fresh (max-age)    within max-age: no I/O at all (today's warm path)
The import rows' app server runs in a child process: ``cpu_ms_per_op`` (and ``cpu_vs_cold``) is
the composer's own CPU, what the "< 10 % of a cold import" target is about; ``ms_per_op`` is
wall time, the child's work included. And ``live_polling``: CPU used by this process (loader,
100 app servers, uvicorn) while 100 watched apps long-poll manifests that never change, as a
share of one core.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from _timing import RUNS, emit, summarize

from orchestrator.html_entry import EntryLoader
from orchestrator.html_entry.live import LiveOptions
from orchestrator.publish import AppServer
from orchestrator.serve import LoopbackASGIServer

KIT = Path(__file__).resolve().parents[3] / "shared" / "anchors" / "inputs"
RUN_SECONDS = 0.6
_LINKED = re.compile(r"<link\b[^>]*>|<script\b[^>]*\bsrc\s*=[^>]*>(?:\s*</script>)?", re.I)


def small_page() -> str:
    path = KIT / "app_index.html"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    items = "".join(f"<li class='item'>item {i}</li>" for i in range(120))
    return (
        f"<!DOCTYPE html><html><head><title>app</title></head><body><ul>{items}</ul></body></html>"
    )


def make_app(directory: Path, body: str) -> None:
    """The page, with one stylesheet and one (JavaScript, passthrough) script it links."""
    head = '<link rel="stylesheet" href="live.css"><script src="live.js"></script>'
    body = _LINKED.sub("", body)  # the kit's own links point at files we do not have
    page = body.replace("</head>", head + "</head>", 1) if "</head>" in body else head + body
    (directory / "index.html").write_text(page, encoding="utf-8")
    (directory / "live.css").write_text(".live { color: red }\n" * 50)
    (directory / "live.js").write_text("console.log('live');\n" * 50)


async def time_box(fn: Callable[[], Awaitable[object]]) -> dict[str, Any]:
    """Wall time per op, and this process's CPU per op: the app server runs in a child process,
    so ``cpu_ms_per_op`` is what the composer itself pays (the issue's "cost")."""
    for _ in range(5):  # warm-up
        await fn()
    ops, cpu = [], []
    for _ in range(RUNS):
        calls, start, used = 0, time.perf_counter(), time.process_time()
        while calls < 3 or time.perf_counter() - start < RUN_SECONDS:
            await fn()
            calls += 1
        ops.append(calls / (time.perf_counter() - start))
        cpu.append(1000 * (time.process_time() - used) / calls)
    return {**summarize(ops), "cpu_ms_per_op": float(f"{statistics.median(cpu):.4g}")}


@contextlib.asynccontextmanager
async def app_process(directory: Path, max_age: int) -> AsyncIterator[str]:
    """``AppServer(directory)`` under uvicorn in a child process on a free 127.0.0.1 port: its
    CPU is not this process's. Yields its base URL; stopped (bounded) on exit."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = (
        "import sys, uvicorn; from orchestrator.publish import AppServer; "
        "uvicorn.run(AppServer(sys.argv[1], name='bench', max_age=int(sys.argv[2])), "
        "host='127.0.0.1', port=int(sys.argv[3]), log_level='warning', lifespan='off')"
    )
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, str(directory), str(max_age), str(port)
    )
    try:
        for _ in range(200):  # bounded: 10 s
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            break
        else:
            raise RuntimeError(f"the app server on port {port} did not start")
        yield f"http://127.0.0.1:{port}/"
    finally:
        child.terminate()
        try:
            await asyncio.wait_for(child.wait(), 5)
        except TimeoutError:
            child.kill()
            await child.wait()


async def import_rows(name: str, body: str) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        make_app(directory, body)
        for label, max_age in (("cold import", 0), ("revalidate (304)", 0), ("fresh", 3600)):
            async with app_process(directory, max_age) as base, EntryLoader() as loader:
                url = base + "index.html"

                async def once(loader: EntryLoader = loader, url: str = url) -> object:
                    imported = await loader.import_entry(url)
                    await imported.get_external_style_sheets()
                    return await imported.get_external_scripts()

                if label == "cold import":

                    async def cold(loader: EntryLoader = loader, once: Any = once) -> object:
                        loader.clear()  # every cache, the HTTP store too
                        return await once()

                    row = await time_box(cold)
                else:
                    await once()
                    row = await time_box(once)
                    if label.startswith("revalidate"):
                        row["check"] = {"revalidations": loader.pages.revalidations}
            impl = f"mfe-orchestrator EntryLoader {label}"  # the anchors' table keys rows by impl
            rows.append({"bench": "live", "impl": impl, "name": label, "input": name, **row})
    cold_ms, cold_cpu = rows[0]["ms_per_op"], rows[0]["cpu_ms_per_op"]
    for row in rows:
        row["vs_cold"] = float(f"{row['ms_per_op'] / cold_ms:.4g}")
        row["cpu_vs_cold"] = float(f"{row['cpu_ms_per_op'] / cold_cpu:.4g}")
    return rows


async def polling_row(apps: int = 100, seconds: float = 3.0) -> dict[str, Any]:
    """CPU share while ``apps`` watched apps poll unchanged manifests (held ``hold`` s each)."""
    hold = 1.0  # shorter than the real 60 s, so the window sees a poll cycle per app each second
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        make_app(directory, small_page())
        servers = [
            LoopbackASGIServer(AppServer(directory, name=f"app{i}", hold=hold), lifespan="off")
            for i in range(apps)
        ]
        await asyncio.gather(*(server.start() for server in servers))
        try:
            options = LiveOptions(poll_interval=0.0)
            async with EntryLoader(live=options) as loader:
                urls = [server.url + "index.html" for server in servers]
                await asyncio.gather(*(loader.import_entry(url) for url in urls))
                loader.watch()
                await asyncio.sleep(hold * 1.5)  # every app past its first download
                polls_before = sum(loader.manifest_polls(url) for url in urls)
                cpu, wall = time.process_time(), time.perf_counter()
                await asyncio.sleep(seconds)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                polls = sum(loader.manifest_polls(url) for url in urls) - polls_before
        finally:
            await asyncio.gather(*(server.stop() for server in servers))
    share = cpu / wall
    return {
        "bench": "live_polling",
        "impl": "mfe-orchestrator EntryLoader.watch()",
        "name": f"{apps} apps, hold {hold:g} s",
        "input": f"{apps} apps, hold {hold:g} s",
        "polls": polls,
        "polls_per_s": float(f"{polls / wall:.4g}"),
        "cpu_share_of_one_core": float(f"{share:.4g}"),
        "cpu_ms_per_poll": float(f"{1000 * cpu / max(polls, 1):.4g}"),
        "projected_share_at_60s_hold": float(f"{share * hold / 60:.4g}"),
    }


async def main() -> int:
    small = small_page()
    big = small.replace("</body>", (small.split("<body", 1)[-1] * 100) + "</body>", 1)
    for name, body in (("app_index.html", small), ("large_page (~500 KB)", big)):
        for row in await import_rows(name, body):
            emit(row)
    emit(await polling_row())
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
