"""dts-plugin's broker messages: JSON objects with ``type``, ``kind``, ``time`` and a payload.

Field names on the wire are dts-plugin's (``updateMode``, ``updateSourcePaths``, …) so the
messages read like upstream's; the records here are their Python spelling. Every message is
encoded once (upstream JSON-encoded its exit log twice, so dev servers never saw it).
"""

from __future__ import annotations

import enum
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ._errors import BrokerMessageError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 16322
#: The ``Server`` header the broker answers with: how a client tells a broker from another server.
SERVER_HEADER = "mfe-dev-broker"

E = TypeVar("E", bound=enum.StrEnum)


class MessageType(enum.StrEnum):
    """``Action`` goes client → broker, ``API`` broker → client, ``Log`` either way."""

    ACTION = "Action"
    API = "API"
    LOG = "Log"


class ActionKind(enum.StrEnum):
    """What a client asks of the broker (dts-plugin's ``ActionKind``)."""

    ADD_PUBLISHER = "ADD_PUBLISHER"
    UPDATE_PUBLISHER = "UPDATE_PUBLISHER"
    EXIT_PUBLISHER = "EXIT_PUBLISHER"
    ADD_SUBSCRIBER = "ADD_SUBSCRIBER"
    EXIT_SUBSCRIBER = "EXIT_SUBSCRIBER"
    ADD_WEB_CLIENT = "ADD_WEB_CLIENT"
    NOTIFY_WEB_CLIENT = "NOTIFY_WEB_CLIENT"
    FETCH_TYPES = "FETCH_TYPES"
    ADD_DYNAMIC_REMOTE = "ADD_DYNAMIC_REMOTE"


class APIKind(enum.StrEnum):
    """What the broker tells a client to do (dts-plugin's ``APIKind``)."""

    UPDATE_SUBSCRIBER = "UPDATE_SUBSCRIBER"
    RELOAD_WEB_CLIENT = "RELOAD_WEB_CLIENT"
    FETCH_TYPES = "FETCH_TYPES"


class LogKind(enum.StrEnum):
    """Our ``Log`` messages: an ack per action, an error per rejected message, the exit notice."""

    ACK = "AckLog"
    ERROR = "ErrorLog"
    BROKER_EXIT = "BrokerExitLog"


class LogLevel(enum.StrEnum):
    LOG = "LOG"
    WARN = "WARN"
    ERROR = "ERROR"


class UpdateKind(enum.StrEnum):
    """New types to pull, or only a page to reload."""

    UPDATE_TYPE = "UPDATE_TYPE"
    RELOAD_PAGE = "RELOAD_PAGE"


class UpdateMode(enum.StrEnum):
    """``POSITIVE``: the app itself changed; ``PASSIVE``: it relays a change of a remote."""

    POSITIVE = "POSITIVE"
    PASSIVE = "PASSIVE"


class ErrorCode(enum.StrEnum):
    """Why the broker rejected a message (the ``payload.code`` of an ``ErrorLog``)."""

    MALFORMED_JSON = "MALFORMED_JSON"
    NOT_AN_ACTION = "NOT_AN_ACTION"
    UNKNOWN_ACTION = "UNKNOWN_ACTION"
    BAD_PAYLOAD = "BAD_PAYLOAD"
    MESSAGE_TOO_BIG = "MESSAGE_TOO_BIG"
    UNKNOWN_PUBLISHER = "UNKNOWN_PUBLISHER"
    NOT_OWNER = "NOT_OWNER"
    INTERNAL_ERROR = "INTERNAL_ERROR"


def now_ms() -> int:
    return int(time.time() * 1000)


# --- records ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Message:
    """One decoded message as a client sees it (any type)."""

    type: MessageType
    kind: str
    payload: Mapping[str, Any]
    time: int = 0
    level: LogLevel | None = None
    action_kind: str | None = None
    msg: str | None = None


@dataclass(frozen=True, slots=True)
class PublisherInfo:
    """``ADD_PUBLISHER``: an app being developed, and where its type archive is served."""

    name: str
    ip: str = ""
    remote_type_tar_path: str = ""


@dataclass(frozen=True, slots=True)
class PublisherUpdate:
    """``UPDATE_PUBLISHER``: the app (or one of its remotes, for ``PASSIVE``) changed."""

    name: str
    ip: str = ""
    update_kind: UpdateKind = UpdateKind.UPDATE_TYPE
    update_mode: UpdateMode = UpdateMode.POSITIVE
    update_source_paths: tuple[str, ...] = ()
    remote_type_tar_path: str = ""


