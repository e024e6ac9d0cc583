"""The HTML-entry importer: turn an app's entry into template, scripts, styles and public path.

``EntryLoader`` owns the HTTP client, the limits and every cache (entry pages, assets, parsed
entries, compiled code, scoped CSS), so one loader shared by many orchestrators fetches and parses
each entry once. ``import_entry`` follows qiankun's import-html-entry; see ``_entry_extract`` for
the extraction rules and for how ``<head>``/``<body>`` become the wrapper's content.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import types
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any, Self
from urllib.parse import urlsplit

import httpx
from lxml import etree

from css_scoper import ScopedCSSCache

from ._entry_extract import Extracted, Script, Style, extract_config, extract_page, new_parser
from ._entry_fetch import (
    AsyncOnceCache,
    Fetched,
    FetchHook,
    check_integrity,
    decode_html,
    decode_text,
    fetch_bytes,
)
from ._entry_urls import default_public_path, is_absolute_http_url
from ._lru import LRUCache
from .dom import SelectorCache
from .errors import EntryLoadError, EntrySyntaxError, IntegrityError

__all__ = [
    "EntryLoadError",
    "EntryLoader",
    "EntrySyntaxError",
    "ImportedEntry",
    "IntegrityError",
    "Script",
    "Style",
    "default_public_path",
    "format_inspection",
    "import_entry",
    "inspect_entry",
]

Entry = str | Mapping[str, Any]
GetPublicPath = Callable[[Entry], str]
GetTemplate = Callable[[str], str]
_DEFAULT_PORTS = {"http": 80, "https": 443}
_log = logging.getLogger(__name__)


class EntryLoader:
    """Fetching, parsing and caching for HTML entries; make one per process or per test.

    ``client`` is used as given (and not closed); otherwise the loader creates one on first use
    and closes it in ``aclose()``. ``fetch(url)`` replaces HTTP entirely (it may return an
    ``httpx.Response``, ``str`` or ``bytes``). ``trusted_origins`` lists origins whose Python
    scripts may run (``"https://apps.example.com"``, ``"*"``, or ``"loopback"``); by default only
    loopback origins (127.0.0.0/8, localhost, [::1]) on any port.
    """

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        timeout: float = 10.0,
        max_bytes: int = 20_000_000,
        fetch: FetchHook | None = None,
        trusted_origins: Iterable[str] | None = None,
        cache_size: int = 512,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"EntryLoader timeout must be positive, got {timeout!r}")
        if max_bytes <= 0:
            raise ValueError(f"EntryLoader max_bytes must be positive, got {max_bytes!r}")
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.fetch_hook = fetch
        self.trusted_origins: tuple[str, ...] = (
            ("loopback",) if trusted_origins is None else tuple(trusted_origins)
        )
        self._trusted = [_parse_origin(origin) for origin in self.trusted_origins]
        self._client = client
        self._owns_client = client is None
        self._closed = False
        self._parser = new_parser()
        self._config_parser = new_parser(keep_comments=True)
        self._pages: AsyncOnceCache[str, str] = AsyncOnceCache()
        self._assets: AsyncOnceCache[str, tuple[Fetched, str]] = AsyncOnceCache()
        self._entries: AsyncOnceCache[tuple[Any, ...], ImportedEntry] = AsyncOnceCache()
        self.code_cache: LRUCache[tuple[str, str], types.CodeType] = LRUCache(cache_size)
        self._scoped = ScopedCSSCache(maxsize=cache_size)
        self._trust: LRUCache[str, bool] = LRUCache(cache_size)
        self._verified: LRUCache[tuple[int, str], Fetched] = LRUCache(cache_size)
        self._public_paths: LRUCache[str, str] = LRUCache(cache_size)
        #: Compiled CSS selectors, shared by the documents of the orchestrators using this loader.
        self.selector_cache = SelectorCache()
        #: Built app wrappers (template + inlined, scoped styles), copied on every mount.
        self.wrapper_cache: LRUCache[tuple[Any, ...], etree._Element] = LRUCache(cache_size)

    # -- life cycle -------------------------------------------------------------------
    @property
    def client(self) -> httpx.AsyncClient:
        """The HTTP client (created on first use when none was given)."""
        if self._closed:
            raise RuntimeError("EntryLoader is closed")
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=True)
        return self._client

    @property
    def closed(self) -> bool:
        return self._closed

    async def aclose(self) -> None:
        """Close the HTTP client if this loader created it; the caches stay readable."""
        self._closed = True
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def clear(self) -> None:
        """Drop every cache (pages, assets, parsed entries, compiled code, scoped CSS)."""
        self._pages.clear()
        self._assets.clear()
        self._entries.clear()
        self.code_cache.clear()
        self._scoped.clear()
        self.wrapper_cache.clear()
        self._verified.clear()

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[EntryLoader]:
        """This loader while open; once closed, a short-lived loader with the same settings."""
        if not self._closed:
            yield self
            return
        async with EntryLoader(
            timeout=self.timeout,
            max_bytes=self.max_bytes,
            fetch=self.fetch_hook,
            trusted_origins=self.trusted_origins,
        ) as temporary:
            yield temporary

    # -- fetching -------------------------------------------------------------------------
    async def _fetch(self, url: str) -> Fetched:
        return await fetch_bytes(
            url,
            client=lambda: self.client,
            hook=self.fetch_hook,
            time_limit=self.timeout,
            max_bytes=self.max_bytes,
        )

    async def fetch_text(self, url: str, *, integrity: str | None = None) -> str:
        """An asset's text; concurrent calls share one request, successes are cached.

        With ``integrity`` (Subresource Integrity metadata) the bytes must match, else
        ``IntegrityError``.
        """

        async def compute() -> tuple[Fetched, str]:
            fetched = await self._fetch(url)
            return fetched, decode_text(fetched)

        fetched, text = await self._assets.get(url, compute)
        self._check_integrity(fetched, integrity)
        return text

    def _check_integrity(self, fetched: Fetched, integrity: str | None) -> None:
        """SRI check, hashed once per (cached body, metadata) rather than on every use."""
        if not integrity:
            return
        key = (id(fetched), integrity)
        if self._verified.get(key) is fetched:
            return
        check_integrity(fetched.url, fetched.body, integrity)
        self._verified[key] = fetched

    def cached_text(self, url: str, *, integrity: str | None = None) -> str | None:
        """An asset's text if it is cached already (checked against ``integrity``), else None."""
        cached = self._assets.peek(url)
        if cached is None:
            return None
        fetched, text = cached
        self._check_integrity(fetched, integrity)
        return text

    async def fetch_entry_html(self, url: str) -> str:
        """The entry page's text (charset honoured; non-HTML refused); cached on success."""

        async def compute() -> str:
            return decode_html(await self._fetch(url))

        return await self._pages.get(url, compute)

    # -- importing ------------------------------------------------------------------------
    async def import_entry(
        self,
        entry: Entry,
        *,
        get_public_path: GetPublicPath | None = None,
        get_template: GetTemplate | None = None,
    ) -> ImportedEntry:
        """Import an HTML URL or a config entry; a cached result is returned without re-fetching
        or re-parsing."""
        if isinstance(entry, str):
            return await self._import_url(entry, get_public_path, get_template)
        if isinstance(entry, Mapping):
            return await self._import_config(entry, get_public_path, get_template)
        raise TypeError(f"entry must be a URL or a config mapping, got {type(entry).__name__}")

    async def _import_url(
        self, url: str, get_public_path: GetPublicPath | None, get_template: GetTemplate | None
    ) -> ImportedEntry:
        if not url.strip():
            raise ValueError("entry should not be empty")
        if self.fetch_hook is None and not is_absolute_http_url(url):
            raise EntryLoadError(url, "entry must be an absolute http(s) URL")
        if get_public_path is not None:
            public_path = get_public_path(url)
        else:
            cached_path = self._public_paths.get(url)
            public_path = cached_path if cached_path is not None else default_public_path(url)
            self._public_paths[url] = public_path

        async def compute() -> ImportedEntry:
            html = await self.fetch_entry_html(url)
            try:
                if get_template is not None:
                    html = get_template(html)
                extracted = extract_page(html, public_path, self._parser, where=url)
            except BaseException:
                self._pages.discard(url)  # nothing stays half-cached: a retry fetches again
                raise
            return ImportedEntry(url, public_path, extracted, self)

        return await self._entries.get((url, public_path, get_template), compute)

    async def _import_config(
        self,
        entry: Mapping[str, Any],
        get_public_path: GetPublicPath | None,
        get_template: GetTemplate | None,
    ) -> ImportedEntry:
        scripts, styles = entry.get("scripts", []), entry.get("styles", [])
        html = entry.get("html", "") or ""
        if "scripts" not in entry and "styles" not in entry:
            raise TypeError("config entry needs a 'scripts' or 'styles' list")
        for name, value in (("scripts", scripts), ("styles", styles)):
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise TypeError(f"config entry {name!r} must be a list of strings")
        if not isinstance(html, str):
            raise TypeError("config entry 'html' must be a string")
        public_path = get_public_path(entry) if get_public_path else "/"
        key = ("config", tuple(scripts), tuple(styles), html, public_path, get_template)

        async def compute() -> ImportedEntry:
            text = get_template(html) if get_template is not None else html
            extracted = extract_config(text, scripts, styles, public_path, self._config_parser)
            return ImportedEntry(None, public_path, extracted, self)

        return await self._entries.get(key, compute)

    def forget_entry(self, url: str | None) -> None:
        """Drop one entry page and what was parsed from it, so its next import fetches again."""
        if url is None:
            return
        self._pages.discard(url)
        self._entries.discard_where(lambda key: key[0] == url)

    # -- trust, code and CSS --------------------------------------------------------------
    def is_trusted(self, url: str) -> bool:
        """Whether Python scripts from ``url``'s origin may run."""
        trusted = self._trust.get(url)
        if trusted is None:
            origin = _parse_origin(url)
            trusted = any(_origin_matches(rule, origin) for rule in self._trusted)
            self._trust[url] = trusted
        return trusted

    def scoped_css(self, css: str, prefix: str, base_url: str | None = None) -> str:
        """``css_scoper.scope_css`` with a cache keyed by (prefix, base_url, css)."""
        return self._scoped.scope(css, prefix, base_url)


