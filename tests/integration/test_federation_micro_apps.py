"""Micro-apps of an ``Orchestrator(federation=...)`` get ``load_remote``/``load_share`` props.

Over real HTTP on 127.0.0.1: the demo's catalog and profile (from ``apps/``) format their
prices through the ``apps/widgets`` remote, built with ``mfe federation build`` and served
statically, and through one shared ``money`` singleton.
"""

from __future__ import annotations

import textwrap
import types
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator import Orchestrator
from orchestrator.config import ComposeConfig, load_config
from orchestrator.federation import Federation, Shared
from orchestrator.federation._build import build_remote
from orchestrator.federation.build import build_remote_dir
from orchestrator.serve import find_demo_config
from orchestrator.testing import LoopbackServer, Reply

APPS = Path(__file__).resolve().parents[2] / "apps"
PRICES = ["€89.00", "€35.50", "€249.00", "€129.90", "€59.00"]
SIGNATURE = "Prices by widgets 1.0.0 (money {}, shared singleton)"


@pytest.fixture(scope="module")
def widgets_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("widgets-dist")
    build_remote_dir(
        APPS / "widgets",
        out,
        name="widgets",
        exposes=["./PriceFormatter=price.py"],
        shared=["money@^1.0"],
        singletons=["money"],
        version="1.0.0",
    )
    return out


@pytest.fixture
def servers(widgets_dist: Path) -> Iterator[tuple[LoopbackServer, LoopbackServer]]:
    with LoopbackServer(APPS) as apps, LoopbackServer(widgets_dist) as widgets:
        yield apps, widgets


def demo_config(apps: LoopbackServer) -> ComposeConfig:
    config = load_config(find_demo_config())
    return config.with_entries({app.name: apps.url_for(f"/{app.name}/") for app in config.apps})


@pytest.fixture
async def federation(
    servers: tuple[LoopbackServer, LoopbackServer],
) -> AsyncIterator[Federation]:
    _, widgets = servers
    entry = widgets.url_for("/mf-manifest.json")
    async with Federation("shell", remotes=[{"name": "widgets", "entry": entry}]) as fed:
        yield fed


async def started(config: ComposeConfig, federation: Federation) -> Orchestrator:
    tab = Orchestrator(config.shell_html, federation=federation)
    tab.init_global_state(dict(config.global_state or {}))
    tab.register_micro_apps([app.registration() for app in config.apps])
    await tab.start(**dict(config.options))
    return tab


def texts(tab: Orchestrator, selector: str) -> list[str]:
    return [str(e.text_content()).strip() for e in tab.document.query_selector_all(selector)]


async def test_catalog_and_profile_format_through_the_widgets_remote(
    servers: tuple[LoopbackServer, LoopbackServer], federation: Federation
) -> None:
    apps, widgets = servers
    tab = await started(demo_config(apps), federation)
    try:
        assert await tab.navigate("/catalog") == ["header", "catalog"]
        assert texts(tab, "#catalog li.product .product-price") == PRICES
        assert texts(tab, "#catalog-prices-by") == [SIGNATURE.format("1.0.0")]

        assert await tab.navigate("/profile") == ["header", "profile"]
        assert texts(tab, "#profile-credit") == [
            "Store credit: €25.00 · " + SIGNATURE.format("1.0.0")
        ]
        # one formatter and one money for both apps: fetched once, loaded once
        formatter = await federation.load_remote("widgets/PriceFormatter")
        money = await formatter.shared_money()
        assert await federation.load_share("money", singleton=True) is money
        entries = federation.share_scopes["default"].versions("money")
        assert [(v, e.loaded) for v, e in entries.items()] == [("1.0.0", True)]
        assert widgets.count("/mf-manifest.json") == 1
        zips = [r.path for r in widgets.requests if r.path.endswith(".zip")]
        assert len(zips) == 1 and zips[0].startswith("/remoteEntry.")
    finally:
        await tab.aclose()


async def test_a_host_money_that_is_newer_is_the_one_singleton_on_the_page(
    servers: tuple[LoopbackServer, LoopbackServer],
) -> None:
    apps, widgets = servers
    host_money = types.ModuleType("host_money")
    host_money.__version__ = "1.1.0"  # type: ignore[attr-defined]
    host_money.format_cents = lambda cents: f"EUR {cents // 100}"  # type: ignore[attr-defined]
    async with Federation(
        "shell",
        remotes=[{"name": "widgets", "entry": widgets.url_for("/mf-manifest.json")}],
        shared={"money": Shared(version="1.1.0", import_=lambda: host_money, singleton=True)},
    ) as fed:
        tab = await started(demo_config(apps), fed)
        try:
            await tab.navigate("/catalog")
            assert texts(tab, "#catalog li.product .product-price")[:2] == ["EUR 89", "EUR 35"]
            assert texts(tab, "#catalog-prices-by") == [SIGNATURE.format("1.1.0")]
            await tab.navigate("/profile")
            assert texts(tab, "#profile-credit")[0].startswith("Store credit: EUR 25 · ")
        finally:
            await tab.aclose()


