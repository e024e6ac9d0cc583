"""The composer as a service: ``ComposeApp`` (pure ASGI), its sessions, stores and error pages."""

from __future__ import annotations

from ._app import ComposeApp
from ._errors import SessionStateTooLargeError, SessionStoreError
from ._factory import (
    ComposedDocument,
    OrchestratorFactory,
    SessionOrchestrator,
    start_orchestrator,
)
from ._redis import RedisSessionStore
from ._sessions import MemorySessionStore, SessionStore

__all__ = [
    "ComposeApp",
    "ComposedDocument",
    "MemorySessionStore",
    "OrchestratorFactory",
    "RedisSessionStore",
    "SessionOrchestrator",
    "SessionStateTooLargeError",
    "SessionStore",
    "SessionStoreError",
    "start_orchestrator",
]
