"""MF runtime's hooks (``utils/hooks/*``, from Garfish's ``@garfish/hooks``) in snake_case.

Four kinds, as upstream: a sync hook and an async hook call listeners in order and keep the
last value that is neither ``None`` nor the unchanged single argument (``False`` stops an async
chain); the two waterfall kinds pass a dict along, each listener returning ``None`` (keep) or a
dict that has every key of the one it got.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from orchestrator._tasks import call_maybe_async

__all__ = ["AsyncHook", "AsyncWaterfallHook", "FederationHooks", "SyncHook", "SyncWaterfallHook"]

logger = logging.getLogger("orchestrator.federation")

Listener = Callable[..., Any]


class _Hook:
    """Listeners in registration order; adding one twice keeps the first place."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._listeners: dict[Listener, None] = {}

    def add(self, fn: Listener) -> Listener:
        """Register ``fn``; returns it, so ``@hooks.on_load.add`` works as a decorator."""
        if not callable(fn):
            raise TypeError(f"a listener of hook {self.name!r} must be callable, got {fn!r}")
        self._listeners.setdefault(fn, None)
        return fn

    def remove(self, fn: Listener) -> None:
        self._listeners.pop(fn, None)

    def clear(self) -> None:
        self._listeners.clear()

    def __len__(self) -> int:
        return len(self._listeners)

    def _check(self, original: dict[str, Any], returned: object) -> dict[str, Any]:
        if not isinstance(returned, dict) or any(key not in returned for key in original):
            raise TypeError(f'A plugin returned an unacceptable value for the "{self.name}" type.')
        return returned


class SyncHook(_Hook):
    def emit(self, *args: Any) -> Any:
        result = None
        for fn in list(self._listeners):
            value = fn(*args)
            if value is not None:
                result = value
        return result


class AsyncHook(_Hook):
    async def emit(self, *args: Any) -> Any:
        result: Any = None
        for fn in list(self._listeners):
            if result is False:
                break
            value = await call_maybe_async(fn, *args)
            if value is None or (len(args) == 1 and value is args[0]):
                continue
            result = value
        return result


class SyncWaterfallHook(_Hook):
    def emit(self, data: dict[str, Any]) -> dict[str, Any]:
        for fn in list(self._listeners):
            value = fn(data)
            if value is not None:
                data = self._check(data, value)
        return data


class AsyncWaterfallHook(_Hook):
    async def emit(self, data: dict[str, Any]) -> dict[str, Any]:
        for fn in list(self._listeners):
            value: object = await call_maybe_async(fn, data)
            if value is not None:
                data = self._check(data, value)
        return data


class FederationHooks:
    """The hooks a ``Federation`` emits, named as MF's in snake_case, in the order they run.

    ``load_remote``: before_request → after_match_remote → after_resolve → fetch (each
    manifest or zip) → load_entry → on_load → (error_load_remote) → after_load_remote.
    ``load_share``: before_load_share → load_share → resolve_share → after_load_share, or
    error_load_share. Registering: before_register_remote → register_remote, and
    before_register_share for each provided shared module.
    """

    def __init__(self) -> None:
        self.before_register_remote = SyncWaterfallHook("beforeRegisterRemote")
        self.register_remote = SyncWaterfallHook("registerRemote")
        self.before_request = AsyncWaterfallHook("beforeRequest")
        self.after_match_remote = AsyncHook("afterMatchRemote")
        self.after_resolve = AsyncWaterfallHook("afterResolve")
        self.fetch = AsyncHook("fetch")
        self.load_entry = AsyncHook("loadEntry")
        self.on_load = AsyncHook("onLoad")
        self.error_load_remote = AsyncHook("errorLoadRemote")
        self.after_load_remote = AsyncHook("afterLoadRemote")
        self.before_register_share = SyncWaterfallHook("beforeRegisterShare")
        self.before_load_share = AsyncWaterfallHook("beforeLoadShare")
        self.load_share = AsyncHook("loadShare")
        self.resolve_share = SyncWaterfallHook("resolveShare")
        self.after_load_share = SyncHook("afterLoadShare")
        self.error_load_share = SyncHook("errorLoadShare")
