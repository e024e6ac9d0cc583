"""What ``mfe federation build`` writes, served by a plain static server and loaded by a host."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx

from orchestrator.cli import main as mfe
from orchestrator.federation import Federation, Shared
from orchestrator.federation._archive import check_integrity
from orchestrator.serve import LoopbackASGIServer, static_app
from orchestrator.testing import LoopbackServer

PRICE = """from . import money

async def format_price(cents: int) -> str:
    shared = await __federation__.load_share("money", singleton=True)
    shared.calls += 1
    return f"{money.SIGN}{cents / 100:.2f}"
"""


def write_remote(source: Path, version: str) -> None:
    source.mkdir(exist_ok=True)
    (source / "price.py").write_text(PRICE)
    (source / "money.py").write_text(f'__version__ = "{version}"\nSIGN = "€"\ncalls = 0\n')


def build(source: Path, version: str) -> int:
    return mfe(
        ["federation", "build", str(source), "--name", "widgets", "--version", version,
         "--expose", "./PriceFormatter=price.py", "--shared", "money@^1.0",
         "--singleton", "money"]
    )  # fmt: skip


async def test_built_remote_served_statically_loads_and_hot_swaps(
    tmp_path: Path, loopback_server: Callable[..., LoopbackServer]
) -> None:
    source = tmp_path / "widgets"
    write_remote(source, "1.0.0")
    assert build(source, "1.0.0") == 0
    server = loopback_server(source / "dist")
    entry = server.url_for("/mf-manifest.json")
    async with Federation("shell", remotes=[{"name": "widgets", "entry": entry}]) as fed:
        price = await fed.load_remote("widgets/PriceFormatter")
        assert await price.format_price(1999) == "€19.99"
        assert await price.format_price(5) == "€0.05"
        money = await fed.load_share("money", singleton=True)
        assert money.calls == 2 and money.__version__ == "1.0.0"  # one instance, from the zip

        # the stubs zip is served beside it, and its integrity matches the manifest's
        version = fed.loaded_versions("widgets")[0]
        types_url, types_integrity = version.manifest.types_url, version.manifest.types_integrity
        assert types_url is not None and types_integrity is not None
        async with httpx.AsyncClient() as client:
            stubs = (await client.get(types_url)).content
        check_integrity(stubs, types_integrity, remote="widgets", url=types_url)
        with zipfile.ZipFile(io.BytesIO(stubs)) as archive:
            text = archive.read("widgets/price.pyi").decode()
        assert "async def format_price(cents: int) -> str: ..." in text

        # rebuilt in place: a refresh swaps to it, while the loaded singleton stays
        (source / "money.py").write_text('__version__ = "1.1.0"\nSIGN = "$"\ncalls = 0\n')
        assert build(source, "1.1.0") == 0
        assert await fed.refresh() == ["widgets"]
        swapped = await fed.load_remote("widgets/PriceFormatter")
        assert swapped is not price
        assert await swapped.format_price(250) == "$2.50"
        assert await fed.load_share("money", singleton=True) is money
        assert money.calls == 3


async def test_a_host_copy_and_the_built_remote_share_one_singleton(
    tmp_path: Path, loopback_server: Callable[..., LoopbackServer]
) -> None:
    source = tmp_path / "widgets"
    write_remote(source, "1.2.0")
    assert build(source, "1.2.0") == 0
    server = loopback_server(source / "dist")
    host_money = type(zipfile)("host_money")
    host_money.calls = 0  # type: ignore[attr-defined]
    async with Federation(
        "shell",
        remotes=[{"name": "widgets", "entry": server.url_for("/mf-manifest.json")}],
        shared={"money": Shared(version="1.0.0", import_=lambda: host_money, singleton=True)},
    ) as fed:
        price = await fed.load_remote("widgets/PriceFormatter")
        await price.format_price(1)
        chosen = await fed.load_share("money")
        assert chosen is not host_money and chosen.calls == 1  # version-first: 1.2.0 wins
        assert server.count("/mf-manifest.json") == 1


async def test_the_demos_static_server_serves_a_build_too(tmp_path: Path) -> None:
    source = tmp_path / "widgets"
    write_remote(source, "1.0.0")
    assert build(source, "1.0.0") == 0
    async with (
        LoopbackASGIServer(static_app(source / "dist")) as server,
        Federation("shell", remotes=[{"name": "widgets", "entry": server.url + "mf-manifest.json"}])
        as fed,
    ):  # fmt: skip
        price = await fed.load_remote("widgets/PriceFormatter")
        assert await price.format_price(100) == "€1.00"
        types_url = fed.loaded_versions("widgets")[0].manifest.types_url
        assert types_url is not None and "/@mf-types." in types_url
        async with httpx.AsyncClient() as client:
            assert (await client.get(types_url)).status_code == 200
