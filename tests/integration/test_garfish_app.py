"""The Garfish layer end to end: apps/counter_garfish served over real loopback HTTP, routed
beside a qiankun-style app, hidden and shown, talking over the channel."""

from __future__ import annotations

import asyncio
import runpy
from pathlib import Path
from typing import Any

import lxml.html

from orchestrator import Orchestrator
from orchestrator.garfish import Garfish
from orchestrator.testing import LoopbackServer

APPS = Path(__file__).resolve().parents[2] / "apps"
SHELL = """<!DOCTYPE html><html><head><title>shell</title></head>
<body><nav id="nav"></nav><main id="main"></main><aside id="side"></aside></body></html>"""
COUNTER = "#counter-value"


def _value(orch: Orchestrator) -> str | None:
    element = orch.document.query_selector(COUNTER)
    return None if element is None else element.text


async def test_counter_app_routed_cached_and_driven_over_the_channel() -> None:
    async with (
        LoopbackServer(APPS / "counter_garfish") as counter,
        LoopbackServer(APPS / "profile") as profile,
        Orchestrator(SHELL, url="http://localhost/") as orch,
    ):
        garfish = Garfish(orch)
        rendered: list[int] = []
        garfish.channel.on("counter:rendered", rendered.append)
        garfish.run(
            {
                "basename": "/shop",
                "dom_getter": "#main",
                "props": {"start": 5},
                "apps": [
                    {
                        "name": "counter",
                        "entry": counter.url_for("/index.html"),
                        "active_when": "/counter",
                    }
                ],
            }
        )
        # a qiankun-style app on the same tab, in its own container
        orch.register_micro_apps(
            [
                {
                    "name": "profile",
                    "entry": profile.url_for("/index.html"),
                    "container": "#side",
                    "active_rule": "/shop/counter",
                }
            ]
        )
        await orch.start()
        assert await orch.navigate("/shop/counter") == ["counter", "profile"]
        assert _value(orch) == "5"
        assert rendered == [5]
        container = orch.document.query_selector('[id^="garfish_app_for_counter_"]')
        assert container is not None and container.getparent() is orch.document.query_selector(
            "#main"
        )
        body = container.cssselect("div[__garfishmockbody__]")[0]
        assert body.get("data-basename") == "/shop/counter"
        head = container.cssselect("div[__garfishmockhead__]")[0]
        styles = head.findall("style")
        assert styles and "rgb(194, 65, 12)" in (styles[0].text or "")  # style.css inlined
        assert orch.document.query_selector("#profile-status") is not None

        garfish.channel.emit("counter:increment")
        garfish.channel.emit("counter:increment")
        assert _value(orch) == "7"

        assert await orch.navigate("/shop/elsewhere") == []
        assert _value(orch) is None  # hidden: off the page
        app = garfish.cache_apps["counter"]
        assert app.mounted and not app.display
        garfish.channel.emit("counter:increment")  # destroy removed its listener
        assert await orch.navigate("/shop/counter") == ["counter", "profile"]
        assert _value(orch) == "7"  # the app's context was kept: same count, shown again
        assert rendered == [5, 7]
        html = lxml.html.fromstring(orch.document.html)
        assert len(html.cssselect(COUNTER)) == 1
        assert counter.count("/index.html") == 1 and counter.count("/main.py") == 1

        await app.unmount()  # by hand: the context is reset, the count starts again
        assert await app.mount()
        assert _value(orch) == "5"


async def test_counter_app_loaded_by_hand_twice_is_two_instances() -> None:
    async with (
        LoopbackServer(APPS / "counter_garfish") as counter,
        Orchestrator(SHELL, url="http://localhost/") as orch,
    ):
        garfish = Garfish(orch)
        garfish.register_app({"name": "counter", "entry": counter.url_for("/")})
        first, second = await asyncio.gather(
            garfish.load_app("counter", {"dom_getter": "#main", "props": {"start": 1}}),
            garfish.load_app("counter", {"dom_getter": "#side", "props": {"start": 2}}),
        )
        assert first is second  # one in-flight load per name, as Garfish's `loading`
        assert first is not None and await first.mount()
        other = await garfish.load_app("counter", {"dom_getter": "#side", "props": {"start": 2}})
        assert other is not None and other is not first and await other.mount()
        values = [e.text for e in orch.document.query_selector_all(COUNTER)]
        assert values == ["1", "2"]  # separate sandboxes: separate counts
        await first.unmount()
        await other.unmount()
        assert orch.document.query_selector_all(COUNTER) == []


