"""What ``ComposeApp`` needs of an orchestrator, and how a config becomes a started one."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from ..config import ComposeConfig

if TYPE_CHECKING:
    from ..html_entry import EntryLoader

__all__ = [
    "ComposedDocument",
    "ErrorHandler",
    "Factory",
    "OrchestratorFactory",
    "SessionOrchestrator",
    "config_factory",
    "start_orchestrator",
    "user_factory",
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


OrchestratorFactory = Callable[["EntryLoader", str], Awaitable[SessionOrchestrator]]
"""``factory(loader, url)``: a started orchestrator whose location is ``url``."""

ErrorHandler = Callable[[BaseException], Any]
Factory = Callable[["EntryLoader", str, ErrorHandler], Awaitable[SessionOrchestrator]]


async def start_orchestrator(
    config: ComposeConfig,
    loader: EntryLoader,
    url: str,
    *,
    on_error: Callable[[BaseException], Any] | None = None,
) -> SessionOrchestrator:
    """The orchestrator a config describes, at ``url``, with its apps registered and started.

    ``on_error`` is added as an error handler before the first reroute, so no failure is missed.
    """
    from ..micro_apps import Orchestrator

    orchestrator = Orchestrator(config.shell_html, url=url, loader=loader)
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


def config_factory(config: ComposeConfig) -> Factory:
    async def factory(loader: EntryLoader, url: str, on_error: ErrorHandler) -> SessionOrchestrator:
        return await start_orchestrator(config, loader, url, on_error=on_error)

    return factory


def user_factory(factory: OrchestratorFactory) -> Factory:
    """A factory that takes ``on_error`` gets it and should add it before its first reroute
    (as ``start_orchestrator`` does); otherwise it is added after, and failures of that first
    reroute reach the 502 page without their cause."""
    try:
        takes_on_error = "on_error" in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        takes_on_error = False

    async def with_errors(
        loader: EntryLoader, url: str, on_error: ErrorHandler
    ) -> SessionOrchestrator:
        if takes_on_error:
            return await factory(loader, url, on_error=on_error)  # type: ignore[call-arg]
        orchestrator = await factory(loader, url)
        orchestrator.add_error_handler(on_error)
        return orchestrator

    return with_errors
