"""Scoped CSS in a real browser: it styles the app's wrapper and nothing outside it.

Debian's Chromium driven by Playwright, on a page set from a string (no server needed). A
missing browser is a failure with a clear message, never a skip (`make chromium` installs it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import tinycss2

from css_scoper import app_prefix, scope_css

try:
    from playwright.async_api import async_playwright
except ImportError as exc:  # pragma: no cover - the test extra installs it
    raise ImportError("Playwright is needed: install the test extra (`make install`)") from exc

CHROMIUM = Path(os.environ.get("MFE_CHROMIUM", "/usr/bin/chromium"))

APP_CSS = """
body { background-color: rgb(1, 2, 3); }
html, body { margin-left: 7px; }
:root { --app-color: rgb(4, 5, 6); }
.x { color: var(--app-color, rgb(0, 0, 0)); }
body.dark .x { font-weight: 700; }
[dir="rtl"] body .x { letter-spacing: 3px; }
@media screen { .x { text-decoration-line: underline; } }
@layer base { .x { word-spacing: 5px; } }
.card { & .t { color: rgb(7, 8, 9); } }
@scope (.card) to (.stop) { .t { font-style: italic; } }
:is(.x, .y) { outline-style: solid; }
> .x { color: rgb(255, 0, 0); }
.nope,, .x { color: rgb(255, 0, 0); }
"""

PAGE = """<!DOCTYPE html>
<html><head><style>{css}</style></head>
<body>
  <p class="x" id="outside">outside</p>
  <div dir="rtl">
    <div data-qiankun="app" class="dark" id="wrapper">
      <p class="x" id="inside">inside</p>
      <div class="card"><span class="t" id="nested">n</span>
        <div class="stop"><span class="t" id="below-stop">s</span></div></div>
    </div>
  </div>
</body></html>"""

STYLE_OF = """
(id) => {
  const s = getComputedStyle(document.getElementById(id) || document.body);
  return {
    color: s.color, background: s.backgroundColor, margin: s.marginLeft, weight: s.fontWeight,
    spacing: s.letterSpacing, underline: s.textDecorationLine, words: s.wordSpacing,
    italic: s.fontStyle, outline: s.outlineStyle,
  };
}
"""


def _require_chromium() -> None:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make chromium` or set MFE_CHROMIUM",
            pytrace=False,
        )


async def computed_styles(css: str, *ids: str) -> dict[str, dict[str, str]]:
    """The computed styles of elements (by id; "body" for the body) on the page styled by `css`."""
    _require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = await browser.new_page()
            await page.set_content(PAGE.format(css=css))
            return {name: await page.evaluate(STYLE_OF, name) for name in ids}
        finally:
            await browser.close()


async def test_scoped_css_applies_inside_the_wrapper_only() -> None:
    scoped = scope_css(APP_CSS, app_prefix("app"))
    styles = await computed_styles(
        scoped, "body", "wrapper", "inside", "outside", "nested", "below-stop"
    )

    body, wrapper, inside, outside = (styles[n] for n in ("body", "wrapper", "inside", "outside"))
    # html/body/:root rules land on the wrapper, not on the page
    assert wrapper["background"] == "rgb(1, 2, 3)"
    assert wrapper["margin"] == "7px"
    assert body["background"] == "rgba(0, 0, 0, 0)"
    assert body["margin"] == "8px"  # the browser's default, untouched
    # rules reach the app's elements, through @media, @layer, :is(), body.dark and [dir] body
    assert inside["color"] == "rgb(4, 5, 6)"
    assert inside["weight"] == "700"
    assert inside["spacing"] == "3px"
    assert inside["underline"] == "underline"
    assert inside["words"] == "5px"
    assert inside["outline"] == "solid"
    # ...and nothing outside the wrapper; the rules a browser drops are still dropped
    assert outside["color"] == "rgb(0, 0, 0)"
    assert outside["weight"] == "400"
    assert outside["underline"] == "none"
    assert outside["words"] == "0px"
    assert outside["outline"] == "none"
    # nesting and @scope keep working relative to their parent / scope root
    assert styles["nested"]["color"] == "rgb(7, 8, 9)"
    assert styles["nested"]["italic"] == "italic"
    assert styles["below-stop"]["italic"] == "normal"


async def test_unscoped_css_would_have_leaked() -> None:
    """The control for the test above: the same page with the app's CSS as it is."""
    styles = await computed_styles(APP_CSS, "outside", "body")
    outside, body = styles["outside"], styles["body"]
    assert outside["color"] == "rgb(4, 5, 6)"
    assert outside["underline"] == "underline"
    assert body["background"] == "rgb(1, 2, 3)"


WALK_RULES = """
(css) => {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  const out = [];
  const walk = (rules, depth) => {
    for (const rule of rules) {
      const row = {depth, type: rule.constructor.name, selector: rule.selectorText ?? null,
                   style: rule.style ? rule.style.cssText : null,
                   head: rule.conditionText ?? rule.name ?? rule.nameList?.join(",") ?? null};
      out.push(row);
      if (rule.cssRules && rule.constructor.name !== "CSSStyleRule") walk(rule.cssRules, depth + 1);
      else if (rule.cssRules) row.nested = rule.cssRules.length;
    }
  };
  walk(sheet.cssRules, 0);
  return out;
}
"""

BROWSER_SHEET = """
:root, [data-bs-theme=light] { --bs-blue: #0d6efd; }
html body .a, body > .b, .c:not(.d, .e), [title="x, y"] .f { color: red; }
*, ::before { box-sizing: border-box; }
.g { background: url(g.png) no-repeat; & .h { color: blue; } }
@media (min-width: 576px) { .container { max-width: 540px; } body { margin: 0; } }
@supports (display: grid) { @layer grid { .grid { display: grid; } } }
@container (min-width: 400px) { .card { padding: 1rem; } }
@keyframes spin { to { transform: rotate(360deg); } }
@font-face { font-family: X; src: url(x.woff2); }
"""


def _sheets() -> list[str]:
    sheets = [BROWSER_SHEET]
    kit = Path(__file__).resolve().parents[2] / "shared" / "anchors" / "inputs" / "bootstrap.css"
    if kit.is_file():
        sheets.append(kit.read_text("utf-8"))
    return sheets


async def test_browser_sees_the_same_rules_and_declarations() -> None:
    """Chromium's CSSOM as a second oracle: rule for rule, same types, same declarations."""
    _require_chromium()
    prefix = app_prefix("app")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = await browser.new_page()
            pairs = [
                (
                    await page.evaluate(WALK_RULES, css),
                    await page.evaluate(WALK_RULES, scope_css(css, prefix)),
                )
                for css in _sheets()
            ]
        finally:
            await browser.close()
    for source, scoped in pairs:
        assert len(source) == len(scoped) > 10
        for before, after in zip(source, scoped, strict=True):
            keys = ("type", "depth", "style", "head", "nested")
            assert [before.get(k) for k in keys] == [after.get(k) for k in keys]
            if after["type"] == "CSSStyleRule":
                for item in _top_level_items(after["selector"]):
                    assert item.startswith(prefix), (before["selector"], after["selector"])


def _top_level_items(selectors: str) -> list[str]:
    items: list[list[object]] = [[]]
    for token in tinycss2.parse_component_value_list(selectors):
        if token.type == "literal" and token.value == ",":
            items.append([])
        else:
            items[-1].append(token)
    return [str(tinycss2.serialize(item)).strip() for item in items]