def test_counter_provider_outside_the_orchestrator() -> None:
    """The app's script on its own: a ``window`` stand-in, a detached ``dom``."""

    class FakeWindow(dict[str, Any]):
        def __getattr__(self, name: str) -> Any:
            return self[name]

        def __setattr__(self, name: str, value: Any) -> None:
            self[name] = value

    window = FakeWindow()
    module = runpy.run_path(str(APPS / "counter_garfish" / "main.py"), {"window": window})
    dom = lxml.html.fragment_fromstring('<div><p id="counter-value"></p></div>')
    provider = module["provider"]({"basename": "/", "dom": dom}, {"start": 3})
    provider["render"]({"dom": dom, "basename": "/c"})
    assert dom.cssselect(COUNTER)[0].text == "3" and dom.get("data-basename") == "/c"
    provider["destroy"]({"dom": dom})


async def test_routed_cycles_leave_nothing_behind() -> None:
    """500 hide/show round trips of the cached app and 500 mount/unmount of an uncached one:
    no window globals, listeners or timers left, and memory flat."""
    import gc
    import tracemalloc

    async with (
        LoopbackServer(APPS / "counter_garfish") as counter,
        Orchestrator(SHELL, url="http://localhost/") as orch,
    ):
        garfish = Garfish(orch)
        entry = counter.url_for("/index.html")
        garfish.run(
            {
                "dom_getter": "#main",
                "apps": [
                    {"name": "kept", "entry": entry, "active_when": "/kept"},
                    {"name": "fresh", "entry": entry, "active_when": "/fresh", "cache": False},
                ],
            }
        )
        await orch.start()
        before_keys = list(orch.window.keys())

        async def cycle() -> None:
            assert await orch.navigate("/kept") == ["kept"]
            assert await orch.navigate("/fresh") == ["fresh"]

        for _ in range(20):
            await cycle()
        gc.collect()
        tracemalloc.start()
        baseline = tracemalloc.get_traced_memory()[0]
        for _ in range(500):
            await cycle()
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - baseline
        tracemalloc.stop()
        await orch.navigate("/")
        assert list(orch.window.keys()) == before_keys
        assert orch.window.pending_timers == 0
        assert garfish.channel.listeners("counter:increment") == []
        assert len(orch.document.query_selector_all('[id^="garfish_app_for_"]')) == 0
        assert grown < 512 * 1024, f"memory grew by {grown} bytes over 1,000 cycles"
        assert counter.count("/main.py") == 1


async def test_the_composer_serves_a_garfish_kind_app_beside_qiankun_ones() -> None:
    """``kind = "garfish"`` in a config: the demo's counter is composed through its provider,
    in the shell's ``#counter`` slot, with its props; qiankun apps are untouched."""
    import httpx

    from orchestrator.asgi import ComposeApp
    from orchestrator.config import load_config
    from orchestrator.serve import find_demo_config, serve_app_dirs

    config = load_config(find_demo_config())
    assert [app.name for app in config.apps if app.kind == "garfish"] == ["counter"]
    async with serve_app_dirs(config) as served:
        app = ComposeApp(served, secret_key="garfish-test")
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://shell") as client:
                counter = await client.get("/counter")
                catalog = await client.get("/catalog")
        finally:
            await app.aclose()
    assert counter.status_code == 200
    page = lxml.html.fromstring(counter.text)
    (slot,) = page.cssselect("#counter")
    (value,) = slot.cssselect(COUNTER)
    assert value.text == "3"  # props = { start = 3 } from demo.toml
    (container,) = slot.cssselect('[id^="garfish_app_for_counter_"]')
    # its stylesheet is scoped to its container (DESIGN §5): no rule reaches the shell
    (style,) = container.cssselect("div[__garfishmockhead__] style")
    rules = [line for line in (style.text or "").splitlines() if line.rstrip().endswith("{")]
    assert rules and all(rule.startswith('div[data-garfish-app="counter"]') for rule in rules)
    assert page.cssselect("#header h1") or page.cssselect("#header *")  # the layout app too
    assert catalog.status_code == 200
    assert lxml.html.fromstring(catalog.text).cssselect(COUNTER) == []
    assert lxml.html.fromstring(catalog.text).cssselect("#catalog-list li")
