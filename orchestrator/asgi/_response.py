"""The ASGI response of one request, sent whole or in chunks (a streamed page)."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import Scope, Send

__all__ = ["Response"]

NO_SHARING = (
    (b"content-type", b"text/html; charset=utf-8"),
    (b"cache-control", b"private, no-store"),
    (b"vary", b"Cookie"),
)
"""Composed pages are one visitor's: never stored by a shared cache."""


class Response:
    """The ASGI response of one request, sent whole or in chunks."""

    def __init__(self, scope: Scope, send: Send, request_id: str) -> None:
        self._send = send
        self._head = scope.get("method") == "HEAD"
        self.root_path: str = scope.get("root_path", "")
        self.request_id = request_id
        self.started = False
        self.secure = False
        self._finished = False

    def _headers(self, cookie: str | None, location: str | None) -> list[tuple[bytes, bytes]]:
        headers = [*NO_SHARING, (b"x-request-id", self.request_id.encode())]
        if cookie is not None:
            headers.append((b"set-cookie", cookie.encode("latin-1")))
        if location is not None:
            headers.append((b"location", location.encode("latin-1")))
        return headers

    async def start(
        self,
        status: int,
        *,
        cookie: str | None = None,
        location: str | None = None,
        extra: Sequence[tuple[bytes, bytes]] = (),
        length: int | None = None,
    ) -> None:
        headers = self._headers(cookie, location) + list(extra)
        if length is not None:
            headers.append((b"content-length", str(length).encode()))
        self.started = True
        await self._send({"type": "http.response.start", "status": status, "headers": headers})

    async def chunk(self, text: str) -> None:
        if text and not self._head:
            await self._send(
                {"type": "http.response.body", "body": text.encode(), "more_body": True}
            )

    async def finish(self) -> None:
        if not self._finished:
            self._finished = True
            await self._send({"type": "http.response.body", "body": b"", "more_body": False})

    async def whole(
        self,
        status: int,
        body: str,
        *,
        cookie: str | None = None,
        location: str | None = None,
        extra: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        await self.whole_bytes(status, body.encode(), cookie=cookie, location=location, extra=extra)

    async def whole_bytes(
        self,
        status: int,
        data: bytes,
        *,
        cookie: str | None = None,
        location: str | None = None,
        extra: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        await self.start(status, cookie=cookie, location=location, extra=extra, length=len(data))
        self._finished = True
        await self._send({"type": "http.response.body", "body": b"" if self._head else data})
