"""What ``ComposeApp`` needs of an orchestrator, and how a config becomes a started one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from ..config import ComposeConfig

if TYPE_CHECKING:
    from ..federation import Federation
    from ..html_entry import EntryLoader

__all__ = [
    "ComposedDocument",
    "ErrorHandler",
    "OrchestratorFactory",
    "SessionOrchestrator",
    "start_orchestrator",
]


class ComposedDocument(Protocol):
    @property
    def html(self) -> str: ...


class SessionOrchestrator(Protocol):
    """What ``ComposeApp`` needs from an orchestrator (``Orchestrator`` is one)."""

    @property
    def document(self) -> ComposedDocument: ...

    async def navigate(self, url: str, /) -> list[str]: ...

    def get_mounted_apps(self) -> list[str]: ...

    def get_app_status(self, name: str, /) -> str | None: ...

    def check_activity_functions(self, url: str, /) -> list[str]: ...

    def add_error_handler(self, handler: Callable[[BaseException], Any], /) -> None: ...

    async def aclose(self) -> None: ...


OrchestratorFactory = Callable[..., Awaitable[SessionOrchestrator]]
"""``factory(loader, url)``: a started orchestrator whose location is ``url``; it may also take
``on_error`` (add it as an error handler before the first reroute) and ``state`` (the session's
global state, or ``None`` for a fresh one)."""

ErrorHandler = Callable[[BaseException], Any]


async def start_orchestrator(
    config: ComposeConfig,
    loader: EntryLoader,
    url: str,
    *,
    on_error: Callable[[BaseException], Any] | None = None,
    federation: Federation | None = None,
) -> SessionOrchestrator:
    """The orchestrator a config describes, at ``url``, with its apps registered and started.

    ``on_error`` is added as an error handler before the first reroute, so no failure is missed.
    """
    from ..micro_apps import Orchestrator

    orchestrator = Orchestrator(config.shell_html, url=url, loader=loader, federation=federation)
    if on_error is not None:
        orchestrator.add_error_handler(on_error)
    try:
        if config.global_state is not None:
            orchestrator.init_global_state(dict(config.global_state))
        orchestrator.register_micro_apps([app.registration() for app in config.apps])
        await orchestrator.start(**dict(config.options))
    except BaseException:
        await orchestrator.aclose()
        raise
    return orchestrator
