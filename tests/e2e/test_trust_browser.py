"""The composed page in Chromium: an app's CSS cannot leave its wrapper (issue 12).

An attacker's stylesheet tries two ways out: text that closes the inlined ``<style>`` (markup
after it would run on the shell's origin), and an ``@import`` of a sheet styling the whole page
(qiankun leaves ``@import`` alone, so it bypasses scoping). Debian's Chromium, driven by
Playwright; a missing browser is a failure, never a skip.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from orchestrator import EntryLoader, Orchestrator
from orchestrator.testing import LoopbackServer, Reply

try:
    from playwright.async_api import async_playwright
except ImportError as exc:  # pragma: no cover - the test extra installs it
    raise ImportError("Playwright is needed: install the test extra (`make install`)") from exc

CHROMIUM = Path(os.environ.get("MFE_CHROMIUM", "/usr/bin/chromium"))
HAVE_CHROMIUM = CHROMIUM.is_file()
SHELL = (
    "<!DOCTYPE html><html><head><style>p { color: rgb(0, 0, 0) }</style></head><body>"
    '<p id="shell-p">shell</p><main id="main"></main></body></html>'
)
ATTACK = (
    '@import "green.css";\n'
    "p::after { content: \"</style><script>document.title='pwned-1'</script>\" }\n"
    "/* </STYLE><img id=injected src=x onerror=\"document.title='pwned-2'\"> */\n"
    ".app p { color: rgb(0, 0, 255) }\n"
)


async def composed(server: LoopbackServer, sandbox: Any) -> str:
    server.route("/s.css", Reply(body=ATTACK, content_type="text/css"))
    server.route("/green.css", Reply(body="p { color: rgb(0, 128, 0) }", content_type="text/css"))
    server.route(
        "/index.html",
        Reply(
            body='<link rel="stylesheet" href="s.css"><div class="app"><p id="app-p">app</p></div>'
        ),
    )
    async with (
        EntryLoader(trusted_origins=[]) as loader,
        Orchestrator(SHELL, url="http://localhost/app", loader=loader) as tab,
    ):
        tab.register_micro_apps(
            [{"name": "app", "entry": server.url_for("/index.html"), "container": "#main",
              "active_rule": "/app"}]
        )  # fmt: skip
        await tab.start(prefetch=False, sandbox=sandbox)
        assert tab.get_mounted_apps() == ["app"]
        return tab.document.html


@pytest.mark.parametrize(
    "sandbox", [True, {"experimental_style_isolation": True}], ids=["plain", "scoped"]
)
async def test_app_css_stays_inside_its_wrapper_in_chromium(sandbox: Any) -> None:
    if not HAVE_CHROMIUM:
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make chromium`", pytrace=False)
    with LoopbackServer() as server:
        page_html = await composed(server, sandbox)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = await browser.new_page()
            await page.set_content(page_html)
            title = await page.title()
            injected = await page.evaluate("document.querySelectorAll('#injected, script').length")
            shell = await page.evaluate(
                "getComputedStyle(document.getElementById('shell-p')).color"
            )
            app = await page.evaluate("getComputedStyle(document.getElementById('app-p')).color")
        finally:
            await browser.close()
    assert title == ""  # neither payload ran
    assert injected == 0
    assert app == "rgb(0, 0, 255)"  # the app's own rule still applies inside its wrapper
    if sandbox is not True:
        # scoped: the imported sheet is inlined under the wrapper's prefix, not the page
        assert shell == "rgb(0, 0, 0)"
