"""Scoped CSS in Chromium, spelled to slip past scanners: nothing outside the wrapper is styled.

Issue 12: a selector-list item starting with a comment, and at-rules whose names are written
with escapes (`@m\\65 dia`, `@\\media`, `@supp\\orts`, `@sc\\ope`), were copied through unscoped,
and Chromium applied them to the whole page. The oracle here is the browser itself: every
element outside the app's wrapper must compute exactly the style it has with no app CSS at all.

Second, `escape_for_style_element`: a stylesheet holding `</style><p id=x>` (in strings,
comments, selectors, `url()`) inlined in a `<style>` element never closes it, and Chromium reads
the same rules from it as from the original text.

Debian's Chromium driven by Playwright, pages set from strings (no server). A missing browser is
a failure with a clear message, never a skip (`make chromium` installs it).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from css_scoper import app_prefix, escape_for_style_element, scope_css

try:
    from playwright.async_api import Page, async_playwright
except ImportError as exc:  # pragma: no cover - the test extra installs it
    raise ImportError("Playwright is needed: install the test extra (`make install`)") from exc

CHROMIUM = Path(os.environ.get("MFE_CHROMIUM", "/usr/bin/chromium"))
PREFIX = app_prefix("app")

PAGE = """<!DOCTYPE html>
<html><head><style>{css}</style></head>
<body>
  <h1 class="x">outside</h1><p class="x">outside</p><span class="x">outside</span>
  <div class="card"><span class="t">outside card</span></div>
  <div data-qiankun="app" class="dark" id="wrapper">
    <h1 class="x">inside</h1><p class="x">inside</p><span class="x">inside</span>
    <div class="card"><span class="t">inside card</span></div>
  </div>
