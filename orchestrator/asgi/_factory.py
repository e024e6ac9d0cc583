"""What ``ComposeApp`` needs of an orchestrator, and how a config becomes a started one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from ..config import AppConfig, ComposeConfig

if TYPE_CHECKING:
    from ..federation import Federation
    from ..html_entry import EntryLoader

__all__ = [
    "ComposedDocument",
    "ErrorHandler",
    "OrchestratorFactory",
    "SessionOrchestrator",
    "register_apps",
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
        register_apps(orchestrator, config, asset_path=config.options.get("asset_path"))
        await orchestrator.start(**dict(config.options))
    except BaseException:
        await orchestrator.aclose()
        raise
    return orchestrator


def register_apps(
    orchestrator: Any, config: ComposeConfig, *, asset_path: str | None = None
) -> None:
    """Register a config's apps: qiankun-style ones directly, those that export a Garfish
    ``provider`` through ``Garfish`` (routed by the same tab; ``asset_path`` names their files
    as the start option of that name does qiankun-style apps')."""
    orchestrator.register_micro_apps(
        [app.registration() for app in config.apps if app.kind != "garfish"]
    )
    garfish_apps = [app for app in config.apps if app.kind == "garfish"]
    if garfish_apps:
        _register_garfish_apps(orchestrator, garfish_apps, asset_path)


def _register_garfish_apps(
    orchestrator: Any, apps: list[AppConfig], asset_path: str | None
) -> None:
    from ..garfish import Garfish

    registrations = []
    for app in apps:
        registration = app.registration()
        rules = app.active_rule
        registrations.append(
            {
                "name": app.name,
                "entry": registration["entry"],
                "active_when": rules[0] if len(rules) == 1 else _any_rule(rules),
                "dom_getter": app.container,
                "props": dict(app.props),
                "asset_path": asset_path,
            }
        )
    Garfish(orchestrator).run({"apps": registrations})


def _any_rule(rules: tuple[str, ...]) -> Callable[[str], bool]:
    """Several config paths as one Garfish ``active_when`` (a prefix matches, as in single-spa)."""

    def active(path: str) -> bool:
        return any(path == rule or path.startswith(rule.rstrip("/") + "/") for rule in rules)

    return active