async def test_two_tabs_on_one_federation_share_the_remote(
    servers: tuple[LoopbackServer, LoopbackServer], federation: Federation
) -> None:
    apps, widgets = servers
    config = demo_config(apps)
    first, second = await started(config, federation), await started(config, federation)
    try:
        await first.navigate("/catalog")
        await second.navigate("/profile")
        assert texts(first, "#catalog-prices-by") == [SIGNATURE.format("1.0.0")]
        assert texts(second, "#profile-credit")[0].endswith(SIGNATURE.format("1.0.0"))
        assert widgets.count("/mf-manifest.json") == 1
    finally:
        await first.aclose()
        await second.aclose()


async def test_without_a_federation_the_apps_format_locally(
    servers: tuple[LoopbackServer, LoopbackServer],
) -> None:
    apps, widgets = servers
    config = demo_config(apps)
    tab = Orchestrator(config.shell_html)
    tab.init_global_state(dict(config.global_state or {}))
    tab.register_micro_apps([app.registration() for app in config.apps])
    await tab.start(**dict(config.options))
    try:
        await tab.navigate("/catalog")
        assert texts(tab, "#catalog li.product .product-price") == PRICES
        assert texts(tab, "#catalog-prices-by") == ["Prices formatted locally"]
        await tab.navigate("/profile")
        assert texts(tab, "#profile-credit") == ["Store credit: €25.00"]
        assert widgets.requests == []
    finally:
        await tab.aclose()


# --- the props themselves, with small inline apps --------------------------------------------

PROBE = """
def bootstrap(props):
    pass

async def mount(props):
    root = props["container"].cssselect("#root")[0]
    load_remote = props.get("load_remote")
    if load_remote is None:
        root.text = "no federation"
        return
    counter = await load_remote("app1/Counter")
    money = await props["load_share"]("money")
    root.text = counter.render(money.amount(1250)) + " " + str(props.get("origin"))

def unmount(props):
    pass
"""


def probe_page() -> str:
    return (
        '<!DOCTYPE html><html><body><div id="root"></div>'
        f'<script type="text/python" entry>{textwrap.dedent(PROBE)}</script></body></html>'
    )


@pytest.fixture
def remote_server(loopback_server: Callable[..., LoopbackServer]) -> LoopbackServer:
    server = loopback_server()
    built = build_remote(
        "app1",
        "1.0.0",
        {
            "counter.py": "def render(text):\n    return f'<{text}>'\n",
            "money.py": "def amount(cents):\n    return f'{cents / 100:.2f}'\n",
        },
        exposes={"./Counter": "counter.py"},
        shared=[],
    )
    server.route("/app1/mf-manifest.json", Reply(body=built.manifest_bytes))
    server.route(f"/app1/{built.entry_name}", Reply(body=built.zip_bytes))
    server.route("/probe/index.html", Reply(body=probe_page()))
    return server


async def test_routed_and_hand_loaded_apps_get_the_props_and_own_props_win(
    remote_server: LoopbackServer,
) -> None:
    money = types.ModuleType("money")
    money.amount = lambda cents: f"{cents / 100:.2f}"  # type: ignore[attr-defined]
    fed = Federation(
        "shell",
        remotes=[{"name": "app1", "entry": remote_server.url_for("/app1/mf-manifest.json")}],
        shared={"money": Shared(version="1.0.0", import_=lambda: money)},
    )
    shell = '<html><body><main id="main"></main><aside id="side"></aside></body></html>'
    entry = remote_server.url_for("/probe/index.html")
    async with fed, Orchestrator(shell, federation=fed) as tab:
        assert tab.federation is fed
        tab.register_micro_apps(
            [
                {"name": "routed", "entry": entry, "container": "#main", "active_rule": "/r",
                 "props": {"origin": "routed"}},
            ]
        )  # fmt: skip
        await tab.start(prefetch=False)
        await tab.navigate("/r")
        assert texts(tab, "#main #root") == ["<12.50> routed"]

        seen: list[Any] = []

        async def own_loader(request: str) -> Any:
            seen.append(request)
            return await fed.load_remote(request)

        hand = await tab.load_micro_app(
            {"name": "hand", "entry": entry, "container": "#side",
             "props": {"load_remote": own_loader, "origin": "hand"}}
        )  # fmt: skip
        await hand.mount_promise
        assert texts(tab, "#side #root") == ["<12.50> hand"]
        assert seen == ["app1/Counter"]  # the app's own prop won
        await hand.unmount()


async def test_an_orchestrator_without_federation_adds_no_props(
    remote_server: LoopbackServer,
) -> None:
    shell = '<html><body><main id="main"></main></body></html>'
    async with Orchestrator(shell) as tab:
        assert tab.federation is None
        tab.register_micro_apps(
            [{"name": "probe", "entry": remote_server.url_for("/probe/index.html"),
              "container": "#main", "active_rule": "/"}]
        )  # fmt: skip
        await tab.start(prefetch=False)
        assert texts(tab, "#main #root") == ["no federation"]


async def test_mistakes_still_reach_the_layer_with_a_federation() -> None:
    fed = Federation("shell")
    async with fed, Orchestrator("<html><body></body></html>", federation=fed) as tab:
        app = {"name": "a", "entry": "http://127.0.0.1:9/", "container": "body",
               "active_rule": "/", "props": ["not", "a", "mapping"]}  # fmt: skip
        with pytest.raises(TypeError, match="'props' must be a mapping"):
            tab.register_micro_apps([app])  # type: ignore[list-item]
        with pytest.raises(TypeError, match="takes a list of app mappings"):
            tab.register_micro_apps({"name": "a"})  # type: ignore[arg-type]
        assert tab.get_app_names() == []
