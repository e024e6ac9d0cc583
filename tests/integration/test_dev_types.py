"""Live types over real parts: a remote built with ``mfe federation build`` and served on
127.0.0.1, a broker, its publisher and a host's subscriber; the stubs land in ``.mfe-types/`` and
mypy (``mypy.api.run``) type-checks host code against them, before and after the remote changes.
"""

from __future__ import annotations

import asyncio
import io
import shutil
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from mypy import api as mypy_api

from orchestrator.config import load_config
from orchestrator.dev import (
    Broker,
    DevServer,
    Publisher,
    Subscriber,
    TypesError,
    TypesPuller,
    TypesResult,
    Update,
)
from orchestrator.federation.build import build_remote_dir
from orchestrator.testing import LoopbackServer, Reply

ROOT = Path(__file__).resolve().parents[2]
WAIT = 10.0

PRICE_V1 = '''"""Prices."""


def format_price(cents: int) -> str:
    return f"{cents / 100:.2f}"
'''
PRICE_V2 = '''"""Prices, in whole cents now."""


def format_price(cents: int) -> int:
    return cents


def currency() -> str:
    return "EUR"
'''
HOST = """from widgets.price import format_price

label: str = format_price(1250)
"""


def build(source: Path, out: Path) -> None:
    build_remote_dir(source, out, name="widgets", exposes=["./Price=price.py"], version="1.0.0")


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[tuple[Path, Path, LoopbackServer]]:
    source = tmp_path / "widgets"
    source.mkdir()
    (source / "price.py").write_text(PRICE_V1)
    out = tmp_path / "dist"
    build(source, out)
    with LoopbackServer(root=out) as server:
        yield source, out, server


@pytest.fixture
async def broker() -> AsyncIterator[Broker]:
    async with Broker(port=0) as running:
        yield running


def mypy_errors(project: Path) -> list[str]:
    """mypy on the host file, with the layout the README gives (one mypy_path per remote)."""
    config = project / "mypy.ini"
    config.write_text(
        "[mypy]\nmypy_path = $MYPY_CONFIG_FILE_DIR/.mfe-types/widgets\nstrict = true\n"
    )
    stdout, _, _ = mypy_api.run(
        [
            "--config-file",
            str(config),
            "--cache-dir",
            str(project / ".mypy_cache"),
            str(project / "host.py"),
        ]
    )
    return [line for line in stdout.splitlines() if ": error:" in line]


async def test_an_update_brings_new_stubs_and_mypy_sees_the_change(
    remote: tuple[Path, Path, LoopbackServer], broker: Broker, tmp_path: Path
) -> None:
    source, out, server = remote
    project = tmp_path / "host"
    project.mkdir()
    (project / "host.py").write_text(HOST)
    manifest_url = server.url_for("/mf-manifest.json")
    pulls: asyncio.Queue[object] = asyncio.Queue()

    async with TypesPuller(project) as puller:

        async def on_update(update: Update) -> None:
            await pulls.put(await puller.on_update(update))

        url = f"ws://127.0.0.1:{broker.port}/"
        async with (
            Publisher("widgets", types_url=manifest_url, url=url) as publisher,
            Subscriber("host", ["widgets"], on_update=on_update, url=url),
        ):
            first = await asyncio.wait_for(pulls.get(), WAIT)  # the pull on joining
            stub = project / ".mfe-types/widgets/widgets/price.pyi"
            assert getattr(first, "result", None) is TypesResult.UPDATED
            assert "def format_price(cents: int) -> str" in stub.read_text()
            assert await asyncio.to_thread(mypy_errors, project) == []

            (source / "price.py").write_text(PRICE_V2)
            await asyncio.to_thread(build, source, out)
            ack = await publisher.update(types_url=manifest_url)
            assert ack.notified == 1
            second = await asyncio.wait_for(pulls.get(), WAIT)
            assert getattr(second, "result", None) is TypesResult.UPDATED
            assert "def format_price(cents: int) -> int" in stub.read_text()
            assert "def currency() -> str" in stub.read_text()
            errors = await asyncio.to_thread(mypy_errors, project)
            assert len(errors) == 1 and "host.py:3" in errors[0]
            assert 'Incompatible types in assignment (expression has type "int"' in errors[0]

            (source / "price.py").write_text(PRICE_V1)
            await asyncio.to_thread(build, source, out)
            await publisher.update(types_url=manifest_url)
            await asyncio.wait_for(pulls.get(), WAIT)
            assert await asyncio.to_thread(mypy_errors, project) == []
            assert puller.mypy_path() == [str(project.resolve() / ".mfe-types/widgets")]


