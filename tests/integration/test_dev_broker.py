"""The dev broker over real WebSockets on 127.0.0.1: every action, the shelter, loop
suppression, upstream's four defects (each fixed), bad input and the idle exit.

Raw ``websockets`` clients pin the wire format; the small client classes are tested on top.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from orchestrator.dev import (
    ActionKind,
    Broker,
    BrokerEvent,
    BrokerMessageError,
    ErrorCode,
    EventKind,
    Publisher,
    Subscriber,
    Update,
    UpdateMode,
    WebClient,
)

WAIT = 5.0  # every wait below is bounded by this


@dataclass
class Events:
    """Broker events as they happen, and a way to wait for the first one that matches."""

    seen: list[BrokerEvent] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, event: BrokerEvent) -> None:
        self.seen.append(event)
        self.changed.set()

    async def wait_for(self, match: Callable[[BrokerEvent], bool]) -> BrokerEvent:
        async def scan() -> BrokerEvent:
            start = 0
            while True:
                for event in self.seen[start:]:
                    if match(event):
                        return event
                start = len(self.seen)
                self.changed.clear()
                await self.changed.wait()

        return await asyncio.wait_for(scan(), WAIT)


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
async def broker(events: Events) -> AsyncIterator[Broker]:
    async with Broker(port=0, on_event=events, max_size=4096) as b:
        yield b


class Raw:
    """A bare websockets client speaking the wire format by hand."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn

    async def act(self, kind: str, payload: dict[str, Any]) -> None:
        await self.conn.send(
            json.dumps({"type": "Action", "kind": kind, "time": 0, "payload": payload})
        )

    async def recv(self) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.conn.recv(), WAIT)
        message = json.loads(raw)
        assert isinstance(message, dict), f"double-encoded message: {raw!r}"
        return message

    async def ack(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send an action and return the broker's ack (anything before it is an error here)."""
        await self.act(kind, payload)
        reply = await self.recv()
        assert reply["type"] == "Log" and reply["kind"] == "AckLog", reply
        assert reply["actionKind"] == kind
        return reply


@pytest.fixture
async def raw(broker: Broker) -> AsyncIterator[Callable[[], Any]]:
    opened: list[ClientConnection] = []

    async def open_raw() -> Raw:
        conn = await connect(broker.url, proxy=None)
        opened.append(conn)
        return Raw(conn)

    yield open_raw
    for conn in opened:
        await conn.close()


def publisher_payload(name: str) -> dict[str, Any]:
    return {"name": name, "ip": "127.0.0.1", "remoteTypeTarPath": f"http://127.0.0.1:1/{name}.zip"}


def subscriber_payload(name: str, *publishers: str) -> dict[str, Any]:
    return {
        "name": name,
        "ip": "127.0.0.1",
        "publishers": [{"name": p, "ip": "127.0.0.1"} for p in publishers],
    }


# --- actions, one by one ----------------------------------------------------------------------


async def test_add_publisher_is_acked_and_registered(broker: Broker, raw: Any) -> None:
    pub = await raw()
    reply = await pub.ack("ADD_PUBLISHER", publisher_payload("catalog"))
    assert reply["msg"] == "publisher catalog registered"
    assert reply["level"] == "LOG" and isinstance(reply["time"], int)
    assert broker.state().publishers == {"catalog": ()}


async def test_add_subscriber_gets_the_first_type_pull_at_once(broker: Broker, raw: Any) -> None:
    pub, sub = await raw(), await raw()
    await pub.ack("ADD_PUBLISHER", publisher_payload("catalog"))
    await sub.act("ADD_SUBSCRIBER", subscriber_payload("shell", "catalog"))
    first = await sub.recv()
    assert first["type"] == "API" and first["kind"] == "UPDATE_SUBSCRIBER" and first["code"] == 0
    assert first["payload"] == {
        "updateKind": "UPDATE_TYPE",
        "updateMode": "PASSIVE",
        "updateSourcePaths": ["catalog"],
        "remoteTypeTarPath": "http://127.0.0.1:1/catalog.zip",
        "name": "catalog",
    }
    ack = await sub.recv()
    assert ack["kind"] == "AckLog" and ack["payload"]["subscribed"] == ["catalog"]
    assert broker.state().publishers == {"catalog": ("shell",)}


async def test_a_subscriber_waits_in_the_shelter_until_its_publisher_comes(
    broker: Broker, raw: Any
) -> None:
    sub, pub = await raw(), await raw()
    ack = await sub.ack("ADD_SUBSCRIBER", subscriber_payload("shell", "catalog"))
    assert ack["payload"]["sheltered"] == ["catalog"] and ack["payload"]["notified"] == 0
    assert "waiting for catalog" in ack["msg"]
    assert broker.state().sheltered == {"catalog": ("shell",)}

    reply = await pub.ack("ADD_PUBLISHER", publisher_payload("catalog"))
    assert reply["msg"] == "publisher catalog registered, 1 waiting subscriber released"
    assert reply["payload"]["released"] == ["shell"]
    first = await sub.recv()
    assert first["kind"] == "UPDATE_SUBSCRIBER" and first["payload"]["updateSourcePaths"] == [
        "catalog"
    ]
    assert broker.state().sheltered == {} and broker.state().publishers == {"catalog": ("shell",)}


async def test_update_publisher_reaches_every_subscriber(broker: Broker, raw: Any) -> None:
    pub = await raw()
    await pub.ack("ADD_PUBLISHER", publisher_payload("catalog"))
    subs = [await raw() for _ in range(3)]
    for i, sub in enumerate(subs):
        await sub.act("ADD_SUBSCRIBER", subscriber_payload(f"host{i}", "catalog"))
        assert (await sub.recv())["kind"] == "UPDATE_SUBSCRIBER"
        assert (await sub.recv())["kind"] == "AckLog"
    ack = await pub.ack(
        "UPDATE_PUBLISHER",
        {
            "name": "catalog",
            "updateKind": "UPDATE_TYPE",
            "updateMode": "POSITIVE",
            "updateSourcePaths": ["catalog"],
            "remoteTypeTarPath": "http://127.0.0.1:1/v2.zip",
        },
    )
    assert (
        ack["msg"] == "catalog changed → 3 subscribers notified" and ack["payload"]["notified"] == 3
    )
    for sub in subs:
        update = await sub.recv()
        assert update["kind"] == "UPDATE_SUBSCRIBER"
        assert update["payload"] == {
            "updateKind": "UPDATE_TYPE",
            "updateMode": "POSITIVE",
            "updateSourcePaths": ["catalog"],
            "remoteTypeTarPath": "http://127.0.0.1:1/v2.zip",
            "name": "catalog",
        }


async def test_update_publisher_is_refused_for_unknown_or_foreign_publishers(
    broker: Broker, raw: Any
) -> None:
    owner, other = await raw(), await raw()
    await other.act("UPDATE_PUBLISHER", {"name": "catalog"})
    error = await other.recv()
    assert error["kind"] == "ErrorLog" and error["level"] == "ERROR"
    assert error["payload"]["code"] == "UNKNOWN_PUBLISHER" and "catalog" in error["msg"]
    await owner.ack("ADD_PUBLISHER", publisher_payload("catalog"))
    await other.act("UPDATE_PUBLISHER", {"name": "catalog"})
    error = await other.recv()
    assert error["payload"]["code"] == "NOT_OWNER" and error["actionKind"] == "UPDATE_PUBLISHER"


async def test_exit_subscriber_keeps_the_running_publisher(broker: Broker, raw: Any) -> None:
    """Upstream defect: the publisher was deleted with its last subscriber, so later hosts were
    sheltered forever and its updates went nowhere."""
    pub, sub = await raw(), await raw()
    await pub.ack("ADD_PUBLISHER", publisher_payload("catalog"))
    await sub.act("ADD_SUBSCRIBER", subscriber_payload("shell", "catalog"))
    await sub.recv(), await sub.recv()
    reply = await sub.ack("EXIT_SUBSCRIBER", subscriber_payload("shell", "catalog"))
    assert reply["msg"] == "subscriber shell left catalog"
    assert broker.state().publishers == {"catalog": ()}

    ack = await pub.ack("UPDATE_PUBLISHER", {"name": "catalog", "updateSourcePaths": ["catalog"]})
    assert ack["payload"]["notified"] == 0
    late = await raw()
    await late.act("ADD_SUBSCRIBER", subscriber_payload("cart", "catalog"))
    assert (await late.recv())["kind"] == "UPDATE_SUBSCRIBER"  # not sheltered: catalog is up


async def test_exit_subscriber_leaves_other_waiting_subscribers_alone(
    broker: Broker, raw: Any
) -> None:
    a, b = await raw(), await raw()
    await a.ack("ADD_SUBSCRIBER", subscriber_payload("shell", "catalog"))
    await b.ack("ADD_SUBSCRIBER", subscriber_payload("cart", "catalog"))
    await a.ack("EXIT_SUBSCRIBER", subscriber_payload("shell", "catalog"))
    assert broker.state().sheltered == {"catalog": ("cart",)}


async def test_exit_publisher_shelters_its_subscribers_until_it_returns(
    broker: Broker, raw: Any
) -> None:
    pub, sub = await raw(), await raw()
    await pub.ack("ADD_PUBLISHER", publisher_payload("catalog"))
    await sub.act("ADD_SUBSCRIBER", subscriber_payload("shell", "catalog"))
    await sub.recv(), await sub.recv()
    reply = await pub.ack("EXIT_PUBLISHER", {"name": "catalog", "ip": "127.0.0.1"})
    assert reply["msg"] == "publisher catalog left; 1 subscriber waiting for it"
    assert broker.state().publishers == {} and broker.state().sheltered == {"catalog": ("shell",)}

    again = await raw()
    reply = await again.ack("ADD_PUBLISHER", publisher_payload("catalog"))
    assert reply["payload"]["released"] == ["shell"]
    assert (await sub.recv())["kind"] == "UPDATE_SUBSCRIBER"


async def test_notify_web_client_reloads_every_page_of_that_app(broker: Broker, raw: Any) -> None:
    pages = [await raw() for _ in range(2)]
    other = await raw()
    for page in pages:
        await page.ack("ADD_WEB_CLIENT", {"name": "catalog"})
    await other.ack("ADD_WEB_CLIENT", {"name": "cart"})
    assert broker.state().web_clients == {"catalog": 2, "cart": 1}

    notifier = await raw()
    ack = await notifier.ack("NOTIFY_WEB_CLIENT", {"name": "catalog", "updateMode": "POSITIVE"})
    assert ack["msg"] == "catalog changed → 2 pages reloaded" and ack["payload"]["notified"] == 2
    for page in pages:
        reload = await page.recv()
        assert reload["type"] == "API" and reload["kind"] == "RELOAD_WEB_CLIENT"
        assert reload["payload"] == {"name": "catalog", "updateMode": "POSITIVE"}
    await notifier.ack("NOTIFY_WEB_CLIENT", {"name": "cart"})
    assert (await other.recv())["payload"]["name"] == "cart"  # its first: catalog's passed it by


async def test_notify_web_client_with_no_page_open_says_so(broker: Broker, raw: Any) -> None:
    notifier = await raw()
    ack = await notifier.ack("NOTIFY_WEB_CLIENT", {"name": "catalog"})
    assert ack["msg"] == "catalog changed → 0 pages reloaded" and ack["payload"]["notified"] == 0


async def test_fetch_types_goes_to_the_publishers_own_socket(broker: Broker, raw: Any) -> None:
    pub, worker = await raw(), await raw()
    await pub.ack("ADD_PUBLISHER", publisher_payload("shell"))
    info = {"name": "cart", "url": "http://127.0.0.1:2/remoteEntry.js", "alias": "cart"}
    await worker.ack("FETCH_TYPES", {"name": "shell", "ip": "127.0.0.1", "remoteInfo": info})
    fetch = await pub.recv()
    assert fetch["type"] == "API" and fetch["kind"] == "FETCH_TYPES"
    assert fetch["payload"] == {"remoteInfo": info, "once": True}
    await worker.act("FETCH_TYPES", {"name": "nobody", "remoteInfo": info})
    assert (await worker.recv())["payload"]["code"] == "UNKNOWN_PUBLISHER"


async def test_a_dynamic_remotes_update_asks_its_followers_to_fetch_types(
    broker: Broker, raw: Any
) -> None:
    shell, cart = await raw(), await raw()
    await shell.ack("ADD_PUBLISHER", publisher_payload("shell"))
    await cart.ack("ADD_PUBLISHER", publisher_payload("cart"))
    info = {"name": "cart", "url": "http://127.0.0.1:2/remoteEntry.js"}
    await shell.ack(
        "ADD_DYNAMIC_REMOTE", {"name": "shell", "remoteInfo": info, "remoteIp": "127.0.0.1"}
    )
    ack = await cart.ack("UPDATE_PUBLISHER", {"name": "cart", "updateSourcePaths": ["cart"]})
    assert ack["payload"]["fetchers"] == 1
    fetch = await shell.recv()
    assert fetch["kind"] == "FETCH_TYPES" and fetch["payload"] == {
        "remoteInfo": info,
        "once": False,
    }


async def test_add_dynamic_remote_for_an_unknown_publisher_is_an_error_not_a_crash(
    broker: Broker, raw: Any
) -> None:
    client = await raw()
    await client.act("ADD_DYNAMIC_REMOTE", {"name": "ghost", "remoteInfo": {"name": "cart"}})
    assert (await client.recv())["payload"]["code"] == "UNKNOWN_PUBLISHER"
    await client.ack("ADD_WEB_CLIENT", {"name": "still-served"})


async def test_a_new_connection_takes_over_a_publisher_name_with_its_subscribers(
    broker: Broker, raw: Any
) -> None:
    old, sub, new = await raw(), await raw(), await raw()
    await old.ack("ADD_PUBLISHER", publisher_payload("catalog"))
    await sub.act("ADD_SUBSCRIBER", subscriber_payload("shell", "catalog"))
    await sub.recv(), await sub.recv()
    reply = await new.ack(
        "ADD_PUBLISHER", {**publisher_payload("catalog"), "remoteTypeTarPath": "v2"}
    )
    assert reply["payload"]["notified"] == 1
    pull = await sub.recv()  # the kept subscriber pulls from the new one
    assert pull["kind"] == "UPDATE_SUBSCRIBER" and pull["payload"]["remoteTypeTarPath"] == "v2"
    assert (await new.ack("UPDATE_PUBLISHER", {"name": "catalog"}))["payload"]["notified"] == 1
    await old.act("UPDATE_PUBLISHER", {"name": "catalog"})
    assert (await old.recv())["payload"]["code"] == "NOT_OWNER"


async def test_publishers_match_by_name_whatever_host_the_subscriber_gives(
    broker: Broker, raw: Any
) -> None:
    """Upstream keyed publishers by ``name:ip`` and never subscribed a remote given by host name."""
    pub, sub = await raw(), await raw()
    await pub.ack("ADD_PUBLISHER", publisher_payload("catalog"))
    payload = {
        "name": "shell",
        "ip": "127.0.0.1",
        "publishers": [{"name": "catalog", "ip": "localhost"}],
    }
    await sub.act("ADD_SUBSCRIBER", payload)
    assert (await sub.recv())["kind"] == "UPDATE_SUBSCRIBER"
    assert broker.state().publishers == {"catalog": ("shell",)}


# --- loop suppression -------------------------------------------------------------------------


async def test_the_broker_does_not_send_a_passive_update_back_along_its_path(
    broker: Broker, raw: Any
) -> None:
    """Even a naive subscriber is safe: the broker applies the rule too."""
    pub = await raw()
    await pub.ack("ADD_PUBLISHER", publisher_payload("a"))
    subs = {}
    for name in ("b", "c"):
        subs[name] = await raw()
        await subs[name].act("ADD_SUBSCRIBER", subscriber_payload(name, "a"))
        await subs[name].recv(), await subs[name].recv()
    ack = await pub.ack(
        "UPDATE_PUBLISHER",
        {"name": "a", "updateMode": "PASSIVE", "updateSourcePaths": ["c", "b", "a"]},
    )
    assert ack["payload"]["notified"] == 0 and ack["payload"]["suppressed"] == 2
    ack = await pub.ack(
        "UPDATE_PUBLISHER",
        {"name": "a", "updateMode": "POSITIVE", "updateSourcePaths": ["c", "a"]},
    )
    assert ack["payload"]["notified"] == 2  # POSITIVE: only "back to the sender" is suppressed
    assert "(0 already" not in ack["msg"]


async def test_a_cycle_of_three_apps_stops_after_one_round(broker: Broker, events: Events) -> None:
    """a uses b, b uses c, c uses a; c changes: b, then a relay it, and it stops before c."""
    remotes = {"a": "b", "b": "c", "c": "a"}
    got: dict[str, list[Update]] = {name: [] for name in remotes}
    pubs = {
        name: Publisher(name, url=broker.url, types_url=f"http://x/{name}.zip") for name in remotes
    }
    for p in pubs.values():
        await p.__aenter__()
    subs = []
    try:
        for name, remote in remotes.items():

            def record(update: Update, name: str = name) -> None:
                got[name].append(update)

            sub = Subscriber(name, [remote], url=broker.url, on_update=record)
            await sub.__aenter__()
            subs.append(sub)
        await events.wait_for(lambda e: e.kind is EventKind.SUBSCRIBER_ADDED and e.name == "c")
        # Relays switch on only now, so the first pulls of set-up do not mix in.
        for sub in subs:
            sub.relay = pubs[sub.name]
        got_before = {n: len(v) for n, v in got.items()}
        mark = len(events.seen)

        ack = await pubs["c"].update()
        assert ack.message == "c changed → 1 subscriber notified"
        last = await events.wait_for(
            lambda e: e.kind is EventKind.PUBLISHER_UPDATED and e.name == "a"
        )
        assert last.notified == 0 and "1 already on the update's path" in last.message
        updates = [e for e in events.seen[mark:] if e.kind is EventKind.PUBLISHER_UPDATED]
        assert [(e.name, e.notified) for e in updates] == [("c", 1), ("b", 1), ("a", 0)]
        new = {n: got[n][got_before[n] :] for n in got}
        assert [u.source_paths for u in new["b"]] == [("c",)]
        assert [(u.mode, u.source_paths) for u in new["a"]] == [(UpdateMode.PASSIVE, ("c", "b"))]
        assert new["c"] == []
    finally:
        for sub in subs:
            await sub.aclose()
        for p in pubs.values():
            await p.aclose()


# --- upstream's defects -----------------------------------------------------------------------


async def test_the_exit_log_is_one_json_object_not_a_json_string(events: Events) -> None:
    """Upstream defect: ``broadcast(JSON.stringify(log))`` encoded it twice; nobody saw it."""
    broker = Broker(port=0, on_event=events)
    await broker.start()
    conn = await connect(broker.url, proxy=None)
    client = Raw(conn)
    await client.ack("ADD_WEB_CLIENT", {"name": "catalog"})
    typed = WebClient("catalog", url=broker.url)
    await typed.__aenter__()
    await broker.aclose()
    exit_log = await client.recv()
    assert exit_log["type"] == "Log" and exit_log["kind"] == "BrokerExitLog"
    await asyncio.wait_for(typed.broker_exited.wait(), WAIT)
    await typed.aclose()
    await conn.close()


async def test_a_dead_peer_is_dropped_within_two_heartbeats(events: Events) -> None:
    """Upstream had no heartbeat and ignored closes: dead subscribers stayed forever."""
    heartbeat = 0.3
    async with Broker(port=0, heartbeat=heartbeat, on_event=events) as broker:
        sub = await connect(broker.url, proxy=None, ping_interval=None)
        pub = await connect(broker.url, proxy=None, ping_interval=None)
        await Raw(pub).ack("ADD_PUBLISHER", publisher_payload("catalog"))
        await Raw(sub).act("ADD_SUBSCRIBER", subscriber_payload("shell", "catalog"))
        await Raw(sub).recv(), await Raw(sub).recv()
        assert broker.state().publishers == {"catalog": ("shell",)}

        pub.transport.pause_reading()  # alive socket, silent peer: it never answers a ping
        frozen = time.monotonic()
        dropped = await events.wait_for(lambda e: e.kind is EventKind.PEER_DROPPED)
        elapsed = time.monotonic() - frozen
        assert dropped.name == "catalog"
        print(f"dead peer dropped after {elapsed:.3f}s (heartbeat {heartbeat}s)")
        assert elapsed <= 2 * heartbeat, elapsed
        # Its subscriber waits for it to come back; the live subscriber is untouched.
        assert broker.state().publishers == {} and broker.state().sheltered == {
            "catalog": ("shell",)
        }
        await sub.close()
        pub.transport.abort()


async def test_a_closed_connection_leaves_every_role_at_once(
    broker: Broker, events: Events
) -> None:
    page = WebClient(["catalog", "cart"], url=broker.url)
    await page.__aenter__()
    sub = Subscriber("shell", ["catalog"], url=broker.url)
    await sub.__aenter__()
    assert broker.state().web_clients == {"catalog": 1, "cart": 1}
    await page.aclose()
    await sub.aclose()
    await events.wait_for(lambda e: e.kind is EventKind.PEER_DROPPED and e.name == "shell")
    state = broker.state()
    assert state.web_clients == {} and state.sheltered == {}


async def test_the_broker_binds_loopback_by_default() -> None:
    broker = Broker(port=0)
    assert broker.host == "127.0.0.1" and broker.port == 0
    async with broker:
        addresses = {sock.getsockname()[0] for sock in broker._server.sockets}  # type: ignore[union-attr]
        assert addresses == {"127.0.0.1"}
        assert broker.url == f"ws://127.0.0.1:{broker.port}/" and broker.port > 0


async def test_pages_from_other_origins_are_refused(events: Events) -> None:
    """A WebSocket ignores CORS: without this, any site could reload pages or feed types."""
    async with Broker(port=0, allowed_origins=["http://dev.test:8000"]) as broker:
        with pytest.raises(InvalidStatus) as info:
            await connect(broker.url, proxy=None, origin="https://evil.example")  # type: ignore[arg-type]
        assert info.value.response.status_code == 403
        for origin in ("http://127.0.0.1:8000", "http://localhost:5173", "http://dev.test:8000"):
            async with connect(broker.url, proxy=None, origin=origin) as conn:  # type: ignore[arg-type]
                await Raw(conn).ack("ADD_WEB_CLIENT", {"name": "catalog"})


async def test_upstreams_connect_id_query_is_accepted_and_other_paths_are_not(
    broker: Broker,
) -> None:
    url = broker.url + "?WEB_SOCKET_CONNECT_MAGIC_ID=1hpzW-zo2z-o8io-gfmV1-2cb1d82"
    async with connect(url, proxy=None) as conn:
        await Raw(conn).ack("ADD_WEB_CLIENT", {"name": "catalog"})
    with pytest.raises(InvalidStatus) as info:
        await connect(broker.url + "elsewhere", proxy=None)
    assert info.value.response.status_code == 404


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{oops", "MALFORMED_JSON"),
        ('"a string"', "MALFORMED_JSON"),
        ('{"type": "Action", "kind": "DANCE", "payload": {}}', "UNKNOWN_ACTION"),
        ('{"type": "Log", "kind": "AckLog"}', "NOT_AN_ACTION"),
        ('{"type": "Action", "kind": "ADD_PUBLISHER", "payload": {"name": 3}}', "BAD_PAYLOAD"),
        ("x" * 5000, "MESSAGE_TOO_BIG"),
    ],
)
async def test_bad_input_gets_an_error_and_everyone_keeps_being_served(
    broker: Broker, raw: Any, frame: str, code: str
) -> None:
    bystander, sender = await raw(), await raw()
    await bystander.ack("ADD_WEB_CLIENT", {"name": "catalog"})
    await sender.conn.send(frame)
    error = await sender.recv()
    assert error["type"] == "Log" and error["kind"] == "ErrorLog" and error["level"] == "ERROR"
    assert error["payload"]["code"] == code and error["msg"]
    # The sender's connection stays usable, and so does everyone else's.
    ack = await sender.ack("NOTIFY_WEB_CLIENT", {"name": "catalog"})
    assert ack["payload"]["notified"] == 1
    assert (await bystander.recv())["kind"] == "RELOAD_WEB_CLIENT"


