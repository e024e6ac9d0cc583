"""One offered copy of a shared module, and the once-only run of a factory behind it."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from orchestrator._tasks import maybe_await

__all__ = ["PENDING", "Factory", "Fallback", "NotAvailableSync", "Once", "SharedEntry"]

Factory = Callable[[], Any]
"""A zero-argument callable, sync or async, returning the module."""

Fallback = Factory | Literal[False] | None
PENDING: Any = object()
"""What ``SharedEntry.ready()`` and ``ShareScope.lookup()`` return when there is no module yet."""


class NotAvailableSync(Exception):
    """The copy (or fallback) can only be had by awaiting: its factory is async or running."""


class Once:
    """A factory's result, produced once for every caller, sync or async."""

    __slots__ = ("_future", "value")

    def __init__(self) -> None:
        self.value: Any = PENDING
        self._future: asyncio.Future[Any] | None = None

    async def get(self, factory: Factory, on_fail: Callable[[], None] | None = None) -> Any:
        if self.value is not PENDING:
            return self.value
        if self._future is None:
            self._future = asyncio.ensure_future(self._produce(factory, on_fail))
        return await asyncio.shield(self._future)

    async def _produce(self, factory: Factory, on_fail: Callable[[], None] | None) -> Any:
        try:
            self.value = await maybe_await(factory())
            return self.value
        except BaseException:
            self._future = None  # a later consumer may try again
            if on_fail is not None:
                on_fail()
            raise

    def get_sync(self, factory: Factory) -> Any:
        if self.value is not PENDING:
            return self.value
        if self._future is not None:
            raise NotAvailableSync
        result = factory()
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()  # never started, so nothing ran
            raise NotAvailableSync
        self.value = result
        return result


@dataclass(eq=False)
class SharedEntry:
    """One offered copy: ``scope[key][version]`` upstream (``{get, from, eager, loaded}``)."""

    key: str
    version: str
    factory: Factory
    from_: str
    eager: bool = False
    loaded: bool = False
    _once: Once = field(default_factory=Once, repr=False)
    _on_change: Callable[[], None] | None = field(default=None, repr=False)

    @property
    def module(self) -> Any:
        """The module once its factory has returned (``None`` before)."""
        value = self._once.value
        return None if value is PENDING else value

    def ready(self) -> Any:
        """The module if the factory has returned, else ``PENDING`` (no waiting)."""
        return self._once.value

    def _mark(self, loaded: bool) -> None:
        if self.loaded != loaded:
            self.loaded = loaded
            if self._on_change is not None:
                self._on_change()

    async def get(self) -> Any:
        """Upstream's ``get(entry)``: mark loaded, then run the factory once for everyone."""
        self._mark(True)
        return await self._once.get(self.factory, lambda: self._mark(False))

    def get_sync(self) -> Any:
        """``get`` for a sync factory; raises ``NotAvailableSync`` when it would have to wait."""
        value = self._once.get_sync(self.factory)
        self._mark(True)
        return value
