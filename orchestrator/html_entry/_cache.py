"""``AsyncOnceCache``: results by key, where concurrent callers share one computation."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["AsyncOnceCache"]

K = TypeVar("K")
V = TypeVar("V")


class AsyncOnceCache(Generic[K, V]):
    """Results by key: concurrent callers for one key share one computation; only successes
    are kept, so a failed key is computed again on the next call."""

    def __init__(self) -> None:
        self._done: dict[K, V] = {}
        self._running: dict[K, asyncio.Future[V]] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._done

    def __len__(self) -> int:
        return len(self._done)

    def peek(self, key: K) -> V | None:
        return self._done.get(key)

    def clear(self) -> None:
        self._done.clear()

    def discard(self, key: K) -> None:
        self._done.pop(key, None)

    def discard_where(self, predicate: Callable[[K], bool]) -> None:
        for key in [k for k in self._done if predicate(k)]:
            del self._done[key]

    async def get(self, key: K, compute: Callable[[], Awaitable[V]]) -> V:
        if key in self._done:
            return self._done[key]
        running = self._running.get(key)
        if running is None:
            running = asyncio.ensure_future(self._run(key, compute))
            self._running[key] = running
        return await asyncio.shield(running)

    async def _run(self, key: K, compute: Callable[[], Awaitable[V]]) -> V:
        try:
            value = await compute()
            self._done[key] = value
            return value
        finally:
            self._running.pop(key, None)
