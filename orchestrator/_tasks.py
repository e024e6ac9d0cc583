"""Background tasks owned by one object (referenced until done, cancelled when it closes), and
the one way to call a callback that may be sync or async."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
logger = logging.getLogger("orchestrator")


async def maybe_await(value: Awaitable[T] | T) -> T:
    """``value`` itself, or what it resolves to when it is awaitable (sync-or-async results)."""
    if inspect.isawaitable(value):
        return await value
    return value


async def call_maybe_async(function: Callable[..., Any], *args: Any) -> Any:
    """Call a sync or async callable and wait for its result: the one home of that idiom."""
    return await maybe_await(function(*args))


async def call_in_order(functions: Iterable[Callable[..., Any]], *args: Any) -> None:
    """Call sync or async functions one after the other, each finishing before the next."""
    for function in functions:
        await call_maybe_async(function, *args)


def mark_seen(future: asyncio.Future[Any]) -> None:
    """A done callback marking the future's exception as retrieved: for futures that may
    fail with nobody awaiting them (asyncio would log "exception was never retrieved")."""
    if not future.cancelled():
        future.exception()


class TaskSet:
    """asyncio keeps only weak references to tasks; this keeps them alive and closes them."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Future[Any]] = set()

    def spawn(self, awaitable: Awaitable[T]) -> asyncio.Future[T]:
        """Run ``awaitable`` as a task of the running loop, held until it finishes."""
        if asyncio.iscoroutine(awaitable):
            task: asyncio.Future[T] = asyncio.get_running_loop().create_task(awaitable)
        else:
            task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def call(self, callback: Callable[..., Any], *args: Any, what: str) -> None:
        """Call a sync or async callback whose failure must not stop its caller: an exception
        is logged naming ``what``; a coroutine runs as a task (and is logged if it fails)."""
        try:
            result = callback(*args)
        except Exception:
            logger.exception("%s raised", what)
            return
        if not inspect.isawaitable(result):
            return
        awaitable = result

        async def run() -> None:
            try:
                await awaitable
            except Exception:
                logger.exception("%s raised", what)

        coroutine = run()
        try:
            self.spawn(coroutine)
        except RuntimeError:
            coroutine.close()
            if inspect.iscoroutine(awaitable):
                awaitable.close()
            logger.warning("%s is async but no event loop is running; not run", what)

    def __len__(self) -> int:
        return len(self._tasks)

    def __iter__(self) -> Iterator[asyncio.Future[Any]]:
        return iter(list(self._tasks))

    async def aclose(self) -> None:
        """Cancel what is still running and wait until every task has finished."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
