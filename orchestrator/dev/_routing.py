"""The broker's state and dts-plugin's routing rules (``broker/Broker.ts``), apart from the
server: who publishes, who subscribes to whom, who waits in the shelter, which pages show what.

Every action gets one reply on its connection, an ``AckLog`` (with the count of peers reached)
or an ``ErrorLog``; every change is one :class:`BrokerEvent` and one log line.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast

from ._errors import BrokerMessageError
from ._protocol import (
    ActionKind,
    ActionRecord,
    APIKind,
    ErrorCode,
    FetchTypes,
    LogKind,
    LogLevel,
    PublisherInfo,
    PublisherUpdate,
    SubscriberInfo,
    UpdateKind,
    UpdateMode,
    WebClientNotice,
    decode_action,
    encode_api,
    encode_log,
    should_deliver,
)

logger = logging.getLogger("orchestrator.dev")


class EventKind(enum.StrEnum):
    """What happened in the broker: one log line (and one ack) each."""

    PUBLISHER_ADDED = "publisher-added"
    PUBLISHER_UPDATED = "publisher-updated"
    PUBLISHER_EXITED = "publisher-exited"
    SUBSCRIBER_ADDED = "subscriber-added"
    SUBSCRIBER_EXITED = "subscriber-exited"
    WEB_CLIENT_ADDED = "web-client-added"
    WEB_CLIENTS_RELOADED = "web-clients-reloaded"
    TYPES_REQUESTED = "types-requested"
    DYNAMIC_REMOTE_ADDED = "dynamic-remote-added"
    PEER_DROPPED = "peer-dropped"
    MESSAGE_REJECTED = "message-rejected"
    IDLE = "idle"


@dataclass(frozen=True, slots=True)
class BrokerEvent:
    """One thing the broker did, as a line a person reads (``catalog changed → 2 pages reloaded``)
    and the count a CLI needs (``notified``: subscribers or pages the message reached)."""

    kind: EventKind
    name: str
    message: str
    notified: int = 0


@dataclass(frozen=True, slots=True)
class BrokerState:
    """A snapshot for tests and ``mfe dev`` status: who is registered, who is waiting."""

    publishers: Mapping[str, tuple[str, ...]]
    sheltered: Mapping[str, tuple[str, ...]]
    web_clients: Mapping[str, int]
    connections: int


@dataclass(eq=False, slots=True)
class Peer:
    """One connection and every role it took (a dev server may publish and subscribe on one)."""

    conn: ServerConnection
    publishers: set[str] = field(default_factory=set)
    subscriptions: set[tuple[str, str]] = field(default_factory=set)
    web_names: set[str] = field(default_factory=set)

    def send(self, text: str) -> None:
        broadcast((self.conn,), text)

    def label(self) -> str:
        names = sorted(self.publishers | {s for s, _ in self.subscriptions} | self.web_names)
        return ", ".join(names) or "an unregistered peer"


@dataclass(eq=False, slots=True)
class _Publisher:
    info: PublisherInfo
    peer: Peer
    subscribers: dict[str, Peer] = field(default_factory=dict)
    dynamic_remotes: dict[str, Mapping[str, Any]] = field(default_factory=dict)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class Router:
    """The broker's routing table; :class:`Broker` feeds it the messages of its connections.

    The shelter holds only live connections (a closed one leaves it at once), so upstream's
    sweep of entries older than 1.5 h has nothing to do here: a host may wait for its remote
    for as long as both run.
    """

    def __init__(
        self, *, max_size: int, on_event: Callable[[BrokerEvent], None] | None = None
    ) -> None:
        self.max_size = max_size
        self._on_event = on_event
        self._publishers: dict[str, _Publisher] = {}
        self._shelter: dict[str, dict[str, Peer]] = {}
        self._web_clients: dict[str, dict[Peer, None]] = {}

    def state(self, connections: int) -> BrokerState:
        return BrokerState(
            publishers={n: tuple(sorted(p.subscribers)) for n, p in self._publishers.items()},
            sheltered={n: tuple(sorted(s)) for n, s in self._shelter.items() if s},
            web_clients={n: len(c) for n, c in self._web_clients.items() if c},
            connections=connections,
        )

    def emit(self, kind: EventKind, name: str, message: str, notified: int = 0) -> BrokerEvent:
        event = BrokerEvent(kind, name, message, notified)
        logger.info("%s", message)
        if self._on_event is not None:
            try:
                self._on_event(event)
            except Exception:
                logger.exception("dev broker on_event raised for %s", kind)
        return event

    def receive(self, peer: Peer, raw: str | bytes) -> None:
        size = len(raw) if isinstance(raw, bytes) or raw.isascii() else len(raw.encode())
        try:
            if size > self.max_size:
                raise BrokerMessageError(
                    ErrorCode.MESSAGE_TOO_BIG,
                    f"message of {size} bytes is over the limit of {self.max_size}",
                )
            kind, record = decode_action(raw)
            self._dispatch(peer, kind, record)
        except BrokerMessageError as exc:
            self._reject(peer, exc)
        except Exception:  # a bug here must not take the broker down for everyone else
            logger.exception("dev broker failed on a message from %s", peer.label())
            self._reject(
                peer,
                BrokerMessageError(ErrorCode.INTERNAL_ERROR, "the broker failed on this message"),
            )

    def _reject(self, peer: Peer, exc: BrokerMessageError) -> None:
        self.emit(EventKind.MESSAGE_REJECTED, peer.label(), f"rejected from {peer.label()}: {exc}")
        peer.send(
            encode_log(
                LogKind.ERROR,
                str(exc),
                level=LogLevel.ERROR,
                action_kind=exc.action,
                payload={"code": exc.code, "detail": exc.detail},
            )
        )

    def _ack(self, peer: Peer, action: ActionKind, event: BrokerEvent, **counts: Any) -> None:
        payload = {"name": event.name, "notified": event.notified, **counts}
        peer.send(encode_log(LogKind.ACK, event.message, action_kind=action, payload=payload))

    # --- routing ----------------------------------------------------------------------------

    def _dispatch(self, peer: Peer, kind: ActionKind, record: ActionRecord) -> None:
        if isinstance(record, PublisherInfo):
            if kind is ActionKind.ADD_PUBLISHER:
                self._add_publisher(peer, record)
            else:
                self._exit_publisher(peer, record)
        elif isinstance(record, PublisherUpdate):
            self._update_publisher(peer, record)
        elif isinstance(record, SubscriberInfo):
            if kind is ActionKind.ADD_SUBSCRIBER:
                self._add_subscriber(peer, record)
            else:
                self._exit_subscriber(peer, record)
        elif isinstance(record, WebClientNotice):
            if kind is ActionKind.ADD_WEB_CLIENT:
                self._add_web_client(peer, record)
            else:
                self._notify_web_clients(peer, record)
        elif kind is ActionKind.FETCH_TYPES:
            self._fetch_types(peer, record)
        else:
            self._add_dynamic_remote(peer, record)

    def _owned(self, peer: Peer, name: str, action: ActionKind) -> _Publisher:
        publisher = self._publishers.get(name)
        if publisher is None:
            raise BrokerMessageError(
                ErrorCode.UNKNOWN_PUBLISHER, f"no publisher {name!r} is registered", action=action
            )
        if publisher.peer is not peer:
            raise BrokerMessageError(
                ErrorCode.NOT_OWNER,
                f"publisher {name!r} was registered by another connection",
                action=action,
            )
        return publisher

    @staticmethod
    def _first_pull(publisher: _Publisher) -> str:
        """The ``UPDATE_SUBSCRIBER`` a new subscriber gets at once: its first type pull."""
        info = publisher.info
        return encode_api(
            APIKind.UPDATE_SUBSCRIBER,
            {
                "updateKind": UpdateKind.UPDATE_TYPE,
                "updateMode": UpdateMode.PASSIVE,
                "updateSourcePaths": [info.name],
                "remoteTypeTarPath": info.remote_type_tar_path,
                "name": info.name,
            },
        )

    def _add_publisher(self, peer: Peer, info: PublisherInfo) -> None:
        old = self._publishers.get(info.name)
        if old is not None and old.peer is not peer:
            # A restarted dev server comes back before the heartbeat has noticed the old one.
            logger.warning("publisher %s re-registered by a new connection", info.name)
            old.peer.publishers.discard(info.name)
        publisher = _Publisher(info, peer)
        if old is not None:
            publisher.subscribers = old.subscribers
            publisher.dynamic_remotes = old.dynamic_remotes
        self._publishers[info.name] = publisher
        peer.publishers.add(info.name)
        waiting = self._shelter.pop(info.name, {})
        publisher.subscribers.update(waiting)
        # Everyone subscribed pulls: those released from the shelter, and those kept from a
        # connection this one replaced (a restarted dev server may serve its types elsewhere).
        told = list(publisher.subscribers.values())
        if told:
            broadcast([p.conn for p in told], self._first_pull(publisher))
        message = f"publisher {info.name} registered"
        if waiting:
            message += f", {_plural(len(waiting), 'waiting subscriber')} released"
        event = self.emit(EventKind.PUBLISHER_ADDED, info.name, message, len(told))
        self._ack(peer, ActionKind.ADD_PUBLISHER, event, released=sorted(waiting))

    def _update_publisher(self, peer: Peer, update: PublisherUpdate) -> None:
        publisher = self._owned(peer, update.name, ActionKind.UPDATE_PUBLISHER)
        if update.remote_type_tar_path:
            publisher.info = PublisherInfo(
                publisher.info.name, publisher.info.ip, update.remote_type_tar_path
            )
        paths = update.update_source_paths
        targets = [
            sub.conn
            for name, sub in publisher.subscribers.items()
            if should_deliver(update.update_mode, paths, name)
        ]
        suppressed = len(publisher.subscribers) - len(targets)
        if targets:
            broadcast(
                targets,
                encode_api(
                    APIKind.UPDATE_SUBSCRIBER,
                    {
                        "updateKind": update.update_kind,
                        "updateMode": update.update_mode,
                        "updateSourcePaths": list(paths),
                        "remoteTypeTarPath": publisher.info.remote_type_tar_path,
                        "name": update.name,
                    },
                ),
            )
        fetchers = 0
        for other in self._publishers.values():
            remote_info = other.dynamic_remotes.get(update.name)
            if other is not publisher and remote_info is not None:
                other.peer.send(
                    encode_api(APIKind.FETCH_TYPES, {"remoteInfo": remote_info, "once": False})
                )
                fetchers += 1
        message = f"{update.name} changed → {_plural(len(targets), 'subscriber')} notified"
        if suppressed:
            message += f" ({suppressed} already on the update's path)"
        event = self.emit(EventKind.PUBLISHER_UPDATED, update.name, message, len(targets))
        self._ack(
            peer, ActionKind.UPDATE_PUBLISHER, event, suppressed=suppressed, fetchers=fetchers
        )

    def _exit_publisher(self, peer: Peer, info: PublisherInfo) -> None:
        self._owned(peer, info.name, ActionKind.EXIT_PUBLISHER)
        moved = self._remove_publisher(peer, info.name)
        event = self.emit(
            EventKind.PUBLISHER_EXITED,
            info.name,
            f"publisher {info.name} left; {_plural(moved, 'subscriber')} waiting for it",
            moved,
        )
        self._ack(peer, ActionKind.EXIT_PUBLISHER, event)

    def _remove_publisher(self, peer: Peer, name: str) -> int:
        """Its subscribers wait in the shelter, so they get a first pull when it comes back."""
        publisher = self._publishers.pop(name)
        peer.publishers.discard(name)
        if publisher.subscribers:
            self._shelter.setdefault(name, {}).update(publisher.subscribers)
        return len(publisher.subscribers)

    def _add_subscriber(self, peer: Peer, info: SubscriberInfo) -> None:
        subscribed, sheltered = [], []
        for name in info.publishers:
            peer.subscriptions.add((info.name, name))
            publisher = self._publishers.get(name)
            if publisher is None:
                self._shelter.setdefault(name, {})[info.name] = peer
                sheltered.append(name)
            else:
                publisher.subscribers[info.name] = peer
                peer.send(self._first_pull(publisher))
                subscribed.append(name)
        message = f"subscriber {info.name} added"
        if subscribed:
            message += f" to {', '.join(subscribed)}"
        if sheltered:
            message += f"; waiting for {', '.join(sheltered)}"
        event = self.emit(EventKind.SUBSCRIBER_ADDED, info.name, message, len(subscribed))
        self._ack(
            peer, ActionKind.ADD_SUBSCRIBER, event, subscribed=subscribed, sheltered=sheltered
        )

    def _exit_subscriber(self, peer: Peer, info: SubscriberInfo) -> None:
        """Only this subscriber leaves: the publisher keeps running (upstream deleted it when its
        last subscriber left, and cleared every other subscriber waiting for it)."""
        for name in info.publishers:
            self._unsubscribe(peer, info.name, name)
        event = self.emit(
            EventKind.SUBSCRIBER_EXITED,
            info.name,
            f"subscriber {info.name} left {', '.join(info.publishers) or 'no publisher'}",
        )
        self._ack(peer, ActionKind.EXIT_SUBSCRIBER, event)

    def _unsubscribe(self, peer: Peer, subscriber: str, name: str) -> None:
        peer.subscriptions.discard((subscriber, name))
        publisher = self._publishers.get(name)
        if publisher is not None and publisher.subscribers.get(subscriber) is peer:
            del publisher.subscribers[subscriber]
        waiting = self._shelter.get(name)
        if waiting is not None and waiting.get(subscriber) is peer:
            del waiting[subscriber]
            if not waiting:
                del self._shelter[name]

    def _add_web_client(self, peer: Peer, notice: WebClientNotice) -> None:
        """Every page showing ``name`` is kept (upstream kept only the last one)."""
        clients = self._web_clients.setdefault(notice.name, {})
        clients[peer] = None
        peer.web_names.add(notice.name)
        event = self.emit(
            EventKind.WEB_CLIENT_ADDED,
            notice.name,
            f"page for {notice.name} connected ({_plural(len(clients), 'page')})",
        )
        self._ack(peer, ActionKind.ADD_WEB_CLIENT, event)

    def _notify_web_clients(self, peer: Peer, notice: WebClientNotice) -> None:
        clients = self._web_clients.get(notice.name, {})
        if clients:
            broadcast(
                [c.conn for c in clients],
                encode_api(
                    APIKind.RELOAD_WEB_CLIENT,
                    {"name": notice.name, "updateMode": notice.update_mode},
                ),
            )
        event = self.emit(
            EventKind.WEB_CLIENTS_RELOADED,
            notice.name,
            f"{notice.name} changed → {_plural(len(clients), 'page')} reloaded",
            len(clients),
        )
        self._ack(peer, ActionKind.NOTIFY_WEB_CLIENT, event)

    def _fetch_types(self, peer: Peer, request: FetchTypes) -> None:
        publisher = self._publishers.get(request.name)
        if publisher is None:
            raise BrokerMessageError(
                ErrorCode.UNKNOWN_PUBLISHER,
                f"no publisher {request.name!r} is registered",
                action=ActionKind.FETCH_TYPES,
            )
        publisher.peer.send(
            encode_api(APIKind.FETCH_TYPES, {"remoteInfo": dict(request.remote_info), "once": True})
        )
        event = self.emit(
            EventKind.TYPES_REQUESTED,
            request.name,
            f"{request.name} asked to fetch types of {request.remote_info.get('name', '?')}",
            1,
        )
        self._ack(peer, ActionKind.FETCH_TYPES, event)

    def _add_dynamic_remote(self, peer: Peer, request: FetchTypes) -> None:
        """Checks the publisher before reading it (upstream crashed on an unknown one)."""
        publisher = self._owned(peer, request.name, ActionKind.ADD_DYNAMIC_REMOTE)
        remote = str(request.remote_info["name"])
        publisher.dynamic_remotes[remote] = dict(request.remote_info)
        event = self.emit(
            EventKind.DYNAMIC_REMOTE_ADDED,
            request.name,
            f"{request.name} follows dynamic remote {remote}",
        )
        self._ack(peer, ActionKind.ADD_DYNAMIC_REMOTE, event)

    # --- dropping ---------------------------------------------------------------------------

    def drop(self, peer: Peer, *, quiet: bool = False) -> None:
        """A connection that closed (or stopped answering pings) leaves every role it held."""
        label = peer.label()
        had_roles = bool(peer.publishers or peer.subscriptions or peer.web_names)
        for name in list(peer.publishers):
            publisher = self._publishers.get(name)
            if publisher is not None and publisher.peer is peer:
                self._remove_publisher(peer, name)
        for subscriber, name in list(peer.subscriptions):
            self._unsubscribe(peer, subscriber, name)
        for name in peer.web_names:
            clients = self._web_clients.get(name)
            if clients is not None:
                clients.pop(peer, None)
                if not clients:
                    del self._web_clients[name]
        peer.web_names.clear()
        if had_roles and not quiet:
            self.emit(EventKind.PEER_DROPPED, label, f"{label} disconnected")
