"""Small clients of the broker for ``mfe dev``: a publisher (the app being developed), a
subscriber (a host pulling its remotes' types) and a web client (an open page).

Every action gets exactly one ``Log`` reply from our broker (an ``AckLog`` or an ``ErrorLog``), in
order, so a client pairs replies with the actions it sent; ``API`` messages go to a callback run
by one worker task, in arrival order, so a slow callback never blocks the replies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from .._tasks import call_maybe_async
from ._errors import BrokerMessageError, BrokerUnavailableError
from ._protocol import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    ActionKind,
    ActionRecord,
    APIKind,
    FetchTypes,
    LogKind,
    Message,
    MessageType,
    PublisherInfo,
    PublisherUpdate,
    SubscriberInfo,
    UpdateKind,
    UpdateMode,
    WebClientNotice,
    decode_message,
    encode_record,
    should_deliver,
)

logger = logging.getLogger("orchestrator.dev")

DEFAULT_URL = f"ws://{DEFAULT_HOST}:{DEFAULT_PORT}/"
Callback = Callable[..., Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class Ack:
    """The broker's reply to one action: a line to print and how many peers it reached."""

    action: str
    message: str
    notified: int
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Update:
    """An ``UPDATE_SUBSCRIBER`` as a subscriber sees it: which remote changed, and how."""

    publisher: str
    kind: UpdateKind
    mode: UpdateMode
    source_paths: tuple[str, ...]
    types_url: str

    @property
    def is_first_pull(self) -> bool:
        """The pull a subscriber gets on joining (or when its remote comes up), not a change:
        only then is a ``PASSIVE`` update's path the publisher alone."""
        return self.mode is UpdateMode.PASSIVE and self.source_paths == (self.publisher,)


async def _call(callback: Callback | None, *args: Any) -> None:
    if callback is None:
        return
    await call_maybe_async(callback, *args)


class BrokerClient:
    """One connection to the broker: send actions and await their acks, hand APIs to a hook."""

    def __init__(self, url: str = DEFAULT_URL, *, heartbeat: float | None = 10.0) -> None:
        self.url = url
        self.heartbeat = heartbeat
        self._conn: ClientConnection | None = None
        self._pending: deque[tuple[ActionKind, asyncio.Future[Ack]]] = deque()
        self._inbox: asyncio.Queue[Message | None] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self.broker_exited = asyncio.Event()
        self.disconnected = asyncio.Event()

    async def connect(self) -> None:
        try:
            self._conn = await connect(
                self.url,
                proxy=None,
                compression=None,
                ping_interval=self.heartbeat,
                ping_timeout=None if self.heartbeat is None else self.heartbeat / 2,
                close_timeout=2.0,
            )
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            raise BrokerUnavailableError(self.url, f"cannot connect: {exc}") from exc
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._read()), loop.create_task(self._work())]

    async def __aenter__(self) -> Self:
        await self.connect()
        try:
            await self._register()
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _register(self) -> None:
        """The action(s) that give this client its role, sent on entering the context."""

    async def aclose(self) -> None:
        if self._conn is not None:
            await self._conn.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._fail_pending("client closed")

    async def send(self, kind: ActionKind, record: ActionRecord) -> Ack:
        """Send one action and wait for its ack (an ``ErrorLog`` raises ``BrokerMessageError``)."""
        return await self.send_raw(kind, encode_record(record, kind))

    async def send_raw(self, kind: ActionKind, text: str | bytes) -> Ack:
        if self._conn is None or self.disconnected.is_set():
            raise BrokerUnavailableError(self.url, "not connected")
        future: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        self._pending.append((kind, future))
        try:
            await self._conn.send(text)
        except ConnectionClosed as exc:
            self._fail_pending(f"connection closed: {exc}")
        return await future

    async def reload_pages(self, name: str, *, mode: UpdateMode = UpdateMode.POSITIVE) -> Ack:
        """``NOTIFY_WEB_CLIENT``: reload every page showing app ``name``; the ack counts them."""
        return await self.send(ActionKind.NOTIFY_WEB_CLIENT, WebClientNotice(name, mode))

    def _fail_pending(self, detail: str) -> None:
        while self._pending:
            _, future = self._pending.popleft()
            if not future.done():
                future.set_exception(BrokerUnavailableError(self.url, detail))

    async def _read(self) -> None:
        assert self._conn is not None
        try:
            async for raw in self._conn:
                try:
                    message = decode_message(raw)
                    if message.type is MessageType.LOG:
                        self._on_log(message)
                    elif message.type is MessageType.API:
                        self._inbox.put_nowait(message)
                except (BrokerMessageError, TypeError, ValueError) as exc:
                    logger.warning("ignored a message from the broker: %s", exc)
        except ConnectionClosed:
            pass
        finally:
            self.disconnected.set()
            self._inbox.put_nowait(None)
            close = self._conn.close_reason or "connection closed"
            self._fail_pending(f"disconnected ({close})")

    def _on_log(self, message: Message) -> None:
        """Pair an ``AckLog``/``ErrorLog`` with the oldest action still waiting for one."""
        if message.kind == LogKind.BROKER_EXIT:
            self.broker_exited.set()
            return
        if message.kind not in (LogKind.ACK, LogKind.ERROR) or not self._pending:
            return
        kind, future = self._pending.popleft()
        if future.done():
            return
        payload = message.payload
        if message.kind == LogKind.ERROR:
            future.set_exception(
                BrokerMessageError(
                    str(payload.get("code", "")),
                    str(payload.get("detail", message.msg or "")),
                    action=message.action_kind,
                )
            )
            return
        notified = payload.get("notified", 0)
        future.set_result(
            Ack(
                message.action_kind or kind,
                message.msg or "",
                notified if isinstance(notified, int) else 0,
                payload,
            )
        )

    async def _work(self) -> None:
        while (message := await self._inbox.get()) is not None:
            try:
                await self._on_api(message)
            except Exception:
                logger.exception("%s failed on %s", type(self).__name__, message.kind)

    async def _on_api(self, message: Message) -> None:
        """Handle one ``API`` message from the broker (subclasses)."""


