"""Composing a page from three HTML-entry apps: pages per second, warm and cold, against a floor.

Warm: a fresh orchestrator per page sharing one warm ``EntryLoader`` (entries, assets, compiled
code and scoped CSS cached). Cold: a new loader per page, so every entry and asset is fetched
over loopback HTTP. Floor: lxml parsing and serialising the final composed page once.
Prints JSON lines in the anchors schema (``python tests/perf/bench_compose.py``).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any

import lxml.html

from orchestrator import EntryLoader, Orchestrator
from orchestrator.testing import LoopbackServer, Reply

RUNS = 5
RUN_SECONDS = 0.6
SHELL = (
    "<!DOCTYPE html><html><head><title>shell</title><style>h1{color:#333}</style></head><body>"
    '<header id="top"></header><main id="main"></main><aside id="side"></aside></body></html>'
)
APPS = (("header", "#top", "/"), ("catalog", "#main", "/catalog"), ("cart", "#side", "/catalog"))


def _entry(name: str) -> str:
    items = "".join(
        f'<li class="card"><h2>{name} item {i}</h2><p>Description of item {i}.</p></li>'
        for i in range(20)
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{name}</title>
<link rel="stylesheet" href="css/base.css"><link rel="stylesheet" href="css/theme.css">
<link rel="preload" href="js/vendor.js" as="script"><style>.{name} h1 {{ margin: 0 }}</style>
</head><body><div id="root" class="{name}"><h1>{name}</h1><ul>{items}</ul></div>
<script src="js/vendor.js"></script>
<script type="text/python" entry>
def bootstrap(props):
    pass

def mount(props):
    root = document.query_selector("#root", within=props["container"])
    root.set("data-mounted", "yes")
    window.mounted = True

def unmount(props):
    pass
</script></body></html>"""


def _css(name: str) -> str:
    rules = "\n".join(
        f".{name} .card:nth-child({i}) > h2, html .{name}-x{i} {{ color: #{i:03x}; "
        f"background: url(img/{i}.png) no-repeat }}"
        for i in range(60)
    )
    media = f"@media (max-width: 600px) {{ .{name} h1 {{ font-size: 1rem }} }}"
    return f"body {{ margin: 0 }}\n{media}\n{rules}"


def _serve() -> LoopbackServer:
    server = LoopbackServer().start()
    for name, _, _ in APPS:
        server.route(f"/{name}/index.html", Reply(body=_entry(name)))
        for sheet in ("base", "theme"):
            server.route(
                f"/{name}/css/{sheet}.css", Reply(body=_css(name), content_type="text/css")
            )
    return server


def _apps(server: LoopbackServer) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "entry": server.url_for(f"/{name}/index.html"),
            "container": container,
            "active_rule": rule,
        }
        for name, container, rule in APPS
    ]


async def _compose(server: LoopbackServer, loader: EntryLoader) -> str:
    tab = Orchestrator(SHELL, url="http://localhost/catalog", loader=loader)
    tab.register_micro_apps(_apps(server))
    mounted = await tab.start(
        prefetch=False, singular=False, sandbox={"experimental_style_isolation": True}
    )
    if len(mounted) != 3:
        raise SystemExit(f"expected three mounted apps, got {mounted}")
    html = tab.document.html
    await tab.aclose()
    return html


async def _rate(work: Callable[[], Awaitable[Any]]) -> list[float]:
    await work()
    rates = []
    for _ in range(RUNS):
        count = 0
        start = time.perf_counter()
        while True:
            await work()
            count += 1
            elapsed = time.perf_counter() - start
            if elapsed >= RUN_SECONDS:
                break
        rates.append(count / elapsed)
    return rates


def _line(impl: str, rates: list[float], **extra: Any) -> str:
    median = statistics.median(rates)
    return json.dumps(
        {
            "bench": "compose",
            "impl": impl,
            "input": "3 HTML-entry apps",
            "runs": len(rates),
            "ops_per_s_runs": [round(rate, 2) for rate in rates],
            "ops_per_s": round(median, 2),
            "ms_per_op": round(1000 / median, 4),
            "ops_per_s_best": round(max(rates), 2),
            **extra,
        }
    )


async def main() -> None:
    server = _serve()
    try:
        async with EntryLoader() as warm:
            page = await _compose(server, warm)
            warm_rates = await _rate(lambda: _compose(server, warm))

            async def cold() -> str:
                async with EntryLoader() as fresh:
                    return await _compose(server, fresh)

            cold_rates = await _rate(cold)

            async def floor() -> None:
                lxml.html.tostring(lxml.html.document_fromstring(page), encoding="unicode")

            floor_rates = await _rate(floor)
            tracemalloc.start()
            tabs = []
            for _ in range(20):
                tab = Orchestrator(SHELL, url="http://localhost/catalog", loader=warm)
                tab.register_micro_apps(_apps(server))
                await tab.start(prefetch=False, singular=False)
                tabs.append(tab)
            per_tab = tracemalloc.get_traced_memory()[0] / len(tabs)
            tracemalloc.stop()
            for tab in tabs:
                await tab.aclose()
    finally:
        server.stop()
    ratio = statistics.median(floor_rates) / statistics.median(warm_rates)
    print(
        _line(
            "mfe-orchestrator warm (shared EntryLoader)",
            warm_rates,
            floor_ratio=round(ratio, 2),
            page_bytes=len(page),
            bytes_per_orchestrator=int(per_tab),
        )
    )
    print(_line("mfe-orchestrator cold (new EntryLoader, loopback HTTP)", cold_rates))
    print(_line("floor: lxml parse+serialize of the composed page", floor_rates))
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
