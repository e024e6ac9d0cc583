"""What fuzzing checks for the CSS scoper and the entry importer, shared by the Hypothesis tests
and the atheris run: no crash but our own errors, and results that are stable when redone."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import cssselect
import httpx
import tinycss2

from css_scoper import app_prefix, scope_css
from orchestrator import EntryLoader, EntryLoadError, ImportedEntry

CONTROL = "".join(chr(c) for c in [*range(1, 9), 11, 12, *range(14, 32)])
PREFIX = app_prefix("fuzz")
BASE_URL = "http://fuzz.test/app/"
ENTRY_URL = BASE_URL + "index.html"


def _selectors(css: str) -> list[str]:
    return [
        tinycss2.serialize(rule.prelude).strip()
        for rule in tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)
        if rule.type == "qualified-rule"
    ]


def _valid(selector: str) -> bool:
    try:
        cssselect.parse(selector)
    except Exception:
        return False
    return True


def unscoped_rules(css: str) -> list[str]:
    """Top-level style rules of ``css`` with a valid selector that does not start with PREFIX
    (what a browser would apply to the whole page; it drops rules with invalid selectors)."""
    return [s for s in _selectors(css) if not s.startswith(PREFIX) and _valid(s)]


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
