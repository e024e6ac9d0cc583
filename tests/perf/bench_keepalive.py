"""Keep-alive against a real remount: hide + show of a kept app vs unmount + mount of the same
app (issue 17 target: ≥ 10× faster), side by side in one run.

The app renders a 200-row list, starts 100 timers and adds 20 window listeners on mount, as a
small real page might. Each cycle navigates away and back; reported: ms per cycle (median of
runs), for the whole navigation and for the app's own leave + return alone.

Run: ``python tests/perf/bench_keepalive.py``; prints JSON lines.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import textwrap
import time
from typing import Any

from orchestrator import EntryLoader, Orchestrator

SHELL = '<!DOCTYPE html><html><head></head><body><main id="main"></main></body></html>'
APP = textwrap.dedent(
    """
    import lxml.html

    def bootstrap(props):
        pass

    def mount(props):
        root = props["container"].cssselect("#root")[0]
        for i in range(200):
            item = lxml.html.Element("li")
            item.text = f"product {i}"
            root.append(item)
        for i in range(100):
            window.set_interval(lambda: None, 60_000)
        for i in range(20):
            window.add_event_listener(f"evt{i}", lambda e: None)

    def unmount(props):
        root = props["container"].cssselect("#root")
        if root:
            for child in list(root[0]):
                root[0].remove(child)
    """
)
CYCLES = 200
RUNS = 5


async def fetch(url: str) -> str:
    return (
        '<!DOCTYPE html><html><body><ul id="root"></ul>'
        f'<script type="text/python" entry>{APP}</script></body></html>'
    )


async def one_run(keep_alive: bool) -> tuple[float, float]:
    async with (
        EntryLoader(fetch=fetch) as loader,
        Orchestrator(SHELL, url="http://localhost/shop", loader=loader) as tab,
    ):
        tab.register_micro_apps(
            [{"name": "shop", "entry": "http://127.0.0.1:9/shop/index.html",
              "container": "#main", "active_rule": "/shop", "keep_alive": keep_alive}]
        )  # fmt: skip
        await tab.start(prefetch=False)
        app_time = 0.0

        def timed(name: str) -> None:
            nonlocal app_time
            lifecycles = tab._registry.get(name).lifecycles
            assert lifecycles is not None
            for attr in ("mount", "unmount"):
                original = getattr(lifecycles, attr)

                async def wrapped(props: Any, _original: Any = original) -> None:
                    nonlocal app_time
                    started = time.perf_counter()
                    await _original(props)
                    app_time += time.perf_counter() - started

                object.__setattr__(lifecycles, attr, wrapped)

        timed("shop")
        started = time.perf_counter()
        for _ in range(CYCLES):
            await tab.navigate("/away")
            await tab.navigate("/shop")
        total = time.perf_counter() - started
        assert tab.get_mounted_apps() == ["shop"]
    return total / CYCLES * 1000, app_time / CYCLES * 1000


async def main() -> None:
    rows: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for _ in range(RUNS):
        for keep_alive in (True, False):  # interleaved: noise lands on both
            rows[keep_alive].append(await one_run(keep_alive))
    figures = {}
    for keep_alive, runs in rows.items():
        nav = statistics.median(r[0] for r in runs)
        app = statistics.median(r[1] for r in runs)
        figures[keep_alive] = (nav, app)
        sys.stdout.write(
            json.dumps(
                {
                    "bench": "keep_alive_cycle",
                    "impl": "hide + show (keep_alive)" if keep_alive else "unmount + mount",
                    "input": "200-row list, 100 timers, 20 listeners",
                    "ms_per_cycle_navigation": round(nav, 4),
                    "ms_per_cycle_app": round(app, 4),
                }
            )
            + "\n"
        )
    sys.stdout.write(
        json.dumps(
            {
                "bench": "keep_alive_ratio",
                "navigation_speedup": round(figures[False][0] / figures[True][0], 2),
                "app_speedup": round(figures[False][1] / figures[True][1], 2),
            }
        )
        + "\n"
    )


if __name__ == "__main__":
    asyncio.run(main())
