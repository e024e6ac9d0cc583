"""``ManifestWatcher``: long-polls each watched app's manifest, Genesis 2.0's protocol fixed.

``GET manifest?t=<known t>&n=<now ms>``: the app server answers at once when ``t`` differs and
holds the request otherwise. Unlike Genesis, the first download has a timeout, errors back off
exponentially (capped) instead of retrying every second, and the loop is a task its loader ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .._tasks import TaskSet
from ..errors import OrchestratorError
from ._live import Manifest, ManifestError
from ._options import LiveOptions
from ._pages import EntryPages

__all__ = ["ManifestWatcher", "Poll"]

_log = logging.getLogger("orchestrator.html_entry")

Poll = Callable[[str, str, int, float], Awaitable[bytes]]
"""``poll(entry_url, manifest_url_with_query, known_t, time_limit)`` → the manifest's bytes."""


@dataclass
class _Watched:
    entry_url: str
    manifest_url: str
    name: str | None
    task: asyncio.Future[None] | None = None
    polls: int = 0
    failures: int = 0


class ManifestWatcher:
    """One polling task per watched entry; ``aclose()`` ends them all."""

    def __init__(self, pages: EntryPages, poll: Poll, options: LiveOptions) -> None:
        self._pages = pages
        self._poll = poll
        self._options = options
        self._watched: dict[str, _Watched] = {}
        self._tasks = TaskSet()
        self.watch_all = False
        """Every entry that announces a manifest is watched as soon as it is fetched."""
        self._closed = False
        pages.on_manifest = self._announced

    def __contains__(self, entry_url: object) -> bool:
        return entry_url in self._watched

    def polls(self, entry_url: str) -> int:
        watched = self._watched.get(entry_url)
        return 0 if watched is None else watched.polls

    def start(self) -> None:
        """Watch every entry whose page announced a manifest, now and later."""
        self.watch_all = True
        for url, record in list(self._pages.records.items()):
            if record.manifest_url is not None:
                self.add(url, record.manifest_url)

    def add(self, entry_url: str, manifest_url: str, name: str | None = None) -> None:
        if self._closed:
            raise RuntimeError("EntryLoader is closed")
        watched = self._watched.get(entry_url)
        if watched is not None and watched.manifest_url == manifest_url:
            return
        if watched is not None and watched.task is not None:
            watched.task.cancel()
        watched = self._watched[entry_url] = _Watched(entry_url, manifest_url, name)
        watched.task = self._tasks.spawn(self._loop(watched))

    def _announced(self, entry_url: str, record: object) -> None:
        manifest_url = getattr(record, "manifest_url", None)
        if self.watch_all and not self._closed and isinstance(manifest_url, str):
            self.add(entry_url, manifest_url)

    async def aclose(self) -> None:
        self._closed = True
        await self._tasks.aclose()
        self._watched.clear()

    async def _loop(self, watched: _Watched) -> None:
        options = self._options
        while True:
            record = self._pages.peek(watched.entry_url)
            known = record.manifest if record is not None else None
            known_t = known.t if known is not None else 0
            # the first download may not wait long; later ones are held up to long_poll
            limit = (
                options.first_timeout
                if known is None
                else options.long_poll + options.first_timeout
            )
            started = time.monotonic()
            try:
                manifest = await self._poll_once(watched, known_t, limit)
            except asyncio.CancelledError:
                raise
            except (OrchestratorError, OSError) as error:
                watched.failures += 1
                delay = options.backoff(watched.failures)
                _log.warning(
                    "manifest of %s: %s (retrying in %.1f s)",
                    watched.name or watched.entry_url,
                    error,
                    delay,
                )
                if not isinstance(error, ManifestError):
                    self._pages.health_timer(watched.entry_url).failed()
                await asyncio.sleep(delay)
                continue
            watched.failures = 0
            if known is not None and manifest.t < known.t:
                _log.warning(
                    "manifest of %s ignored: t went backwards (%d < %d)",
                    watched.name or watched.entry_url,
                    manifest.t,
                    known.t,
                )
            else:
                with contextlib.suppress(OrchestratorError):  # logged; the old version serves
                    await self._pages.apply_manifest(watched.entry_url, manifest)
            wait = options.poll_interval - (time.monotonic() - started)
            if wait > 0:
                await asyncio.sleep(wait)

    async def _poll_once(self, watched: _Watched, known_t: int, limit: float) -> Manifest:
        watched.polls += 1
        now = int(time.time() * 1000)
        separator = "&" if "?" in watched.manifest_url else "?"
        url = f"{watched.manifest_url}{separator}t={known_t}&n={now}"
        body = await self._poll(watched.entry_url, url, known_t, limit)
        return Manifest.parse(watched.manifest_url, body, app_name=watched.name)
