"""The composer as the inspector sees it: ``ComposeApp`` whose page orchestrators report their
apps' status changes into the request's trace (for the mount time of each app), and
:func:`inspected_app`, the composition with ``/_mfe/inspector`` that ``mfe serve --inspect`` runs.

It hooks in through ``ComposeApp.page_started`` (sent with each page's orchestrator as it is
made), so that ``orchestrator.asgi`` carries nothing of the inspector; tests/test_dev_composer.py
pins that the mount span is filled.
"""

from __future__ import annotations

import logging
from typing import Any

from ..asgi import ComposeApp
from ..config import ComposeConfig
from ..events import STATUS_CHANGE
from ..status import AppStatus
from ._dev_app import DevApp
from ._inspector import FailureLogHandler, Inspector, TracingLoader, current_trace

__all__ = ["TracedComposeApp", "inspected_app", "loader_options", "router_of"]

_ASGI_LOGGER = "orchestrator.asgi"


def loader_options(config: ComposeConfig) -> dict[str, Any]:
    """The composer's loader options for ``config``, as ``ComposeApp`` would make its own."""
    options: dict[str, Any] = {}
    if config.trusted_origins is not None:
        options["trusted_origins"] = config.trusted_origins
    if config.asset_origins is not None:
        options["asset_origins"] = config.asset_origins
    return options


def router_of(config: ComposeConfig, loader: TracingLoader) -> Any:
    """A never-started orchestrator answering which apps a URL shows."""
    from ..micro_apps import Orchestrator

    router = Orchestrator(config.shell_html, loader=loader)
    router.register_micro_apps([app.registration() for app in config.apps])
    return router


class TracedComposeApp(ComposeApp):
    """``ComposeApp`` over a :class:`TracingLoader`, timing each app's mount per request.

    ``own=True``: this app closes the loader (it does not own it as ``ComposeApp`` would) and
    keeps the failure log handler on ``orchestrator.asgi`` until it closes.
    """

    def __init__(
        self, config: ComposeConfig, *, loader: TracingLoader, own: bool = False, **options: Any
    ) -> None:
        # every request composed, so that each one shows in the waterfall with its apps' times
        options.setdefault("replay_bytes", 0)
        super().__init__(config, loader=loader, **options)
        self.inspector: Inspector = loader.inspector
        self.tracing_loader = loader
        self._own = own
        self._handler: FailureLogHandler | None = None
        self.page_started.connect(self._trace_page, sender=self)
        self.router: Any = None
        if own:
            self._handler = FailureLogHandler(self.inspector)
            logging.getLogger(_ASGI_LOGGER).addHandler(self._handler)
            self.router = router_of(config, loader)

    def _trace_page(self, _sender: Any, *, orchestrator: Any, **_: Any) -> None:
        trace = current_trace()
        if trace is None:
            return
        inspector = self.inspector

        def status_changed(_sender: Any, *, app: str, old: AppStatus, new: AppStatus) -> None:
            inspector.status_changed(trace, app, new)

        orchestrator.events.signal(STATUS_CHANGE).connect(
            status_changed, sender=orchestrator, weak=False
        )

    async def aclose(self) -> None:
        try:
            await super().aclose()
        finally:
            if self._own:
                if self._handler is not None:
                    logging.getLogger(_ASGI_LOGGER).removeHandler(self._handler)
                    self._handler = None
                if self.router is not None:
                    await self.router.aclose()
                await self.tracing_loader.aclose()


def inspected_app(config: ComposeConfig, **compose_options: Any) -> DevApp:
    """The composition of ``config`` (entries served) with ``/_mfe/inspector`` and no reload
    client: what ``mfe serve --inspect`` runs. Its lifespan closes everything it made."""
    inspector = Inspector(config.apps)
    loader = TracingLoader(inspector, **loader_options(config))
    composer = TracedComposeApp(config, loader=loader, own=True, **compose_options)
    return DevApp(
        composer,
        inspector=inspector,
        broker_url=None,
        active_apps=composer.router.check_activity_functions,
        base_url=config.url,
    )
