"""What fuzzing checks for the CSS scoper and the entry importer, shared by the Hypothesis tests
and the atheris run: no crash but our own errors, and results that are stable when redone."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import cssselect
import httpx
import tinycss2
from tinycss2 import ast

from css_scoper import app_prefix, escape_for_style_element, scope_css
from orchestrator import EntryLoader, EntryLoadError, ImportedEntry

CONTROL = "".join(chr(c) for c in [*range(1, 9), 11, 12, *range(14, 32)])
PREFIX = app_prefix("fuzz")
BASE_URL = "http://fuzz.test/app/"
ENTRY_URL = BASE_URL + "index.html"


# at-rules whose style rules apply to the page as top-level ones do (tinycss2 decodes escapes
# in their names, as browsers do: `@m\65 dia` is @media)
GROUPING = {
    "media",
    "supports",
    "container",
    "layer",
    "document",
    "-moz-document",
    "starting-style",
}

# Stylesheets spelled as browsers read them but scanners may not: comments before and inside
# selectors, and names written with escapes (each once hid rules from scoping). A noisy sheet
# is a list of rules, each a wrapper (an at-rule, maybe escaped) around a soup of these pieces.
NOISE_WRAPPERS = [
    ("", ""), ("", ""), ("@m\\65 dia screen{", "}"), ("@\\media x {", "}"),
    ("@\\6d edia/**/x{", "}"), ("@MEDIA x{", "}"), ("@supp\\orts (a:b){", "}"),
    ("@\\73 upports (a:b) {", "}"), ("@cont\\61iner (width>1px){", "}"),
    ("@l\\61yer x{", "}"), ("@\\layer{", "}"), ("@st\\61 rting-style{", "}"),
    ("@sc\\ope (.a){", "}"), ("@sc\\ope/**/(", "){.b{c:d}}"), ("@m\\edia x{", "}"),
    ("@me/**/dia x{", "}"), ("@\\69mport 'x.css';", ""), ("@media x{@supp\\orts (a:b){", "}}"),
]  # fmt: skip
NOISE_PIECES = [
    "/**/", "/* c */", ",", ",", ", /* legacy */\n", ",/**/", " ", " ", "\n", ">", "+", "~",
    "h1", ".a", "#b", "html", "body", ":root", "b\\ody", "\\62 ody", "h\\74ml", "BOD\\59 ",
    ":\\root", ":r\\6f ot", ":/**/root", "./**/a", ".\\61 ", "*", "[x=y]", ":hover",
    ":not(body)", "\\", "\\6d", "\"", "'", "{", "}", ";",
]  # fmt: skip


def noisy_stylesheet(rules: list[tuple[int, list[int]]]) -> str:
    """A stylesheet from choices: each rule is (wrapper index, selector piece indices)."""
    out: list[str] = []
    for wrapper, pieces in rules:
        opening, closing = NOISE_WRAPPERS[wrapper % len(NOISE_WRAPPERS)]
        selector = "".join(NOISE_PIECES[p % len(NOISE_PIECES)] for p in pieces)
        out.append(f"{opening}{selector}{{color:red}}{closing}")
    return "\n".join(out)


def _is_semicolon(token: ast.Node) -> bool:
    return token.type == "literal" and token.value == ";"


def _rule_preludes(rules: list[ast.Node], nested: bool = False) -> list[list[ast.Node]]:
    preludes: list[list[ast.Node]] = []
    for rule in rules:
        if rule.type == "qualified-rule":
            # inside a block, browsers (CSS Syntax with nesting) end a prelude at `;` and drop
            # it; tinycss2 keeps reading it as the start of a rule
            if not (nested and any(_is_semicolon(t) for t in rule.prelude)):
                preludes.append(rule.prelude)
        elif rule.type == "at-rule" and rule.lower_at_keyword in GROUPING and rule.content:
            inner = tinycss2.parse_rule_list(rule.content, skip_whitespace=True, skip_comments=True)
            preludes.extend(_rule_preludes(inner, nested=True))
    return preludes


def _items(prelude: list[ast.Node]) -> list[str]:
    """A selector list cut at its top-level commas, without comments (a selector parser never
    sees them: `/**/h1` is `h1`)."""
    items: list[list[ast.Node]] = [[]]
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            items.append([])
        elif token.type != "comment":
            items[-1].append(token)
    return [tinycss2.serialize(item).strip() for item in items]


def _selectors(css: str) -> list[str]:
    """Each selector of each page-level style rule: at the top level and in grouping rules."""
    rules = tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)
    return [item for prelude in _rule_preludes(rules) for item in _items(prelude)]


def _valid(selector: str) -> bool:
    try:
        cssselect.parse(selector)
    except Exception:
        return False
    return True


def unscoped_rules(css: str) -> list[str]:
    """Page-level style rules of ``css`` with a valid selector in which PREFIX is nowhere (what a
    browser would apply to the whole page; it drops rules with invalid selectors). PREFIX may
    stand where a root was, not only at the start: `a + body` is `a + P` (DESIGN §3)."""
    return [s for s in _selectors(css) if PREFIX not in s and _valid(s)]


def _idempotence_applies(scoped: str) -> bool:
    """Scoping is idempotent for rules a browser keeps; invalid selectors (which it drops, and
    which are passed through or prefixed as they come) are not held to it."""
    return all(_valid(selector) for selector in _selectors(scoped))


def check_scope_css(css: str) -> str:
    """``scope_css`` never raises, returns text, leaves no valid rule unscoped, and scoping its
    own output changes nothing; the same with ``base_url``."""
    scoped = scope_css(css, PREFIX)
    assert isinstance(scoped, str)
    if _idempotence_applies(scoped):
        assert scope_css(scoped, PREFIX) == scoped, (css, scoped)
    assert unscoped_rules(scoped) == [], (css, scoped)
    with_urls = scope_css(css, PREFIX, base_url=BASE_URL)
    if _idempotence_applies(with_urls):
        assert scope_css(with_urls, PREFIX, base_url=BASE_URL) == with_urls, (css, with_urls)
    assert unscoped_rules(with_urls) == [], (css, with_urls)
    return scoped


def _tokens(nodes: list[ast.Node]) -> list[object]:
    """Token types and values, comments left out; a delim `<` equals an identifier `<` (the one
    change `escape_for_style_element` makes, before a `/`)."""
    out: list[object] = []
    for node in nodes:
        if node.type in ("literal", "ident") and node.value == "<":
            out.append("<")
        elif node.type == "function":
            out.append((node.lower_name, _tokens(node.arguments)))
        elif node.type in ("() block", "[] block", "{} block"):
            out.append((node.type, _tokens(node.content)))
        elif node.type == "dimension":
            out.append((node.type, node.value, node.unit))
        elif node.type == "error":
            out.append((node.type, node.kind))
        elif node.type != "comment":
            out.append((node.type, getattr(node, "value", None)))
    return out


def check_style_element(css: str) -> str:
    """The text for a `<style>` element has no `</`, reads as the same tokens, and escaping it
    again changes nothing."""
    out = escape_for_style_element(css)
    assert "</" not in out, (css, out)
    parse = tinycss2.parse_component_value_list
    assert _tokens(parse(out)) == _tokens(parse(css)), (css, out)
    assert escape_for_style_element(out) == out, (css, out)
    return out


async def import_page(
    html: str | bytes, *, max_assets: int = 100
) -> ImportedEntry | EntryLoadError:
    """Import ``html`` as the entry at ``ENTRY_URL`` with a fresh loader (no network)."""

    async def fetch(url: str) -> str | bytes:
        return html

    # the loader builds its HTTP client even when a fetch hook replaces HTTP; an unverified one
    # skips loading the CA bundle (15 ms an import)
    async with (
        httpx.AsyncClient(verify=False) as client,
        EntryLoader(client, fetch=fetch, max_assets=max_assets) as loader,
    ):
        try:
            return await loader.import_entry(ENTRY_URL)
        except EntryLoadError as error:
            assert error.url == ENTRY_URL
            return error


async def check_import(html: str | bytes) -> ImportedEntry | EntryLoadError:
    """Importing either fails with an ``EntryLoadError`` or gives a consistent entry: a template,
    absolute asset URLs, and a template with nothing left to extract."""
    result = await import_page(html)
    if isinstance(result, EntryLoadError):
        again = await import_page(html)
        assert isinstance(again, EntryLoadError) and str(again) == str(result)
        return result
    template = result.template
    assert isinstance(template, str)
    for url in [s.src for s in result.scripts] + [s.href for s in result.styles]:
        assert url is None or urlsplit(url).scheme, url
    assert result.entry_script is None or result.entry_script in result.scripts
    again = await import_page(html)
    assert isinstance(again, ImportedEntry)
    assert again.template == template
    assert again.scripts == result.scripts and again.styles == result.styles
    reimported = await import_page(template)
    if isinstance(reimported, ImportedEntry):
        assert [s for s in reimported.scripts if s.src] == [], template
    return result


def run_check_import(html: str | bytes) -> None:
    asyncio.run(check_import(html))
