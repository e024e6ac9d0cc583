"""qiankun's singular mode: an app mounts only after the unmounts already underway finished."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from .._tasks import call_maybe_async

__all__ = ["SingularMode"]


class SingularMode:
    """The unmounts underway in one tab's qiankun layer, for apps that must wait for them."""

    def __init__(self) -> None:
        self._unmounts: set[asyncio.Future[None]] = set()

    async def gate(self, singular: Any, app: Mapping[str, Any]) -> None:
        """Wait for the unmounts already underway when ``singular`` (a bool or a predicate of
        the app) says so.

        It never waits for an app that stays mounted, only for unmounts that have begun, so
        several apps active at once (a header beside a routed page) cannot deadlock.
        """
        if callable(singular):
            singular = await call_maybe_async(singular, app)
        if not singular:
            return
        while self._unmounts:
            await asyncio.gather(*self._unmounts, return_exceptions=True)

    @contextlib.asynccontextmanager
    async def unmounting(self) -> AsyncIterator[None]:
        """Mark an unmount as underway for as long as the block runs."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._unmounts.add(done)
        try:
            yield
        finally:
            self._unmounts.discard(done)
            done.set_result(None)
