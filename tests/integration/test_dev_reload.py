"""``mfe dev``'s reload path over real parts: a broker on 127.0.0.1, the app folders and the
composer on their own ports, pages as real WebSocket clients (the ``websockets`` library, both as
our ``WebClient`` and as raw frames the way the injected browser script sends them).

A file saved in a copy of ``apps/catalog`` → UPDATE_PUBLISHER → UPDATE_SUBSCRIBER to the
composer → its loader forgets → NOTIFY_WEB_CLIENT → RELOAD_WEB_CLIENT to every page of catalog.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import shutil
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from orchestrator.config import load_config
from orchestrator.dev import Broker, BrokerEvent, DevServer, EventKind, WebClient

ROOT = Path(__file__).resolve().parents[2]
WAIT = 5.0


@dataclass
class Seen:
    """Broker events, and a bounded wait for the first that matches (no sleeping)."""

    events: list[BrokerEvent] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, event: BrokerEvent) -> None:
        self.events.append(event)
        self.changed.set()

    async def wait_for(self, match: Callable[[BrokerEvent], bool]) -> BrokerEvent:
        async def scan() -> BrokerEvent:
            start = 0
            while True:
                for event in self.events[start:]:
                    if match(event):
                        return event
                start = len(self.events)
                self.changed.clear()
                await self.changed.wait()

        return await asyncio.wait_for(scan(), WAIT)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of the demo and its apps: tests edit files in it."""
    shutil.copytree(ROOT / "demo", tmp_path / "demo")
    shutil.copytree(ROOT / "apps", tmp_path / "apps", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
async def broker(seen: Seen) -> AsyncIterator[Broker]:
    async with Broker(port=0, on_event=seen) as running:
        yield running


@pytest.fixture
async def dev(demo: Path, broker: Broker) -> AsyncIterator[tuple[DevServer, io.StringIO]]:
    out = io.StringIO()
    server = DevServer(load_config(demo / "demo" / "demo.toml"), broker_port=broker.port, out=out)
    async with server:
        assert server.watcher is not None
        await asyncio.wait_for(server.watcher.ready.wait(), WAIT)
        yield server, out


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


async def test_a_saved_file_reloads_every_page_of_its_app_and_only_those(
    dev: tuple[DevServer, io.StringIO], demo: Path, broker: Broker
) -> None:
    server, out = dev
    async with httpx.AsyncClient(base_url=server.url) as http:
        before = (await http.get("/catalog")).text
        assert "Everything in the store today." in before

        reloads: list[str] = []
        catalog_reloaded = asyncio.Event()

        def on_reload(name: str) -> None:
            reloads.append(name)
            catalog_reloaded.set()

        clock_reloads: list[str] = []
        async with (
            WebClient(["header", "catalog"], url=broker.url, on_reload=on_reload),
            WebClient("catalog", url=broker.url, on_reload=on_reload),
            WebClient("clock", url=broker.url, on_reload=clock_reloads.append),
        ):
            started = time.perf_counter()
            edit(demo / "apps/catalog/index.html", "Everything in the store today.", "New in!")
            await asyncio.wait_for(server.reloaded.wait(), WAIT)
            await asyncio.wait_for(catalog_reloaded.wait(), WAIT)
            elapsed = time.perf_counter() - started
            assert server.reloads == [("catalog", 2)]
            after = (await http.get("/catalog")).text
        assert "New in!" in after and "Everything in the store today." not in after
        assert clock_reloads == []
        assert set(reloads) == {"catalog"}
        assert elapsed < 2.0
    assert "catalog changed → 2 pages reloaded" in out.getvalue().splitlines()


async def test_a_changed_script_is_run_anew_not_served_from_the_loaders_caches(
    dev: tuple[DevServer, io.StringIO], demo: Path
) -> None:
    server, _ = dev
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert "Mechanical keyboard" in (await http.get("/catalog")).text
        edit(demo / "apps/catalog/main.py", '"Mechanical keyboard"', '"Split keyboard"')
        await asyncio.wait_for(server.reloaded.wait(), WAIT)
        page = (await http.get("/catalog")).text
    assert "Split keyboard" in page and "Mechanical keyboard" not in page


async def test_the_wire_is_dts_plugins_as_the_browser_script_speaks_it(
    dev: tuple[DevServer, io.StringIO], demo: Path, broker: Broker, seen: Seen
) -> None:
    """Raw frames, as the injected script sends them: ADD_WEB_CLIENT per app shown, an AckLog
    each, then one API RELOAD_WEB_CLIENT naming the app that changed."""
    server, _ = dev
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = (await http.get("/catalog")).text
    match = re.search(r"<script data-mfe-dev-client>.*\}\)\((\{[^<]*\})\);</script>", page, re.S)
    assert match is not None, "the reload client is injected"
    config = json.loads(match.group(1))
    assert config == {"broker": broker.url, "apps": ["header", "catalog", "mfe:pages"]}
    assert page.index("data-mfe-dev-client") < page.index("</head>")

    async with connect(config["broker"], origin="http://127.0.0.1") as ws:  # type: ignore[arg-type]
        for name in config["apps"]:
            frame = {"type": "Action", "kind": "ADD_WEB_CLIENT", "payload": {"name": name}}
            await ws.send(json.dumps({**frame, "time": 0}))
        for _ in config["apps"]:
            ack = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
            assert (ack["type"], ack["kind"], ack["actionKind"]) == (
                "Log",
                "AckLog",
                "ADD_WEB_CLIENT",
            )
        path = demo / "apps/header/index.html"
        path.write_text(path.read_text() + "\n<!-- edited -->\n")
        message = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert message["type"] == "API" and message["kind"] == "RELOAD_WEB_CLIENT"
    assert message["payload"]["name"] == "header"
    update = await seen.wait_for(lambda e: e.kind is EventKind.PUBLISHER_UPDATED)
    assert update.name == "header" and update.notified == 1  # the composer's subscriber
    assert server.reloads == [("header", 1)]


async def test_the_inspector_records_requests_and_changes_and_tells_its_pages(
    dev: tuple[DevServer, io.StringIO], demo: Path, broker: Broker
) -> None:
    server, _ = dev
    told = asyncio.Event()
    async with (
        WebClient("mfe:inspector", url=broker.url, on_reload=lambda _: told.set()),
        httpx.AsyncClient(base_url=server.url) as http,
    ):
        assert (await http.get("/catalog")).status_code == 200
        await asyncio.wait_for(told.wait(), WAIT)  # a composed request: inspectors redraw
        data = (await http.get("/_mfe/inspector.json")).json()
        request = data["requests"][0]
        assert request["path"] == "/catalog" and request["status"] == 200
        assert [a["name"] for a in request["apps"]] == ["header", "catalog"]
        for span in request["apps"]:
            assert span["status"] == "ready" and not span["fell_back"]
            assert span["load_ms"] is not None and span["load_ms"] >= 0
            assert 0 <= span["start_ms"] <= request["total_ms"]
        assert request["ttfb_ms"] <= request["total_ms"]
        apps = {a["name"]: a for a in data["apps"]}
        assert apps["catalog"]["status"] == "ready"
        assert apps["catalog"]["entry"].startswith("http://127.0.0.1:")
        assert apps["clock"]["status"] == "not shown yet"

        told.clear()
        css = demo / "apps/catalog/style.css"
        css.write_text(css.read_text() + "\n/* edited */\n")
        await asyncio.wait_for(server.reloaded.wait(), WAIT)
        await asyncio.wait_for(told.wait(), WAIT)
        data = (await http.get("/_mfe/inspector.json")).json()
        apps = {a["name"]: a for a in data["apps"]}
        assert apps["catalog"]["status"] == "changed" and apps["catalog"]["changes"] == 1
        page = (await http.get("/_mfe/inspector")).text
        assert (await http.get("/favicon.ico")).status_code == 204
        paths = [r["path"] for r in (await http.get("/_mfe/inspector.json")).json()["requests"]]
    assert paths == ["/catalog"]  # composed pages only: not the inspector, not the favicon
    assert '"apps": ["mfe:inspector"]' in page
    assert "data-mfe-dev-client" not in page  # the inspector is not a composed page


async def test_a_failing_app_shows_in_the_waterfall_as_fallen_back(
    tmp_path: Path, broker: Broker
) -> None:
    dead = tmp_path / "dead.toml"
    shell = tmp_path / "shell.html"
    shell.write_text("<html><head></head><body><div id='a'></div></body></html>")
    dead.write_text(
        'shell = "shell.html"\n'
        "[[apps]]\n"
        'name = "gone"\n'
        'entry = "http://127.0.0.1:9/"\n'
        'container = "#a"\n'
        'active_rule = "/"\n'
        'fallback = "<p id=fb>gone for now</p>"\n'
        "timeout = 2\n"
    )
    out = io.StringIO()
    async with (
        DevServer(load_config(dead), broker_port=broker.port, out=out) as server,
        httpx.AsyncClient(base_url=server.url) as http,
    ):
        page = (await http.get("/")).text
        assert "gone for now" in page
        data: dict[str, Any] = (await http.get("/_mfe/inspector.json")).json()
    span = data["requests"][0]["apps"][0]
    assert span["name"] == "gone" and span["fell_back"] is True
    assert span["status"] == "failed"
    assert "127.0.0.1:9" in span["error"]
    assert data["apps"][0]["status"] == "failed"


async def test_without_a_broker_a_change_is_still_forgotten_and_said_so(
    dev: tuple[DevServer, io.StringIO], demo: Path, broker: Broker
) -> None:
    server, out = dev
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert "Everything in the store today." in (await http.get("/catalog")).text
        await broker.aclose()
        for publisher in server.publishers.values():
            await asyncio.wait_for(publisher.disconnected.wait(), WAIT)
        edit(demo / "apps/catalog/index.html", "Everything in the store today.", "Still fresh")
        await asyncio.wait_for(server.reloaded.wait(), WAIT)
        assert "Still fresh" in (await http.get("/catalog")).text
    (line,) = [line for line in out.getvalue().splitlines() if "changed" in line]
    assert line.startswith("catalog changed → not sent (dev broker at ws://127.0.0.1:")
    assert line.endswith("; reload its pages by hand")
