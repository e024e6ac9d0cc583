"""The ``mfe`` command line (``orchestrator.cli:main`` is the console script)."""

from __future__ import annotations

from ._inspect import format_inspection, inspect_entry
from ._main import main

__all__ = ["format_inspection", "inspect_entry", "main"]
