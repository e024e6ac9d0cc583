"""``EntryLoader``: the HTTP client, the limits and every cache of the importer.

One loader shared by many orchestrators fetches and parses each entry once (entry pages, assets,
parsed entries, compiled code, scoped CSS). ``import_entry`` follows import-html-entry's
``importEntry``; ``_extract`` holds the extraction rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import types
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, Self, TypeVar

import httpx
from blinker import Namespace
from lxml import etree

from css_scoper import ScopedCSSCache

from .._lru import LRUCache
from .._selectors import SelectorCache
from .._urls import default_public_path, is_absolute_http_url
from ..errors import EntryLoadError, UntrustedOriginError
from ._attributes import MAX_ATTRIBUTES
from ._cache import AsyncOnceCache
from ._extract import Extracted, extract_config, extract_page, new_parser
from ._fetch import (
    Fetched,
    FetchHook,
    HopCheck,
    Send,
    check_integrity,
    client_sender,
    decode_html,
    decode_text,
    fetch_bytes,
    pool_sender,
    transport_sender,
)
from ._http1 import Http1Pool, Target
from ._http_cache import MemoryStorage, cache_transport, freshness
from ._imported import ImportedEntry
from ._live import Health, PageRecord
from ._options import LiveOptions
from ._pages import EntryPages
from ._trust import AssetRules, OriginRules, Resolve
from ._watch import ManifestWatcher

__all__ = [
    "ENTRY_UPDATED",
    "HEALTH_CHANGE",
    "MANIFEST",
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
PARSED_BYTES_PER_CHAR = 16
"""What a parsed entry holds in memory per character of its page (lxml's tree: measured 13-14
bytes on the anchors' 5 KB and 500 KB pages; its template string, once made, the rest)."""
_CSS_TYPES = frozenset({"text/css", ""})
GetPublicPath = Callable[[Entry], str]
GetTemplate = Callable[[str], str]
_log = logging.getLogger(__name__)
ENTRY_UPDATED = "entry-updated"
"""Sent ``fn(loader, url=..., old=<version>, new=<version>)`` when an entry changes."""
MANIFEST = "manifest"
"""Sent ``fn(loader, url=..., manifest=Manifest)`` for every manifest a watched app answers."""
HEALTH_CHANGE = "health-change"
"""Sent ``fn(loader, url=..., old=Health, new=Health)`` when an entry's health changes."""


class EntryLoader:
    """Fetching, parsing and caching for HTML entries; make one per process or per test.

    ``client`` is used as given (and not closed); otherwise the loader creates one on first use
    and closes it in ``aclose()``. ``fetch(url)`` replaces HTTP entirely (it may return an
    ``httpx.Response``, ``str`` or ``bytes``). ``trusted_origins`` lists origins whose Python
    scripts may run (``"https://apps.example.com"``, ``"*"``, or ``"loopback"``); by default only
    loopback origins (127.0.0.0/8, localhost, [::1]) on any port.

    Pages and assets are revalidated by HTTP cache rules (RFC 9111): a stale page is asked for
    again with its validators and a 304, or an unchanged body, costs no parse (parses are keyed
    by the body's hash); assets go through hishel's cache over the loader's own connections. A
    given ``client`` is used as it is (pages still send their validators through it).
    ``max_assets`` bounds the scripts and stylesheets one entry may list, ``max_attributes`` the
    attributes of one element (lxml builds them in quadratic time), each an ``EntryLoadError``.
    ``cache_size`` bounds every cache in items; ``max_cache_bytes`` the asset bodies (and the
    HTTP store) in bytes, ``max_parsed_bytes`` the parsed entries and built wrappers (weighed at
    ``PARSED_BYTES_PER_CHAR`` a character of their page: room for about 30 pages of 500 KB).
    ``live`` holds the knobs of DESIGN.md §6 (``watch()``, ``x-mfe-version``, ``health()``).
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
        max_attributes: int = MAX_ATTRIBUTES,
        max_cache_bytes: int = 64_000_000,
        max_parsed_bytes: int = 256_000_000,
        resolve: Resolve | None = None,
        live: LiveOptions | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"EntryLoader timeout must be positive, got {timeout!r}")
        if max_bytes <= 0:
            raise ValueError(f"EntryLoader max_bytes must be positive, got {max_bytes!r}")
        if max_assets < 0:
            raise ValueError(f"EntryLoader max_assets must not be negative, got {max_assets!r}")
        self.timeout = timeout
        self.max_bytes = max_bytes
        if max_attributes < 1:
            raise ValueError(f"EntryLoader max_attributes must be positive, got {max_attributes!r}")
        self.max_assets = max_assets
        self.max_attributes = max_attributes
        self.max_cache_bytes = max_cache_bytes
        self.max_parsed_bytes = max_parsed_bytes
        self.fetch_hook = fetch
        self.trusted_origins: tuple[str, ...] = (
            ("loopback",) if trusted_origins is None else tuple(trusted_origins)
        )
        self.asset_origins: tuple[str, ...] = tuple(asset_origins or ())
        self._cache_size = cache_size
        self._trusted = OriginRules(self.trusted_origins, cache_size=cache_size)
        self._asset_rules = AssetRules(self.asset_origins, resolve=resolve, cache_size=cache_size)
        self._resolve = resolve
        self._client = client
        self._owns_client = client is None
        self._closed = False
        self._parser = new_parser()
        self._config_parser = new_parser(keep_comments=True)
        self._assets: AsyncOnceCache[str, tuple[Fetched, str]] = AsyncOnceCache(
            max_weight=max_cache_bytes, weigh=_asset_weight
        )
        # parsed trees take ~14x their page in memory: bounded in bytes as well as in number
        self._entries: AsyncOnceCache[tuple[Any, ...], ImportedEntry] = AsyncOnceCache(
            max_items=cache_size, max_weight=max_parsed_bytes, weigh=_entry_weight
        )
        self.code_cache: LRUCache[tuple[str, str], types.CodeType] = LRUCache(cache_size)
        self._scoped = ScopedCSSCache(maxsize=cache_size)
        self._verified: LRUCache[tuple[int, str], Fetched] = LRUCache(cache_size)
        self._public_paths: LRUCache[str, str] = LRUCache(cache_size)
        #: Compiled CSS selectors, shared by the documents of the orchestrators using this loader.
        self.selector_cache = SelectorCache()
        #: Built app wrappers (template + inlined, scoped styles), copied on every mount; keyed
        #: by what they were built from (the ``ImportedEntry``, the style texts), weighed so.
        self.wrapper_cache: LRUCache[tuple[Any, ...], etree._Element] = LRUCache(
            cache_size, max_weight=max_parsed_bytes, weigh=_wrapper_weight
        )
        self.live = live or LiveOptions()
        #: ``entry-updated`` (url, old, new version): a loader's own signals, never global.
        self.events = Namespace()
        self.entry_updated = self.events.signal(ENTRY_UPDATED)
        self.health_changed = self.events.signal(HEALTH_CHANGE)
        self.manifest_received = self.events.signal(MANIFEST)
        self.pages = EntryPages(
            fetch=lambda url, headers: self._fetch(url, request_headers=headers, page=True),
            decode=lambda fetched: self._off_loop(len(fetched.body), decode_html, fetched),
            signal=self.entry_updated,
            health_signal=self.health_changed,
            manifest_signal=self.manifest_received,
            sender=self,
            options=self.live,
            hooked=fetch is not None,
            cache_size=cache_size,
        )
        self.pages.on_change = self._assets_changed
        self._served: LRUCache[tuple[Any, ...], tuple[ImportedEntry, str]] = LRUCache(
            cache_size, max_weight=max_parsed_bytes, weigh=lambda _, served: served[0].weight
        )
        """What each (url, public path, template hook) serves now, and the version it is."""
        self._asset_fresh: dict[str, float] = {}
        self._watcher = ManifestWatcher(self.pages, self._poll_manifest, self.live)
        self._http_store: MemoryStorage | None = None
        self._pool: Http1Pool | None = None
        """The loader's own connections, under the HTTP cache and without it."""
        self._senders: tuple[Send, Send] | None = None
        self._unstorable: LRUCache[str, bool] = LRUCache(cache_size)

    # -- life cycle -------------------------------------------------------------------
    @property
    def client(self) -> httpx.AsyncClient:
        """The HTTP client (created on first use when none was given)."""
        if self._closed:
            raise RuntimeError("EntryLoader is closed")
        if self._client is None:
            pool = self._pool = Http1Pool()
            transport, _, self._http_store = cache_transport(
                pool,
                timeout=self.timeout,
                max_bytes=self.max_cache_bytes,
                max_entry_bytes=self.max_bytes,
            )
            self._client = httpx.AsyncClient(
                timeout=self.timeout, follow_redirects=True, transport=transport
            )
            urls: LRUCache[str, httpx.URL] = LRUCache(self._cache_size)
            targets: LRUCache[str, Target] = LRUCache(self._cache_size)
            self._senders = (
                transport_sender(transport, self.timeout, urls),
                pool_sender(pool, self.timeout, targets),
            )
        return self._client

    def _sender_for(self, url: str, *, uncached: bool = False) -> Send:
        """How the loader's requests are sent: through a given client as it is; else straight
        to the cache's transport, or to the same connections without it: for entry pages
        (``uncached``: their records are their cache) and for a URL whose last answer was
        ``no-store`` (which the cache would only pass through)."""
        client = self.client
        if self._senders is None:
            return client_sender(client)
        cached, direct = self._senders
        return direct if uncached or self._unstorable.get(url, False) else cached

    @property
    def closed(self) -> bool:
        return self._closed

    async def aclose(self) -> None:
        """Stop watching, close the HTTP client if this loader created it; caches stay readable."""
        self._closed = True
        await self._watcher.aclose()
        self.pages.close()
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None
        self._senders = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def clear(self) -> None:
        """Drop every cache (pages, assets, parsed entries, compiled code, scoped CSS, and the
        HTTP store of the client this loader made)."""
        self._assets.clear()
        self._entries.clear()
        self.code_cache.clear()
        self._scoped.clear()
        self.wrapper_cache.clear()
        self._verified.clear()
        self.pages.clear()
        self._served.clear()
        self._asset_fresh.clear()
        if self._http_store is not None:
            self._http_store.clear()

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
            max_attributes=self.max_attributes,
            max_cache_bytes=self.max_cache_bytes,
            max_parsed_bytes=self.max_parsed_bytes,
            resolve=self._resolve,
            live=self.live,
        ) as temporary:
            yield temporary

    # -- fetching -------------------------------------------------------------------------
    async def _fetch(
        self,
        url: str,
        *,
        check_hop: HopCheck | None = None,
        content_types: frozenset[str] | None = None,
        request_headers: Mapping[str, str] | None = None,
        time_limit: float | None = None,
        max_bytes: int | None = None,
        page: bool = False,
    ) -> Fetched:
        fetched = await fetch_bytes(
            url,
            client=lambda: self._sender_for(url, uncached=page),
            hook=self.fetch_hook,
            time_limit=self.timeout if time_limit is None else time_limit,
            max_bytes=self.max_bytes if max_bytes is None else max_bytes,
            check_hop=check_hop,
            content_types=content_types,
            request_headers=request_headers,
            conditional=page,
        )
        if self.fetch_hook is None and self._owns_client and not page:
            unstorable = not freshness(fetched.headers).storable
            if unstorable or url in self._unstorable:
                self._unstorable[url] = unstorable
        return fetched

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
        previous = self._assets.peek(url)
        if previous is not None and time.monotonic() >= self._asset_fresh.get(url, math.inf):
            self._assets.discard(url)  # stale: asked again (a 304 keeps the decoded text)

        ran = False

        async def compute() -> tuple[Fetched, str]:
            nonlocal ran
            ran = True
            types = _CSS_TYPES if kind == "style" else None
            fetched = await self._fetch(url, check_hop=check, content_types=types)
            # an entry's assets are pinned to its version (asked for again, conditionally, when
            # it changes), so one page never mixes two versions; others by their own headers
            pinned = entry_url is not None and self.fetch_hook is None
            self._asset_fresh[url] = math.inf if pinned else self.pages.fresh_until(fetched)
            self.pages.check_version(fetched, entry_url)
            if previous is not None and previous[0].body == fetched.body:
                return fetched, previous[1]
            return fetched, await self._off_loop(len(fetched.body), decode_text, fetched)

        fetched, text = await self._assets.get(url, compute)
        if not ran:  # kept, or fetched by a caller with its own entry's rules: checked again
            if check is not None:
                for hop in fetched.hops:
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

    async def fetch_texts(
        self, assets: Sequence[tuple[str, str | None, AssetKind]], *, entry_url: str | None
    ) -> list[str]:
        """``fetch_text`` of each ``(url, integrity, kind)``, in order: cached texts are read in
        turn (no task or loop turn for each, the warm path), only the others fetched in parallel."""
        texts: list[str] = []
        missing: dict[int, tuple[str, str | None, AssetKind]] = {}
        for index, (url, integrity, kind) in enumerate(assets):
            if self.has_cached(url):
                texts.append(
                    await self.fetch_text(url, integrity=integrity, entry_url=entry_url, kind=kind)
                )
            else:
                missing[index] = (url, integrity, kind)
                texts.append("")
        if missing:
            fetched = await asyncio.gather(
                *(
                    self.fetch_text(url, integrity=sri, entry_url=entry_url, kind=kind)
                    for url, sri, kind in missing.values()
                )
            )
            for index, text in zip(missing, fetched, strict=True):
                texts[index] = text
        return texts

    def has_cached(self, url: str) -> bool:
        """Whether an asset's body is in the cache (``fetch_text`` would not touch the network)."""
        return url in self._assets and time.monotonic() < self._asset_fresh.get(url, math.inf)

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
        """The entry page's text (charset honoured; non-HTML refused); cached on success and
        revalidated by HTTP cache rules once stale."""
        return (await self.pages.get(url)).text

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
        key = (url, given_path, get_template)
        record = self.pages.fresh(url)
        if record is not None:  # the warm path: no I/O, no parse
            served = self._served.get(key)
            if served is not None and served[1] == record.version:
                return served[0]
        last = self._served.get(key)
        last_good = last[0] if last is not None else None
        try:
            record = await self._resolve_page(url, last_good)
            if record is None:
                assert last_good is not None
                return last_good
            if (
                last_good is not None
                and last_good.digest == record.digest
                and last_good.url == record.final_url
            ):
                imported = last_good  # revalidated, unchanged: what it serves now, as it is
            else:
                imported = await self._parse(url, record, given_path, get_template)
        except BaseException as error:
            if last_good is None or not isinstance(error, EntryLoadError):
                self.pages.forget(url)  # nothing stays half-cached: a retry fetches again
                raise
            # an update that fails to load leaves the last good version serving
            _log.warning("entry %s: keeping the last good version: %s", url, error)
            self.pages.mark_stale(url)
            self.pages.health_timer(url).failed()
            return last_good
        self._served[key] = (imported, record.version)
        self.pages.parsed(url, record.version)
        if last_good is not None and last_good is not imported:
            self._drop_superseded(key, last_good)
        return imported

    def _drop_superseded(self, key: tuple[Any, ...], old: ImportedEntry) -> None:
        """A new version serves: what was built from the old one is no longer kept (requests
        that hold it finish on it; the caches would keep its tree for nobody)."""
        url, given_path, get_template = key
        self._entries.discard((url, old.digest, old.url, given_path, get_template))
        for built in [k for k in self.wrapper_cache if k and k[0] is old]:
            del self.wrapper_cache[built]

    async def _resolve_page(self, url: str, last_good: ImportedEntry | None) -> PageRecord | None:
        """The page, re-resolved while its ``x-mfe-version`` disagrees with the cached copy's,
        at most ``retries`` times; then ``None`` (serve ``last_good``), Podium's kill switch."""
        record = await self.pages.get(url)
        for _ in range(self.live.retries):
            if not record.stale:
                return record
            record = await self.pages.get(url, force=True)
        if not record.stale or last_good is None:
            return record
        _log.warning(
            "entry %s: x-mfe-version changed on each of %d re-resolves; serving the last good "
            "version",
            url,
            self.live.retries,
        )
        self.pages.health_timer(url).failed()
        return None

    async def _parse(
        self,
        url: str,
        record: PageRecord,
        given_path: str | None,
        get_template: GetTemplate | None,
    ) -> ImportedEntry:
        """Parse results are keyed by the body's hash: an unchanged body is never parsed again."""
        final_url, html = record.final_url, record.text

        async def compute() -> ImportedEntry:
            # as browsers do, relative URLs and the public path follow the final URL
            public_path = given_path if given_path is not None else self._public_path(final_url)
            text = get_template(html) if get_template is not None else html
            extracted = await self._extract(text, public_path, final_url)
            self._check_budget(final_url, extracted)
            return ImportedEntry(
                final_url,
                public_path,
                extracted,
                self,
                requested_url=url,
                digest=record.digest,
                weight=PARSED_BYTES_PER_CHAR * len(text),
            )

        return await self._entries.get(
            (url, record.digest, final_url, given_path, get_template), compute
        )

    async def _extract(self, html: str, public_path: str, where: str) -> Extracted:
        if len(html) < OFF_LOOP_BYTES:
            return extract_page(
                html, public_path, self._parser, where=where, max_attributes=self.max_attributes
            )
        # a parser of its own: lxml parsers are not to be shared between threads
        return await asyncio.to_thread(
            lambda: extract_page(
                html, public_path, new_parser(), where=where, max_attributes=self.max_attributes
            )
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
            extracted = extract_config(
                text,
                scripts,
                styles,
                public_path,
                self._config_parser,
                max_attributes=self.max_attributes,
            )
            self._check_budget("config entry", extracted)
            weight = PARSED_BYTES_PER_CHAR * (len(text) + sum(map(len, (*scripts, *styles))))
            return ImportedEntry(None, public_path, extracted, self, weight=weight)

        return await self._entries.get(key, compute)

    def forget_entry(self, url: str | None) -> None:
        """Drop one entry page and what was parsed from it, so its next import fetches again."""
        if url is None:
            return
        self.pages.forget(url)
        self._entries.discard_where(lambda key: key[0] == url)
        for key in [key for key in self._served if key[0] == url]:
            del self._served[key]

    def _assets_changed(self, url: str) -> None:
        """A new version of an entry: its assets are asked for again at their next use."""
        for key, (imported, _) in self._served.items():
            if key[0] == url:
                for asset in (*imported.scripts, *imported.styles):
                    where = getattr(asset, "src", None) or getattr(asset, "href", None)
                    if where is not None:
                        self._asset_fresh[where] = 0.0

    # -- live deployments ------------------------------------------------------------------
    def watch(
        self, entry: str | None = None, *, manifest: str | None = None, name: str | None = None
    ) -> None:
        """Long-poll manifests (an async task owned by this loader, ended by ``aclose``).

        With no argument, every entry whose page carries ``x-mfe-manifest: 1`` is watched (its
        manifest at ``<entry dir>/manifest.json``); with ``entry`` and ``manifest``, that app's
        manifest at that URL as well.
        """
        if entry is None:
            self._watcher.start()
            return
        manifest_url = manifest
        if manifest_url is None:
            record = self.pages.peek(entry)
            manifest_url = record.manifest_url if record is not None else None
        if manifest_url is None:
            manifest_url = self._public_path(entry) + "manifest.json"
        self._watcher.add(entry, manifest_url, name)

    def watching(self, entry: str) -> bool:
        return entry in self._watcher

    def manifest_polls(self, entry: str) -> int:
        """How many manifest requests were made for ``entry`` (for tests and benchmarks)."""
        return self._watcher.polls(entry)

    async def _poll_manifest(self, entry: str, url: str, known_t: int, limit: float) -> bytes:
        record = self.pages.peek(entry)
        entry_url = record.final_url if record is not None else entry
        fetched = await self._fetch(
            url,
            check_hop=self._hop_check("asset", entry_url),
            request_headers={"cache-control": "no-store"},
            time_limit=limit,
            max_bytes=self.live.manifest_bytes,
        )
        return fetched.body

    async def revalidate(self, url: str) -> str:
        """Ask for ``url``'s page again if it is stale (no I/O while fresh); its version."""
        return (await self.pages.get(url)).version

    def health(self, url: str) -> Health:
        """Podium's state of an entry: ``instantiated``, ``initializing``, ``unstable``,
        ``stable`` or ``unhealthy``."""
        return self.pages.health(url)

    def warm_version(self, url: str) -> str | None:
        """The version an import of ``url`` (no public path or template hook) would serve now
        without I/O: its page fresh, parsed, and its assets cached and fresh; else ``None``."""
        record = self.pages.fresh(url)
        if record is None:
            return None
        return self._served_version(url, record)

    async def settled_version(self, url: str) -> str | None:
        """``warm_version`` once the page is revalidated as an import would (one conditional
        request while stale); ``None`` when an import would do more than that."""
        record = await self.pages.get(url)
        if record.stale:
            return None
        return self._served_version(url, record)

    def _served_version(self, url: str, record: PageRecord) -> str | None:
        served = self._served.get((url, None, None))
        if served is None or served[1] != record.version:
            return None
        now = time.monotonic()
        imported = served[0]
        fetched = [s.src for s in imported.scripts if s.is_python] + [
            s.href for s in imported.styles
        ]
        for where in fetched:
            if where is not None and (
                where not in self._assets or now >= self._asset_fresh.get(where, math.inf)
            ):
                return None
        return record.version

    def entry_version(self, url: str) -> str | None:
        """The current version of an entry URL (``None`` before its first fetch)."""
        return self.pages.version(url)

    def acquire(self, url: str) -> str | None:
        """Count one more user (a loaded app) of ``url``'s current version; returns it."""
        return self.pages.acquire(url)

    def release(self, url: str, version: str | None) -> int:
        """A user of ``version`` is done; when none is left of an old version, what was parsed
        from it is dropped. Returns how many users are left."""
        left = self.pages.release(url, version)
        current = self.pages.peek(url)
        digest = (version or "").partition(":")[2]
        if left == 0 and digest and current is not None and not current.digest.startswith(digest):
            self._entries.discard_where(
                lambda key: key[0] == url and str(key[1]).startswith(digest)
            )
        return left

    def users(self, url: str, version: str | None = None) -> int:
        return self.pages.users(url, version)

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


def _entry_weight(imported: ImportedEntry) -> int:
    return imported.weight


def _wrapper_weight(key: tuple[Any, ...], _: object) -> int:
    """A wrapper copies its entry's template and holds its style texts: weighed by its key."""
    weight = 0
    for part in key:
        if isinstance(part, ImportedEntry):
            weight += part.weight
        elif isinstance(part, tuple):
            weight += sum(len(item) for item in part if isinstance(item, str))
    return weight


def _asset_weight(value: tuple[Fetched, str]) -> int:
    fetched, text = value
    return len(fetched.body) + len(text)


def _require_css(fetched: Fetched) -> None:
    if fetched.mime not in _CSS_TYPES:
        reason = f"refused: Content-Type {fetched.content_type!r} is not CSS"
        raise EntryLoadError(fetched.url, reason)
