"""The dev loop (DESIGN.md §8): dts-plugin's broker of publishers, subscribers and web clients
over WebSockets, on loopback, with heartbeats and loop suppression; ``mfe dev`` (live reload of
composed pages) and its inspector."""

from typing import TYPE_CHECKING, Any

from ._broker import Broker
from ._clients import Ack, BrokerClient, Publisher, Subscriber, Update, WebClient
from ._errors import (
    BrokerMessageError,
    BrokerPortInUseError,
    BrokerStartError,
    BrokerUnavailableError,
    DevBrokerError,
)
from ._errors import DevServerError as DevServerError
from ._errors import ShellPortInUseError as ShellPortInUseError
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

if TYPE_CHECKING:
    from ._command import DevOptions as DevOptions
    from ._command import DevServer as DevServer
    from ._command import run_dev as run_dev
    from ._composer import inspected_app as inspected_app
    from ._dev_app import INSPECTOR_PATH as INSPECTOR_PATH
    from ._dev_app import DevApp as DevApp
    from ._inspector import Inspector as Inspector
    from ._inspector import InspectorStatus as InspectorStatus
    from ._inspector import TracingLoader as TracingLoader
    from ._types import TYPES_DIR as TYPES_DIR
    from ._types import TypesError as TypesError
    from ._types import TypesPull as TypesPull
    from ._types import TypesPuller as TypesPuller
    from ._types import TypesResult as TypesResult
    from ._watch import AppWatcher as AppWatcher

# ``mfe dev`` needs the composer (starlette, uvicorn, lxml), watchfiles and federation; the broker
# process (``python -m orchestrator.dev``) and its clients need none of it: those load on first use.
# They are not in ``__all__`` yet: the public surface is pinned in tests/test_public_api.py.
_LAZY = {
    "DevOptions": "._command",
    "DevServer": "._command",
    "run_dev": "._command",
    "INSPECTOR_PATH": "._dev_app",
    "DevApp": "._dev_app",
    "Inspector": "._inspector",
    "InspectorStatus": "._inspector",
    "TracingLoader": "._inspector",
    "AppWatcher": "._watch",
    "inspected_app": "._composer",
    "TYPES_DIR": "._types",
    "TypesError": "._types",
    "TypesPull": "._types",
    "TypesPuller": "._types",
    "TypesResult": "._types",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module, __name__), name)


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "INSPECTOR_PATH",
    "TYPES_DIR",
    "APIKind",
    "Ack",
    "ActionKind",
    "AppWatcher",
    "Broker",
    "BrokerClient",
    "BrokerEvent",
    "BrokerHandle",
    "BrokerMessageError",
    "BrokerPortInUseError",
    "BrokerStartError",
    "BrokerState",
    "BrokerUnavailableError",
    "DevApp",
    "DevBrokerError",
    "DevOptions",
    "DevServer",
    "DevServerError",
    "ErrorCode",
    "EventKind",
    "Inspector",
    "InspectorStatus",
    "LogKind",
    "Publisher",
    "ShellPortInUseError",
    "Subscriber",
    "TracingLoader",
    "TypesError",
    "TypesPull",
    "TypesPuller",
    "TypesResult",
    "Update",
    "UpdateKind",
    "UpdateMode",
    "WebClient",
    "ensure_running",
    "inspected_app",
    "probe",
    "run_dev",
    "should_deliver",
]
