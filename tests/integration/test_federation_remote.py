"""A remote over real HTTP on 127.0.0.1: load, call, hot swap to v2, v1 released."""

from __future__ import annotations

import gc
import sys
import weakref
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from orchestrator.federation import Federation, FederationError, RuntimeCode, Shared
from orchestrator.federation._build import RemoteBuild, SharedSpec, build_remote
from orchestrator.testing import LoopbackServer, Reply

JSON = "application/json"
ZIP = "application/zip"


def widgets(version: str, *, share_money: bool = True) -> RemoteBuild:
    shared = [SharedSpec("money", "1.1.0", "money.py", singleton=True)] if share_money else []
    return build_remote(
        "widgets",
        version,
        {
            "__init__.py": "",
            "price.py": (
                "from . import currency, money as own_money\n"
                f"VERSION = {version!r}\n"
                "def _own():\n"
                "    return own_money\n"
                "async def format(cents):\n"
                "    money = await __federation__.load_share('money', singleton=True, "
                "fallback=_own)\n"
                "    return f'{currency.SIGN}{money.amount(cents)} (widgets {VERSION})'\n"
            ),
            "currency.py": "SIGN = '$'\n",
            "money.py": "def amount(cents):\n    return f'{cents / 100:.2f}'\n",
        },
        exposes={"./PriceFormatter": "price.py"},
        shared=shared,
    )


def publish(server: LoopbackServer, build: RemoteBuild) -> str:
    server.route("/widgets/mf-manifest.json", Reply(body=build.manifest_bytes, content_type=JSON))
    server.route(f"/widgets/{build.entry_name}", Reply(body=build.zip_bytes, content_type=ZIP))
    return server.url_for("/widgets/mf-manifest.json")


async def test_load_call_hot_swap_and_release(
    loopback_server: Callable[..., LoopbackServer],
) -> None:
    server = loopback_server()
    v1_build = widgets("1.0.0", share_money=False)
    entry = publish(server, v1_build)
    fed = Federation("shell", remotes=[{"name": "widgets", "entry": entry}])
    try:
        v1 = await fed.load_remote("widgets/PriceFormatter")
        assert await v1.format(1999) == "$19.99 (widgets 1.0.0)"
        assert [n for n in sys.modules if n.split(".")[-1] in ("price", "currency")] == [
            n for n in sys.modules if n.startswith("_mf_widgets_1_0_0_")
            and n.split(".")[-1] in ("price", "currency")
        ]  # fmt: skip
        v1_names = [n for n in sys.modules if n.startswith(v1.__name__.rsplit(".", 1)[0])]
        price_v1 = weakref.ref(v1)

        async with fed.hold("widgets/PriceFormatter") as held:
            assert held is v1
            publish(server, widgets("2.0.0", share_money=False))
            assert await fed.refresh() == ["widgets"]
            v2 = await fed.load_remote("widgets/PriceFormatter")
            assert await v2.format(500) == "$5.00 (widgets 2.0.0)"
            assert await held.format(1) == "$0.01 (widgets 1.0.0)"  # in-flight work finishes
            assert all(name in sys.modules for name in v1_names)
        # the hold ended: v1's modules leave sys.modules and, unreferenced, are collected
        assert not any(name in sys.modules for name in v1_names)
        del v1, held
        gc.collect()
        assert price_v1() is None
        assert await (await fed.load_remote("widgets/PriceFormatter")).format(0) == (
            "$0.00 (widgets 2.0.0)"
        )
        assert server.count(f"/widgets/{v1_build.entry_name}") == 1
    finally:
        await fed.aclose()


async def test_the_shared_singleton_is_one_instance_for_host_and_remote(
    loopback_server: Callable[..., LoopbackServer],
) -> None:
    server = loopback_server()
    entry = publish(server, widgets("1.0.0"))
    own = type(sys)("host_money")
    fed = Federation(
        "shell",
        remotes=[{"name": "widgets", "entry": entry}],
        shared={"money": Shared(version="1.0.0", import_=lambda: own, singleton=True)},
    )
    try:
        money = await fed.load_share("money")
        assert money is not own and money.amount(250) == "2.50"  # version-first: 1.1.0 wins
        price = await fed.load_remote("widgets/PriceFormatter")
        await price.format(1)
        entries = fed.share_scopes["default"].versions("money")
        assert [e.loaded for e in entries.values()] == [False, True]
        # after a swap the loaded singleton still comes from v1, so v1 stays held
        publish(server, widgets("2.0.0"))
        assert await fed.refresh("widgets") == ["widgets"]
        v2 = await fed.load_remote("widgets/PriceFormatter")
        assert await v2.format(1) == "$0.01 (widgets 2.0.0)"
        assert await fed.load_share("money") is money
        assert [v.manifest.build_version for v in fed.loaded_versions("widgets")] == [
            "2.0.0",
            "1.0.0",
        ]
    finally:
        await fed.aclose()


async def test_every_redirect_hop_is_checked(
    loopback_server: Callable[..., LoopbackServer],
) -> None:
    server = loopback_server()
    entry = publish(server, widgets("1.0.0"))
    origin = f"http://127.0.0.1:{urlsplit(server.url).port}"
    elsewhere = entry.replace("127.0.0.1", "localhost")
    server.route("/hop", Reply(302, headers={"location": elsewhere}))
    server.route("/ok", Reply(302, headers={"location": entry}))
    fed = Federation(
        "shell",
        remotes=[{"name": "bad", "entry": server.url_for("/hop")},
                 {"name": "good", "entry": server.url_for("/ok")}],
        trusted_origins=[origin],
    )  # fmt: skip
    try:
        with pytest.raises(FederationError) as info:
            await fed.load_remote("bad/PriceFormatter")
        assert info.value.code is RuntimeCode.RUNTIME_003
        assert info.value.url == elsewhere and "redirected from" in str(info.value)
        assert server.count("/widgets/mf-manifest.json") == 0  # the untrusted hop never went
        price = await fed.load_remote("good/PriceFormatter")
        assert await price.format(100) == "$1.00 (widgets 1.0.0)"
    finally:
        await fed.aclose()


async def test_an_untrusted_origin_fetches_nothing(
    loopback_server: Callable[..., LoopbackServer],
) -> None:
    server = loopback_server()
    entry = publish(server, widgets("1.0.0"))
    fed = Federation(
        "shell",
        remotes=[{"name": "widgets", "entry": entry}],
        trusted_origins=["https://apps.example.com"],
    )
    try:
        with pytest.raises(FederationError, match="only from trusted origins") as info:
            await fed.load_remote("widgets/PriceFormatter")
        assert info.value.remote == "widgets" and info.value.url == entry
        assert server.count("/widgets/mf-manifest.json") == 0
    finally:
        await fed.aclose()


async def test_http_errors_name_the_remote_and_url(
    loopback_server: Callable[..., LoopbackServer],
) -> None:
    server = loopback_server()
    entry = server.url_for("/widgets/mf-manifest.json")
    fed = Federation("shell", remotes=[{"name": "widgets", "entry": entry}])
    try:
        with pytest.raises(FederationError) as info:
            await fed.load_remote("widgets/PriceFormatter")
        assert "HTTP status 404" in str(info.value) and info.value.url == entry
        assert info.value.code is RuntimeCode.RUNTIME_003
    finally:
        await fed.aclose()
