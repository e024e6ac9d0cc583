"""A Font Awesome-style stylesheet whose font is served without CORS headers: in Chromium the
font loads through the composer's ``/_mfe/<app>/`` proxy (one origin), and fails without it
(the browser refuses a cross-origin font), so the proxy is what makes it work (issue 16)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestrator.asgi import ComposeApp
from orchestrator.config import AppConfig, ComposeConfig
from orchestrator.serve import LoopbackASGIServer
from orchestrator.testing import LoopbackServer, Reply

try:
    from playwright.async_api import async_playwright
except ImportError as exc:  # pragma: no cover - the test extra installs it
    raise ImportError("Playwright is needed: install the test extra (`make install`)") from exc

CHROMIUM = Path(os.environ.get("MFE_CHROMIUM", "/usr/bin/chromium"))
HAVE_CHROMIUM = CHROMIUM.is_file()
SHELL = (
    "<!doctype html><html><head><title>shop</title></head><body>"
    '<main id="content"></main></body></html>'
)
CSS = (
    '@font-face { font-family: "AppIcons"; src: url(../fonts/icons.ttf) format("truetype"); }\n'
    '.icon { font-family: "AppIcons"; }\n'
)
PAGE = (
    '<html><head><link rel="stylesheet" href="css/icons.css"></head>'
    '<body><i class="icon" id="star">A</i></body></html>'
)
LOADED = """async () => {
  try {
    const faces = await document.fonts.load('16px AppIcons');
    return faces.length > 0 && faces.every((face) => face.status === 'loaded');
  } catch (error) {
    return false;
  }
}"""


def _a_font() -> bytes:
    fonts = sorted(Path("/usr/share/fonts").rglob("*.ttf"))
    if not fonts:
        pytest.fail("no TrueType font under /usr/share/fonts (Chromium's fonts are missing)")
    return fonts[0].read_bytes()


async def _font_loads(asset_proxy: bool) -> bool:
    with LoopbackServer() as app_server:
        app_server.route("/icons/", Reply(body=PAGE))
        app_server.route("/icons/css/icons.css", Reply(body=CSS, content_type="text/css"))
        app_server.route("/icons/fonts/icons.ttf", Reply(body=_a_font(), content_type="font/ttf"))
        config = ComposeConfig(
            shell_html=SHELL,
            apps=(AppConfig("icons", "#content", ("/",), entry=app_server.url_for("/icons/")),),
            options={"prefetch": False},
        )
        composer = ComposeApp(config, asset_proxy=asset_proxy)
        async with LoopbackASGIServer(composer, lifespan="on") as served, async_playwright() as p:
            browser = await p.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                page = await browser.new_page()
                response = await page.goto(served.url)
                assert response is not None and response.status == 200
                return bool(await page.evaluate(LOADED))
            finally:
                await browser.close()


async def test_a_font_without_cors_loads_through_the_proxy_and_not_without_it() -> None:
    if not HAVE_CHROMIUM:
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make chromium`", pytrace=False)
    assert await _font_loads(asset_proxy=True)
    assert not await _font_loads(asset_proxy=False)  # cross-origin, no CORS: refused
