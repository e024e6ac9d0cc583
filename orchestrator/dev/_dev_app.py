"""``DevApp``: the composer as ``mfe dev`` serves it, an ASGI wrapper around ``ComposeApp``.

It answers ``/_mfe/inspector`` (and its JSON), traces every composed request for the inspector,
and injects the reload client into composed HTML pages. It wraps the composer from outside, so
``ComposeApp`` and ``mfe serve`` stay free of any of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._assets import PAGES_CHANNEL, inspector_page, reload_script
from ._inspector import Inspector

__all__ = ["INSPECTOR_PATH", "DevApp"]

INSPECTOR_PATH = "/_mfe/inspector"
INSPECTOR_META = f'<meta name="mfe-inspector" content="{INSPECTOR_PATH}">'.encode()
"""Put in every composed page this app serves (never by ``mfe serve`` alone): a shell may show
a link to the inspector only where it is served (``html:has(meta[name=mfe-inspector])``)."""
_HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)
_BODY_START = re.compile(rb"<body\b[^>]*>", re.IGNORECASE)

ActiveApps = Callable[[str], Sequence[str]]


def inject(body: bytes, tag: bytes) -> bytes:
    """``tag`` before ``</head>``, else right after ``<body>``, else at the end."""
    match = _HEAD_END.search(body)
    if match is not None:
        return body[: match.start()] + tag + body[match.start() :]
    match = _BODY_START.search(body)
    if match is not None:
        return body[: match.end()] + tag + body[match.end() :]
    return body + tag


class DevApp:
    """``composer`` plus the dev routes; ``active_apps(url)`` names the apps a page shows (its
    reload client registers for each of them; a page showing none registers for all).

    ``broker_url=None`` (``mfe serve --inspect``): the inspector only, polling for its records;
    no page gets the reload client. Every composed page gets :data:`INSPECTOR_META`.
    """

    def __init__(
        self,
        composer: ASGIApp,
        *,
        inspector: Inspector,
        broker_url: str | None,
        active_apps: ActiveApps,
        base_url: str = "http://localhost/",
    ) -> None:
        self.composer = composer
        self.inspector = inspector
        self.broker_url = broker_url
        self.active_apps = active_apps
        self.base_url = base_url.rstrip("/")
        self.pages_served = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.composer(scope, receive, send)
            return
        path: str = scope["path"]
        if path == INSPECTOR_PATH:
            await _reply(send, 200, "text/html; charset=utf-8", inspector_page(self.broker_url))
        elif path == INSPECTOR_PATH + ".json":
            body = json.dumps(self.inspector.snapshot())
            await _reply(send, 200, "application/json", body)
        elif path == "/favicon.ico":
            # every tab asks for it; composed, it would be a 404 page filling the waterfall
            await _reply(send, 204, "image/x-icon", "")
        else:
            await self._compose(scope, receive, send, path)

    async def _compose(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        url = self.base_url + path + (f"?{query}" if query else "")
        active = list(self.active_apps(url))
        names = [*(active or self.inspector.apps), PAGES_CHANNEL]
        tag = INSPECTOR_META
        if self.broker_url is not None:
            tag += reload_script(self.broker_url, names).encode()
        token = self.inspector.begin(path, active)
        trace = token.var.get()
        assert trace is not None
        held: dict[str, Any] = {}
        status = 500

        async def dev_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = dict(message.get("headers", []))
                request_id = headers.get(b"x-request-id", b"").decode("latin-1")
                self.inspector.first_byte(trace, status, request_id)
                if tag and headers.get(b"content-type", b"").startswith(b"text/html"):
                    held["start"] = message  # sent with the first body, once it is injected
                    return
                await send(message)
                return
            start = held.pop("start", None)
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body: bytes = message.get("body", b"")
            if not body and not message.get("more_body", False):  # HEAD: headers only
                await send(start)
                await send(message)
                return
            injected = inject(body, tag)
            grown = len(injected) - len(body)
            fixed = [
                (k, str(int(v) + grown).encode() if k == b"content-length" else v)
                for k, v in start.get("headers", [])
            ]
            self.pages_served += 1
            await send({**start, "headers": fixed})
            await send({**message, "body": injected})

        try:
            await self.composer(scope, receive, dev_send)
        finally:
            self.inspector.finish(trace, token, status)


async def _reply(send: Send, status: int, content_type: str, body: str) -> None:
    data = body.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(data)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
