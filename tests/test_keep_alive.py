"""Keep-alive for qiankun apps (``keep_alive=True``): hidden, not unmounted (issue 17).

Entries are served by ``EntryLoader(fetch=...)``; timers run on the real loop, so the paused
interval is checked over many of its periods and its resumption by waiting (bounded) for it.
"""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import AsyncIterator
from typing import Any

import pytest
from engine_support import until

from orchestrator import AppStatus, EntryLoader, Orchestrator

SHELL = '<!DOCTYPE html><html><head></head><body><main id="main"></main></body></html>'
ORIGIN = "http://127.0.0.1:9"
APP = textwrap.dedent(
    """
    def bootstrap(props):
        window.log = []

    def mount(props):
        window.mounts = window.get("mounts", 0) + 1
        props["container"].cssselect("#root")[0].text = "kept " + props["name"]
        window.ticks = 0

        def tick():
            window.ticks = window.ticks + 1

        window.set_interval(tick, 5)
        window.add_event_listener(
            "appstate-change", lambda e: window.log.append(("app", e.detail["app_state"]))
        )
        window.add_event_listener("popstate", lambda e: window.log.append(("popstate", e.url)))
        window.add_event_listener("ping", lambda e: window.log.append(("ping",)))
        if props.get("on_global_state_change"):
            props["on_global_state_change"](
                lambda state, prev: window.log.append(("state", state.get("user")))
            )

    def unmount(props):
        window.unmounts = window.get("unmounts", 0) + 1
    """
)


async def fetch(url: str) -> str:
    name = url.split("/")[3]
    return (
        f'<!DOCTYPE html><html><body><div id="root"></div>'
        f'<script type="text/python" entry>{APP}</script></body></html>'
        if url.endswith("index.html")
        else f"fetch of {name}"
    )


@pytest.fixture
async def tab() -> AsyncIterator[Orchestrator]:
    async with (
        EntryLoader(fetch=fetch) as loader,
        Orchestrator(SHELL, url="http://localhost/shop/1", loader=loader) as orchestrator,
    ):
        orchestrator.init_global_state({"user": None})
        yield orchestrator


def register(tab: Orchestrator, *names: str, keep_alive: bool = True) -> dict[str, Any]:
    windows: dict[str, Any] = {}

    def remember(app: Any, window: Any) -> None:
        windows[app["name"]] = window

    tab.register_micro_apps(
        [
            {
                "name": name,
                "entry": f"{ORIGIN}/{name}/index.html",
                "container": "#main",
                "active_rule": f"/{name}",
                "keep_alive": keep_alive,
            }
            for name in names
        ],
        {"after_mount": remember},
    )
    return windows


def record_signals(tab: Orchestrator, log: list[tuple[Any, ...]]) -> None:
    for name in ("after-hidden", "before-show", "after-show"):
        tab.events.signal(name).connect(
            lambda sender, app, url, _name=name: log.append(("shell", _name, app, url)),
            weak=False,
        )


async def test_leaving_hides_the_app_and_coming_back_shows_the_same_dom(
    tab: Orchestrator,
) -> None:
    windows = register(tab, "shop")
    await tab.start(prefetch=False)
    wrapper = tab.document.query_selector("#main > div")
    assert wrapper is not None and "kept shop" in tab.document.html
    assert await tab.navigate("/elsewhere") == []
    assert tab.get_app_status("shop") is AppStatus.NOT_MOUNTED
    assert tab.document.query_selector("#main > div") is None  # detached, not destroyed
    window = windows["shop"]
    assert window.get("unmounts") is None  # its unmount was not called
    assert await tab.navigate("/shop/1") == ["shop"]
    assert tab.document.query_selector("#main > div") is wrapper  # the very same element
    assert window["mounts"] == 1  # shown, not mounted again


async def test_timers_are_paused_while_hidden_and_resume(tab: Orchestrator) -> None:
    windows = register(tab, "shop")
    await tab.start(prefetch=False)
    window = windows["shop"]
    await until(lambda: window["ticks"] >= 3, turns=100_000)
    await tab.navigate("/elsewhere")
    frozen = window["ticks"]
    await asyncio.sleep(0.1)  # twenty periods of the 5 ms interval
    assert window["ticks"] == frozen
    await tab.navigate("/shop/1")
    await until(lambda: window["ticks"] >= frozen + 3, turns=100_000)


async def test_signals_reach_app_and_shell_in_micro_apps_order(tab: Orchestrator) -> None:
    windows = register(tab, "shop")
    shell: list[tuple[Any, ...]] = []
    record_signals(tab, shell)
    await tab.start(prefetch=False)
    window = windows["shop"]
    merged: list[tuple[Any, ...]] = []
    window["log"] = merged
    tab.events.signal("after-hidden").connect(
        lambda sender, app, url: merged.append(("shell", "after-hidden")), weak=False
    )
    tab.events.signal("before-show").connect(
        lambda sender, app, url: merged.append(("shell", "before-show")), weak=False
    )
    tab.events.signal("after-show").connect(
        lambda sender, app, url: merged.append(("shell", "after-show")), weak=False
    )
    await tab.navigate("/elsewhere")
    await tab.navigate("/shop/2")
    assert merged == [
        ("app", "after-hidden"),
        ("shell", "after-hidden"),
        ("popstate", "http://localhost/shop/2"),  # the app hears its new URL before it shows
        ("app", "before-show"),
        ("shell", "before-show"),
        ("app", "after-show"),
        ("shell", "after-show"),
    ]
    assert [entry[1:3] for entry in shell] == [
        ("after-hidden", "shop"),
        ("before-show", "shop"),
        ("after-show", "shop"),
    ]


async def test_listeners_are_off_while_hidden_and_back_on_show(tab: Orchestrator) -> None:
    from sandbox import Event

    windows = register(tab, "shop")
    await tab.start(prefetch=False)
    window = windows["shop"]
    await tab.navigate("/elsewhere")
    window["log"] = []
    tab.window.dispatch_event(Event("ping"))
    assert window["log"] == []
    await tab.navigate("/shop/1")
    tab.window.dispatch_event(Event("ping"))
    assert ("ping",) in window["log"]


async def test_global_state_heard_once_on_show_with_what_was_missed(tab: Orchestrator) -> None:
    windows = register(tab, "shop")
    await tab.start(prefetch=False)
    window = windows["shop"]
    await tab.navigate("/elsewhere")
    window["log"] = []
    shell_actions = tab.init_global_state({"user": "ada"})
    shell_actions.set_global_state({"user": "bob"})
    await asyncio.sleep(0)
    assert window["log"] == []  # hidden apps hear nothing
    await tab.navigate("/shop/1")
    assert window["log"].count(("state", "bob")) == 1


async def test_hidden_apps_are_bounded_and_the_oldest_is_unmounted(tab: Orchestrator) -> None:
    tab.micro_apps.hidden_apps.max_hidden = 1
    windows = register(tab, "shop", "cart")
    await tab.start(prefetch=False)
    await tab.navigate("/cart/1")
    await tab.navigate("/elsewhere")
    assert windows["shop"].get("unmounts") == 1  # evicted: unmounted for real
    assert windows["cart"].get("unmounts") is None  # still hidden
    assert await tab.navigate("/shop/1") == ["shop"]
    assert windows["shop"]["mounts"] == 2  # a real mount again


async def test_without_keep_alive_leaving_unmounts(tab: Orchestrator) -> None:
    windows = register(tab, "shop", keep_alive=False)
    await tab.start(prefetch=False)
    await tab.navigate("/elsewhere")
    assert windows["shop"]["unmounts"] == 1
