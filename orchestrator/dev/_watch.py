"""Watching the local app folders (``watchfiles``): a batch of changes becomes one call per app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from watchfiles import awatch

__all__ = ["AppWatcher"]

logger = logging.getLogger("orchestrator.dev")

OnChange = Callable[[str, tuple[Path, ...]], Awaitable[None]]


class AppWatcher:
    """Calls ``on_change(app, paths)`` for each app whose folder changed, in one task.

    ``step_ms``: how long the folders must stay quiet before a batch is reported (an editor's
    save is several writes); ``debounce_ms`` caps how long a busy stream of changes is held.
    """

    def __init__(
        self,
        dirs: Mapping[str, Path],
        on_change: OnChange,
        *,
        step_ms: int = 50,
        debounce_ms: int = 400,
        force_polling: bool | None = None,
    ) -> None:
        self.dirs = {name: Path(path).resolve() for name, path in dirs.items()}
        self.on_change = on_change
        self.step_ms = step_ms
        self.debounce_ms = debounce_ms
        self.force_polling = force_polling
        self.ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def app_of(self, path: Path) -> str | None:
        """The app whose folder holds ``path`` (the deepest one, if folders nest)."""
        best: tuple[int, str] | None = None
        for name, folder in self.dirs.items():
            if path == folder or path.is_relative_to(folder):
                depth = len(folder.parts)
                if best is None or depth > best[0]:
                    best = (depth, name)
        return None if best is None else best[1]

    def start(self) -> None:
        if self._task is None and self.dirs:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        watching = awatch(
            *self.dirs.values(),
            stop_event=self._stop,
            step=self.step_ms,
            debounce=self.debounce_ms,
            rust_timeout=200,
            yield_on_timeout=True,
            force_polling=self.force_polling,
        )
        async for changes in watching:
            self.ready.set()  # the first (timeout) yield: the watches are in place
            by_app: dict[str, list[Path]] = {}
            for _, raw in changes:
                path = Path(raw)
                name = self.app_of(path)
                if name is not None:
                    by_app.setdefault(name, []).append(path)
            for name, paths in by_app.items():
                try:
                    await self.on_change(name, tuple(sorted(set(paths))))
                except Exception:
                    logger.exception("handling a change of %s failed", name)

    async def aclose(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
