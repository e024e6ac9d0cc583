"""DOM-like events and the safe way to call the code that handles them."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("sandbox")

Listener = Callable[["Event"], Any]

#: Runs one callback for its owner: ``runner(callback, args, what)`` (see ``invoke``).
Runner = Callable[[Callable[..., Any], tuple[Any, ...], str], None]


class Event:
    """A DOM-like event; extra keyword arguments become attributes (``state=...``)."""

    type: str
    detail: Any
    default_prevented: bool
    target: Any

    def __init__(self, type: str, *, detail: Any = None, **attrs: Any) -> None:
        if not isinstance(type, str) or not type:
            raise TypeError(f"Event type must be a non-empty str, got {type!r}")
        self.type = type
        self.detail = detail
        self.default_prevented = False
        self.target = None
        self._stopped = False
        for name, value in attrs.items():
            setattr(self, name, value)

    def __getattr__(self, name: str) -> Any:
        """Only reached for attributes never given: typed as ``Any`` for the keyword extras."""
        kind = self.__dict__.get("type")
        raise AttributeError(f"{kind!r} event has no attribute {name!r}")

    def prevent_default(self) -> None:
        """Mark the event as cancelled: ``dispatch_event`` then returns ``False``."""
        self.default_prevented = True

    def stop_immediate_propagation(self) -> None:
        """Stop calling the listeners that come after the current one."""
        self._stopped = True

    @property
    def propagation_stopped(self) -> bool:
        return self._stopped

    def __repr__(self) -> str:
        return f"Event({self.type!r}, detail={self.detail!r})"


def invoke(
    callback: Callable[..., Any], args: tuple[Any, ...], what: str, tasks: set[asyncio.Task[Any]]
) -> asyncio.Task[None] | None:
    """Call ``callback(*args)`` as a browser would: errors are reported, never propagated.

    A coroutine result is scheduled as a task on the running loop (kept in ``tasks`` so it is
    not garbage-collected mid-flight, and so its owner can cancel it); that task is returned.
    """
    try:
        result = callback(*args)
    except Exception:
        logger.exception("uncaught error in %s %r", what, callback)
        return None
    if inspect.isawaitable(result):
        return _schedule(result, what, callback, tasks)
    return None


def _schedule(
    awaitable: Any, what: str, callback: Callable[..., Any], tasks: set[asyncio.Task[Any]]
) -> asyncio.Task[None] | None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        if inspect.iscoroutine(awaitable):
            awaitable.close()
        logger.error("async %s %r needs a running asyncio loop; it was not run", what, callback)
        return None

    async def _run() -> None:
        try:
            await awaitable
        except Exception:
            logger.exception("uncaught error in async %s %r", what, callback)

    task = loop.create_task(_run())
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return task