class Publisher(BrokerClient):
    """An app being developed: announces where its types are, then its changes."""

    def __init__(
        self,
        name: str,
        *,
        types_url: str = "",
        url: str = DEFAULT_URL,
        ip: str = DEFAULT_HOST,
        heartbeat: float | None = 10.0,
        on_fetch_types: Callback | None = None,
    ) -> None:
        super().__init__(url, heartbeat=heartbeat)
        self.name = name
        self.ip = ip
        self.types_url = types_url
        self.on_fetch_types = on_fetch_types

    async def _register(self) -> None:
        await self.send(ActionKind.ADD_PUBLISHER, PublisherInfo(self.name, self.ip, self.types_url))

    async def update(
        self,
        *,
        kind: UpdateKind = UpdateKind.UPDATE_TYPE,
        mode: UpdateMode = UpdateMode.POSITIVE,
        source_paths: Sequence[str] | None = None,
        types_url: str | None = None,
    ) -> Ack:
        """``UPDATE_PUBLISHER``; an own change starts the path with this app's name."""
        if types_url is not None:
            self.types_url = types_url
        paths = tuple(source_paths) if source_paths is not None else (self.name,)
        return await self.send(
            ActionKind.UPDATE_PUBLISHER,
            PublisherUpdate(self.name, self.ip, kind, mode, paths, self.types_url),
        )

    async def reload_pages(self, name: str = "", *, mode: UpdateMode = UpdateMode.POSITIVE) -> Ack:
        """``NOTIFY_WEB_CLIENT`` for this app's pages (or app ``name``'s)."""
        return await super().reload_pages(name or self.name, mode=mode)

    async def follow_dynamic_remote(self, remote_info: Mapping[str, Any]) -> Ack:
        """``ADD_DYNAMIC_REMOTE``: be told (``FETCH_TYPES``) whenever that remote updates."""
        return await self.send(
            ActionKind.ADD_DYNAMIC_REMOTE, FetchTypes(self.name, self.ip, remote_info)
        )

    async def exit(self) -> Ack:
        return await self.send(ActionKind.EXIT_PUBLISHER, PublisherInfo(self.name, self.ip))

    async def _on_api(self, message: Message) -> None:
        if message.kind == APIKind.FETCH_TYPES:
            remote_info = message.payload.get("remoteInfo")
            once = bool(message.payload.get("once"))
            await _call(
                self.on_fetch_types, remote_info if isinstance(remote_info, dict) else {}, once
            )


class Subscriber(BrokerClient):
    """A host of remotes: gets each remote's updates, and relays them through its own publisher
    (``PASSIVE``, its name added to the path) so they spread to its hosts in turn."""

    def __init__(
        self,
        name: str,
        publishers: Sequence[str],
        *,
        on_update: Callback | None = None,
        relay: Publisher | None = None,
        url: str = DEFAULT_URL,
        ip: str = DEFAULT_HOST,
        heartbeat: float | None = 10.0,
    ) -> None:
        super().__init__(url, heartbeat=heartbeat)
        self.name = name
        self.ip = ip
        self.publishers = tuple(publishers)
        self.on_update = on_update
        self.relay = relay
        self.last_ack: Ack | None = None

    async def _register(self) -> None:
        self.last_ack = await self.send(
            ActionKind.ADD_SUBSCRIBER, SubscriberInfo(self.name, self.ip, self.publishers)
        )

    async def exit(self, publishers: Sequence[str] | None = None) -> Ack:
        names = self.publishers if publishers is None else tuple(publishers)
        return await self.send(
            ActionKind.EXIT_SUBSCRIBER, SubscriberInfo(self.name, self.ip, names)
        )

    async def _on_api(self, message: Message) -> None:
        if message.kind != APIKind.UPDATE_SUBSCRIBER:
            return
        p = message.payload
        paths = tuple(str(x) for x in p.get("updateSourcePaths") or ())
        mode = UpdateMode(p.get("updateMode", UpdateMode.POSITIVE))
        if not should_deliver(mode, paths, self.name):
            return  # the broker filters too; this keeps a client safe on any broker
        update = Update(
            publisher=str(p.get("name", "")),
            kind=UpdateKind(p.get("updateKind", UpdateKind.UPDATE_TYPE)),
            mode=mode,
            source_paths=paths,
            types_url=str(p.get("remoteTypeTarPath", "")),
        )
        await _call(self.on_update, update)
        if self.relay is not None:
            await self.relay.update(
                kind=update.kind, mode=UpdateMode.PASSIVE, source_paths=(*paths, self.name)
            )


class WebClient(BrokerClient):
    """An open page (in Python: tests and ``mfe dev``'s own view) showing one or more apps."""

    def __init__(
        self,
        names: Sequence[str] | str,
        *,
        on_reload: Callback | None = None,
        url: str = DEFAULT_URL,
        heartbeat: float | None = 10.0,
    ) -> None:
        super().__init__(url, heartbeat=heartbeat)
        self.names = (names,) if isinstance(names, str) else tuple(names)
        self.on_reload = on_reload

    async def _register(self) -> None:
        for name in self.names:
            await self.send(ActionKind.ADD_WEB_CLIENT, WebClientNotice(name))

    async def _on_api(self, message: Message) -> None:
        if message.kind == APIKind.RELOAD_WEB_CLIENT:
            await _call(self.on_reload, str(message.payload.get("name", "")))
