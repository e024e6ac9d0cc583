"""``EntryLoader``: the HTTP client, the limits and every cache of the importer.

One loader shared by many orchestrators fetches and parses each entry once (entry pages, assets,
parsed entries, compiled code, scoped CSS). ``import_entry`` follows import-html-entry's
``importEntry``; ``_extract`` holds the extraction rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import types
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any, Literal, Self, TypeVar

import httpx
from lxml import etree

from css_scoper import ScopedCSSCache

from .._lru import LRUCache
from .._selectors import SelectorCache
from .._urls import default_public_path, is_absolute_http_url
from ..errors import EntryLoadError, UntrustedOriginError
from ._cache import AsyncOnceCache
from ._extract import Extracted, extract_config, extract_page, new_parser
from ._fetch import (
    Fetched,
    FetchHook,
    HopCheck,
    check_integrity,
    decode_html,
    decode_text,
    fetch_bytes,
)
from ._imported import ImportedEntry
from ._trust import AssetRules, OriginRules, Resolve

__all__ = [
    "OFF_LOOP_BYTES",
    "AssetKind",
    "Entry",
    "EntryLoader",
    "GetPublicPath",
    "GetTemplate",
    "import_entry",
]

T = TypeVar("T")
Entry = str | Mapping[str, Any]
AssetKind = Literal["python", "style", "asset"]
"""What an asset is for, which decides the rules its fetch must pass."""
OFF_LOOP_BYTES = 256_000
"""Inputs at least this large are decoded, parsed or scoped in a thread, off the event loop."""
_CSS_TYPES = frozenset({"text/css", ""})
GetPublicPath = Callable[[Entry], str]
GetTemplate = Callable[[str], str]
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
        asset_origins: Iterable[str] | None = None,
        max_assets: int = 100,
        max_cache_bytes: int = 64_000_000,
        resolve: Resolve | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"EntryLoader timeout must be positive, got {timeout!r}")
        if max_bytes <= 0:
            raise ValueError(f"EntryLoader max_bytes must be positive, got {max_bytes!r}")
        if max_assets < 0:
            raise ValueError(f"EntryLoader max_assets must not be negative, got {max_assets!r}")
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_assets = max_assets
        self.max_cache_bytes = max_cache_bytes
        self.fetch_hook = fetch
        self.trusted_origins: tuple[str, ...] = (
            ("loopback",) if trusted_origins is None else tuple(trusted_origins)
        )
        self.asset_origins: tuple[str, ...] = tuple(asset_origins or ())
        self._trusted = OriginRules(self.trusted_origins, cache_size=cache_size)
        self._asset_rules = AssetRules(self.asset_origins, resolve=resolve, cache_size=cache_size)
        self._resolve = resolve
        self._client = client
        self._owns_client = client is None
        self._closed = False
        self._parser = new_parser()
        self._config_parser = new_parser(keep_comments=True)
        self._pages: AsyncOnceCache[str, tuple[str, str]] = AsyncOnceCache()
        self._assets: AsyncOnceCache[str, tuple[Fetched, str]] = AsyncOnceCache(
            max_weight=max_cache_bytes, weigh=_asset_weight
        )
        self._entries: AsyncOnceCache[tuple[Any, ...], ImportedEntry] = AsyncOnceCache()
        self.code_cache: LRUCache[tuple[str, str], types.CodeType] = LRUCache(cache_size)
        self._scoped = ScopedCSSCache(maxsize=cache_size)
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
            asset_origins=self.asset_origins,
            max_assets=self.max_assets,
            max_cache_bytes=self.max_cache_bytes,
            resolve=self._resolve,
        ) as temporary:
            yield temporary

    # -- fetching -------------------------------------------------------------------------
    async def _fetch(
        self,
        url: str,
        *,
        check_hop: HopCheck | None = None,
        content_types: frozenset[str] | None = None,
    ) -> Fetched:
        return await fetch_bytes(
            url,
            client=lambda: self.client,
            hook=self.fetch_hook,
            time_limit=self.timeout,
            max_bytes=self.max_bytes,
            check_hop=check_hop,
            content_types=content_types,
        )

    async def fetch_text(
        self,
        url: str,
        *,
        integrity: str | None = None,
        entry_url: str | None = None,
        kind: AssetKind = "asset",
    ) -> str:
        """An asset's text; concurrent calls share one request, successes are cached.

        ``kind`` and ``entry_url`` say what rules every hop of its redirect chain must pass
        (on a cache hit too): a ``"python"`` script only from trusted origins; a ``"style"``
        (CSS content type, or none) or other ``"asset"`` only from ``entry_url``'s origin or
        ``asset_origins``, and never from an address further inside the network than the
        entry's. With ``integrity`` (Subresource Integrity metadata) the bytes must match,
        else ``IntegrityError``.
        """
        check = self._hop_check(kind, entry_url)

        async def compute() -> tuple[Fetched, str]:
            types = _CSS_TYPES if kind == "style" else None
            fetched = await self._fetch(url, check_hop=check, content_types=types)
            return fetched, await self._off_loop(len(fetched.body), decode_text, fetched)

        cached = self._assets.peek(url)
        fetched, text = await self._assets.get(url, compute)
        if cached is not None:
            if check is not None:
                for hop in fetched.hops:  # a cached body is used only if its chain passes again
                    await check(hop)
            if kind == "style":
                _require_css(fetched)
        self._check_integrity(fetched, integrity)
        return text

    def _hop_check(self, kind: AssetKind, entry_url: str | None) -> HopCheck | None:
        if kind == "python":
            return self._check_trusted
        if entry_url is None:
            return None  # a config entry lists its own asset URLs: the caller wrote them
        direct = self.fetch_hook is not None  # a fetch hook replaces the network: no DNS

        async def check(url: str) -> None:
            await self._asset_rules.check(url, entry_url, resolve_addresses=not direct)

        return check

    async def _check_trusted(self, url: str) -> None:
        if not self.is_trusted(url):
            raise UntrustedOriginError(
                url,
                "Python scripts run only from trusted origins, on every redirect hop "
                "(pass trusted_origins to the Orchestrator or EntryLoader to allow this one)",
            )

    def _check_integrity(self, fetched: Fetched, integrity: str | None) -> None:
        """SRI check, hashed once per (cached body, metadata) rather than on every use."""
        if not integrity:
            return
        key = (id(fetched), integrity)
        if self._verified.get(key) is fetched:
            return
        check_integrity(fetched.url, fetched.body, integrity)
        self._verified[key] = fetched

    async def fetch_code(self, url: str) -> tuple[str, bytes]:
        """``(final URL, body)`` of code to run (federated modules, their manifests): from
        trusted origins only, on every redirect hop, within the loader's limits; not cached."""
        fetched = await self._fetch(url, check_hop=self._check_trusted)
        return fetched.url, fetched.body

    def has_cached(self, url: str) -> bool:
        """Whether an asset's body is in the cache (``fetch_text`` would not touch the network)."""
        return url in self._assets

    def cached_text(self, url: str, *, integrity: str | None = None) -> str | None:
        """An asset's text if it is cached already (checked against ``integrity``), else None.

        No origin rule is applied here: use ``fetch_text`` for the assets an entry lists.
        """
        cached = self._assets.peek(url)
        if cached is None:
            return None
        fetched, text = cached
        self._check_integrity(fetched, integrity)
        return text

    async def fetch_entry_html(self, url: str) -> str:
        """The entry page's text (charset honoured; non-HTML refused); cached on success."""
        return (await self._fetch_entry(url))[1]

    async def _fetch_entry(self, url: str) -> tuple[str, str]:
        """(the final URL after redirects, the page's text)."""

        async def compute() -> tuple[str, str]:
            fetched = await self._fetch(url)
            return fetched.url, await self._off_loop(len(fetched.body), decode_html, fetched)

        return await self._pages.get(url, compute)

    async def _off_loop(self, size: int, function: Callable[..., T], *args: Any) -> T:
        """Run CPU-heavy work in a thread when its input is large, so the event loop (every
        other request) never waits for it (DESIGN.md §5: no stall over ~50 ms)."""
        if size < OFF_LOOP_BYTES:
            return function(*args)
        return await asyncio.to_thread(function, *args)

    async def scoped_css_async(self, css: str, prefix: str, base_url: str | None = None) -> str:
        """``scoped_css``, in a thread for a large stylesheet (the cache is thread-safe)."""
        return await self._off_loop(len(css), self._scoped.scope, css, prefix, base_url)

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
        given_path = get_public_path(url) if get_public_path is not None else None

        async def compute() -> ImportedEntry:
            final_url, html = await self._fetch_entry(url)
            # as browsers do, relative URLs and the public path follow the final URL
            public_path = given_path if given_path is not None else self._public_path(final_url)
            try:
                if get_template is not None:
                    html = get_template(html)
                extracted = await self._extract(html, public_path, final_url)
                self._check_budget(final_url, extracted)
            except BaseException:
                self._pages.discard(url)  # nothing stays half-cached: a retry fetches again
                raise
            return ImportedEntry(final_url, public_path, extracted, self, requested_url=url)

        return await self._entries.get((url, given_path, get_template), compute)

    async def _extract(self, html: str, public_path: str, where: str) -> Extracted:
        if len(html) < OFF_LOOP_BYTES:
            return extract_page(html, public_path, self._parser, where=where)
        # a parser of its own: lxml parsers are not to be shared between threads
        return await asyncio.to_thread(
            lambda: extract_page(html, public_path, new_parser(), where=where)
        )

    def _public_path(self, url: str) -> str:
        cached = self._public_paths.get(url)
        if cached is None:
            cached = self._public_paths[url] = default_public_path(url)
        return cached

    def _check_budget(self, url: str, extracted: Extracted) -> None:
        """An entry may list at most ``max_assets`` fetched assets (scripts and stylesheets)."""
        count = sum(1 for s in extracted.scripts if s.src)
        count += sum(1 for s in extracted.styles if s.href)
        if count > self.max_assets:
            raise EntryLoadError(
                url,
                f"refused: lists {count} scripts and stylesheets, "
                f"over max_assets {self.max_assets}",
            )

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
            self._check_budget("config entry", extracted)
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
        return self._trusted.allows(url)

    def scoped_css(self, css: str, prefix: str, base_url: str | None = None) -> str:
        """``css_scoper.scope_css`` with a cache keyed by (prefix, base_url, css)."""
        return self._scoped.scope(css, prefix, base_url)


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


def _asset_weight(value: tuple[Fetched, str]) -> int:
    fetched, text = value
    return len(fetched.body) + len(text)


def _require_css(fetched: Fetched) -> None:
    if fetched.mime not in _CSS_TYPES:
        reason = f"refused: Content-Type {fetched.content_type!r} is not CSS"
        raise EntryLoadError(fetched.url, reason)
