"""The dev broker's server: one per machine, carrying dts-plugin's messages between publishers
(apps being developed), subscribers (hosts of their remotes) and web clients (open pages).

The routing lives in ``_routing``; this part owns the connections. What upstream got wrong here
is fixed: a closed or silent peer (no pong within the heartbeat) is dropped at once, the exit
notice is encoded once, and the broker binds loopback and refuses browser pages from other
origins unless told otherwise.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from ._protocol import DEFAULT_HOST, DEFAULT_PORT, SERVER_HEADER, LogKind, encode_log
from ._routing import BrokerEvent, BrokerState, EventKind, Peer, Router

logger = logging.getLogger("orchestrator.dev")

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
#: A frame above this many times ``max_size`` is cut off by websockets itself (close 1009), so a
#: peer cannot make the broker buffer megabytes; below it an oversized message gets an ErrorLog.
HARD_LIMIT_FACTOR = 4


class Broker:
    """dts-plugin's broker on ``websockets``: ``async with Broker() as b: await b.serve()``.

    ``heartbeat``: seconds between pings; a peer that does not answer within half of it is
    dropped (after a quarter more for the closing handshake), so a dead peer is gone within
    two heartbeats. ``idle_timeout``: close this long
    after the last connection leaves (or after start if none comes); ``None`` keeps serving.
    ``max_size``: the largest message accepted, in bytes. ``allowed_origins``: browser origins
    besides loopback ones whose pages may connect. ``on_event`` sees every :class:`BrokerEvent`.
    ``pages_keep_alive=False``: connections that are only web clients (open pages) do not hold
    off the idle exit: a page belongs to a dev server, and its tab may stay open for days.
    """

    def __init__(
        self,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        heartbeat: float = 10.0,
        idle_timeout: float | None = None,
        max_size: int = 64 * 1024,
        allowed_origins: Iterable[str] = (),
        on_event: Callable[[BrokerEvent], None] | None = None,
        pages_keep_alive: bool = True,
    ) -> None:
        if heartbeat <= 0:
            raise ValueError(f"heartbeat must be positive, got {heartbeat}")
        self.host = host
        self._port = port
        self.heartbeat = heartbeat
        self.idle_timeout = idle_timeout
        self.max_size = max_size
        self.allowed_origins = frozenset(o.rstrip("/") for o in allowed_origins)
        self.pages_keep_alive = pages_keep_alive
        self._server: Server | None = None
        self._closed = asyncio.Event()
        self._closing = False
        self._idle_task: asyncio.Task[None] | None = None
        self._peers: dict[ServerConnection, Peer] = {}
        self._router = Router(max_size=max_size, on_event=on_event)

    # --- lifecycle --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (the one asked for, or the one the system chose for ``port=0``)."""
        if self._server is not None:
            for sock in self._server.sockets:
                return int(sock.getsockname()[1])
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}/"

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def start(self) -> None:
        """Bind and listen (``OSError`` if the address is taken); idempotent."""
        if self._server is not None:
            return
        self._server = await serve(
            self._handle,
            self.host,
            self._port,
            process_request=self._check_request,
            server_header=SERVER_HEADER,
            # Messages are a few hundred bytes on loopback: per-connection deflate would cost
            # more than it saves (it doubled the time of a 200-peer broadcast).
            compression=None,
            max_size=self.max_size * HARD_LIMIT_FACTOR,
            ping_interval=self.heartbeat,
            ping_timeout=self.heartbeat / 2,
            close_timeout=self.heartbeat / 4,
        )
        logger.info("dev broker listening on %s", self.url)
        self._arm_idle()

    async def serve(self) -> None:
        """Serve until :meth:`aclose` (or the idle timeout) closes the broker."""
        await self.start()
        await self._closed.wait()

    async def aclose(self) -> None:
        """Tell every peer the broker is leaving (one ``BrokerExitLog``), then close."""
        if self._closing:
            await self._closed.wait()
            return
        self._closing = True
        if self._idle_task is not None and self._idle_task is not asyncio.current_task():
            self._idle_task.cancel()
        try:
            if self._server is not None:
                exit_log = encode_log(LogKind.BROKER_EXIT, "dev broker exiting")
                broadcast(list(self._peers), exit_log)
                self._server.close()
                await self._server.wait_closed()
        finally:
            self._closed.set()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def state(self) -> BrokerState:
        return self._router.state(len(self._peers))

    def _keeps_alive(self, peer: Peer) -> bool:
        return (
            self.pages_keep_alive
            or not peer.web_names
            or bool(peer.publishers or peer.subscriptions)
        )

    def _arm_idle(self) -> None:
        if self.idle_timeout is None or self._closing:
            return
        if any(self._keeps_alive(peer) for peer in self._peers.values()):
            return
        if self._idle_task is None or self._idle_task.done():
            self._idle_task = asyncio.get_running_loop().create_task(self._idle(self.idle_timeout))

    async def _idle(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self._router.emit(EventKind.IDLE, "", f"no clients for {delay:g}s: dev broker exiting")
        await self.aclose()

    # --- connections ------------------------------------------------------------------------

    def _check_request(self, conn: ServerConnection, request: Request) -> Response | None:
        """Only ``/`` (any query: dts-plugin's public connect id is accepted and ignored), and
        browser pages only from loopback or allowed origins: a WebSocket ignores CORS, so any
        site open in a browser could otherwise reload pages or point hosts at its own types."""
        if urlsplit(request.path).path not in ("", "/"):
            return conn.respond(404, "the dev broker serves WebSocket connections on / only\n")
        origin = request.headers.get("Origin")
        if origin is not None and not self._origin_allowed(origin):
            logger.warning("refused a connection from origin %s", origin)
            return conn.respond(403, f"origin {origin} may not connect to the dev broker\n")
        return None

    def _origin_allowed(self, origin: str) -> bool:
        if origin.rstrip("/") in self.allowed_origins:
            return True
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and (parts.hostname or "") in LOOPBACK_HOSTS

    async def _handle(self, conn: ServerConnection) -> None:
        if self._closing:
            return
        peer = Peer(conn)
        self._peers[conn] = peer
        if self._idle_task is not None:
            self._idle_task.cancel()
            self._idle_task = None
        try:
            async for raw in conn:
                self._router.receive(peer, raw)
                if not self.pages_keep_alive:
                    self._arm_idle()  # a page has registered: it may be all that is left
        except ConnectionClosed as exc:
            if exc.rcvd is None and not self._closing:
                reason = exc.sent.reason if exc.sent else "connection lost"
                logger.info("lost %s: %s", peer.label(), reason)
        finally:
            self._router.drop(peer, quiet=self._closing)
            del self._peers[conn]
            self._arm_idle()
