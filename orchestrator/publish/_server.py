"""``AppServer``: one app's files, its ``manifest.json`` and Genesis's long-poll, pure ASGI.

``GET /manifest.json?t=<known t>`` answers at once when ``t`` is not the current build time and
otherwise holds the request until ``bump()`` (a deploy, a file change) or ``hold`` seconds pass.
Each held request is one waiter that always leaves the set when it ends (by bump, timeout or
disconnect): Genesis's ``getManifest`` never unsubscribed, so every long-poll leaked a closure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from ..html_entry.live import Manifest

__all__ = ["MANIFEST_PATH", "AppServer"]

MANIFEST_PATH = "/manifest.json"
_log = logging.getLogger("orchestrator.publish")


class AppServer:
    """Serves ``directory`` (``/`` is its ``index.html``) as app ``name``; every response says
    ``x-mfe-version`` and the entry page ``x-mfe-manifest: 1``, so a loader finds the manifest.

    ``max_age`` is the freshness given to the files (0: ``no-cache``, revalidated by ETag on
    every use); ``watch=True`` bumps the build time when a file in ``directory`` changes (with
    watchfiles) while the server's lifespan runs.
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        name: str,
        hold: float = 60.0,
        max_age: int = 0,
        watch: bool = False,
    ) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise ValueError(f"AppServer {name!r}: {self.directory} is not a directory")
        if hold <= 0:
            raise ValueError(f"AppServer {name!r}: hold must be positive, got {hold!r}")
        self.name = name
        self.hold = hold
        self.max_age = max_age
        self.watch = watch
        self._files = StaticFiles(directory=self.directory, html=True)
        self.manifest = Manifest(c="", s="", d=0, t=_now_ms())
        self._waiters: set[asyncio.Future[None]] = set()
        self._observers: set[asyncio.Event] = set()
        self._watcher: asyncio.Task[None] | None = None
        self._stop_watching: asyncio.Event | None = None

    @property
    def waiters(self) -> int:
        """How many manifest requests are held now."""
        return len(self._waiters)

    async def until_waiters(self, predicate: Callable[[int], bool]) -> None:
        """Return once ``predicate(waiters)`` holds: tools and tests order by this, not by
        sleeping."""
        while not predicate(len(self._waiters)):
            event = asyncio.Event()
            self._observers.add(event)
            try:
                await event.wait()
            finally:
                self._observers.discard(event)

    def _notify(self) -> None:
        for event in self._observers:
            event.set()

    def bump(self) -> Manifest:
        """A new build: ``t`` moves on (strictly) and every held request is answered."""
        self.manifest = Manifest(c="", s="", d=0, t=max(_now_ms(), self.manifest.t + 1))
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        _log.info("app %s: new build t=%d", self.name, self.manifest.t)
        return self.manifest

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise RuntimeError(f"AppServer does not serve {scope['type']!r} connections")
        if scope["path"] == MANIFEST_PATH and scope["method"] in ("GET", "HEAD"):
            await self._manifest(scope, receive, send)
            return
        await self._files(scope, receive, self._with_headers(scope, send))

    # -- the manifest and its long-poll -------------------------------------------------------

    async def _manifest(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        known = query.get("t", [""])[0]
        if known.isdigit() and int(known) == self.manifest.t:
            await self._wait_for_bump(receive)
        body = self.manifest.as_json().encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            (b"access-control-allow-origin", b"*"),
            (b"x-mfe-version", str(self.manifest.t).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )

    async def _wait_for_bump(self, receive: Receive) -> None:
        """Until ``bump()``, ``hold`` seconds, or the client goes away; the waiter always
        leaves the set."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        self._notify()
        gone = asyncio.ensure_future(_disconnected(receive))
        try:
            await asyncio.wait(
                {waiter, gone}, timeout=self.hold, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            self._waiters.discard(waiter)
            self._notify()
            gone.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await gone

    # -- files --------------------------------------------------------------------------------

    def _with_headers(self, scope: Scope, send: Send) -> Send:
        entry = scope["path"] in ("/", "/index.html")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"
                ]
                control = f"max-age={self.max_age}" if self.max_age > 0 else "no-cache"
                headers += [
                    (b"cache-control", control.encode()),
                    (b"access-control-allow-origin", b"*"),
                    (b"x-mfe-version", str(self.manifest.t).encode()),
                ]
                if entry:
                    headers.append((b"x-mfe-manifest", b"1"))
                message = {**message, "headers": headers}
            await send(message)

        return send_with_headers

    # -- lifespan and --watch -----------------------------------------------------------------

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self.watch:
                    self.start_watching()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def start_watching(self) -> None:
        """Bump ``t`` on every change of a file under ``directory`` (until ``aclose``)."""
        if self._watcher is None:
            self._stop_watching = asyncio.Event()
            self._watcher = asyncio.create_task(self._watch_files(self._stop_watching))

    async def _watch_files(self, stop: asyncio.Event) -> None:
        from watchfiles import awatch

        async for _changes in awatch(self.directory, stop_event=stop, debounce=50, step=20):
            self.bump()

    async def aclose(self) -> None:
        """Stop watching and answer every held request."""
        if self._stop_watching is not None:
            self._stop_watching.set()
        if self._watcher is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _now_ms() -> int:
    return int(time.time() * 1000)
