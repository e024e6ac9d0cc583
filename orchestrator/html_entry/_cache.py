"""``AsyncOnceCache``: results by key, where concurrent callers share one computation."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["AsyncOnceCache"]

K = TypeVar("K")
V = TypeVar("V")


class AsyncOnceCache(Generic[K, V]):
    """Results by key: concurrent callers for one key share one computation; only successes
    are kept, so a failed key is computed again on the next call.

    With ``max_weight`` and ``weigh``, the least recently used results are dropped once their
    total weight (bytes, say) passes the bound; a single result heavier than it is not kept.
    """

    def __init__(
        self, *, max_weight: int | None = None, weigh: Callable[[V], int] | None = None
    ) -> None:
        self._done: OrderedDict[K, V] = OrderedDict()
        self._running: dict[K, asyncio.Future[V]] = {}
        self._max_weight = max_weight
        self._weigh = weigh
        self._weights: dict[K, int] = {}
        self.weight = 0
        """The total weight of what is kept now."""

    def __contains__(self, key: object) -> bool:
        return key in self._done

    def __len__(self) -> int:
        return len(self._done)

    def peek(self, key: K) -> V | None:
        return self._done.get(key)

    def clear(self) -> None:
        self._done.clear()
        self._weights.clear()
        self.weight = 0

    def discard(self, key: K) -> None:
        self._done.pop(key, None)
        self.weight -= self._weights.pop(key, 0)

    def discard_where(self, predicate: Callable[[K], bool]) -> None:
        for key in [k for k in self._done if predicate(k)]:
            self.discard(key)

    async def get(self, key: K, compute: Callable[[], Awaitable[V]]) -> V:
        if key in self._done:
            if self._max_weight is not None:
                self._done.move_to_end(key)
            return self._done[key]
        running = self._running.get(key)
        if running is None:
            running = asyncio.ensure_future(self._run(key, compute))
            self._running[key] = running
        return await asyncio.shield(running)

    async def _run(self, key: K, compute: Callable[[], Awaitable[V]]) -> V:
        try:
            value = await compute()
            self._keep(key, value)
            return value
        finally:
            self._running.pop(key, None)

    def _keep(self, key: K, value: V) -> None:
        if self._max_weight is None or self._weigh is None:
            self._done[key] = value
            return
        weight = self._weigh(value)
        if weight > self._max_weight:
            return
        self.discard(key)
        self._done[key] = value
        self._weights[key] = weight
        self.weight += weight
        while self.weight > self._max_weight:
            oldest = next(iter(self._done))
            self.discard(oldest)
