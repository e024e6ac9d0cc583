"""The dev loop's broker (DESIGN.md §8): dts-plugin's model of publishers, subscribers and web
clients over WebSockets, on loopback, with heartbeats and loop suppression."""

from ._broker import Broker
from ._clients import Ack, BrokerClient, Publisher, Subscriber, Update, WebClient
from ._errors import (
    BrokerMessageError,
    BrokerPortInUseError,
    BrokerStartError,
    BrokerUnavailableError,
    DevBrokerError,
)
from ._protocol import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    ActionKind,
    APIKind,
    ErrorCode,
    LogKind,
    UpdateKind,
    UpdateMode,
    should_deliver,
)
from ._routing import BrokerEvent, BrokerState, EventKind
from ._spawn import BrokerHandle, ensure_running, probe

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "APIKind",
    "Ack",
    "ActionKind",
    "Broker",
    "BrokerClient",
    "BrokerEvent",
    "BrokerHandle",
    "BrokerMessageError",
    "BrokerPortInUseError",
    "BrokerStartError",
    "BrokerState",
    "BrokerUnavailableError",
    "DevBrokerError",
    "ErrorCode",
    "EventKind",
    "LogKind",
    "Publisher",
    "Subscriber",
    "Update",
    "UpdateKind",
    "UpdateMode",
    "WebClient",
    "ensure_running",
    "probe",
    "should_deliver",
]
