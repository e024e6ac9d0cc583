"""The qiankun layer as a unit: entries served by ``EntryLoader(fetch=...)``, no sockets.

The end-to-end twins of these (real HTTP on 127.0.0.1) are in tests/integration/test_micro_apps.py.
"""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from orchestrator import AppStatus, EntryLoader, MicroApp, Orchestrator, Tab
from orchestrator.micro_apps import MicroApps

SHELL = '<!DOCTYPE html><html><head></head><body><main id="main"></main></body></html>'
ORIGIN = "http://127.0.0.1:9"  # never dialled: the fetch hook answers


def entry(name: str, script: str | None = None) -> str:
    code = (
        script
        or f"""
        def bootstrap(props):
            pass

        def mount(props):
            props["container"].cssselect("#root")[0].text = "{name} mounted"
            window.seen_flag = window.get("__POWERED_BY_QIANKUN__")
            window.seen_path = window.get("__INJECTED_PUBLIC_PATH_BY_QIANKUN__")

        def unmount(props):
            pass
        """
    )
    return (
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="style.css"></head>'
        '<body><div id="root"></div>'
        f'<script type="text/python" entry>{textwrap.dedent(code)}</script></body></html>'
    )


class Site:
    """A fetch hook holding pages by URL, counting what was asked."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.asked: list[str] = []

    def add(self, name: str, script: str | None = None) -> str:
        self.pages[f"{ORIGIN}/{name}/index.html"] = entry(name, script)
        self.pages[f"{ORIGIN}/{name}/style.css"] = f".{name} {{ color: red }}"
        return f"{ORIGIN}/{name}/index.html"

    async def __call__(self, url: str) -> str:
        self.asked.append(url)
        return self.pages[url]


@pytest.fixture
def site() -> Site:
    return Site()


@pytest.fixture
async def tab(site: Site) -> AsyncIterator[Orchestrator]:
    async with (
        EntryLoader(fetch=site) as loader,
        Orchestrator(SHELL, url="http://localhost/", loader=loader) as orchestrator,
    ):
        yield orchestrator


def app(site: Site, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "entry": site.add(name),
        "container": "#main",
        "active_rule": f"/{name}",
        **extra,
    }


async def test_a_routed_app_mounts_into_its_wrapper_and_leaves_with_the_route(
    tab: Orchestrator, site: Site
) -> None:
    tab.register_micro_apps([app(site, "shop")])
    await tab.start(prefetch=False)
    assert await tab.navigate("/shop") == ["shop"]
    wrapper = tab.document.query_selector("#main > div")
    assert wrapper is not None
    assert wrapper.get("id") == "__qiankun_microapp_wrapper_for_shop__"
    assert "shop mounted" in tab.document.html
    assert ".shop { color: red }" in tab.document.html  # the stylesheet, inlined
    assert await tab.navigate("/elsewhere") == []
    assert len(tab.document.query_selector("#main")) == 0  # unmount empties the container


async def test_hooks_and_addons_run_by_the_table_in_qiankun_order(
    tab: Orchestrator, site: Site
) -> None:
    order: list[tuple[str, Any]] = []

    def hook(phase: str) -> Callable[[Any, Any], None]:
        def record(app: Any, window: Any) -> None:
            order.append((phase, window.get("__POWERED_BY_QIANKUN__")))

        return record

    phases = ("before_load", "before_mount", "after_mount", "before_unmount", "after_unmount")
    tab.register_micro_apps([app(site, "shop")], {phase: hook(phase) for phase in phases})
    await tab.start(prefetch=False)
    await tab.navigate("/shop")
    await tab.navigate("/")
    # the engine-flag addon runs before the user's hook of the same phase, and is gone
    # by the time before_unmount's user hook runs
    assert order == [
        ("before_load", True),
        ("before_mount", True),
        ("after_mount", True),
        ("before_unmount", None),
        ("after_unmount", None),
    ]


async def test_the_app_sees_the_engine_flag_and_its_public_path(
    tab: Orchestrator, site: Site
) -> None:
    windows: list[Any] = []
    tab.register_micro_apps([app(site, "shop")], {"after_mount": lambda a, w: windows.append(w)})
    await tab.start(prefetch=False)
    await tab.navigate("/shop")
    [sandbox_window] = windows
    assert sandbox_window["seen_flag"] is True
    assert sandbox_window["seen_path"] == f"{ORIGIN}/shop/"
    assert "seen_flag" not in tab.window  # the sandbox kept it to itself


async def test_load_micro_app_is_typed_and_cached_per_name_and_container(
    tab: Orchestrator, site: Site
) -> None:
    registration = {"name": "widget", "entry": site.add("widget"), "container": "#main"}
    first = await tab.load_micro_app(registration)
    assert isinstance(first, MicroApp)
    await first.mount_promise
    assert first.get_status() is AppStatus.MOUNTED
    await first.unmount()
    second = await tab.load_micro_app(registration)
    await second.mount_promise
    assert site.asked.count(f"{ORIGIN}/widget/index.html") == 1  # the load was reused
    await second.unmount()


async def test_start_hands_the_layer_only_its_own_options(tab: Orchestrator) -> None:
    with pytest.raises(TypeError, match=r"start\(\): unknown option\(s\) 'prefech'"):
        await tab.start(prefech=False)  # a typo names itself
    await tab.start(prefetch=False, singular=False)
    assert tab.micro_apps.configuration["singular"] is False


async def test_a_bare_tab_has_no_qiankun_options_until_a_layer_joins() -> None:
    async with Tab() as bare:
        with pytest.raises(TypeError, match="unknown option"):
            await bare.start(sandbox=False)
    async with Tab() as tab:
        layer = MicroApps(tab)
        tab.add_layer(layer)
        with pytest.raises(ValueError, match="already belong to another layer"):
            tab.add_layer(MicroApps(tab))
        await tab.start(sandbox=False, prefetch=False)
        assert layer.configuration["sandbox"] is False


async def test_one_record_per_registered_app_and_duplicates_skipped(
    tab: Orchestrator, site: Site
) -> None:
    tab.register_micro_apps([app(site, "shop"), app(site, "cart")])
    tab.register_micro_apps([app(site, "shop")])  # qiankun skips a name it has
    assert tab.get_app_names() == ["shop", "cart"]


async def test_a_broken_entry_leaves_the_others_mounted(tab: Orchestrator, site: Site) -> None:
    tab.register_micro_apps(
        [
            app(site, "good", active_rule="/"),
            {
                "name": "bad",
                "entry": f"{ORIGIN}/missing/",
                "container": "#main",
                "active_rule": "/",
            },
        ]
    )
    await tab.start(prefetch=False, singular=False)
    assert tab.get_mounted_apps() == ["good"]
    assert tab.get_app_status("bad") is AppStatus.LOAD_ERROR
