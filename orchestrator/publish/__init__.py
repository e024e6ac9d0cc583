"""Serving one micro-app on its own, with its manifest and the long-poll route (DESIGN.md §6)."""

from __future__ import annotations

from ._run import run_app_server
from ._server import MANIFEST_PATH, AppServer

__all__ = ["MANIFEST_PATH", "AppServer", "run_app_server"]
