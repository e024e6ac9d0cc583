"""``DevApp`` around a stand-in composer: the reload client goes into HTML pages only, once, with
``content-length`` kept true, streamed pages get it in their first chunk, HEAD gets headers; every
page it composes (``mfe dev``, ``mfe serve --inspect``) says that the inspector is served."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from orchestrator.config import AppConfig
from orchestrator.dev import DevApp, Inspector

BROKER = "ws://127.0.0.1:16322/"


class Composer:
    """Answers with the given messages, as ``ComposeApp`` would."""

    def __init__(self, *messages: Message) -> None:
        self.messages = messages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        for message in self.messages:
            await send(message)


def _start(content_type: bytes, length: int | None = None) -> Message:
    headers = [(b"content-type", content_type), (b"x-request-id", b"r1")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {"type": "http.response.start", "status": 200, "headers": headers}


async def _call(app: DevApp, path: str, method: str = "GET") -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: dict[str, Any] = {"type": "http", "path": path, "method": method, "query_string": b""}
    await app(scope, receive, send)
    return sent


def _dev(composer: Composer, active: list[str] | None = None) -> DevApp:
    apps = [AppConfig(n, f"#{n}", ("/",), entry=f"http://127.0.0.1:1/{n}/") for n in ("a", "b")]
    return DevApp(
        composer,
        inspector=Inspector(apps),
        broker_url=BROKER,
        active_apps=lambda url: ["a"] if active is None else active,
    )


async def test_a_whole_page_gets_the_client_and_a_true_content_length() -> None:
    page = b"<html><head></head><body>hi</body></html>"
    app = _dev(Composer(_start(b"text/html; charset=utf-8", len(page)), _body(page)))
    start, body = await _call(app, "/a")
    data = body["body"]
    assert data.count(b"data-mfe-dev-client") == 1
    assert data.index(b"data-mfe-dev-client") < data.index(b"</head>")
    assert dict(start["headers"])[b"content-length"] == str(len(data)).encode()
    assert b'"apps": ["a", "mfe:pages"]' in data
    assert app.pages_served == 1


async def test_every_composed_page_says_the_inspector_is_served_and_only_dev_reloads() -> None:
    page = b"<html><head></head><body>hi</body></html>"
    meta = b'<meta name="mfe-inspector" content="/_mfe/inspector">'
    dev = _dev(Composer(_start(b"text/html", len(page)), _body(page)))
    apps = [AppConfig("a", "#a", ("/",), entry="http://127.0.0.1:1/a/")]
    inspect_only = DevApp(  # mfe serve --inspect: no broker
        Composer(_start(b"text/html", len(page)), _body(page)),
        inspector=Inspector(apps),
        broker_url=None,
        active_apps=lambda url: ["a"],
    )
    for app, reloads in ((dev, True), (inspect_only, False)):
        start, body = await _call(app, "/a")
        data = body["body"]
        assert data.count(meta) == 1 and data.index(meta) < data.index(b"</head>")
        assert (b"data-mfe-dev-client" in data) is reloads
        assert dict(start["headers"])[b"content-length"] == str(len(data)).encode()


def _body(data: bytes, more: bool = False) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": more}


async def test_a_streamed_page_gets_it_in_its_first_chunk_only() -> None:
    chunks = [b"<html><head></head><body>", b"<div id=a>app</div>", b"</body></html>"]
    messages = [_body(c, more=True) for c in chunks] + [_body(b"")]
    app = _dev(Composer(_start(b"text/html; charset=utf-8"), *messages))
    sent = await _call(app, "/a")
    bodies = [m["body"] for m in sent[1:]]
    assert b"data-mfe-dev-client" in bodies[0]
    assert all(b"data-mfe-dev-client" not in b for b in bodies[1:])
    assert bodies[1:] == [*chunks[1:], b""]
    assert b"content-length" not in dict(sent[0]["headers"])


async def test_head_and_other_types_pass_untouched() -> None:
    head = _dev(Composer(_start(b"text/html", 10), _body(b"")))
    start, body = await _call(head, "/a", method="HEAD")
    assert dict(start["headers"])[b"content-length"] == b"10" and body["body"] == b""
    json_app = _dev(Composer(_start(b"application/json", 2), _body(b"{}")))
    _, body = await _call(json_app, "/a")
    assert body["body"] == b"{}"


@pytest.mark.parametrize(
    ("active", "registered"), [(["b"], b'["b", "mfe:pages"]'), ([], b'["a", "b", "mfe:pages"]')]
)
async def test_a_page_showing_no_app_registers_for_all(
    active: list[str], registered: bytes
) -> None:
    page = b"<html><head></head><body>404</body></html>"
    app = _dev(Composer(_start(b"text/html", len(page)), _body(page)), active=active)
    _, body = await _call(app, "/nowhere")
    assert b'"apps": ' + registered in body["body"]


async def test_each_composed_request_is_traced_and_the_dev_routes_are_not() -> None:
    page = b"<html><head></head></html>"
    app = _dev(Composer(_start(b"text/html", len(page)), _body(page)))
    await _call(app, "/a")
    (start, body) = await _call(app, "/_mfe/inspector.json")
    assert dict(start["headers"])[b"content-type"] == b"application/json"
    assert b'"path": "/a"' in body["body"] and b'"request_id": "r1"' in body["body"]
    start, body = await _call(app, "/_mfe/inspector")
    assert b"<title>mfe inspector</title>" in body["body"]
    assert [r["path"] for r in app.inspector.snapshot()["requests"]] == ["/a"]
