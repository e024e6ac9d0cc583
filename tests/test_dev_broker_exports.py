"""orchestrator.dev's public face, and its one-way dependencies (DESIGN.md §8, STYLE.md)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import orchestrator.dev as dev
from orchestrator.dev import __all__ as exported

PACKAGE = Path(dev.__file__).parent


def test_the_exported_surface_is_pinned() -> None:
    assert sorted(exported) == sorted(
        [
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
    )
    for name in exported:
        assert getattr(dev, name) is not None


def test_defaults_are_upstreams_port_on_loopback() -> None:
    assert (dev.DEFAULT_HOST, dev.DEFAULT_PORT) == ("127.0.0.1", 16322)
    broker = dev.Broker()
    assert (broker.host, broker.port) == ("127.0.0.1", 16322)


def test_the_package_imports_only_the_stdlib_websockets_and_orchestrator_leaves() -> None:
    allowed = set(sys.stdlib_module_names) | {"websockets"}
    leaves = {"orchestrator.errors", "orchestrator._tasks"}
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            elif isinstance(node, ast.ImportFrom) and node.level == 2:  # from .. (orchestrator)
                names = [f"orchestrator.{node.module}"]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in allowed or name in leaves, f"{path.name}: {name}"
