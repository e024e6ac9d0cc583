"""A bounded cache of scoped stylesheets: the same stylesheet for the same app is scoped once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from css_scoper._scope import scope_css


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """Counters of a `ScopedCSSCache`, as `functools.lru_cache` reports them."""

    hits: int
    misses: int
    maxsize: int
    currsize: int
    max_chars: int
    chars: int


class ScopedCSSCache:
    """Least-recently-used cache of `scope_css` results, bounded in entries and in characters.

    Keyed by (prefix, base_url, css text): the text itself is the key, so a stylesheet that
    changes is scoped again, and one object owns its cache (an `EntryLoader` holds one).
    """

    def __init__(self, maxsize: int = 256, *, max_chars: int = 64_000_000) -> None:
        if maxsize < 1:
            raise ValueError(f"ScopedCSSCache: maxsize must be at least 1, got {maxsize}")
        if max_chars < 1:
            raise ValueError(f"ScopedCSSCache: max_chars must be at least 1, got {max_chars}")
        self._maxsize = maxsize
        self._max_chars = max_chars
        self._entries: OrderedDict[tuple[str, str | None, str], str] = OrderedDict()
        self._chars = 0
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()

    def scope(self, css: str, prefix: str, base_url: str | None = None) -> str:
        """`scope_css(css, prefix, base_url=base_url)`, served from the cache when seen before."""
        key = (prefix, base_url, css)
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None:
                self._entries.move_to_end(key)
                self._hits += 1
                return cached
            self._misses += 1
        scoped = scope_css(css, prefix, base_url=base_url)
        self._store(key, scoped)
        return scoped

    def _store(self, key: tuple[str, str | None, str], scoped: str) -> None:
        size = len(key[2]) + len(scoped)
        if size > self._max_chars:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._chars -= len(key[2]) + len(previous)
            self._entries[key] = scoped
            self._chars += size
            while len(self._entries) > self._maxsize or self._chars > self._max_chars:
                (_, _, old_css), old_scoped = self._entries.popitem(last=False)
                self._chars -= len(old_css) + len(old_scoped)

    def clear(self) -> None:
        """Forget every entry and reset the counters."""
        with self._lock:
            self._entries.clear()
            self._chars = self._hits = self._misses = 0

    def cache_info(self) -> CacheInfo:
        """Hits, misses and size, for tests and diagnostics."""
        with self._lock:
            return CacheInfo(
                self._hits,
                self._misses,
                self._maxsize,
                len(self._entries),
                self._max_chars,
                self._chars,
            )

    def __len__(self) -> int:
        return len(self._entries)
