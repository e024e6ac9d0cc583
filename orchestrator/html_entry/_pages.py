"""``EntryPages``: each entry URL's current page, revalidated by HTTP cache rules, with versions.

A page is reused without I/O while fresh; once stale it is asked for again with its validators
(``If-None-Match``, ``If-Modified-Since``): the records are the pages' HTTP cache, so no other
cache stores them twice or stands in the way. A 304, or an unchanged body, costs no decode and no
parse: the record, its decoded text and every parse keyed by its hash stay as they were. A changed
body, or a new manifest, is a new version: ``entry-updated`` is sent and the health timer restarted.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from blinker import NamedSignal

from .._lru import LRUCache
from .._urls import resolve_url
from ..errors import EntryLoadError
from ._cache import SharedRuns
from ._fetch import Fetched
from ._http_cache import freshness
from ._live import MANIFEST_HEADER, VERSION_HEADER, Health, HealthTimer, Manifest, PageRecord
from ._options import LiveOptions

__all__ = ["EntryPages"]

_NOT_UPDATED = frozenset(
    {"content-length", "content-encoding", "content-type", "transfer-encoding"}
)
"""Headers a 304 does not change in the stored response (they describe a body it has not)."""


_log = logging.getLogger("orchestrator.html_entry")

FetchPage = Callable[[str, Mapping[str, str] | None], Awaitable[Fetched]]
Decode = Callable[[Fetched], Awaitable[str]]


class EntryPages:
    """Pages by requested URL, their versions, health and users (narrow: given how to fetch
    and decode a page, and the signal to send)."""

    def __init__(
        self,
        *,
        fetch: FetchPage,
        decode: Decode,
        signal: NamedSignal,
        health_signal: NamedSignal,
        manifest_signal: NamedSignal,
        sender: Any,
        options: LiveOptions,
        hooked: bool,
        cache_size: int = 512,
    ) -> None:
        self._fetch = fetch
        self._decode = decode
        self._signal = signal
        self._health_signal = health_signal
        self._manifest_signal = manifest_signal
        self._sender = sender
        self.options = options
        self._hooked = hooked
        # per URL, bounded: a composer asked for ever new URLs keeps the recent ``cache_size``
        self.records: LRUCache[str, PageRecord] = LRUCache(cache_size)
        self._runs: SharedRuns[str] = SharedRuns()
        self._health: LRUCache[str, HealthTimer] = LRUCache(
            cache_size, on_evict=lambda url, timer: timer.close()
        )
        self._users: dict[tuple[str, str], int] = {}
        self._good: LRUCache[str, str] = LRUCache(cache_size)
        """The last version of each URL that was parsed without error."""
        self.on_manifest: Callable[[str, PageRecord], None] | None = None
        """Called when a page announces a manifest (the watcher picks it up)."""
        self.on_change: Callable[[str], None] | None = None
        """Called when an entry has a new version (its assets are then asked for again)."""
        self.revalidations = 0
        """How many times a stale page was asked for again (for tests and benchmarks)."""

    # -- pages ------------------------------------------------------------------------------

    def peek(self, url: str) -> PageRecord | None:
        return self.records.get(url)

    def fresh(self, url: str) -> PageRecord | None:
        """The record if it may be used without asking the server, else ``None``."""
        record = self.records.get(url)
        if record is None or record.stale or time.monotonic() >= record.fresh_until:
            return None
        return record

    async def get(self, url: str, *, force: bool = False) -> PageRecord:
        """The page of ``url``: the cached record while fresh, else revalidated (shared by
        concurrent callers)."""
        if not force:
            record = self.fresh(url)
            if record is not None:
                return record
        return await self._runs.run(url, lambda: self._revalidate(url, force))

    async def _revalidate(self, url: str, force: bool) -> PageRecord:
        record = self.records.get(url)
        health = self.health_timer(url)
        health.fetching()
        # we ask again only once our copy is stale (or forced): then the origin must confirm it
        headers = None if record is None else record.conditional_headers()
        if record is not None:
            self.revalidations += 1
        try:
            fetched = await self._fetch(url, headers)
            if fetched.not_modified:
                fetched = await self._not_modified(url, record, fetched)
        except BaseException:
            if record is not None:
                health.failed()
            raise
        until = self.fresh_until(fetched)
        digest = record.digest if fetched.not_modified and record else _digest(fetched.body)
        version_header = fetched.headers.get(VERSION_HEADER)
        manifest_url = self._manifest_url(url, fetched, record)
        if record is not None and digest == record.digest and fetched.url == record.final_url:
            # unchanged: a hash, not a decode or a parse (a 304: not even the hash)
            disagrees = version_header is not None and version_header != record.version_header
            record.fresh_until = until
            record.stale = disagrees
            record.version_header = version_header or record.version_header
            record.headers = fetched.headers
            if manifest_url != record.manifest_url:
                record.manifest_url = manifest_url
                self._announce(url, record)
            return record
        text = await self._decode(fetched)
        new = PageRecord(
            fetched.url,
            text,
            digest,
            until,
            version_header=version_header,
            manifest_url=manifest_url,
            manifest=record.manifest if record is not None else None,
            headers=fetched.headers,
        )
        if record is not None:
            new.number = record.number + 1
            # Podium: a version header unlike the one the cached copy came with is confirmed
            # by asking again before it is believed
            new.stale = version_header is not None and version_header != record.version_header
        self.records[url] = new
        if record is None:
            health.fresh()
        else:
            self._changed(url, record, new)
        if manifest_url is not None and (record is None or record.manifest_url != manifest_url):
            self._announce(url, new)
        return new

    async def _not_modified(self, url: str, record: PageRecord | None, fetched: Fetched) -> Fetched:
        """A 304: our copy, its headers updated by the 304's (RFC 9111 §4.3.4). A 304 that
        cannot be about our copy (none kept, or a redirect now ends elsewhere) is asked again
        without validators."""
        if record is None or fetched.url != record.final_url:
            _log.warning("entry %s: a 304 for a copy we do not have; asking again in full", url)
            fetched = await self._fetch(url, {"cache-control": "no-cache"})
            if fetched.not_modified:
                raise EntryLoadError(
                    url, "answered 304 Not Modified to a request without validators"
                )
            return fetched
        update = {k: v for k, v in fetched.headers.items() if k not in _NOT_UPDATED}
        return replace(fetched, headers=MappingProxyType({**record.headers, **update}))

    def fresh_until(self, fetched: Fetched) -> float:
        if self._hooked and not fetched.headers:
            return math.inf  # a fetch hook that says nothing of caching: as before, kept
        lifetime = freshness(fetched.headers)
        return time.monotonic() + lifetime.lifetime

    def _manifest_url(self, url: str, fetched: Fetched, record: PageRecord | None) -> str | None:
        explicit = self.options.manifests.get(url)
        if explicit is not None:
            return explicit
        if fetched.headers.get(MANIFEST_HEADER, "").strip() == "1":
            if record is not None and record.final_url == fetched.url and record.manifest_url:
                return record.manifest_url  # the same page announcing it again
            return resolve_url(fetched.url, "manifest.json")
        return record.manifest_url if record is not None else None

    def _announce(self, url: str, record: PageRecord) -> None:
        if self.on_manifest is not None:
            self.on_manifest(url, record)

    def _changed(self, url: str, old: PageRecord, new: PageRecord) -> None:
        self.health_timer(url).fresh()
        if self.on_change is not None:
            self.on_change(url)
        _log.info("entry %s updated: %s -> %s", url, old.version, new.version)
        self._signal.send(self._sender, url=url, old=old.version, new=new.version)

    async def apply_manifest(self, url: str, manifest: Manifest) -> bool:
        """Take a manifest polled for ``url``; True when it made a new version. The first one
        only sets what is known; a new mark asks for the page again, and if the page did not
        change (only its assets did) the version moves on all the same."""
        record = self.records.get(url)
        if record is None:
            return False
        known = record.manifest
        record.manifest = manifest
        self._manifest_signal.send(self._sender, url=url, manifest=manifest)
        if known is None or known.mark == manifest.mark:
            return False
        _log.info("entry %s: new manifest %s", url, manifest.mark)
        current = await self.get(url, force=True)
        if current is record:
            bumped = PageRecord(
                record.final_url,
                record.text,
                record.digest,
                record.fresh_until,
                version_header=record.version_header,
                manifest_url=record.manifest_url,
                manifest=manifest,
                number=record.number + 1,
                headers=record.headers,
            )
            self.records[url] = bumped
            self._changed(url, record, bumped)
        return True

    def mark_stale(self, url: str) -> None:
        record = self.records.get(url)
        if record is not None:
            record.stale = True

    def check_version(self, fetched: Fetched, entry_url: str | None) -> None:
        """An asset whose ``x-mfe-version`` is not its entry's marks the entry stale."""
        version = fetched.headers.get(VERSION_HEADER)
        if version is None or entry_url is None:
            return
        for record in self.records.values():
            if record.final_url == entry_url and record.version_header not in (None, version):
                record.stale = True

    def forget(self, url: str) -> None:
        self.records.pop(url, None)
        self._good.pop(url, None)

    def clear(self) -> None:
        self.records.clear()
        self._good.clear()

    # -- health and users -------------------------------------------------------------------

    def health_timer(self, url: str) -> HealthTimer:
        timer = self._health.get(url)
        if timer is None:
            timer = self._health[url] = HealthTimer(
                resolve_threshold=self.options.resolve_threshold,
                resolve_max=self.options.resolve_max,
                on_change=lambda old, new: self._health_changed(url, old, new),
            )
        return timer

    def _health_changed(self, url: str, old: Health, new: Health) -> None:
        self._health_signal.send(self._sender, url=url, old=old, new=new)

    def health(self, url: str) -> Health:
        timer = self._health.get(url)
        return Health.INSTANTIATED if timer is None else timer.state

    def parsed(self, url: str, version: str) -> None:
        """``version`` of ``url`` was imported without error: it is what serves now."""
        self._good[url] = version

    def version(self, url: str) -> str | None:
        """The version that serves: the last one imported without error (a deploy that fails
        to load is never handed out), else the page's as fetched."""
        good = self._good.get(url)
        if good is not None:
            return good
        record = self.records.get(url)
        return None if record is None else record.version

    def acquire(self, url: str) -> str | None:
        """Count one more user of ``url``'s current version; returns that version."""
        version = self.version(url)
        if version is not None:
            self._users[url, version] = self._users.get((url, version), 0) + 1
        return version

    def release(self, url: str, version: str | None) -> int:
        """One user of a version is done; returns how many are left."""
        if version is None:
            return 0
        left = self._users.get((url, version), 0) - 1
        if left > 0:
            self._users[url, version] = left
            return left
        self._users.pop((url, version), None)
        return 0

    def users(self, url: str, version: str | None = None) -> int:
        """How many users hold ``url``'s ``version`` (by default: every version)."""
        if version is not None:
            return self._users.get((url, version), 0)
        return sum(count for (where, _), count in self._users.items() if where == url)

    def close(self) -> None:
        for timer in self._health.values():
            timer.close()


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