</body></html>"""

# computed style of every element, tagged outside/inside/wrapper
SNAPSHOT = """
() => {
  const props = ["color", "background-color", "margin-left", "font-weight", "letter-spacing",
    "text-decoration-line", "word-spacing", "font-style", "outline-style", "padding-left",
    "padding-top", "padding-right", "padding-bottom", "text-indent", "text-transform"];
  const wrapper = document.getElementById("wrapper");
  return [...document.querySelectorAll("*")].map((el, i) => {
    const s = getComputedStyle(el);
    const where = el === wrapper ? "wrapper" : wrapper.contains(el) ? "inside" : "outside";
    return {i, where, tag: el.tagName, style: Object.fromEntries(props.map(p => [p, s[p]]))};
  });
}
"""

# each rule styles h1/p/span/.t in a way of its own, spelled as issue 12 found it slipping by
TRICKY_CSS = r"""
.btn,
/* legacy */
h1 { color: rgb(255, 0, 0); }
.a, /* c */ p { text-transform: uppercase; }
/**/html .x { letter-spacing: 3px; }
/* c */ body { background-color: rgb(1, 2, 3); }
.a,/**/ /**/ body.dark h1 { font-weight: 700; }
@m\65 dia screen { h1 { text-decoration-line: underline; } }
@\media screen { p { word-spacing: 5px; } }
@\6d edia screen { span { font-style: italic; } }
@MEDIA screen { .x { text-indent: 5px; } }
@supp\orts (display: grid) { h1 { outline-style: solid; } }
@\73 upports (display: grid) { p { outline-style: dotted; } }
@sc\ope (.card) { .t { padding-left: 9px; } }
@l\61yer base { p { margin-left: 11px; } }
@\layer base2 { span { margin-left: 12px; } }
b\ody h1 { padding-top: 4px; }
:/**/root p { padding-bottom: 6px; }
\62 ody span { padding-right: 7px; }
h\74ml > body .t { padding-top: 8px; }
@media screen { @supp\orts (color: red) { /**/ span { color: rgb(0, 0, 255); } } }
.q { background: u\72 l(a(b) }
h1 { text-transform: lowercase; }
"""


def _require_chromium() -> None:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make chromium` or set MFE_CHROMIUM",
            pytrace=False,
        )


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    _require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield await browser.new_page()
        finally:
            await browser.close()


async def snapshot(page: Page, css: str) -> list[dict[str, object]]:
    await page.set_content(PAGE.format(css=escape_for_style_element(css)))
    rows: list[dict[str, object]] = await page.evaluate(SNAPSHOT)
    return rows


def _changed(rows: list[dict[str, object]], base: list[dict[str, object]], where: str) -> list[str]:
    """Elements at `where` whose computed style differs from the page without app CSS."""
    assert [r["tag"] for r in rows] == [b["tag"] for b in base]
    return [
        f"{row['tag']}#{row['i']}: {row['style']}"
        for row, plain in zip(rows, base, strict=True)
        if row["where"] == where and row["style"] != plain["style"]
    ]


def _style(row: dict[str, object]) -> dict[str, str]:
    style = row["style"]
    assert isinstance(style, dict)
    return style


def _escaped_spellings(name: str) -> list[str]:
    """A few ways to write an at-rule name that Chromium reads as the name itself."""
    first, rest = name[0], name[1:]
    return [
        f"\\{ord(first):x} {rest}",
        f"{first}\\{ord(rest[0]):X}\t{rest[1:]}",
        f"\\{ord(first):06x}{rest}",
        name.upper(),
        f"{first}\\{rest}"
        if rest[0] not in "abcdef"
        else f"{first}\\00{ord(rest[0]):x} {rest[1:]}",
    ]


async def test_tricky_spellings_style_nothing_outside_the_wrapper(page: Page) -> None:
    base = await snapshot(page, "")
    scoped = await snapshot(page, scope_css(TRICKY_CSS, PREFIX))
    assert _changed(scoped, base, "outside") == []
    # ...and the rules do reach the app: each h1, p and span in the wrapper is styled (only the
    # .card div has no rule of its own), and the wrapper got the body/html rules
    assert [line.split("#")[0] for line in _changed(scoped, base, "inside")] == [
        "H1",
        "P",
        "SPAN",
        "SPAN",
    ]
    assert _changed(scoped, base, "wrapper") != []


async def test_unscoped_tricky_spellings_would_have_leaked(page: Page) -> None:
    """The control: Chromium does apply each spelling to the whole page."""
    base = await snapshot(page, "")
    leaked = await snapshot(page, TRICKY_CSS)
    changed = {
        prop
        for row, plain in zip(leaked, base, strict=True)
        if row["where"] == "outside"
        for prop, value in _style(row).items()
        if value != _style(plain)[prop]
    }
    assert changed >= {
        "color", "background-color", "letter-spacing", "text-decoration-line",
        "word-spacing", "font-style", "outline-style", "padding-left", "margin-left",
        "padding-top", "padding-right", "padding-bottom", "text-indent", "text-transform",
    }  # fmt: skip


@pytest.mark.parametrize("name", ["media", "supports", "layer"])
async def test_every_escaped_spelling_of_a_grouping_rule_is_scoped(page: Page, name: str) -> None:
    prelude = {"media": "screen", "supports": "(display: block)", "layer": "l"}[name]
    css = "\n".join(
        f"@{spelling} {prelude} {{ h1, /**/p {{ color: rgb(255, 0, 0); }} }}"
        for spelling in _escaped_spellings(name)
    )
    base = await snapshot(page, "")
    assert _changed(await snapshot(page, css), base, "outside") != []  # each spelling counts
    scoped = await snapshot(page, scope_css(css, PREFIX))
    assert _changed(scoped, base, "outside") == []
    assert len(_changed(scoped, base, "inside")) == 2  # the app's h1 and p


# --- escape_for_style_element --------------------------------------------------------------

BREAKOUT = "</style><p id=x>"
INLINED_CSS = f"""
.quote::after {{ content: "{BREAKOUT}"; }}
.single::after {{ content: '{BREAKOUT}'; }}
/* a comment: {BREAKOUT} */
.sel{BREAKOUT} {{ color: rgb(255, 0, 0); }}
.bg {{ background-image: url(x</style><b>.png); }}
.bg2 {{ background-image: url('{BREAKOUT}'); }}
@media (width < 100000px) {{ .range {{ color: rgb(0, 128, 0); }} }}
.after {{ color: rgb(0, 0, 255); }}
"""

SHEET_RULES = """
(css) => {
  const own = new CSSStyleSheet();
  own.replaceSync(css);  // Chromium's reading of the CSS text itself, no HTML in between
  const texts = (rules) => [...rules].map(r => r.cssText);
  const styles = [...document.querySelectorAll("style")];
  return {
    styles: styles.length,
    injected: document.getElementById("x") !== null,
    inlined: styles.length ? texts(styles[0].sheet.cssRules) : [],
    original: texts(own.cssRules),
    after: getComputedStyle(document.querySelector(".quote"), "::after").content,
    range: getComputedStyle(document.querySelector(".range")).color,
    last: getComputedStyle(document.querySelector(".after")).color,
  };
}
"""
STYLED = (
    '<!DOCTYPE html><html><head><style>{css}</style></head><body><p class="quote">q</p>'
    '<p class="range">r</p><p class="after">a</p></body></html>'
)


async def test_an_escaped_stylesheet_never_closes_its_style_element(page: Page) -> None:
    escaped = escape_for_style_element(INLINED_CSS)
    assert "</" not in escaped
    await page.set_content(STYLED.format(css=escaped))
    seen = await page.evaluate(SHEET_RULES, INLINED_CSS)
    assert seen["styles"] == 1 and seen["injected"] is False
    # the `.sel</style>...` rule is an invalid selector either way: Chromium drops it
    assert seen["inlined"] == seen["original"] and len(seen["original"]) == 6
    assert '.bg { background-image: url("x</style><b>.png"); }' in seen["inlined"], seen
    assert seen["after"] == f'"{BREAKOUT}"'
    assert seen["range"] == "rgb(0, 128, 0)"
    assert seen["last"] == "rgb(0, 0, 255)"


async def test_the_raw_stylesheet_would_have_closed_it(page: Page) -> None:
    """The control: inlined as it is, the text ends the element and `<p id=x>` is markup."""
    await page.set_content(STYLED.format(css=INLINED_CSS))
    seen = await page.evaluate(SHEET_RULES, INLINED_CSS)
    assert seen["injected"] is True
    assert seen["inlined"] != seen["original"]
