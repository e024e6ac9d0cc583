"""``ComposeApp``: an ASGI app answering each request with the page composed for its path.

Each user session (a signed cookie) gets its own orchestrator, as each browser tab has its own
single-spa; all of them share one ``EntryLoader`` so entries are fetched and parsed once.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import inspect
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urljoin

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import Receive, Scope, Send

from ._tasks import TaskSet
from .config import ComposeConfig

if TYPE_CHECKING:
    from .html_entry import EntryLoader

__all__ = [
    "ComposeApp",
    "ComposedDocument",
    "OrchestratorFactory",
    "SessionOrchestrator",
    "SessionStore",
    "start_orchestrator",
]

_log = logging.getLogger(__name__)

_BROKEN = frozenset({"LOAD_ERROR", "SKIP_BECAUSE_BROKEN"})
_NO_SHARING = {"cache-control": "private, no-store", "vary": "Cookie"}


class ComposedDocument(Protocol):
    @property
    def html(self) -> str: ...


class SessionOrchestrator(Protocol):
    """What ``ComposeApp`` needs from an orchestrator (``Orchestrator`` is one)."""

    @property
    def document(self) -> ComposedDocument: ...

    async def navigate(self, url: str, /) -> list[str]: ...

    def get_mounted_apps(self) -> list[str]: ...

    def get_app_status(self, name: str, /) -> str | None: ...

    def check_activity_functions(self, url: str, /) -> list[str]: ...

    def add_error_handler(self, handler: Callable[[BaseException], Any], /) -> None: ...

    async def aclose(self) -> None: ...


OrchestratorFactory = Callable[["EntryLoader", str], Awaitable[SessionOrchestrator]]
"""``factory(loader, url)``: a started orchestrator whose location is ``url``."""

_ErrorHandler = Callable[[BaseException], Any]
_Factory = Callable[["EntryLoader", str, _ErrorHandler], Awaitable[SessionOrchestrator]]


async def start_orchestrator(
    config: ComposeConfig,
    loader: EntryLoader,
    url: str,
    *,
    on_error: Callable[[BaseException], Any] | None = None,
) -> SessionOrchestrator:
    """The orchestrator a config describes, at ``url``, with its apps registered and started.

    ``on_error`` is added as an error handler before the first reroute, so no failure is missed.
    """
    from .core import Orchestrator

    orchestrator = Orchestrator(config.shell_html, url=url, loader=loader)
    if on_error is not None:
        orchestrator.add_error_handler(on_error)
    try:
        if config.global_state is not None:
            orchestrator.init_global_state(dict(config.global_state))
        orchestrator.register_micro_apps([app.registration() for app in config.apps])
        await orchestrator.start(**dict(config.options))
    except BaseException:
        await orchestrator.aclose()
        raise
    return orchestrator


@dataclass(eq=False)
class _Session:
    sid: str
    last_seen: float
    orchestrator: SessionOrchestrator | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    errors: dict[str, BaseException] = field(default_factory=dict)
    closed: bool = False

    def record_error(self, error: BaseException) -> None:
        name = getattr(error, "app_name", None)
        self.errors[name if isinstance(name, str) else ""] = error


class SessionStore:
    """Sessions by id, least recently used first; bounded in count and idle time."""

    def __init__(self, *, max_sessions: int, ttl: float, clock: Callable[[], float]) -> None:
        if max_sessions < 1:
            raise ValueError(f"max_sessions must be at least 1, got {max_sessions}")
        if ttl <= 0:
            raise ValueError(f"session_ttl must be positive, got {ttl}")
        self.max_sessions = max_sessions
        self.ttl = ttl
        self._clock = clock
        self._sessions: OrderedDict[str, _Session] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def __contains__(self, sid: object) -> bool:
        return sid in self._sessions

    def touch(self, sid: str) -> tuple[_Session, list[_Session]]:
        """The live session for ``sid`` (made if absent), and the sessions evicted to make room."""
        now = self._clock()
        evicted = self._expire(now)
        session = self._sessions.get(sid)
        if session is None:
            session = _Session(sid=sid, last_seen=now)
            self._sessions[sid] = session
            while len(self._sessions) > self.max_sessions:
                evicted.append(self._sessions.popitem(last=False)[1])
        else:
            session.last_seen = now
            self._sessions.move_to_end(sid)
        return session, evicted

    def expire(self) -> list[_Session]:
        """Forget the sessions idle for longer than the TTL and return them (to be closed)."""
        return self._expire(self._clock())

    def drain(self) -> list[_Session]:
        """Forget every session and return them (to be closed)."""
        sessions = list(self._sessions.values())
        self._sessions.clear()
        return sessions

    def _expire(self, now: float) -> list[_Session]:
        expired: list[_Session] = []
        while self._sessions:
            oldest = next(iter(self._sessions.values()))
            if now - oldest.last_seen < self.ttl:
                break
            expired.append(self._sessions.popitem(last=False)[1])
        return expired


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
            self._factory: _Factory = _config_factory(config)
            self._entries: dict[str, str] = {app.name: app.entry or "" for app in config.apps}
            layout = config.layout_apps if layout_apps is None else frozenset(layout_apps)
            routes = config.shell_routes if shell_routes is None else tuple(shell_routes)
            base = base_url or config.url
        elif callable(config_or_factory):
            self._factory = _user_factory(config_or_factory)
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
        if not value or "." not in value:
            return None
        sid = value.rsplit(".", 1)[0]
        return sid if hmac.compare_digest(self.sign(sid), value) else None

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
            page = _page("Method not allowed", f"{request.method} is not served here.")
            response = HTMLResponse(page, 405, headers={**_NO_SHARING, "allow": "GET, HEAD"})
            await response(scope, receive, send)
            return
        path = _route_path(scope)
        target = quote(path, safe="/:@!$&'()*+,;=-._~")
        query = scope.get("query_string", b"").decode("latin-1")
        if query:
            target = f"{target}?{query}"
        verified = self._verified_sid(request.cookies.get(self._cookie_name))
        sid = verified or secrets.token_urlsafe(24)
        status, body = await self._compose(sid, urljoin(self._base_url, target), path)
        response = HTMLResponse(body, status, headers=dict(_NO_SHARING))
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

    async def _compose(self, sid: str, url: str, path: str) -> tuple[int, str]:
        for _attempt in range(3):
            session, evicted = self.sessions.touch(sid)
            for old in evicted:
                self._close_later(old)
            async with session.lock:
                if session.closed:
                    continue
                try:
                    return await self._compose_in(session, url, path)
                except Exception as exc:
                    _log.exception("composing %s failed", url)
                    return 500, _page(
                        "The page could not be composed", f"{type(exc).__name__}: {exc}"
                    )
        return 503, _page("Too busy", "The session was recycled while waiting; try again.")

    async def _compose_in(self, session: _Session, url: str, path: str) -> tuple[int, str]:
        orchestrator = session.orchestrator
        new = orchestrator is None
        if orchestrator is None:
            orchestrator = await self._factory(self._shared_loader(), url, session.record_error)
            session.orchestrator = orchestrator
        active = orchestrator.check_activity_functions(url)
        if not self._exists(active, path):
            return 404, _not_found(path)  # checked first: a 404 does not move the session
        mounted = orchestrator.get_mounted_apps() if new else await orchestrator.navigate(url)
        stands_in = self._exists(mounted, path)
        broken = [name for name in active if orchestrator.get_app_status(name) in _BROKEN]
        if broken and not stands_in:
            return 502, _bad_gateway(broken, session.errors, self._entries)
        return 200, orchestrator.document.html

    def _exists(self, active: list[str], path: str) -> bool:
        return path in self._shell_routes or any(n not in self._layout_apps for n in active)

    def _shared_loader(self) -> EntryLoader:
        if self._loader is None:
            from .html_entry import EntryLoader

            self._loader = EntryLoader()
        return self._loader

    def _close_later(self, session: _Session) -> None:
        self._closing.spawn(self._close_session(session))

    @staticmethod
    async def _close_session(session: _Session) -> None:
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


def _config_factory(config: ComposeConfig) -> _Factory:
    async def factory(
        loader: EntryLoader, url: str, on_error: _ErrorHandler
    ) -> SessionOrchestrator:
        return await start_orchestrator(config, loader, url, on_error=on_error)

    return factory


def _user_factory(factory: OrchestratorFactory) -> _Factory:
    """A factory that takes ``on_error`` gets it and should add it before its first reroute
    (as ``start_orchestrator`` does); otherwise it is added after, and failures of that first
    reroute reach the 502 page without their cause."""
    try:
        takes_on_error = "on_error" in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        takes_on_error = False

    async def with_errors(
        loader: EntryLoader, url: str, on_error: _ErrorHandler
    ) -> SessionOrchestrator:
        if takes_on_error:
            return await factory(loader, url, on_error=on_error)  # type: ignore[call-arg]
        orchestrator = await factory(loader, url)
        orchestrator.add_error_handler(on_error)
        return orchestrator

    return with_errors


def _page(title: str, message: str, details: str = "") -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n<h1>{html.escape(title)}</h1>\n"
        f'<p>{html.escape(message)}</p>\n{details}<p><a href="/">Back to the start page</a></p>\n'
        "</body></html>\n"
    )


def _not_found(path: str) -> str:
    return _page(
        f"{HTTPStatus.NOT_FOUND.value} {HTTPStatus.NOT_FOUND.phrase}",
        f"No micro-app and no shell route answers {path}.",
    )


def _bad_gateway(
    broken: list[str], errors: dict[str, BaseException], entries: dict[str, str]
) -> str:
    items = []
    for name in broken:
        error = errors.get(name)
        url = _error_url(error) or entries.get(name)
        reason = str(error) if error is not None else "it failed to load or mount"
        where = f" from <code>{html.escape(url)}</code>" if url else ""
        items.append(f"<li><strong>{html.escape(name)}</strong>{where}: {html.escape(reason)}</li>")
    return _page(
        f"{HTTPStatus.BAD_GATEWAY.value} {HTTPStatus.BAD_GATEWAY.phrase}",
        "A micro-app this page needs could not be loaded, and no other app can stand in.",
        "<ul>\n" + "\n".join(items) + "\n</ul>\n",
    )


def _error_url(error: BaseException | None) -> str | None:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        url = getattr(error, "url", None)
        if isinstance(url, str):
            return url
        error = error.__cause__ or error.__context__
    return None
