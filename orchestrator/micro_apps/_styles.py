"""An app's CSS made ready to inline in its wrapper: ``@import``s fetched and inlined under their
conditions, URLs made absolute, scoped when asked, and never able to close its ``<style>``.

qiankun leaves ``@import`` as it is, which lets an imported sheet style the whole page; here each
imported sheet goes through the loader (same origin rules and budget as the entry's own
stylesheets) and is scoped with the rest, or dropped with a log line naming the app and URL.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from css_scoper import escape_for_style_element, rewrite_urls, split_imports, wrap_imported

from .._urls import resolve_url
from ..errors import EntryLoadError
from ..html_entry import OFF_LOOP_BYTES

if TYPE_CHECKING:
    from ..html_entry import EntryLoader

__all__ = ["StyleContext", "inline_style"]

logger = logging.getLogger("orchestrator.micro_apps")

MAX_IMPORT_DEPTH = 4
"""How deep ``@import``s are followed (a sheet importing a sheet importing …)."""


@dataclass
class StyleContext:
    """What inlining one app's styles needs: its loader, its entry, a budget of imports."""

    loader: EntryLoader
    app_name: str
    entry_url: str | None
    prefix: str | None
    imports_left: int
    seen: set[str] = field(default_factory=set)


async def inline_style(css: str, base_url: str, context: StyleContext) -> str:
    """``css`` as it goes into the wrapper's ``<style>``."""
    css = await _expand_imports(css, base_url, context, depth=0)
    loader = context.loader
    if context.prefix is not None:
        css = await loader.scoped_css_async(css, context.prefix, base_url)
    elif len(css) >= OFF_LOOP_BYTES:
        css = await asyncio.to_thread(rewrite_urls, css, base_url)
    else:
        css = rewrite_urls(css, base_url)
    return escape_for_style_element(css)


async def _expand_imports(css: str, base_url: str, context: StyleContext, depth: int) -> str:
    if "@" not in css:
        return css
    head, rest = split_imports(css)
    if not head:
        return css
    parts: list[str] = []
    for item in head:
        if isinstance(item, str):
            parts.append(item)  # a @layer statement, kept in its place
            continue
        imported = await _fetch_import(item.url, base_url, context, depth)
        if imported is not None:
            parts.append(wrap_imported(item, imported))
    parts.append(rest)
    return "\n".join(parts)


async def _fetch_import(url: str, base_url: str, context: StyleContext, depth: int) -> str | None:
    try:
        absolute = resolve_url(base_url, url)
    except ValueError:
        logger.warning("@import dropped from application '%s': bad URL %r", context.app_name, url)
        return None
    if depth >= MAX_IMPORT_DEPTH or absolute in context.seen or context.imports_left <= 0:
        logger.warning(
            "@import of %s dropped from application '%s': too deep, a cycle, or over the budget",
            absolute,
            context.app_name,
        )
        return None
    context.imports_left -= 1
    context.seen.add(absolute)
    try:
        text = await context.loader.fetch_text(absolute, entry_url=context.entry_url, kind="style")
    except EntryLoadError as error:
        logger.warning(
            "@import of %s dropped from application '%s': %s", absolute, context.app_name, error
        )
        return None
    nested = await _expand_imports(text, absolute, context, depth + 1)
    # the imported sheet's own relative URLs are relative to it, not to the sheet importing it
    return rewrite_urls(nested, absolute)