@dataclass(frozen=True, slots=True)
class SubscriberInfo:
    """``ADD_SUBSCRIBER``/``EXIT_SUBSCRIBER``: a host and the remotes (publishers) it uses."""

    name: str
    ip: str = ""
    publishers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WebClientNotice:
    """``ADD_WEB_CLIENT``/``NOTIFY_WEB_CLIENT``: pages showing app ``name``."""

    name: str
    update_mode: UpdateMode = UpdateMode.POSITIVE


@dataclass(frozen=True, slots=True)
class FetchTypes:
    """``FETCH_TYPES``/``ADD_DYNAMIC_REMOTE``: a publisher asks for a dynamic remote's types."""

    name: str
    ip: str = ""
    remote_info: Mapping[str, Any] = field(default_factory=dict)
    remote_ip: str = ""


ActionRecord = PublisherInfo | PublisherUpdate | SubscriberInfo | WebClientNotice | FetchTypes


# --- loop suppression -------------------------------------------------------------------------


def should_deliver(mode: UpdateMode, source_paths: Sequence[str], subscriber: str) -> bool:
    """Upstream's two rules: a relayed update never returns to an app already on its path, and
    never goes back to the app that sent it: a change spreads along the graph, stops on a cycle."""
    if not source_paths:
        return True
    if mode is UpdateMode.PASSIVE and subscriber in source_paths:
        return False
    return source_paths[-1] != subscriber


# --- encoding ---------------------------------------------------------------------------------


def _dump(message: Mapping[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def encode_action(kind: ActionKind, payload: Mapping[str, Any]) -> str:
    return _dump({"type": "Action", "kind": kind.value, "time": now_ms(), "payload": payload})


def encode_api(kind: APIKind, payload: Mapping[str, Any]) -> str:
    return _dump(
        {"type": "API", "kind": kind.value, "code": 0, "time": now_ms(), "payload": payload}
    )


def encode_log(
    kind: LogKind,
    msg: str,
    *,
    level: LogLevel = LogLevel.LOG,
    action_kind: str | None = None,
    payload: Mapping[str, Any] | None = None,
) -> str:
    return _dump(
        {
            "type": "Log",
            "kind": kind.value,
            "level": level.value,
            "ignoreVerbose": False,
            "time": now_ms(),
            "actionKind": action_kind,
            "msg": msg,
            "payload": dict(payload or {}),
        }
    )


def encode_record(record: ActionRecord, kind: ActionKind) -> str:
    """A client's action message for ``record`` (the wire spelling of its fields)."""
    return encode_action(kind, to_payload(record))


def to_payload(record: ActionRecord) -> dict[str, Any]:
    if isinstance(record, PublisherInfo):
        return {
            "name": record.name,
            "ip": record.ip,
            "remoteTypeTarPath": record.remote_type_tar_path,
        }
    if isinstance(record, PublisherUpdate):
        return {
            "name": record.name,
            "ip": record.ip,
            "updateKind": record.update_kind.value,
            "updateMode": record.update_mode.value,
            "updateSourcePaths": list(record.update_source_paths),
            "remoteTypeTarPath": record.remote_type_tar_path,
        }
    if isinstance(record, SubscriberInfo):
        return {
            "name": record.name,
            "ip": record.ip,
            "publishers": [{"name": name, "ip": record.ip} for name in record.publishers],
        }
    if isinstance(record, WebClientNotice):
        return {"name": record.name, "updateMode": record.update_mode.value}
    return {
        "name": record.name,
        "ip": record.ip,
        "remoteInfo": dict(record.remote_info),
        "remoteIp": record.remote_ip,
    }


# --- decoding ---------------------------------------------------------------------------------


def decode(raw: str | bytes) -> dict[str, Any]:
    """Any message as a JSON object; :class:`BrokerMessageError` names what is wrong with it."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BrokerMessageError(ErrorCode.MALFORMED_JSON, f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BrokerMessageError(
            ErrorCode.MALFORMED_JSON, f"expected a JSON object, got {type(data).__name__}"
        )
    return data


def decode_message(raw: str | bytes) -> Message:
    """A client's view of a broker message (API or Log)."""
    data = decode(raw)
    try:
        kind_type = MessageType(str(data.get("type")))
    except ValueError:
        raise BrokerMessageError(
            ErrorCode.NOT_AN_ACTION, f"unknown message type {data.get('type')!r}"
        ) from None
    payload = data.get("payload")
    level = data.get("level")
    stamp = data.get("time")
    action_kind, msg = data.get("actionKind"), data.get("msg")
    return Message(
        type=kind_type,
        kind=str(data.get("kind", "")),
        payload=payload if isinstance(payload, dict) else {},
        time=int(stamp) if isinstance(stamp, int | float) else 0,
        level=LogLevel(str(level)) if level in LogLevel.__members__ else None,
        action_kind=action_kind if isinstance(action_kind, str) else None,
        msg=msg if isinstance(msg, str) else None,
    )


def decode_action(raw: str | bytes) -> tuple[ActionKind, ActionRecord]:
    """A client's action, checked field by field (the error names the field and the action)."""
    data = decode(raw)
    if data.get("type") != MessageType.ACTION:
        raise BrokerMessageError(
            ErrorCode.NOT_AN_ACTION, f"expected type 'Action', got {data.get('type')!r}"
        )
    try:
        kind = ActionKind(str(data.get("kind")))
    except ValueError:
        raise BrokerMessageError(
            ErrorCode.UNKNOWN_ACTION, f"unknown action {data.get('kind')!r}"
        ) from None
    payload = data.get("payload")
    if not isinstance(payload, dict):
        raise BrokerMessageError(ErrorCode.BAD_PAYLOAD, "payload is not an object", action=kind)
    return kind, _record(kind, _Fields(kind, payload))


class _Fields:
    """Typed reads of one payload, each failure naming the action and the field."""

    def __init__(self, kind: ActionKind, payload: dict[str, Any]) -> None:
        self.kind = kind
        self.payload = payload

    def fail(self, key: str, wanted: str) -> BrokerMessageError:
        got = self.payload.get(key)
        return BrokerMessageError(
            ErrorCode.BAD_PAYLOAD, f"payload.{key} must be {wanted}, got {got!r}", action=self.kind
        )

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.payload.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value):
            raise self.fail(key, "a non-empty string" if required else "a string")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.payload.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "a list of strings")
        return tuple(value)

    def names(self, key: str) -> tuple[str, ...]:
        """``[{name, ip}]`` (upstream's shape) or plain names."""
        value = self.payload.get(key)
        if not isinstance(value, list):
            raise self.fail(key, "a list of {name, ip}")
        names = []
        for item in value:
            name = item.get("name") if isinstance(item, dict) else item
            if not isinstance(name, str) or not name:
                raise self.fail(key, "a list of {name, ip}")
            names.append(name)
        return tuple(names)

    def choice(self, key: str, enum_type: type[E], default: E) -> E:
        value = self.payload.get(key)
        if value is None:
            return default
        try:
            return enum_type(value)
        except ValueError:
            raise self.fail(key, " or ".join(m.value for m in enum_type)) from None

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.payload.get(key)
        if not isinstance(value, dict):
            raise self.fail(key, "an object")
        return value


