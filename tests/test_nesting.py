"""Nesting (issue 17): a micro-app hosting its own orchestrator inside its container.

The outer app's mount makes a sub-shell with ``props["create_orchestrator"]()`` and mounts an
inner app in it; the outer app's unmount unmounts the inner apps and closes the inner tab.
"""

from __future__ import annotations

import gc
import textwrap
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import pytest

from orchestrator import AppStatus, EntryLoader, Orchestrator

SHELL = '<!DOCTYPE html><html><head></head><body><main id="main"></main></body></html>'
OUTER = textwrap.dedent(
    """
    def bootstrap(props):
        pass

    async def mount(props):
        inner = props["create_orchestrator"]()
        window.inner = inner
        calls = window.calls

        def inner_mount(p):
            calls.append("inner mount")
            p["container"].text = "inner app"

        def inner_unmount(p):
            calls.append("inner unmount")

        container = props["container"].cssselect("#sub")[0]
        inner.register_application(
            "inner",
            {"bootstrap": lambda p: None, "mount": inner_mount, "unmount": inner_unmount},
            lambda location: True,
            container=container,
        )
        await inner.start()

    def unmount(props):
        window.calls.append("outer unmount")
    """
)


async def fetch(url: str) -> str:
    return (
        '<!DOCTYPE html><html><body><section id="sub"></section>'
        f'<script type="text/python" entry>{OUTER}</script></body></html>'
    )


@pytest.fixture
async def tab() -> AsyncIterator[Orchestrator]:
    async with (
        EntryLoader(fetch=fetch) as loader,
        Orchestrator(SHELL, url="http://localhost/outer", loader=loader) as orchestrator,
    ):
        yield orchestrator


def register(tab: Orchestrator) -> tuple[list[str], dict[str, Any]]:
    calls: list[str] = []
    windows: dict[str, Any] = {}

    def before_load(app: Any, window: Any) -> None:
        window["calls"] = calls
        windows["outer"] = window

    tab.register_micro_apps(
        [{"name": "outer", "entry": "http://127.0.0.1:9/outer/", "container": "#main",
          "active_rule": "/outer"}],
        {"before_load": before_load},
    )  # fmt: skip
    return calls, windows


async def test_an_inner_tab_renders_inside_the_outer_app_and_leaves_with_it(
    tab: Orchestrator,
) -> None:
    calls, windows = register(tab)
    await tab.start(prefetch=False)
    inner = windows["outer"]["inner"]
    assert isinstance(inner, Orchestrator) and inner is not tab
    assert inner.get_mounted_apps() == ["inner"]
    assert "inner app" in tab.document.html  # the inner tab's page is the outer's container
    assert inner.document.root.getroottree().getroot() is tab.document.root
    assert await tab.navigate("/elsewhere") == []
    assert calls == ["inner mount", "inner unmount", "outer unmount"]  # children first
    assert inner.get_app_names() == []  # torn down with the outer app
    assert tab.get_app_status("outer") is AppStatus.NOT_MOUNTED


async def test_a_thousand_nested_cycles_leave_nothing_behind(tab: Orchestrator) -> None:
    calls, _ = register(tab)
    await tab.start(prefetch=False)
    for _ in range(50):  # warm: caches filled, code compiled
        await tab.navigate("/elsewhere")
        await tab.navigate("/outer")
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for _ in range(1000):
            await tab.navigate("/elsewhere")
            await tab.navigate("/outer")
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert calls.count("inner unmount") == 1050
    assert grown < 1_000_000, f"{grown / 1e6:.2f} MB kept by 1,000 nested cycles"