async def test_a_frame_far_over_the_limit_is_cut_off_and_others_are_still_served(
    broker: Broker, raw: Any
) -> None:
    bystander, sender = await raw(), await raw()
    await bystander.ack("ADD_WEB_CLIENT", {"name": "catalog"})
    await sender.conn.send("x" * (broker.max_size * 4 + 1))
    with pytest.raises(ConnectionClosedError) as info:
        await sender.recv()
    assert info.value.rcvd is not None and info.value.rcvd.code == 1009  # "message too big"
    notifier = await raw()
    assert (await notifier.ack("NOTIFY_WEB_CLIENT", {"name": "catalog"}))["payload"][
        "notified"
    ] == 1


async def test_the_client_classes_raise_the_brokers_error(broker: Broker) -> None:
    async with Publisher("catalog", url=broker.url) as pub:
        other = Publisher("cart", url=broker.url)
        async with other:
            other.name = "catalog"  # pretend to be someone else
            with pytest.raises(BrokerMessageError) as info:
                await other.update()
            assert (
                info.value.code == ErrorCode.NOT_OWNER and info.value.action == "UPDATE_PUBLISHER"
            )
        assert (await pub.update()).notified == 0


# --- the client classes -----------------------------------------------------------------------


async def test_clients_carry_an_app_change_to_hosts_and_pages(broker: Broker) -> None:
    """The ``mfe dev`` flow: catalog changes → the composer pulls its types → its pages reload."""
    reloaded: asyncio.Queue[str] = asyncio.Queue()
    pulled: asyncio.Queue[Update] = asyncio.Queue()
    async with Publisher("catalog", url=broker.url, types_url="http://x/catalog.zip") as catalog:
        async with Subscriber("shell", ["catalog"], url=broker.url, on_update=pulled.put) as shell:
            assert shell.last_ack is not None and shell.last_ack.payload["subscribed"] == [
                "catalog"
            ]
            first = await asyncio.wait_for(pulled.get(), WAIT)
            assert (first.publisher, first.mode) == ("catalog", UpdateMode.PASSIVE)
            assert first.is_first_pull
            pages = [WebClient("catalog", url=broker.url, on_reload=reloaded.put) for _ in range(2)]
            for page in pages:
                await page.__aenter__()
            try:
                ack = await catalog.update(types_url="http://x/catalog-2.zip")
                assert ack.notified == 1
                update = await asyncio.wait_for(pulled.get(), WAIT)
                assert update.types_url == "http://x/catalog-2.zip"
                assert update.source_paths == ("catalog",) and update.mode is UpdateMode.POSITIVE
                assert not update.is_first_pull
                ack = await catalog.reload_pages()
                assert ack.message == "catalog changed → 2 pages reloaded" and ack.notified == 2
                assert [await asyncio.wait_for(reloaded.get(), WAIT) for _ in pages] == 2 * [
                    "catalog"
                ]
                # The composer (a subscriber, no publisher) reloads the pages the same way.
                assert (await shell.reload_pages("catalog")).notified == 2
                assert [await asyncio.wait_for(reloaded.get(), WAIT) for _ in pages] == 2 * [
                    "catalog"
                ]
            finally:
                for page in pages:
                    await page.aclose()
            assert (await shell.exit()).message == "subscriber shell left catalog"
        assert (await catalog.exit()).notified == 0