async def test_the_same_build_again_changes_nothing_and_a_removed_module_goes(
    remote: tuple[Path, Path, LoopbackServer], tmp_path: Path
) -> None:
    source, out, server = remote
    (source / "extra.py").write_text("def gone() -> None: ...\n")
    build(source, out)
    async with TypesPuller(tmp_path / "host") as puller:
        url = server.url_for("/mf-manifest.json")
        first = await puller.pull("widgets", url)
        assert "widgets/extra.pyi" in first.files
        assert (await puller.pull("widgets", url)).result is TypesResult.UNCHANGED
        (source / "extra.py").unlink()
        build(source, out)
        third = await puller.pull("widgets", url)
        assert third.result is TypesResult.UPDATED
        assert not (first.folder / "widgets/extra.pyi").exists()
        assert (first.folder / "widgets/price.pyi").is_file()


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({"../evil.pyi": b"x: int"}, "not a plain relative path"),
        ({"/etc/evil.pyi": b"x: int"}, "not a plain relative path"),
        ({"widgets/run_me.py": b"import os"}, "not a .pyi stub"),
        ({"widgets/big.pyi": b"#" * 3_000_000}, "size cap"),
        ({}, "empty"),
    ],
)
async def test_a_hostile_types_zip_is_refused_and_the_old_stubs_stay(
    remote: tuple[Path, Path, LoopbackServer],
    tmp_path: Path,
    files: dict[str, bytes],
    reason: str,
) -> None:
    _, _, server = remote
    async with TypesPuller(tmp_path / "host") as puller:
        good = await puller.pull("widgets", server.url_for("/mf-manifest.json"))
        before = sorted(p.relative_to(good.folder) for p in good.folder.rglob("*"))
        server.route("/bad.zip", Reply(200, body=zipped(files), content_type="application/zip"))
        with pytest.raises(TypesError, match=reason) as caught:
            await puller.pull("widgets", server.url_for("/bad.zip"))
        assert caught.value.remote == "widgets"
        assert sorted(p.relative_to(good.folder) for p in good.folder.rglob("*")) == before
        assert not (tmp_path / "evil.pyi").exists() and not (tmp_path / "host/evil.pyi").exists()


async def test_stubs_that_do_not_match_the_manifests_integrity_are_refused(
    remote: tuple[Path, Path, LoopbackServer], tmp_path: Path
) -> None:
    _, out, server = remote
    (zip_path,) = out.glob("@mf-types.*.zip")
    server.route(f"/{zip_path.name}", Reply(200, body=zipped({"widgets/x.pyi": b"y: int\n"})))
    async with TypesPuller(tmp_path / "host") as puller:
        with pytest.raises(TypesError, match="integrity"):
            await puller.pull("widgets", server.url_for("/mf-manifest.json"))
    assert not (tmp_path / "host/.mfe-types/widgets").exists()


@pytest.mark.parametrize("name", ["..", "a/b", "", "../../x"])
async def test_a_remote_name_cannot_leave_the_types_folder(tmp_path: Path, name: str) -> None:
    async with TypesPuller(tmp_path) as puller:
        with pytest.raises(TypesError, match="remote's name"):
            await puller.pull(name, "http://127.0.0.1:9/mf-manifest.json")


async def test_types_from_an_untrusted_origin_are_not_fetched(tmp_path: Path) -> None:
    async with TypesPuller(tmp_path, trusted_origins=["https://apps.example.com"]) as puller:
        with pytest.raises(TypesError, match="trusted origins"):
            await puller.pull("widgets", "http://127.0.0.1:9/mf-manifest.json")


# -- mfe dev ---------------------------------------------------------------------------------


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "demo", tmp_path / "demo")
    shutil.copytree(ROOT / "apps", tmp_path / "apps", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


async def test_mfe_dev_pulls_a_local_remotes_types_and_again_when_it_changes(
    demo: Path, broker: Broker
) -> None:
    out = io.StringIO()
    server = DevServer(load_config(demo / "demo/demo.toml"), broker_port=broker.port, out=out)
    stub = demo / "demo/.mfe-types/widgets/widgets/price.pyi"
    async with server:
        assert server.watcher is not None
        await asyncio.wait_for(server.watcher.ready.wait(), WAIT)
        await asyncio.wait_for(server.types_pulled.wait(), WAIT)
        assert server.types_pulls == [("widgets", "updated")]
        assert "async def format_price(cents: int) -> str" in stub.read_text()
        server.types_pulled.clear()
        async with httpx.AsyncClient(base_url=server.url) as client:
            assert "Prices by widgets 1.0.0" in (await client.get("/catalog")).text

            price = demo / "apps/widgets/price.py"
            price.write_text(
                price.read_text().replace('__version__ = "1.0.0"', '__version__ = "1.0.1"')
                + "\n\ndef discount(cents: int, percent: int) -> int:\n"
                "    return cents * (100 - percent) // 100\n"
            )
            await asyncio.wait_for(server.types_pulled.wait(), WAIT)
            assert server.types_pulls[-1] == ("widgets", "updated")
            assert "def discount(cents: int, percent: int) -> int" in stub.read_text()
            await asyncio.wait_for(server.reloaded.wait(), WAIT)  # the new build is in use
            assert server.reloads[-1][0] == "widgets"
            assert "Prices by widgets 1.0.1" in (await client.get("/catalog")).text
    lines = out.getvalue().splitlines()
    assert any(line.startswith("widgets types pulled (") for line in lines)
    types, swapped = [line for line in lines if line.startswith("widgets changed")]
    assert types.startswith("widgets changed → types updated (")
    assert types.endswith(".mfe-types/widgets)")
    assert swapped == "widgets changed → new build in use, 0 pages reloaded"
