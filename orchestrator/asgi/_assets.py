"""``/_mfe/<app>/<path>``: each app's files served from the composer's own origin.

A browser then needs neither CORS nor a route to an app server (which usually sits on an internal
network). The proxy is not an open one: it reaches only the origin of a configured app's entry,
with a path that cannot climb out of it; it never follows redirects (one on the app's origin is
rewritten to the proxy path, any other refused); Python sources are never sent (that is server
code); request cookies and credentials stay here. Bodies stream through as they came (encoded or
not), cut off at the loader's ``max_bytes``; validators and caching headers pass both ways, so the
browser's conditional requests reach the app server and its 304s come back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import httpx
from starlette.types import Receive, Scope, Send

from ._pages import page

__all__ = ["ASSET_PATH", "AssetProxy"]

ASSET_PATH = "/_mfe/"
"""Where, below the composer's root path, apps' files are served (``/_mfe/<app>/<path>``)."""

_log = logging.getLogger("orchestrator.asgi")

_REQUEST_HEADERS = (
    b"accept",
    b"accept-encoding",
    b"accept-language",
    b"if-match",
    b"if-none-match",
    b"if-modified-since",
    b"if-unmodified-since",
    b"if-range",
    b"range",
    b"cache-control",
)
_RESPONSE_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "content-encoding",
        "content-range",
        "accept-ranges",
        "cache-control",
        "etag",
        "last-modified",
        "expires",
        "age",
        "vary",
    }
)
_GUARDS = (
    (b"x-content-type-options", b"nosniff"),
    # an app's HTML or SVG opened directly runs nothing on the shell's origin
    (b"content-security-policy", b"sandbox; default-src 'none'; style-src 'unsafe-inline'"),
)
_PYTHON_SUFFIXES = (".py", ".pyc", ".pyi", ".pyo", ".pyw")
_PYTHON_TYPES = ("text/x-python", "text/python", "application/x-python")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class _Target:
    app: str
    origin: str
    url: str


class AssetProxy:
    """Serves ``<root_path>/_mfe/<app>/<path>`` from the origin of each app's entry URL."""

    def __init__(
        self, entries: Mapping[str, str], *, timeout: float = 10.0, max_bytes: int = 20_000_000
    ) -> None:
        self._origins: dict[str, str] = {}
        for name, entry in entries.items():
            parts = urlsplit(entry)
            if parts.scheme in ("http", "https") and parts.netloc:
                self._origins[name] = f"{parts.scheme}://{parts.netloc}"
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._client: httpx.AsyncClient | None = None

    def handles(self, path: str) -> bool:
        """Whether ``path`` (below the root path) is the proxy's."""
        return path.startswith(ASSET_PATH)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.timeout, follow_redirects=False, trust_env=False
            )
        return self._client

    def target(self, path: str, query: str) -> _Target | None:
        """The app and upstream URL of a proxy path, or ``None`` when it names none."""
        app, slash, file = path[len(ASSET_PATH) :].partition("/")  # ASGI paths come decoded
        origin = self._origins.get(app)
        if origin is None or not slash:
            return None
        if any(s in (".", "..") or "\\" in s or "\x00" in s for s in file.split("/")):
            return None
        if file.lower().endswith(_PYTHON_SUFFIXES):
            return None
        url = f"{origin}/{quote(file, safe='/:@!$&()*+,;=-._~')}"
        if query:
            url = f"{url}?{query}"
        return _Target(app, origin, url)

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send, path: str, request_id: str
    ) -> None:
        target = self.target(path, scope.get("query_string", b"").decode("latin-1"))
        if target is None:
            await _whole(send, 404, "No such app file", f"{path} is not an app's file.")
            return
        method = "HEAD" if scope.get("method") == "HEAD" else "GET"
        headers = [
            (name, value) for name, value in scope.get("headers", ()) if name in _REQUEST_HEADERS
        ]
        request = self.client.build_request(method, target.url, headers=headers)
        try:
            reply = await self.client.send(request, stream=True)
        except httpx.HTTPError as error:
            _log.error(
                "app %s: %s could not be fetched (request %s): %s",
                target.app,
                target.url,
                request_id,
                error or type(error).__name__,
            )
            await _whole(send, 502, "Bad gateway", f"App {target.app} did not answer.")
            return
        try:
            await self._relay(scope, send, target, reply, request_id)
        finally:
            await reply.aclose()

    async def _relay(
        self, scope: Scope, send: Send, target: _Target, reply: httpx.Response, request_id: str
    ) -> None:
        kind = reply.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind in _PYTHON_TYPES:
            await _whole(send, 404, "No such app file", "Python sources are not served.")
            return
        length = reply.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            _log.error(
                "app %s: %s is %s bytes, over max_bytes %d (request %s)",
                target.app,
                target.url,
                length,
                self.max_bytes,
                request_id,
            )
            await _whole(send, 502, "Bad gateway", f"A file of app {target.app} is too large.")
            return
        headers = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in reply.headers.items()
            if name in _RESPONSE_HEADERS
        ]
        if reply.status_code in _REDIRECTS:
            location = self._relocate(scope, target, reply.headers.get("location", ""))
            if location is None:
                _log.error(
                    "app %s: %s redirects off its origin, refused (request %s)",
                    target.app,
                    target.url,
                    request_id,
                )
                await _whole(send, 502, "Bad gateway", f"App {target.app} redirected elsewhere.")
                return
            headers.append((b"location", location.encode("latin-1")))
        await send(
            {
                "type": "http.response.start",
                "status": reply.status_code,
                "headers": [*headers, *_GUARDS],
            }
        )
        sent = 0
        if scope.get("method") != "HEAD":
            async for chunk in reply.aiter_raw():
                sent += len(chunk)
                if sent > self.max_bytes:  # no Content-Length, or a lying one: cut it off
                    _log.error(
                        "app %s: %s went over max_bytes %d; cut off (request %s)",
                        target.app,
                        target.url,
                        self.max_bytes,
                        request_id,
                    )
                    raise _CutOff(target.url)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _relocate(self, scope: Scope, target: _Target, location: str) -> str | None:
        """A redirect's ``Location`` on the app's origin, as a proxy path; else ``None``."""
        absolute = str(httpx.URL(target.url).join(location)) if location else ""
        if not absolute.startswith(target.origin + "/"):
            return None
        root: str = scope.get("root_path", "").rstrip("/")
        rest = absolute[len(target.origin) + 1 :]
        return f"{root}{ASSET_PATH}{quote(target.app, safe='')}/{rest}"


class _CutOff(Exception):
    """A proxied body over ``max_bytes``: the response is abandoned mid-way (the server then
    closes the connection, so the browser sees a failed download, not a short file)."""


async def _whole(send: Send, status: int, title: str, message: str) -> None:
    body = page(title, message).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                *_GUARDS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
