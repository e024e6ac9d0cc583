"""Composed pages kept by the entry versions they were made from, for apps that run no code.

An app whose HTML entry ran no Python, with no hooks and no custom loader, renders exactly its
template: its markup depends on its entry version and on nothing a request brings (URL, cookie,
global state). A page made only of such apps is the same bytes until one of those versions
changes, so it is composed once per set of versions and replayed, without an orchestrator, while
the loader says each version is still fresh (Tailor refetches fragments on every request; a
fragment that did not change costs us a dictionary lookup).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

__all__ = ["PageKey", "PageReplay"]

PageKey = tuple[str, tuple[str, ...], tuple[str, ...], str]
"""What the page is (``page``, or ``not-found`` for a shell-styled 404), the active apps (in
routing order), the entry version each runs, and the ASGI root path."""


class PageReplay:
    """A bounded cache (least recently used first out, bounded in bytes) of composed pages."""

    def __init__(self, max_bytes: int = 32_000_000) -> None:
        if max_bytes < 0:
            raise ValueError(f"PageReplay max_bytes must be >= 0, got {max_bytes}")
        self.max_bytes = max_bytes
        self._pages: OrderedDict[PageKey, bytes] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(
        active: Sequence[str], versions: Sequence[str], root_path: str, kind: str = "page"
    ) -> PageKey:
        return (kind, tuple(active), tuple(versions), root_path)

    def get(self, key: PageKey) -> bytes | None:
        body = self._pages.get(key)
        if body is None:
            self.misses += 1
            return None
        self._pages.move_to_end(key)
        self.hits += 1
        return body

    def put(self, key: PageKey, body: bytes) -> None:
        """Keep ``body`` for ``key``; a page larger than the whole budget is not kept."""
        if len(body) > self.max_bytes:
            return
        old = self._pages.pop(key, None)
        if old is not None:
            self._bytes -= len(old)
        self._pages[key] = body
        self._bytes += len(body)
        while self._bytes > self.max_bytes:
            _, evicted = self._pages.popitem(last=False)
            self._bytes -= len(evicted)

    def clear(self) -> None:
        self._pages.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._pages)

    @property
    def size_bytes(self) -> int:
        return self._bytes
