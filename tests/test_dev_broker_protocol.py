"""The broker's wire format and loop-suppression rule, without a server."""

from __future__ import annotations

import json

import pytest

from orchestrator.dev import (
    ActionKind,
    BrokerMessageError,
    DevBrokerError,
    ErrorCode,
    UpdateKind,
    UpdateMode,
    should_deliver,
)
from orchestrator.dev._protocol import (
    APIKind,
    FetchTypes,
    LogKind,
    PublisherInfo,
    PublisherUpdate,
    SubscriberInfo,
    WebClientNotice,
    decode_action,
    decode_message,
    encode_api,
    encode_log,
    encode_record,
)
from orchestrator.errors import OrchestratorError

P, S = UpdateMode.PASSIVE, UpdateMode.POSITIVE


@pytest.mark.parametrize(
    ("mode", "paths", "subscriber", "expected"),
    [
        (S, [], "a", True),
        (S, ["b"], "a", True),
        (S, ["a"], "a", False),  # never back to the app that sent it
        (S, ["a", "b"], "a", True),  # POSITIVE: only the last hop is checked (upstream)
        (P, ["a", "b"], "a", False),  # PASSIVE: nobody already on the path
        (P, ["b", "c"], "a", True),
        (P, ["b"], "b", False),
    ],
)
def test_should_deliver_follows_upstreams_two_rules(
    mode: UpdateMode, paths: list[str], subscriber: str, expected: bool
) -> None:
    assert should_deliver(mode, paths, subscriber) is expected


@pytest.mark.parametrize(
    ("kind", "record"),
    [
        (ActionKind.ADD_PUBLISHER, PublisherInfo("cat", "127.0.0.1", "http://h/@mf-types.zip")),
        (
            ActionKind.UPDATE_PUBLISHER,
            PublisherUpdate(
                "cat", "", UpdateKind.RELOAD_PAGE, UpdateMode.PASSIVE, ("a", "cat"), "u"
            ),
        ),
        (ActionKind.EXIT_PUBLISHER, PublisherInfo("cat", "127.0.0.1")),
        (ActionKind.ADD_SUBSCRIBER, SubscriberInfo("shell", "127.0.0.1", ("cat", "cart"))),
        (ActionKind.EXIT_SUBSCRIBER, SubscriberInfo("shell", "127.0.0.1", ("cat",))),
        (ActionKind.ADD_WEB_CLIENT, WebClientNotice("cat")),
        (ActionKind.NOTIFY_WEB_CLIENT, WebClientNotice("cat", UpdateMode.PASSIVE)),
        (ActionKind.FETCH_TYPES, FetchTypes("cat", "", {"name": "r", "url": "u"})),
        (ActionKind.ADD_DYNAMIC_REMOTE, FetchTypes("cat", "", {"name": "r"}, "127.0.0.1")),
    ],
)
def test_every_action_round_trips_through_its_wire_form(kind: ActionKind, record: object) -> None:
    text = encode_record(record, kind)  # type: ignore[arg-type]
    wire = json.loads(text)
    assert wire["type"] == "Action" and wire["kind"] == kind.value
    assert isinstance(wire["time"], int) and isinstance(wire["payload"], dict)
    assert decode_action(text) == (kind, record)


def test_wire_fields_use_dts_plugin_names() -> None:
    update = PublisherUpdate("cat", "", UpdateKind.UPDATE_TYPE, UpdateMode.PASSIVE, ("x",), "u")
    payload = json.loads(encode_record(update, ActionKind.UPDATE_PUBLISHER))["payload"]
    assert set(payload) == {
        "name",
        "ip",
        "updateKind",
        "updateMode",
        "updateSourcePaths",
        "remoteTypeTarPath",
    }
    subscriber = SubscriberInfo("shell", "1.2.3.4", ("cat",))
    payload = json.loads(encode_record(subscriber, ActionKind.ADD_SUBSCRIBER))["payload"]
    assert payload["publishers"] == [{"name": "cat", "ip": "1.2.3.4"}]


def test_api_and_log_messages_are_encoded_once() -> None:
    api = json.loads(encode_api(APIKind.RELOAD_WEB_CLIENT, {"name": "cat"}))
    assert api == {**api, "type": "API", "kind": "RELOAD_WEB_CLIENT", "code": 0}
    log = json.loads(encode_log(LogKind.BROKER_EXIT, "bye"))
    assert isinstance(log, dict) and log["type"] == "Log" and log["kind"] == "BrokerExitLog"
    message = decode_message(encode_log(LogKind.ACK, "ok", action_kind="ADD_PUBLISHER"))
    assert message.action_kind == "ADD_PUBLISHER" and message.msg == "ok"


def test_publishers_may_be_plain_names_as_well_as_upstreams_objects() -> None:
    text = json.dumps(
        {"type": "Action", "kind": "ADD_SUBSCRIBER", "payload": {"name": "s", "publishers": ["a"]}}
    )
    assert decode_action(text) == (ActionKind.ADD_SUBSCRIBER, SubscriberInfo("s", "", ("a",)))


@pytest.mark.parametrize(
    ("raw", "code", "needle"),
    [
        ("{not json", ErrorCode.MALFORMED_JSON, "not JSON"),
        ("[1, 2]", ErrorCode.MALFORMED_JSON, "got list"),
        (b"\xff\xfe", ErrorCode.MALFORMED_JSON, "not JSON"),
        ('{"type": "API", "kind": "FETCH_TYPES"}', ErrorCode.NOT_AN_ACTION, "'API'"),
        ('{"type": "Action", "kind": "NOTIFY_SUBSCRIBER"}', ErrorCode.UNKNOWN_ACTION, "NOTIFY"),
        ('{"type": "Action", "kind": "ADD_PUBLISHER"}', ErrorCode.BAD_PAYLOAD, "payload"),
        (
            '{"type": "Action", "kind": "ADD_PUBLISHER", "payload": {"name": ""}}',
            ErrorCode.BAD_PAYLOAD,
            "payload.name",
        ),
        (
            '{"type": "Action", "kind": "UPDATE_PUBLISHER",'
            ' "payload": {"name": "a", "updateMode": "LOUD"}}',
            ErrorCode.BAD_PAYLOAD,
            "POSITIVE or PASSIVE",
        ),
        (
            '{"type": "Action", "kind": "UPDATE_PUBLISHER",'
            ' "payload": {"name": "a", "updateSourcePaths": "a"}}',
            ErrorCode.BAD_PAYLOAD,
            "updateSourcePaths",
        ),
        (
            '{"type": "Action", "kind": "ADD_SUBSCRIBER", "payload": {"name": "a"}}',
            ErrorCode.BAD_PAYLOAD,
            "publishers",
        ),
        (
            '{"type": "Action", "kind": "ADD_DYNAMIC_REMOTE",'
            ' "payload": {"name": "a", "remoteInfo": {}}}',
            ErrorCode.BAD_PAYLOAD,
            "remoteInfo",
        ),
    ],
)
def test_bad_actions_raise_an_error_naming_what_is_wrong(
    raw: str | bytes, code: ErrorCode, needle: str
) -> None:
    with pytest.raises(BrokerMessageError) as info:
        decode_action(raw)
    assert info.value.code == code
    assert needle in str(info.value)
    assert isinstance(info.value, DevBrokerError) and isinstance(info.value, OrchestratorError)
