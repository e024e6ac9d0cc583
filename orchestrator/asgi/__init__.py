"""The composer as a service: ``ComposeApp`` (pure ASGI), its sessions and its error pages."""

from __future__ import annotations

from ._app import ComposeApp
from ._factory import (
    ComposedDocument,
    OrchestratorFactory,
    SessionOrchestrator,
    start_orchestrator,
)
from ._sessions import SessionStore

__all__ = [
    "ComposeApp",
    "ComposedDocument",
    "OrchestratorFactory",
    "SessionOrchestrator",
    "SessionStore",
    "start_orchestrator",
]
