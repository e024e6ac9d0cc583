"""Regenerate the README's screenshots (``make screenshots``): ``mfe dev`` on a copy of the demo,
Debian's Chromium through Playwright, one PNG per page in ``docs/screenshots/``.

A copy, so the run leaves nothing in the checkout (``.mfe-types/`` lands beside the copied
config); bounded waits, so a page that never comes fails the run instead of hanging it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path

from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = Path(os.environ.get("MFE_CHROMIUM", "/usr/bin/chromium"))
START_WAIT = 60.0
PAGES = (  # file name, path, what must be on the page before it is shot, its status
    ("catalog", "/catalog", "#catalog-list li", 200),
    ("product", "/product/2", "#product-detail .product-title", 200),
    ("not-found", "/no-such-page", "main .not-found", 404),
    ("counter", "/counter", "#counter-value", 200),
    ("signed-in", "/login?user=alice", "#profile-status", 200),
    ("home", "/", "#clock-time[data-ticks='2']", 200),  # signed in: the profile greets alice
    ("signed-out", "/logout", "#profile-status", 200),
    ("inspector", "/_mfe/inspector", "#apps-body tr", 200),
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _wait_for_start(process: asyncio.subprocess.Process) -> None:
    assert process.stdout is not None
    while True:
        line = await process.stdout.readline()
        if not line:
            raise RuntimeError("mfe dev exited before it was ready")
        if b"Press Ctrl-C to stop." in line:
            return


async def shoot() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mfe-shots-") as work:
        copy = Path(work)
        shutil.copytree(ROOT / "demo", copy / "demo")
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(ROOT / "apps", copy / "apps", ignore=ignore)
        port, broker = _free_port(), _free_port()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "orchestrator.cli",
            "dev",
            str(copy / "demo" / "demo.toml"),
            "--port",
            str(port),
            "--broker-port",
            str(broker),
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            await asyncio.wait_for(_wait_for_start(process), START_WAIT)
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
                )
                page = await browser.new_page(viewport={"width": 1100, "height": 760})
                for name, path, ready, status in PAGES:
                    response = await page.goto(f"http://127.0.0.1:{port}{path}")
                    got = None if response is None else response.status
                    if got != status:
                        raise RuntimeError(f"{path} answered {got}, not {status}")
                    await page.wait_for_selector(ready, timeout=10_000)
                    await page.wait_for_timeout(300)  # let live updates settle
                    target = OUT / f"{name}.png"
                    await page.screenshot(path=str(target), full_page=True)
                    print(f"wrote {target.relative_to(ROOT)}")
                await browser.close()
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)  # mfe dev stops its broker on Ctrl-C
                try:
                    await asyncio.wait_for(process.wait(), 10)
                except TimeoutError:
                    process.kill()
                    await process.wait()
    return 0


def main() -> int:
    if not CHROMIUM.is_file():
        print(f"Chromium not found at {CHROMIUM}: run `make chromium`", file=sys.stderr)
        return 1
    return asyncio.run(shoot())


if __name__ == "__main__":
    sys.exit(main())
