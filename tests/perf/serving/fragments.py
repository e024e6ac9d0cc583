"""The fragment servers both composers read: header, content and footer, each on its own port.

Run as a child of ``bench_serving.py``: prints ``{"header": port, ...}`` on one line, serves until
its standard input closes. A bare asyncio protocol rather than an ASGI stack, so that the fragment
servers stay far from being the bottleneck of either side (Tailor asks them on every page).

Every port answers, under a mode prefix:
``/<mode>/``          the app as an HTML entry (ours: a ``<link rel=stylesheet>`` and the markup),
``/<mode>/fragment``  the same markup as a Tailor fragment (the stylesheet in a ``Link`` header),
``/<mode>/style.css`` the app's one stylesheet,
``/_bench/version/N`` sets the version stamped in every fragment (a freshness probe).
Modes: ``cache`` (``max-age=3600``), ``nostore`` (``no-store``), ``slow`` (``no-store``; content
waits 500 ms before answering), ``hang`` (content never answers; the others as ``cache``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
from dataclasses import dataclass, field

NAMES = ("header", "content", "footer")
SLOW_SECONDS = 0.5
_CACHE = {
    "cache": b"public, max-age=3600",
    "nostore": b"no-store",
    "slow": b"no-store",
    "hang": b"public, max-age=3600",
}


def markup(name: str, version: int) -> str:
    """The fragment's HTML: a few KB of plausible markup that names its app and version."""
    count = {"header": 12, "content": 40, "footer": 8}[name]
    items = "".join(
        f'<li class="{name}-item-{i}"><a href="/{name}/{i}">{name.title()} link {i}</a>'
        f'<span class="{name}-note">item {i} of the {name}</span></li>'
        for i in range(count)
    )
    return (
        f'<section class="{name}" data-fragment="{name}" data-version="{version}">'
        f'<h2 class="{name}-title">{name.title()}</h2>'
        f'<ul class="{name}-list">{items}</ul></section>'
    )


def stylesheet(name: str) -> str:
    """The fragment's one stylesheet (about 4 KB of rules on its own classes)."""
    rules = "".join(
        f".{name}-item-{i} {{ color: #{(i * 2654435761) % 0xFFFFFF:06x}; padding: {i % 9}px; "
        f"margin: 0 {i % 5}px; border-bottom: 1px solid #eee; }}\n"
        for i in range(40)
    )
    marker = f'.{name}-sheet-marker {{ content: "{name}-sheet"; }}\n'
    return f".{name} {{ display: block; font: 14px/1.4 sans-serif; }}\n{rules}{marker}"


@dataclass
class _State:
    version: int = 1
    hanging: set[asyncio.Transport] = field(default_factory=set)


def _response(status: bytes, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    head = [b"HTTP/1.1 " + status, b"content-length: " + str(len(body)).encode()]
    head += [name + b": " + value for name, value in headers]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


class _Fragment(asyncio.Protocol):
    """HTTP/1.1 keep-alive, GET only, bodiless requests: what Tailor and httpx send."""

    def __init__(self, name: str, port: int, state: _State) -> None:
        self.name, self.port, self.state = name, port, state
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.busy = False  # a delayed answer is pending: later requests wait in the buffer

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport is not None:
            self.state.hanging.discard(self.transport)
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._drain()

    def _drain(self) -> None:
        while not self.busy and self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode("latin-1")
            self._answer(target)

    def _answer(self, target: str) -> None:
        assert self.transport is not None
        parts = target.split("?", 1)[0].strip("/").split("/")
        if parts[:2] == ["_bench", "version"] and len(parts) == 3:
            self.state.version = int(parts[2])
            self.transport.write(_response(b"204 No Content", [], b""))
            return
        mode, rest = parts[0], "/".join(parts[1:])
        if mode not in _CACHE or rest not in ("", "fragment", "style.css"):
            self.transport.write(_response(b"404 Not Found", [], b"not found"))
            return
        if self.name == "content" and mode == "hang" and rest != "style.css":
            self.state.hanging.add(self.transport)
            self.busy = True  # never answers; the client's timeout ends it
            return
        cache = (b"cache-control", _CACHE[mode])
        style_url = f"http://127.0.0.1:{self.port}/{mode}/style.css"
        if rest == "style.css":
            reply = _response(
                b"200 OK",
                [(b"content-type", b"text/css; charset=utf-8"), cache],
                stylesheet(self.name).encode(),
            )
        elif rest == "fragment":
            link = f'<{style_url}>; rel="stylesheet"'.encode()
            reply = _response(
                b"200 OK",
                [(b"content-type", b"text/html; charset=utf-8"), cache, (b"link", link)],
                markup(self.name, self.state.version).encode(),
            )
        else:
            page = (
                f"<!doctype html><html><head><title>{self.name}</title>"
                f'<link rel="stylesheet" href="style.css"></head>'
                f"<body>{markup(self.name, self.state.version)}</body></html>"
            )
            reply = _response(
                b"200 OK", [(b"content-type", b"text/html; charset=utf-8"), cache], page.encode()
            )
        if self.name == "content" and mode == "slow" and rest != "style.css":
            self.busy = True
            asyncio.get_running_loop().call_later(SLOW_SECONDS, self._late, reply)
        else:
            self.transport.write(reply)

    def _late(self, reply: bytes) -> None:
        self.busy = False
        if self.transport is not None:
            self.transport.write(reply)
            self._drain()


async def serve() -> None:
    loop = asyncio.get_running_loop()
    state = _State()
    servers: list[asyncio.Server] = []
    ports: dict[str, int] = {}
    for name in NAMES:
        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
        # without it a response written in two parts waits ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        ports[name] = port

        def factory(name: str = name, port: int = port) -> _Fragment:
            return _Fragment(name, port, state)

        servers.append(await loop.create_server(factory, sock=sock, backlog=1024))
    sys.stdout.write(json.dumps(ports) + "\n")
    sys.stdout.flush()
    try:
        await loop.run_in_executor(None, sys.stdin.read)  # the parent closes it to stop us
    finally:
        for server in servers:
            server.close()
        for transport in list(state.hanging):
            transport.close()
        for server in servers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), 2.0)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
