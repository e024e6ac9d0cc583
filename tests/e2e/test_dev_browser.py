"""``mfe dev`` on a copy of the demo, as a person runs it: a real process on free ports, Debian's
Chromium driven by Playwright, a file saved in ``apps/catalog/``, Ctrl-C (SIGINT) at the end.

The page must reload by itself (its window is a new one) and show the change within 2 s; the
inspector must redraw live (its window stays the same); after SIGINT no process of ``mfe dev``
is left, the broker it started included, though a page is still connected to it.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from orchestrator.config import load_config

try:
    from playwright.async_api import Browser, async_playwright
except ImportError as exc:  # pragma: no cover - the test extra installs it
    raise ImportError(
        "Playwright is needed for the browser tests: install the test extra "
        "(`pip install -e '.[test]'`, done by `make test`)"
    ) from exc

CHROMIUM = Path(os.environ.get("MFE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
HEALTH_STATES = {"instantiated", "initializing", "unstable", "stable", "unhealthy"}
START_WAIT = 20.0
STOP_WAIT = 15.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _brokers_on(port: int) -> list[int]:
    """Pids of broker processes (``python -m orchestrator.dev``) bound to ``port``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"orchestrator.dev" in argv and str(port).encode() in argv:
            found.append(int(entry.name))
    return found


@dataclass
class DevProcess:
    process: asyncio.subprocess.Process
    shell_url: str
    broker_port: int
    root: Path
    lines: list[str] = field(default_factory=list)
    new_line: asyncio.Event = field(default_factory=asyncio.Event)

    async def read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            self.lines.append(raw.decode().rstrip("\n"))
            self.new_line.set()

    async def wait_for_line(self, text: str, within: float) -> str:
        async def scan() -> str:
            start = 0
            while True:
                for line in self.lines[start:]:
                    if text in line:
                        return line
                start = len(self.lines)
                self.new_line.clear()
                await self.new_line.wait()

        return await asyncio.wait_for(scan(), within)