class ImportedEntry:
    """What an entry became: template, assets and public path. Shared through the loader's cache,
    so treat it as read-only; ``template_fragment()`` hands out fresh copies of the template."""

    def __init__(
        self, url: str | None, asset_public_path: str, extracted: Extracted, loader: EntryLoader
    ) -> None:
        self.url = url
        self.asset_public_path = asset_public_path
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
        self, style_texts: Sequence[str | None] | None = None
    ) -> list[etree._Element]:
        """A fresh deep copy of the parsed template nodes (no re-parse), to put in a wrapper.

        With ``style_texts`` (one per style, as from ``get_external_style_sheets()``), each
        stylesheet placeholder becomes an inline ``<style>``; ``None`` keeps the placeholder.
        """
        return self._extracted.copy_fragment(style_texts)

    async def embedded_fragment(self, *, strict: bool = True) -> list[etree._Element]:
        """``template_fragment`` with every external stylesheet fetched and inlined.

        ``strict=False`` does what qiankun does: a stylesheet that cannot be fetched keeps its
        placeholder comment (the failure is logged) instead of failing the whole template.
        """
        if strict:
            return self.template_fragment(await self.get_external_style_sheets())
        outcomes = await asyncio.gather(
            *(self._texts([(s.href, s.content, s.integrity)]) for s in self.styles),
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
            return await self._texts(items)
        except EntryLoadError:
            self._loader.forget_entry(self.url)
            raise

    async def get_external_style_sheets(self) -> list[str]:
        """The CSS of every style in order; a failure raises ``EntryLoadError`` naming the URL
        and drops the entry from the caches, as ``get_external_scripts`` does."""
        items = [(s.href, s.content, s.integrity) for s in self.styles]
        try:
            return await self._texts(items)
        except EntryLoadError:
            self._loader.forget_entry(self.url)
            raise

    async def _texts(self, items: list[tuple[str | None, str | None, str | None]]) -> list[str]:
        async with self._loader.session() as loader:

            async def one(url: str | None, content: str | None, integrity: str | None) -> str:
                if url is None:
                    return content or ""
                return await loader.fetch_text(url, integrity=integrity)

            return list(await asyncio.gather(*(one(*item) for item in items)))


async def import_entry(
    entry: Entry,
    *,
    loader: EntryLoader | None = None,
    get_public_path: GetPublicPath | None = None,
    get_template: GetTemplate | None = None,
) -> ImportedEntry:
    """Import an entry as import-html-entry's ``importEntry``; without ``loader`` a private one is
    used and closed (assets fetched later through the result use a short-lived client)."""
    if loader is not None:
        return await loader.import_entry(
            entry, get_public_path=get_public_path, get_template=get_template
        )
    async with EntryLoader() as own:
        return await own.import_entry(
            entry, get_public_path=get_public_path, get_template=get_template
        )


def format_inspection(imported: ImportedEntry, *, as_json: bool = False) -> str:
    """What ``mfe inspect`` prints: public path, scripts with their kinds, styles, entry script."""
    if as_json:
        return json.dumps(_inspection_data(imported), indent=2, ensure_ascii=False)
    entry = imported.entry_script
    lines = [
        f"entry:        {imported.url or 'config entry'}",
        f"public path:  {imported.asset_public_path}",
        f"entry script: {entry.label if entry else '(none)'}",
        "",
        f"scripts ({len(imported.scripts)}):",
    ]
    rows: list[tuple[str, ...]] = [("#", "kind", "flags", "source")]
    for index, script in enumerate(imported.scripts, 1):
        rows.append((str(index), script.kind, _flags(script) or "-", script.label))
    lines.extend(_table(rows))
    lines += ["", f"styles ({len(imported.styles)}):"]
    style_rows: list[tuple[str, ...]] = [("#", "source")]
    for index, style in enumerate(imported.styles, 1):
        style_rows.append((str(index), style.href or "inline"))
    lines.extend(_table(style_rows))
    return "\n".join(lines)


async def inspect_entry(url: str, *, as_json: bool = False) -> str:
    """Import ``url`` with a private loader and format it (the whole of ``mfe inspect``)."""
    async with EntryLoader() as loader:
        return format_inspection(await loader.import_entry(url), as_json=as_json)


def _inspection_data(imported: ImportedEntry) -> dict[str, Any]:
    def script(s: Script) -> dict[str, Any]:
        return {
            "src": s.src,
            "inline": s.src is None,
            "kind": s.kind,
            "type": s.type,
            "is_python": s.is_python,
            "is_async": s.is_async,
            "is_module": s.is_module,
            "is_entry": s.is_entry,
            "crossorigin": s.crossorigin,
            "integrity": s.integrity,
            "length": None if s.content is None else len(s.content),
        }

    entry = imported.entry_script
    return {
        "url": imported.url,
        "asset_public_path": imported.asset_public_path,
        "base_url": imported.base_url,
        "scripts": [script(s) for s in imported.scripts],
        "styles": [
            {"href": s.href, "inline": s.href is None, "integrity": s.integrity}
            for s in imported.styles
        ],
        "entry_script": None if entry is None else (entry.src or entry.label),
    }


def _flags(script: Script) -> str:
    flags = []
    if script.is_entry:
        flags.append("entry")
    if script.src is None:
        flags.append("inline")
    if script.is_async and script.kind != "async":
        flags.append("async")
    if script.crossorigin:
        flags.append(f"crossorigin={script.crossorigin}")
    if script.integrity:
        flags.append("integrity")
    return " ".join(flags)


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


_Origin = tuple[str, str, int | None]


def _parse_origin(value: str) -> _Origin:
    if value in ("*", "loopback"):
        return (value, "", None)
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = None
    return (scheme, (parts.hostname or "").lower(), port)


def _origin_matches(rule: _Origin, origin: _Origin) -> bool:
    scheme, host, _port = origin
    if rule[0] == "*":
        return True
    if rule[0] == "loopback":
        return scheme in ("http", "https") and _is_loopback_host(host)
    return rule == origin


def _is_loopback_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