async def test_publisher_fetch_types_callback(broker: Broker) -> None:
    asked: asyncio.Queue[tuple[dict[str, Any], bool]] = asyncio.Queue()

    async def on_fetch(info: dict[str, Any], once: bool) -> None:
        await asked.put((info, once))

    async with (
        Publisher("shell", url=broker.url, on_fetch_types=on_fetch) as shell,
        Publisher("cart", url=broker.url) as cart,
    ):
        await shell.follow_dynamic_remote({"name": "cart", "url": "http://x/cart.js"})
        await cart.update()
        info, once = await asyncio.wait_for(asked.get(), WAIT)
        assert info["name"] == "cart" and once is False


async def test_a_client_of_no_broker_raises_a_typed_error() -> None:
    import socket

    from orchestrator.dev import BrokerUnavailableError

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(BrokerUnavailableError) as info:
        async with WebClient("x", url=f"ws://127.0.0.1:{port}/"):
            pass
    assert f"127.0.0.1:{port}" in str(info.value)


# --- idle exit --------------------------------------------------------------------------------


async def test_the_broker_exits_when_its_last_client_leaves(events: Events) -> None:
    broker = Broker(port=0, idle_timeout=0.5, on_event=events)
    await broker.start()
    serving = asyncio.create_task(broker.serve())
    async with WebClient("catalog", url=broker.url):
        done, _ = await asyncio.wait({serving}, timeout=0.75)  # longer than the idle timeout
        assert not done  # a connected client keeps it serving
    await asyncio.wait_for(serving, WAIT)
    assert broker.closed
    assert any(e.kind is EventKind.IDLE for e in events.seen)
    assert not broker._server.is_serving()  # type: ignore[union-attr]
    await broker.aclose()  # idempotent


async def test_without_an_idle_timeout_the_broker_keeps_serving(events: Events) -> None:
    async with Broker(port=0, on_event=events) as broker:
        async with WebClient("catalog", url=broker.url):
            pass
        await events.wait_for(lambda e: e.kind is EventKind.PEER_DROPPED)
        async with WebClient("catalog", url=broker.url):
            assert broker.state().web_clients == {"catalog": 1}


async def test_a_client_shrugs_off_garbage_from_a_broker() -> None:
    """The reader task must survive anything the other end sends, and still pair its acks."""
    from websockets.asyncio.server import ServerConnection, serve

    async def babble(conn: ServerConnection) -> None:
        async for _ in conn:
            for junk in ("{nope", "[]", '{"type": "Nope"}', '{"type": "Log", "time": "noon"}'):
                await conn.send(junk)
            await conn.send(
                json.dumps(
                    {"type": "Log", "kind": "AckLog", "msg": "ok", "payload": {"notified": "x"}}
                )
            )

    async with serve(babble, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        async with WebClient("catalog", url=f"ws://127.0.0.1:{port}/") as page:
            ack = await page.send_raw(ActionKind.NOTIFY_WEB_CLIENT, "{}")
            assert (ack.message, ack.notified) == ("ok", 0)