def _record(kind: ActionKind, f: _Fields) -> ActionRecord:
    name = f.text("name", required=True)
    if kind is ActionKind.ADD_PUBLISHER:
        return PublisherInfo(name, f.text("ip"), f.text("remoteTypeTarPath"))
    if kind is ActionKind.UPDATE_PUBLISHER:
        return PublisherUpdate(
            name,
            f.text("ip"),
            f.choice("updateKind", UpdateKind, UpdateKind.UPDATE_TYPE),
            f.choice("updateMode", UpdateMode, UpdateMode.POSITIVE),
            f.texts("updateSourcePaths"),
            f.text("remoteTypeTarPath"),
        )
    if kind is ActionKind.EXIT_PUBLISHER:
        return PublisherInfo(name, f.text("ip"))
    if kind in (ActionKind.ADD_SUBSCRIBER, ActionKind.EXIT_SUBSCRIBER):
        return SubscriberInfo(name, f.text("ip"), f.names("publishers"))
    if kind in (ActionKind.ADD_WEB_CLIENT, ActionKind.NOTIFY_WEB_CLIENT):
        return WebClientNotice(name, f.choice("updateMode", UpdateMode, UpdateMode.POSITIVE))
    if kind is ActionKind.FETCH_TYPES:
        return FetchTypes(name, f.text("ip"), f.mapping("remoteInfo"))
    info = f.mapping("remoteInfo")
    if not isinstance(info.get("name"), str) or not info["name"]:
        raise f.fail("remoteInfo", "an object with a 'name'")
    return FetchTypes(name, f.text("ip"), info, f.text("remoteIp"))
