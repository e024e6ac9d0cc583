"""Figures for the trust boundary (docs/reliability.md, Security): what an attack costs us.

- peak memory while refusing decompression bombs (one gzip layer, and ``gzip, gzip``) with
  ``max_bytes`` = 1 MB;
- the longest event-loop stall while a 5 MB stylesheet is scoped, with the work off the loop
  (as shipped) and, side by side in this run, forced onto it (what it was);
- requests made for an entry that lists 2,000 stylesheets.

Run: ``python tests/perf/bench_trust.py``; prints one JSON line per figure.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import sys
import tracemalloc
from typing import Any

import orchestrator.html_entry._loader as loader_module
import orchestrator.micro_apps._styles as styles_module
from orchestrator import EntryLoader, EntryLoadError, Orchestrator
from orchestrator.testing import LoopbackServer, Reply

SHELL = '<!DOCTYPE html><html><head></head><body><main id="main"></main></body></html>'


def emit(row: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(row) + "\n")
    sys.stdout.flush()


async def bomb_peak(server: LoopbackServer, layers: int) -> tuple[float, str]:
    body = b"<p>" + b"\0" * 300_000_000
    for _ in range(layers):
        body = gzip.compress(body, 9)
    coding = ", ".join(["gzip"] * layers)
    path = f"/bomb{layers}.html"
    server.route(path, Reply(body=body, headers={"content-encoding": coding}))
    del body
    async with EntryLoader(max_bytes=1_000_000) as loader:
        tracemalloc.start()
        try:
            await loader.fetch_entry_html(server.url_for(path))
            outcome = "accepted"
        except EntryLoadError as error:
            outcome = error.reason
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak / 1e6, outcome


async def longest_stall(server: LoopbackServer, *, off_loop: bool) -> tuple[float, float]:
    rule = "html body .card > .title, :root .x:hover { color: red; background: url(i.png) }\n"
    css = rule * (5_000_000 // len(rule))
    name = "off" if off_loop else "on"
    server.route(f"/{name}/big.css", Reply(body=css, content_type="text/css"))
    server.route(
        f"/{name}/index.html", Reply(body='<link rel="stylesheet" href="big.css"><div>a</div>')
    )
    threshold = loader_module.OFF_LOOP_BYTES if off_loop else 10**12
    saved = (loader_module.OFF_LOOP_BYTES, styles_module.OFF_LOOP_BYTES)
    loader_module.OFF_LOOP_BYTES = styles_module.OFF_LOOP_BYTES = threshold
    gaps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while not stop.is_set():
            await asyncio.sleep(0.002)
            now = loop.time()
            gaps.append(now - last)
            last = now

    try:
        async with (
            EntryLoader(trusted_origins=[]) as loader,
            Orchestrator(SHELL, url="http://localhost/app", loader=loader) as tab,
        ):
            tab.register_micro_apps(
                [{"name": "app", "entry": server.url_for(f"/{name}/index.html"),
                  "container": "#main", "active_rule": "/app"}]
            )  # fmt: skip
            ticking = asyncio.create_task(ticker())
            loop = asyncio.get_running_loop()
            started = loop.time()
            await tab.start(prefetch=False, sandbox={"experimental_style_isolation": True})
            total = loop.time() - started
            stop.set()
            await ticking
            assert tab.get_mounted_apps() == ["app"]
    finally:
        loader_module.OFF_LOOP_BYTES, styles_module.OFF_LOOP_BYTES = saved
    return max(gaps) * 1000, total * 1000


async def requests_for_2000_assets(server: LoopbackServer) -> int:
    links = "".join(f'<link rel="stylesheet" href="s{i}.css">' for i in range(2000))
    server.route("/many/index.html", Reply(body=f"<html><head>{links}</head></html>"))
    before = len(server.requests)
    async with EntryLoader() as loader:
        with contextlib.suppress(EntryLoadError):  # refused: the figure is the request count
            await loader.import_entry(server.url_for("/many/index.html"))
    return len(server.requests) - before


async def main() -> None:
    with LoopbackServer() as server:
        for layers in (1, 2):
            peak, outcome = await bomb_peak(server, layers)
            emit(
                {
                    "bench": "decompression_bomb",
                    "input": f"300 MB of zeros, {layers} gzip layer(s), max_bytes 1 MB",
                    "peak_mb": round(peak, 2),
                    "outcome": outcome,
                }
            )
        for off_loop in (True, False):
            stall, total = await longest_stall(server, off_loop=off_loop)
            emit(
                {
                    "bench": "loop_stall_scoping_5mb",
                    "impl": "off the loop (as shipped)" if off_loop else "on the loop (forced)",
                    "longest_stall_ms": round(stall, 1),
                    "load_and_mount_ms": round(total, 1),
                }
            )
        emit(
            {
                "bench": "asset_budget",
                "input": "an entry listing 2,000 stylesheets",
                "requests": await requests_for_2000_assets(server),
            }
        )


if __name__ == "__main__":
    asyncio.run(main())
