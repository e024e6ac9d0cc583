"""orchestrator.dev's public face, and its one-way dependencies (DESIGN.md §8, STYLE.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import orchestrator.dev as dev

PACKAGE = Path(dev.__file__).parent


def test_defaults_are_upstreams_port_on_loopback() -> None:
    assert (dev.DEFAULT_HOST, dev.DEFAULT_PORT) == ("127.0.0.1", 16322)
    broker = dev.Broker()
    assert (broker.host, broker.port) == ("127.0.0.1", 16322)


BROKER_MODULES = (
    "__init__.py",
    "__main__.py",
    "_broker.py",
    "_clients.py",
    "_errors.py",
    "_protocol.py",
    "_routing.py",
    "_spawn.py",
)


def test_the_broker_imports_only_the_stdlib_websockets_and_orchestrator_leaves() -> None:
    """The broker and its clients stay light; ``mfe dev``'s own modules may use the composer."""
    allowed = set(sys.stdlib_module_names) | {"websockets", "typing"}
    leaves = {"orchestrator.errors", "orchestrator._tasks"}
    for path in (PACKAGE / name for name in BROKER_MODULES):
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


def test_the_broker_process_does_not_load_the_composer() -> None:
    """``python -m orchestrator.dev`` starts fast: ``mfe dev``'s names load on first use."""
    code = (
        "import sys, orchestrator.dev.__main__; "
        "print(sorted(m for m in ('starlette', 'uvicorn', 'watchfiles', 'orchestrator.asgi') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
    assert dev.DevServer.__module__ == "orchestrator.dev._command"
    assert dev.run_dev.__module__ == "orchestrator.dev._command"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = dev.nope
