"""``ComposeApp``: an ASGI app answering each request with the page composed for its path.

Each user session (a signed cookie) gets its own orchestrator, as each browser tab has its own
single-spa; all of them share one ``EntryLoader`` so entries are fetched and parsed once.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote, urljoin

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import Receive, Scope, Send

from .._tasks import TaskSet
from ..config import ComposeConfig
from ..status import BROKEN_STATUSES
from ._factory import Factory, OrchestratorFactory, config_factory, user_factory
from ._pages import bad_gateway, error_url, not_found, page, server_error
from ._sessions import Session, SessionStore

if TYPE_CHECKING:
    from ..html_entry import EntryLoader

__all__ = ["ComposeApp"]

_log = logging.getLogger("orchestrator.asgi")

_NO_SHARING = {"cache-control": "private, no-store", "vary": "Cookie"}


class ComposeApp:
    """Pure ASGI: mount it in Starlette, FastAPI or any ASGI server.

    ``config_or_factory`` is a ``ComposeConfig`` whose apps all have entry URLs, or an async
    ``factory(loader, url)`` returning a started orchestrator. ``layout_apps`` are apps active
    everywhere that do not make a path exist; ``shell_routes`` are paths the shell answers alone.
    """

    def __init__(
        self,
        config_or_factory: ComposeConfig | OrchestratorFactory,
        *,
        loader: EntryLoader | None = None,
        secret_key: bytes | str | None = None,
        max_sessions: int = 1000,
        session_ttl: float = 1800.0,
        cookie_name: str = "mfe_session",
        secure_cookie: bool = False,
        layout_apps: Iterable[str] | None = None,
        shell_routes: Iterable[str] | None = None,
        base_url: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(config_or_factory, ComposeConfig):
            config = config_or_factory
            missing = [app.name for app in config.unserved()]
            if missing:
                raise ValueError(f"apps {missing} of {config.source} have no entry URL; serve them")
            self._factory: Factory = config_factory(config)
            self._entries: dict[str, str] = {app.name: app.entry or "" for app in config.apps}
            layout = config.layout_apps if layout_apps is None else frozenset(layout_apps)
            routes = config.shell_routes if shell_routes is None else tuple(shell_routes)
            base = base_url or config.url
        elif callable(config_or_factory):
            self._factory = user_factory(config_or_factory)
            self._entries = {}
            layout = frozenset(layout_apps or ())
            routes = tuple(shell_routes or ("/",))
            base = base_url or "http://localhost/"
        else:
            raise TypeError(
                "ComposeApp needs a ComposeConfig or an async factory(loader, url), "
                f"got {type(config_or_factory).__name__}"
            )
        key = secret_key.encode() if isinstance(secret_key, str) else secret_key
        self._key = key or secrets.token_bytes(32)
        self._layout_apps = layout
        self._shell_routes = frozenset(routes)
        self._base_url = base
        self._cookie_name = cookie_name
        self._secure_cookie = secure_cookie
        self._loader = loader
        self._owns_loader = loader is None
        self.sessions = SessionStore(max_sessions=max_sessions, ttl=session_ttl, clock=clock)
        self._closing = TaskSet()
        self._sweeper: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        else:
            raise RuntimeError(f"ComposeApp does not serve {scope['type']!r} connections")

    def expire_idle(self) -> int:
        """Close the orchestrators of sessions idle past the TTL; returns how many were dropped."""
        expired = self.sessions.expire()
        for session in expired:
            self._close_later(session)
        return len(expired)

    async def aclose(self) -> None:
        """Close every session's orchestrator and, if this app made it, the shared loader."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for session in self.sessions.drain():
            self._close_later(session)
        while self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
        if self._owns_loader and self._loader is not None:
            await self._loader.aclose()
            self._loader = None

    def sign(self, sid: str) -> str:
        """The cookie value for a session id: the id and its HMAC-SHA256."""
        digest = hmac.new(self._key, sid.encode(), hashlib.sha256).digest()
        return f"{sid}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"

    def _verified_sid(self, value: str | None) -> str | None:
        """The session id a cookie carries, or ``None`` for anything not signed by us: the
        cookie is visitor input of any bytes, so it is checked as ASCII bytes, never trusted."""
        if not value or len(value) > 256 or not value.isascii() or "." not in value:
            return None
        sid = value.rsplit(".", 1)[0]
        if not sid:
            return None
        return sid if hmac.compare_digest(self.sign(sid).encode(), value.encode()) else None

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._sweeper = asyncio.create_task(self._sweep())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await self.aclose()
                except Exception as exc:
                    await send({"type": "lifespan.shutdown.failed", "message": str(exc)})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                return

    async def _sweep(self) -> None:
        """Without traffic, idle sessions would wait for the next request to be expired."""
        period = min(60.0, self.sessions.ttl / 2)
        while True:
            await asyncio.sleep(period)
            self.expire_idle()

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method not in ("GET", "HEAD"):
            body = page("Method not allowed", f"{request.method} is not served here.")
            response = HTMLResponse(body, 405, headers={**_NO_SHARING, "allow": "GET, HEAD"})
            await response(scope, receive, send)
            return
        path = _route_path(scope)
        target = quote(path, safe="/:@!$&'()*+,;=-._~")
        query = scope.get("query_string", b"").decode("latin-1")
        if query:
            target = f"{target}?{query}"
        try:
            cookie = request.cookies.get(self._cookie_name)
        except Exception:  # a cookie header no parser accepts is no cookie
            cookie = None
        verified = self._verified_sid(cookie)
        sid = verified or secrets.token_urlsafe(24)
        request_id = secrets.token_hex(8)
        status, body = await self._compose(sid, urljoin(self._base_url, target), path, request_id)
        headers = {**_NO_SHARING, "x-request-id": request_id}
        response = HTMLResponse(body, status, headers=headers)
        if verified is None:
            response.set_cookie(
                self._cookie_name,
                self.sign(sid),
                httponly=True,
                samesite="lax",
                path="/",
                secure=self._secure_cookie,
            )
        await response(scope, receive, send)

    async def _compose(self, sid: str, url: str, path: str, request_id: str) -> tuple[int, str]:
        for _attempt in range(3):
            session, evicted = self.sessions.touch(sid)
            for old in evicted:
                self._close_later(old)
            async with session.lock:
                if session.closed:
                    continue
                try:
                    return await self._compose_in(session, url, path, request_id)
                except Exception:
                    _log.exception("composing %s failed (request %s)", url, request_id)
                    return 500, server_error(request_id=request_id)
        return 503, page("Too busy", "The session was recycled while waiting; try again.")

    async def _compose_in(
        self, session: Session, url: str, path: str, request_id: str
    ) -> tuple[int, str]:
        orchestrator = session.orchestrator
        new = orchestrator is None
        if orchestrator is None:
            orchestrator = await self._factory(self._shared_loader(), url, session.record_error)
            session.orchestrator = orchestrator
        active = orchestrator.check_activity_functions(url)
        if not self._exists(active, path):
            # checked first: a 404 does not move the session
            return 404, not_found(path, request_id=request_id)
        mounted = orchestrator.get_mounted_apps() if new else await orchestrator.navigate(url)
        stands_in = self._exists(mounted, path)
        broken = [name for name in active if orchestrator.get_app_status(name) in BROKEN_STATUSES]
        if broken and not stands_in:
            for name in broken:
                error = session.errors.get(name)
                _log.error(
                    "app %s failed at %s (request %s): %s",
                    name,
                    error_url(error) or self._entries.get(name) or "-",
                    request_id,
                    error if error is not None else "it failed to load or mount",
                )
            return 502, bad_gateway(broken, request_id=request_id)
        return 200, orchestrator.document.html

    def _exists(self, active: list[str], path: str) -> bool:
        return path in self._shell_routes or any(n not in self._layout_apps for n in active)

    def _shared_loader(self) -> EntryLoader:
        if self._loader is None:
            from ..html_entry import EntryLoader

            self._loader = EntryLoader()
        return self._loader

    def _close_later(self, session: Session) -> None:
        self._closing.spawn(self._close_session(session))

    @staticmethod
    async def _close_session(session: Session) -> None:
        async with session.lock:
            session.closed = True
            orchestrator, session.orchestrator = session.orchestrator, None
            if orchestrator is not None:
                try:
                    await orchestrator.aclose()
                except Exception:
                    _log.exception("closing the orchestrator of an evicted session failed")


def _route_path(scope: Scope) -> str:
    """The request path as the app sees it: below ``root_path`` when mounted under a prefix."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and (path == root or path.startswith(root.rstrip("/") + "/")):
        path = path[len(root.rstrip("/")) :]
    return path if path.startswith("/") else f"/{path}"
