"""``ImportedEntry``: what one entry became (template, scripts, styles, public path)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from functools import cached_property
from typing import Literal, Protocol

from lxml import etree

from ..errors import EntryLoadError
from ._extract import Extracted, Script, Style

__all__ = ["AssetSource", "ImportedEntry"]

_log = logging.getLogger("orchestrator.html_entry")


class AssetSource(Protocol):
    """What an imported entry needs of its loader: asset texts and forgetting a stale entry."""

    def session(self) -> AbstractAsyncContextManager[AssetSource]: ...

    async def fetch_text(
        self,
        url: str,
        *,
        integrity: str | None = None,
        entry_url: str | None = None,
        kind: Literal["python", "style", "asset"] = "asset",
    ) -> str: ...

    def forget_entry(self, url: str | None) -> None: ...

    async def fetch_texts(
        self,
        assets: Sequence[tuple[str, str | None, Literal["python", "style", "asset"]]],
        *,
        entry_url: str | None,
    ) -> list[str]: ...


class ImportedEntry:
    """What an entry became: template, assets and public path. Shared through the loader's cache,
    so treat it as read-only; ``template_fragment()`` hands out fresh copies of the template."""

    def __init__(
        self,
        url: str | None,
        asset_public_path: str,
        extracted: Extracted,
        loader: AssetSource,
        *,
        requested_url: str | None = None,
        digest: str | None = None,
        weight: int = 0,
    ) -> None:
        self.url = url
        """Where the entry page came from: the final URL after redirects (``None``: config)."""
        self.requested_url = requested_url if requested_url is not None else url
        """The URL the entry was imported by (its cache key)."""
        self.asset_public_path = asset_public_path
        self.digest = digest
        """SHA-256 of the page body it was parsed from (``None``: config entry)."""
        self.weight = weight
        """An estimate of the memory it holds, in bytes (the loader's caches are bounded so)."""
        self._extracted = extracted
        self._loader = loader

    def __repr__(self) -> str:
        return (
            f"<ImportedEntry {self.url or 'config entry'}: {len(self.scripts)} scripts, "
            f"{len(self.styles)} styles>"
        )

    @property
    def scripts(self) -> tuple[Script, ...]:
        return self._extracted.scripts

    @property
    def styles(self) -> tuple[Style, ...]:
        return self._extracted.styles

    @property
    def entry_script(self) -> Script | None:
        return self._extracted.entry_script

    @property
    def base_url(self) -> str:
        """What relative URLs were resolved against: ``<base href>``, else the public path."""
        return self._extracted.base_url

    @cached_property
    def template(self) -> str:
        """The wrapper's content as HTML: ``<qiankun-head>…</qiankun-head>``, then the body's
        content; each extracted tag is replaced by a comment naming it."""
        return self._extracted.template_html()

    def template_fragment(
        self,
        style_texts: Sequence[str | None] | None = None,
        *,
        embedded: list[tuple[int, etree._Element]] | None = None,
    ) -> list[etree._Element]:
        """A fresh deep copy of the parsed template nodes (no re-parse), to put in a wrapper.

        With ``style_texts`` (one per style, as from ``get_external_style_sheets()``), each
        stylesheet placeholder becomes an inline ``<style>`` (collected with its style's index in
        ``embedded`` when given); ``None`` keeps the placeholder.
        """
        return self._extracted.copy_fragment(style_texts, embedded)

    async def embedded_fragment(self, *, strict: bool = True) -> list[etree._Element]:
        """``template_fragment`` with every external stylesheet fetched and inlined.

        ``strict=False`` does what qiankun does: a stylesheet that cannot be fetched keeps its
        placeholder comment (the failure is logged) instead of failing the whole template.
        """
        if strict:
            return self.template_fragment(await self.get_external_style_sheets())
        outcomes = await asyncio.gather(
            *(self._texts([(s.href, s.content, s.integrity)], "style") for s in self.styles),
            return_exceptions=True,
        )
        texts: list[str | None] = []
        for outcome in outcomes:
            if isinstance(outcome, EntryLoadError):
                _log.warning("stylesheet left out of %s: %s", self.url or "config entry", outcome)
                texts.append(None)
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                texts.append(outcome[0])
        return self.template_fragment(texts)

    async def get_external_scripts(self) -> list[str]:
        """The source of every script in document order (fetched in parallel, checked against
        ``integrity``); any failure raises ``EntryLoadError`` naming the URL, and the entry is
        dropped from the loader's caches so that a retry fetches the page again (it may have
        been redeployed with other assets)."""
        items = [(s.src, s.content, s.integrity) for s in self.scripts]
        try:
            return await self._texts(items, "asset")
        except EntryLoadError:
            self._loader.forget_entry(self.requested_url)
            raise

    async def get_external_style_sheets(self) -> list[str]:
        """The CSS of every style in order; a failure raises ``EntryLoadError`` naming the URL
        and drops the entry from the caches, as ``get_external_scripts`` does."""
        items = [(s.href, s.content, s.integrity) for s in self.styles]
        try:
            return await self._texts(items, "style")
        except EntryLoadError:
            self._loader.forget_entry(self.requested_url)
            raise

    async def _texts(
        self,
        items: list[tuple[str | None, str | None, str | None]],
        kind: Literal["style", "asset"],
    ) -> list[str]:
        async with self._loader.session() as loader:
            linked = [(url, sri, kind) for url, _, sri in items if url is not None]
            fetched = iter(await loader.fetch_texts(linked, entry_url=self.url))
            return [
                next(fetched) if url is not None else content or "" for url, content, _ in items
            ]
