"""``AsyncOnceCache``: results by key, where concurrent callers share one computation.

``SharedRuns`` is the sharing on its own: the first caller for a key runs the work inline, in
its own task (no task is made and no loop turn spent when nobody else waits, the common case of
one import at a time), and the callers that come while it runs wait for its outcome.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["AsyncOnceCache", "SharedRuns"]

K = TypeVar("K")
V = TypeVar("V")


class _LeaderCancelled(Exception):
    """The caller running the work was cancelled: a waiter runs it again for itself."""


class SharedRuns(Generic[K]):
    """At most one run of the work per key at a time; callers that come meanwhile share it.

    The first caller awaits the work directly. A waiter is shielded: its own cancellation never
    cancels the run. If the runner is cancelled, its waiters are not: one of them runs the work
    again (what a waiter gets is always an outcome of the work, never someone else's cancel).
    """

    def __init__(self) -> None:
        self._running: dict[K, asyncio.Future[object]] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._running

    async def run(self, key: K, work: Callable[[], Awaitable[V]]) -> V:
        while True:
            running = self._running.get(key)
            if running is None:
                break
            try:
                shared: V = await asyncio.shield(running)  # type: ignore[arg-type]
                return shared
            except _LeaderCancelled:
                continue  # the runner was cancelled: run it ourselves (or join the next runner)
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            value = await work()
        except asyncio.CancelledError:
            _settle(future, _LeaderCancelled())
            raise
        except BaseException as error:
            _settle(future, error)
            raise
        finally:
            if self._running.get(key) is future:
                del self._running[key]
        future.set_result(value)
        return value


def _settle(future: asyncio.Future[object], error: BaseException) -> None:
    future.set_exception(error)
    future.exception()  # retrieved: a run nobody waited for must not log "never retrieved"


class AsyncOnceCache(Generic[K, V]):
    """Results by key: concurrent callers for one key share one computation; only successes
    are kept, so a failed key is computed again on the next call.

    With ``max_weight`` and ``weigh``, the least recently used results are dropped once their
    total weight (bytes, say) passes the bound; a single result heavier than it is not kept.
    With ``max_items``, also once there are more results than that (both bounds hold at once).
    """

    def __init__(
        self,
        *,
        max_weight: int | None = None,
        weigh: Callable[[V], int] | None = None,
        max_items: int | None = None,
    ) -> None:
        self._done: OrderedDict[K, V] = OrderedDict()
        self._runs: SharedRuns[K] = SharedRuns()
        self._bounded = max_weight is not None or max_items is not None
        self._max_items = max_items
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
            if self._bounded:
                self._done.move_to_end(key)
            return self._done[key]
        return await self._runs.run(key, lambda: self._compute(key, compute))

    async def _compute(self, key: K, compute: Callable[[], Awaitable[V]]) -> V:
        if key in self._done:  # kept by a run that ended while this caller waited to start
            return self._done[key]
        value = await compute()
        self._keep(key, value)
        return value

    def _keep(self, key: K, value: V) -> None:
        weight = 0
        if self._max_weight is not None and self._weigh is not None:
            weight = self._weigh(value)
            if weight > self._max_weight:
                return
        self.discard(key)
        self._done[key] = value
        if weight:
            self._weights[key] = weight
            self.weight += weight
        while (self._max_items is not None and len(self._done) > self._max_items) or (
            self._max_weight is not None and self.weight > self._max_weight
        ):
            self.discard(next(iter(self._done)))
