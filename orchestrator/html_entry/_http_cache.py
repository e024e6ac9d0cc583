"""HTTP caching (RFC 9111) under the loader's own fetch: hishel's transport, kept in memory.

Our fetch follows redirects itself and reads raw bytes with bounded decoding, so the cache sits
below it, as the client's transport: each hop is a plain GET that hishel answers from its store,
revalidates with ``If-None-Match``/``If-Modified-Since`` (a 304 hands back the stored raw bytes,
still encoded), or sends on. The store is ours: in memory, bounded in bytes, never on disk.
``freshness`` tells the loader how long a body may be used without asking hishel at all.
"""

from __future__ import annotations

import email.utils
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace

from hishel import AsyncBaseStorage, CacheOptions, Entry, Headers, Request, Response
from hishel.httpx import AsyncCacheTransport

from ._http1 import Http1Pool, Http1Transport

__all__ = ["Freshness", "MemoryStorage", "cache_transport", "freshness"]

HEURISTIC_FRACTION = 0.1
"""RFC 9111 §4.2.2: a tenth of the time since ``Last-Modified`` when no lifetime is given."""
HEURISTIC_CAP = 60.0
"""...but never more than this many seconds, so a deploy is seen within a minute at worst."""


@dataclass(frozen=True)
class Freshness:
    """How long a response may be reused without asking the server (RFC 9111 §4.2)."""

    lifetime: float
    """Seconds from when it was received; 0 means revalidate on every use."""
    storable: bool = True
    """False for ``no-store``: do not keep the body either."""

    def until(self, received: float) -> float:
        return received + self.lifetime


def freshness(headers: Mapping[str, str]) -> Freshness:
    """The freshness of a response by its headers, as a shared cache computes it."""
    directives = _directives(headers.get("cache-control", ""))
    if "no-store" in directives:
        return Freshness(0.0, storable=False)
    if "no-cache" in directives:
        return Freshness(0.0)
    age = _seconds(headers.get("age")) or 0.0
    for name in ("s-maxage", "max-age"):
        if name in directives:
            value = _seconds(directives[name])
            return Freshness(max((value or 0.0) - age, 0.0))
    date = _http_date(headers.get("date"))
    expires = headers.get("expires")
    if expires is not None:
        when = _http_date(expires)
        if when is None or date is None:
            return Freshness(0.0)  # an invalid Expires means "already expired"
        return Freshness(max(when - date - age, 0.0))
    modified = _http_date(headers.get("last-modified"))
    if modified is not None:
        reference = date if date is not None else time.time()
        heuristic = min(max(reference - modified, 0.0) * HEURISTIC_FRACTION, HEURISTIC_CAP)
        return Freshness(max(heuristic - age, 0.0))
    # no lifetime and no date to reckon from: RFC 9111 §4.2.2 leaves the heuristic to us
    return Freshness(max(HEURISTIC_CAP - age, 0.0))


def cache_transport(
    pool: Http1Pool, *, timeout: float, max_bytes: int, max_entry_bytes: int
) -> tuple[AsyncCacheTransport, Http1Transport, MemoryStorage]:
    """The pool as an httpx transport with hishel's RFC 9111 cache (shared cache rules) in front
    of it; the same without the cache; the cache's store."""
    storage = MemoryStorage(max_bytes=max_bytes, max_stream_size=max_entry_bytes)
    network = Http1Transport(pool, timeout)
    transport = AsyncCacheTransport(network, storage=storage, rfc=CacheOptions(shared=True))
    return transport, network, storage


class MemoryStorage(AsyncBaseStorage):
    """hishel's storage interface over a dict: one entry per key, least recently used dropped
    past ``max_bytes`` of bodies; a body over ``max_stream_size`` is passed on, not kept."""

    def __init__(self, *, max_bytes: int, max_stream_size: int | None = None) -> None:
        super().__init__(max_stream_size=max_stream_size)
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[Entry, bytes]] = OrderedDict()
        self._keys: dict[uuid.UUID, str] = {}
        self.size = 0
        """Bytes of bodies kept now."""

    def __len__(self) -> int:
        return len(self._entries)

    def __bool__(self) -> bool:
        return True  # hishel takes a falsy (empty) storage for none and opens SQLite instead

    async def create_entry(
        self,
        request: Request,
        response: Response,
        key: str,
        *,
        ttl: float | None = None,
        tti: float | None = None,
    ) -> Entry:
        entry = Entry(id=uuid.uuid4(), request=request, response=response)
        body = response.stream
        if body is None or not isinstance(body, AsyncIterator):
            return entry
        return replace(entry, response=replace(response, stream=self._save(entry, key, body)))

    async def _save(
        self, entry: Entry, key: str, body: AsyncIterator[bytes]
    ) -> AsyncIterator[bytes]:
        chunks: list[bytes] = []
        size = 0
        keep = True
        async for chunk in body:
            if keep:
                size += len(chunk)
                if self.max_stream_size is not None and size > self.max_stream_size:
                    keep, chunks = False, []
                else:
                    chunks.append(chunk)
            yield chunk
        if keep:  # only a body read to its end is kept
            self._keep(key, entry, b"".join(chunks))

    def _keep(self, key: str, entry: Entry, body: bytes) -> None:
        self._drop(key)
        if len(body) > self.max_bytes:
            return
        stored = replace(entry, response=replace(entry.response, stream=None))
        self._entries[key] = (stored, body)
        self._keys[entry.id] = key
        self.size += len(body)
        while self.size > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        found = self._entries.pop(key, None)
        if found is not None:
            self._keys.pop(found[0].id, None)
            self.size -= len(found[1])

    async def get_entries(self, key: str) -> list[Entry]:
        found = self._entries.get(key)
        if found is None:
            return []
        self._entries.move_to_end(key)
        entry, body = found
        return [replace(entry, response=replace(entry.response, stream=_once(body)))]

    async def update_headers(self, id: uuid.UUID, headers: Headers) -> None:
        key = self._keys.get(id)
        if key is None:
            return
        entry, body = self._entries[key]
        response = replace(entry.response, headers=headers)
        self._entries[key] = (replace(entry, response=response), body)

    async def remove_entry(self, id: uuid.UUID) -> None:
        key = self._keys.get(id)
        if key is not None:
            self._drop(key)

    def clear(self) -> None:
        self._entries.clear()
        self._keys.clear()
        self.size = 0

    async def close(self) -> None:
        self.clear()


async def _once(body: bytes) -> AsyncIterator[bytes]:
    yield body


def _directives(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name:
            found[name.strip().lower()] = value.strip().strip('"')
    return found


def _seconds(value: str | None) -> float | None:
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
