"""The demo in a real browser: Debian's Chromium, driven by Playwright, over loopback servers.

A missing browser or Playwright is a failure with a clear message, never a skip: `make test`
installs Chromium (`make chromium`) and the test extra installs Playwright.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from orchestrator.asgi import ComposeApp
from orchestrator.config import load_config
from orchestrator.serve import LoopbackASGIServer, find_demo_config, serve_app_dirs, static_app

try:
    from playwright.async_api import Browser, Page, async_playwright
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

# the colours each stylesheet gives `h1` (apps/*/style.css and the shell's own <style>)
SHELL_H1 = "rgb(15, 23, 42)"
HEADER_H1 = "rgb(255, 255, 255)"
APP_H1 = {
    "catalog": "rgb(22, 101, 52)",
    "profile": "rgb(107, 33, 168)",
    "clock": "rgb(217, 119, 6)",
}


def _require_chromium() -> None:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make chromium` (Debian's `chromium` package) "
            "or set MFE_CHROMIUM to a Chromium binary",
            pytrace=False,
        )


def _shot(name: str) -> str:
    ARTIFACTS.mkdir(exist_ok=True)
    return str(ARTIFACTS / name)


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
async def demo_url() -> AsyncIterator[str]:
    config = load_config(find_demo_config())
    async with serve_app_dirs(config) as served:
        app = ComposeApp(served)
        async with LoopbackASGIServer(app, lifespan="on") as shell:
            yield shell.url.rstrip("/")


async def _colour(page: Page, selector: str) -> str:
    return str(await page.eval_on_selector(selector, "el => getComputedStyle(el).color"))


async def _text(page: Page, selector: str) -> str:
    return (await page.inner_text(selector)).strip()


async def _visit(page: Page, url: str, shot: str) -> None:
    response = await page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    await page.screenshot(path=_shot(shot), full_page=True)


async def test_clock_app_alone_runs_its_javascript(browser: Browser) -> None:
    async with LoopbackASGIServer(static_app(ROOT / "apps" / "clock")) as server:
        page = await browser.new_page()
        await page.goto(server.url)
        await page.wait_for_function(
            "Number(document.getElementById('clock-time').dataset.ticks) >= 1", timeout=5000
        )
        assert re.fullmatch(r"\d\d:\d\d:\d\d", await _text(page, "#clock-time"))
        await page.close()


async def test_demo_pages_compose_scope_and_share_state(browser: Browser, demo_url: str) -> None:
    context = await browser.new_context(viewport={"width": 1100, "height": 760})
    page = await context.new_page()

    await _visit(page, f"{demo_url}/catalog", "catalog.png")
    assert await page.locator("#catalog li.product").count() == 5
    prices = await page.locator("#catalog .product-price").all_inner_texts()
    assert [price.strip() for price in prices] == [
        "€89.00",
        "€35.50",
        "€249.00",
        "€129.90",
        "€59.00",
    ]
    assert await _text(page, "#header-user") == "Not signed in"
    assert await page.locator("#profile *").count() == 0
    header_h1 = await _colour(page, "#header h1")
    catalog_h1 = await _colour(page, "#catalog h1")
    shell_h1 = await _colour(page, "#shell-title")
    assert (header_h1, catalog_h1, shell_h1) == (HEADER_H1, APP_H1["catalog"], SHELL_H1)
    cards = [
        await page.eval_on_selector(sel, "el => getComputedStyle(el).backgroundColor")
        for sel in ("#header .card", "#catalog .card", ".shell-intro")
    ]
    assert len(set(cards)) == 3, cards

    await _visit(page, f"{demo_url}/profile", "profile.png")
    assert await _text(page, "#profile-status") == "Nobody is signed in."
    assert (await _text(page, "#profile-credit")).startswith("Store credit: €25.00")
    assert await _colour(page, "#profile h1") == APP_H1["profile"]
    assert await _colour(page, "#header h1") == HEADER_H1
    assert await _colour(page, "#shell-title") == SHELL_H1
    assert await page.locator("#catalog *").count() == 0

    await _visit(page, f"{demo_url}/login?user=alice", "login.png")
    assert await _text(page, "#header-user") == "Signed in as alice"

    await _visit(page, f"{demo_url}/profile", "profile-signed-in.png")
    assert await _text(page, "#header-user") == "Signed in as alice"
    assert (await _text(page, "#profile-status")).startswith("Signed in as alice")

    await _visit(page, f"{demo_url}/clock", "clock.png")
    assert await _colour(page, "#clock h1") == APP_H1["clock"]
    await page.wait_for_function(
        "Number(document.getElementById('clock-time').dataset.ticks) >= 2", timeout=5000
    )
    assert re.fullmatch(r"\d\d:\d\d:\d\d", await _text(page, "#clock-time"))
    await page.screenshot(path=_shot("clock.png"), full_page=True)
    # the server sent the placeholder: the time on screen was written by the browser
    async with httpx.AsyncClient() as client:
        raw = await client.get(f"{demo_url}/clock")
    assert "--:--:--" in raw.text

    # the home page: several apps at once, the clock ticking in the browser
    await _visit(page, f"{demo_url}/", "home.png")
    assert await page.locator("#catalog li.product").count() == 3
    assert (await _text(page, "#profile-status")).startswith("Signed in as alice")
    await page.wait_for_function(
        "Number(document.getElementById('clock-time').dataset.ticks) >= 1", timeout=5000
    )
    assert await page.locator("#counter *").count() == 0
    assert not await page.locator(".inspector-link").is_visible()  # no inspector served here

    # a tile is a link to its product page
    await page.click("#catalog li.product[data-id='2'] a")
    await page.wait_for_load_state("load")
    assert page.url == f"{demo_url}/product/2"
    assert await _text(page, "#product-detail .product-title") == "Wireless mouse"
    assert await _text(page, "#product-detail .product-price") == "€35.50"
    await page.screenshot(path=_shot("product.png"), full_page=True)

    missing = await page.goto(f"{demo_url}/no-such-page")
    assert missing is not None and missing.status == 404
    assert await _text(page, "#header-user") == "Signed in as alice"  # the shell's header
    assert await _text(page, "main .not-found h2") == "There is no page at /no-such-page."
    assert await _colour(page, "#header h1") == HEADER_H1
    await page.screenshot(path=_shot("not-found.png"), full_page=True)

    # another user (another cookie jar) has a session of their own
    stranger = await browser.new_context()
    other = await stranger.new_page()
    await _visit(other, f"{demo_url}/profile", "profile-other-user.png")
    assert await _text(other, "#header-user") == "Not signed in"
    await stranger.close()
    await context.close()


async def test_mfe_demo_shows_an_edited_app_on_the_next_navigation(
    browser: Browser, tmp_path: Path
) -> None:
    """DESIGN §6: ``mfe demo`` serves each app as a live deployment, so editing
    ``apps/catalog/index.html`` changes the open page's next navigation, with no restart.
    On a copy of the demo: the checkout's files are never touched."""
    shutil.copytree(ROOT / "demo", tmp_path / "demo")
    shutil.copytree(ROOT / "apps", tmp_path / "apps", ignore=shutil.ignore_patterns("__pycache__"))
    template = tmp_path / "apps" / "catalog" / "index.html"
    before, after = "Everything in the store today.", "Fresh stock, deployed while you watched."
    assert before in template.read_text()
    config = load_config(tmp_path / "demo" / "demo.toml")
    async with serve_app_dirs(config, watch=True) as served:
        app = ComposeApp(served, secret_key="live-demo-test")
        async with LoopbackASGIServer(app, lifespan="on") as shell:
            page = await browser.new_page()
            await _visit(page, f"{shell.url}catalog", "live-before.png")
            assert await _text(page, ".catalog-intro") == before
            template.write_text(template.read_text().replace(before, after))
            await page.click("#header a[href='/catalog']")  # the next navigation
            await page.wait_for_load_state("load")
            assert await _text(page, ".catalog-intro") == after
            assert await page.locator("#catalog-list li").count() == 5  # still the whole app
            await page.screenshot(path=_shot("live-after.png"), full_page=True)
            await page.close()


async def test_the_footer_links_the_inspector_where_it_is_served(browser: Browser) -> None:
    """``mfe serve --inspect`` (``inspected_app``) marks its pages: the shell's footer shows the
    inspector link there, and it leads to the inspector."""
    from orchestrator.dev import inspected_app

    config = load_config(find_demo_config())
    async with serve_app_dirs(config) as served:
        app = inspected_app(served)
        async with LoopbackASGIServer(app, lifespan="on") as shell:
            page = await browser.new_page()
            await _visit(page, f"{shell.url}catalog", "inspector-link.png")
            link = page.locator(".inspector-link a")
            assert await link.is_visible()
            await link.click()
            await page.wait_for_selector("#apps-body tr[data-app=catalog]", timeout=5000)
            assert page.url == f"{shell.url}_mfe/inspector"
            await page.close()