def _require_chromium() -> None:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make chromium` or set MFE_CHROMIUM",
            pytrace=False,
        )


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    _require_chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def mfe_dev(tmp_path: Path) -> AsyncIterator[DevProcess]:
    shutil.copytree(ROOT / "demo", tmp_path / "demo")
    shutil.copytree(ROOT / "apps", tmp_path / "apps", ignore=shutil.ignore_patterns("__pycache__"))
    port, broker_port = _free_port(), _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "orchestrator.cli",
        "dev",
        str(tmp_path / "demo" / "demo.toml"),
        "--port",
        str(port),
        "--broker-port",
        str(broker_port),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    dev = DevProcess(process, f"http://127.0.0.1:{port}", broker_port, tmp_path)
    reader = asyncio.create_task(dev.read())
    try:
        await dev.wait_for_line("Press Ctrl-C to stop.", START_WAIT)
        yield dev
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        reader.cancel()
        for pid in _brokers_on(broker_port):  # never leave one behind, even on a failure
            os.kill(pid, signal.SIGKILL)


async def test_a_saved_file_reloads_the_open_page_and_ctrl_c_leaves_nothing(
    browser: Browser, mfe_dev: DevProcess
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    assert any(line.startswith("Broker: ") and "(started)" in line for line in mfe_dev.lines)
    page = await browser.new_page()
    await page.goto(f"{mfe_dev.shell_url}/catalog")
    await page.wait_for_selector("html[data-mfe-dev=connected]", timeout=5000)
    assert (await page.inner_text(".catalog-intro")).strip() == "Everything in the store today."
    await page.evaluate("window.__beforeEdit = true")

    index = mfe_dev.root / "apps" / "catalog" / "index.html"
    started = time.perf_counter()
    index.write_text(index.read_text().replace("Everything in the store today.", "Fresh stock!"))
    await page.wait_for_selector(".catalog-intro:has-text('Fresh stock!')", timeout=2000)
    elapsed = time.perf_counter() - started
    assert await page.evaluate("window.__beforeEdit === undefined")  # a reload, a new window
    assert elapsed < 2.0
    line = await mfe_dev.wait_for_line("catalog changed", 2.0)
    assert line == "catalog changed → 1 page reloaded"
    await page.screenshot(path=str(ARTIFACTS / "dev-reloaded.png"))
    print(f"edit → reloaded page shows it: {elapsed * 1000:.0f} ms")

    assert _brokers_on(mfe_dev.broker_port), "the broker runs as its own process"
    await page.wait_for_selector("html[data-mfe-dev=connected]", timeout=5000)
    mfe_dev.process.send_signal(signal.SIGINT)  # the page stays connected to the broker
    code = await asyncio.wait_for(mfe_dev.process.wait(), STOP_WAIT)
    assert code == 0
    assert "Stopped." in mfe_dev.lines and "Broker: stopped." in mfe_dev.lines
    assert _brokers_on(mfe_dev.broker_port) == []
    for port in (mfe_dev.broker_port, int(mfe_dev.shell_url.rsplit(":", 1)[1])):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"
    await page.close()


async def test_the_inspector_redraws_live_with_each_request_and_change(
    browser: Browser, mfe_dev: DevProcess
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    context = await browser.new_context(viewport={"width": 1200, "height": 800})
    inspector = await context.new_page()
    await inspector.goto(f"{mfe_dev.shell_url}/_mfe/inspector")
    await inspector.wait_for_selector("html[data-mfe-dev=connected]", timeout=5000)
    await inspector.evaluate("window.__sameWindow = true")
    demo_apps = load_config(ROOT / "demo" / "demo.toml").apps
    assert await inspector.locator("#apps-body tr").count() == len(demo_apps) == 5
    assert (await inspector.inner_text("tr[data-app=clock] td.status")) == "not shown yet"

    shop = await context.new_page()
    await shop.goto(f"{mfe_dev.shell_url}/catalog")
    card = inspector.locator(".request[data-path='/catalog']").first
    await card.wait_for(timeout=3000)
    lanes = card.locator(".lane[data-app]")
    assert await lanes.evaluate_all("ls => ls.map(l => l.dataset.app)") == ["header", "catalog"]
    assert await card.locator(".lane[data-fell-back=true]").count() == 0
    assert (await inspector.inner_text("tr[data-app=catalog] td.status")) == "ready"
    row = inspector.locator("tr[data-app=catalog]")
    version = (await row.locator("td.version").inner_text()).strip()
    # the x-mfe-version its AppServer sends (the build time t, in ms), as the loader saw it
    assert re.fullmatch(r"\d{13}", version), version
    assert (await row.locator("td.health").inner_text()) in HEALTH_STATES
    assert re.fullmatch(r"\d+\.\d ms", await row.locator("td.load").inner_text())
    assert re.fullmatch(r"\d+\.\d ms", await row.locator("td.mount").inner_text())
    assert (await inspector.inner_text("tr[data-app=clock] td.health")) == "instantiated"
    catalog_lane = card.locator(".lane[data-app=catalog]")
    assert " + mount " in await catalog_lane.locator(".note").inner_text()
    assert await catalog_lane.locator(".bar.mount").count() == 1

    await shop.wait_for_selector("html[data-mfe-dev=connected]", timeout=5000)
    css = mfe_dev.root / "apps" / "catalog" / "style.css"
    css.write_text(css.read_text() + "\n/* edited */\n")
    await inspector.wait_for_function(
        "document.querySelector('tr[data-app=catalog] td.changes').textContent === '1'",
        timeout=3000,
    )
    await inspector.locator(".request[data-path='/catalog']").nth(1).wait_for(timeout=3000)
    assert await inspector.evaluate("window.__sameWindow === true")  # redrawn, not reloaded
    await inspector.screenshot(path=str(ARTIFACTS / "dev-inspector.png"), full_page=True)
    await context.close()
