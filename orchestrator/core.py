"""``Tab``: the engine's facade, one headless browser tab with its registry, statuses, reroutes.

No state is global: every tab owns its window, document, URL, apps and signals, so two of them
never see each other. The facade wires the engine's parts together, giving each the narrow things
it needs (a clock, a mounter, an error reporter); app layers (qiankun's ``MicroApps``, later
Garfish) sit on top and join through ``add_layer``, so the engine never imports them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

from sandbox import Window

from ._tasks import TaskSet, mark_seen
from .dom import Document
from .events import STATUS_CHANGE, Events
from .lifecycle import DEFAULT_TIMEOUTS, Timeout, merge_timeouts
from .lifecycle_steps import ErrorHandler, ErrorHandlers, LifecycleSteps
from .navigation import History, Location
from .parcels import Parcel, Parcels
from .props import AppProps
from .registry import AppRecord, Registry, parse_registration
from .reroute import Rerouter
from .status import AppStatus, StatusMachine

if TYPE_CHECKING:
    import httpx

    from .global_state import GlobalState, GlobalStateActions
    from .html_entry import EntryLoader

__all__ = ["Layer", "Tab"]

T = TypeVar("T")
logger = logging.getLogger(__name__)
S = AppStatus
_ROUTING_EVENT_TYPES = ("popstate", "hashchange")
START_WARNING_DELAY = 5.0
"""single-spa warns when ``start()`` has not been called 5000 ms in (its error code 1)."""


class Layer(Protocol):
    """An app layer on a tab (qiankun's ``MicroApps``): the ``start`` options it takes, what it
    does when the tab starts, and what it releases when the tab closes."""

    start_options: frozenset[str]

    async def configure(self, options: dict[str, Any]) -> None:
        """Take the ``start`` options named in ``start_options`` (called by every ``start``)."""
        ...

    async def aclose(self) -> None: ...


class Tab:
    """One headless tab: ``window``, ``document``, ``location``, ``history`` and single-spa's
    API (``register_application``, ``start``, ``navigate``, …); app layers join with
    ``add_layer``."""

    start_warning_delay: float | None = START_WARNING_DELAY
    """Seconds after the first registration before warning that ``start()`` was not called
    (single-spa's 5000 ms); ``None`` for no warning. Set it before the first registration."""

    def __init__(
        self,
        shell: str | None = None,
        *,
        url: str = "http://localhost/",
        loader: EntryLoader | None = None,
        timeouts: Mapping[str, Any] | None = None,
        client: httpx.AsyncClient | None = None,
        trusted_origins: Iterable[str] | None = None,
        document: Document | None = None,
    ) -> None:
        self.timeouts: dict[str, Timeout] = merge_timeouts(DEFAULT_TIMEOUTS, timeouts)
        if document is not None and shell is not None:
            raise TypeError("give a shell or a document, not both")
        self.document = document or Document(
            shell, selector_cache=None if loader is None else loader.selector_cache
        )
        self.location = Location(url)
        self.history = History(self.location)
        self.window = Window(document=self.document, location=self.location, history=self.history)
        self.events = Events()
        self.global_state: GlobalState | None = None
        self._loader = loader
        self._owns_loader = False
        self._client = client
        self._trusted_origins = trusted_origins
        self._layers: list[Layer] = []
        self._error_handlers = ErrorHandlers()
        self._machine = StatusMachine(self._status_changed)
        self._registry = Registry(self._machine)
        self._app_props = AppProps(
            self,
            self.document,
            self.location,
            mounter_for=lambda app: self._parcels.mounter_for(app),
            global_state=lambda: self.global_state,
        )
        self._steps = LifecycleSteps(
            sender=self,
            events=self.events,
            errors=self._error_handlers,
            app_props=self._app_props,
            clock=self._registry.clock,
            timeouts=self.timeouts,
            on_app_unmounted=self._forget_global_state,
        )
        self._parcels = Parcels(self, self._steps, self._machine)
        self._rerouter = Rerouter(
            sender=self,
            events=self.events,
            registry=self._registry,
            steps=self._steps,
            location=self.location,
            history=self.history,
            window=self.window,
        )
        self._tasks = TaskSet()
        self._closed = False
        self._start_warning: asyncio.TimerHandle | None = None
        self._start_warning_armed = False
        self.history.on_change = self._rerouter.on_navigation_event
        self.window.intercept_events(_ROUTING_EVENT_TYPES, self._rerouter.on_navigation_event)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.location.href!r} apps={len(self._registry)}>"

    # -- plumbing ---------------------------------------------------------------------------

    def _status_changed(self, model: Any, old: AppStatus, new: AppStatus) -> None:
        """``status-change`` is about applications; parcels share the machine silently."""
        if isinstance(model, AppRecord) and self.events.has_receivers(STATUS_CHANGE):
            self.events.send_nowait(STATUS_CHANGE, self, app=model.name, old=old, new=new)

    def _forget_global_state(self, name: str) -> None:
        """An unmounted app stops hearing global-state changes (qiankun)."""
        if self.global_state is not None:
            self.global_state.actions_for(name).off_global_state_change()

    def spawn(self, awaitable: Awaitable[T]) -> asyncio.Future[T]:
        """Run ``awaitable`` as a task owned by this tab: cancelled (and awaited) by ``aclose``."""
        return self._tasks.spawn(awaitable)

    def add_layer(self, layer: Layer) -> None:
        """Join an app layer to this tab: ``start`` hands it its options, ``aclose`` closes it."""
        claimed = {option for other in self._layers for option in other.start_options}
        clash = sorted(claimed & layer.start_options)
        if clash:
            raise ValueError(f"start option(s) {', '.join(clash)} already belong to another layer")
        self._layers.append(layer)

    @property
    def loader(self) -> EntryLoader:
        """The ``EntryLoader`` given, or one made on first use (closed by ``aclose``)."""
        if self._loader is None:
            from .html_entry import EntryLoader

            self._loader = EntryLoader(self._client, trusted_origins=self._trusted_origins)
            self._owns_loader = True
        return self._loader

    @property
    def started(self) -> bool:
        return self._rerouter.started

    async def aclose(self) -> None:
        """Stop what this tab started: reroutes, parcels, timers, and a loader it created."""
        if self._closed:
            return
        self._closed = True
        self._cancel_start_warning()
        await self._tasks.aclose()
        await self._rerouter.aclose()
        await self._parcels.aclose()
        for layer in reversed(self._layers):
            await layer.aclose()
        await self.events.aclose()
        await self.window.aclose()  # timers, and the tasks apps' callbacks started
        if self._owns_loader and self._loader is not None:
            await self._loader.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- registry ---------------------------------------------------------------------------

    def register_application(
        self,
        name: str | Mapping[str, Any],
        app: object = None,
        active_when: Any = None,
        custom_props: Mapping[str, Any] | Callable[..., Any] | None = None,
        *,
        container: Any = None,
    ) -> None:
        """Register an app (positional or config form); no reroute until ``start``/``navigate``."""
        parsed = parse_registration(name, app, active_when, custom_props, container=container)
        self._registry.add(AppRecord(*parsed))
        self._arm_start_warning()

    def _arm_start_warning(self) -> None:
        """single-spa: the first registration of a tab not yet started schedules one warning.

        Registering needs no running loop; without one the next registration that has one arms it.
        """
        delay = self.start_warning_delay
        if self._start_warning_armed or self.started or self._closed or delay is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._start_warning_armed = True
        self._start_warning = loop.call_later(delay, self._warn_not_started, delay)

    def _warn_not_started(self, delay: float) -> None:
        self._start_warning = None
        if not self.started and not self._closed:
            logger.warning(
                "single-spa minified message #1: start() has not been called, %gms after the "
                "first application was registered. Before start() is called, apps can be "
                "declared and loaded, but not bootstrapped or mounted. "
                "See https://single-spa.js.org/error/?code=1",
                delay * 1000,
            )

    def _cancel_start_warning(self) -> None:
        if self._start_warning is not None:
            self._start_warning.cancel()
            self._start_warning = None

    def unregister_application(self, name: str) -> asyncio.Future[None]:
        """Unmount and unload the app, then forget it (it stays if its unload fails).

        An unknown name raises at once; the work starts now, await the result to wait for it.
        """
        self._registry.get(name, "unregister")
        return self.spawn(self._unregister(name))

    async def _unregister(self, name: str) -> None:
        await self._unload_now(name, remount=False)
        if name in self._registry:
            self._registry.remove(name)

    def get_app_names(self) -> list[str]:
        return self._registry.names()

    def get_mounted_apps(self) -> list[str]:
        return self._registry.mounted_names()

    def get_app_status(self, name: str) -> AppStatus | None:
        record = self._registry.find(name)
        return None if record is None else record.status

    def check_activity_functions(self, url_or_location: Any = None) -> list[str]:
        """Names of every app active for the URL (default: the current one); errors propagate."""
        if url_or_location is None:
            location: Any = self.location
        elif isinstance(url_or_location, str):
            location = Location(self.location.resolve(url_or_location))
        else:
            location = url_or_location
        return [app.name for app in self._registry if app.active_when(location)]

    # -- errors -----------------------------------------------------------------------------

    def add_error_handler(self, handler: ErrorHandler) -> None:
        self._error_handlers.add(handler)

    def remove_error_handler(self, handler: ErrorHandler) -> bool:
        return self._error_handlers.remove(handler)

    # -- routing ----------------------------------------------------------------------------

    async def start(self, *, url_reroute_only: bool = True, **options: Any) -> list[str]:
        """Allow bootstraps and mounts; returns when the first reroute has finished.

        Options other than ``url_reroute_only`` belong to the app layers (each takes its own);
        one that no layer takes raises ``TypeError`` naming it.
        """
        unknown = set(options) - {name for layer in self._layers for name in layer.start_options}
        if unknown:
            raise TypeError(f"start(): unknown option(s) {', '.join(map(repr, sorted(unknown)))}")
        for layer in self._layers:
            await layer.configure({k: v for k, v in options.items() if k in layer.start_options})
        self._rerouter.url_reroute_only = url_reroute_only
        self._rerouter.started = True
        self._cancel_start_warning()
        # shielded: a caller that is cancelled (a request timeout, an app task ending on its
        # unmount) stops waiting; it must not cancel the reroute every other caller shares
        return await asyncio.shield(self._rerouter.reroute())

    async def trigger_app_change(self) -> list[str]:
        """Reroute for the current URL; the mounted names once it (and any queued) finished.

        From inside a lifecycle the reroute is queued and this returns at once (see navigate).
        """
        follow_up = self._rerouter.reroute()
        if self._rerouter.inside_reroute():
            return self.get_mounted_apps()
        return await asyncio.shield(follow_up)

    async def navigate(self, url: str, *, replace: bool = False) -> list[str]:
        """Like ``navigateToUrl``: a fragment-only change sets the hash, others push a state.

        Called from a lifecycle, it changes the URL and returns at once: the reroute it causes
        runs after the current one (awaiting it there would deadlock).
        """
        if not isinstance(url, str):
            raise TypeError(f"navigate needs a URL string, got {type(url).__name__}")
        here = self.location
        destination = here._resolve(url)
        target = destination.href
        same_page = (destination.pathname, destination.search) == (here.pathname, here.search)
        if same_page and "#" in url:
            result = self.history.assign(target, replace=replace)
        elif replace:
            result = self.history.replace_state(None, "", target)
        else:
            result = self.history.push_state(None, "", target)
        if self._rerouter.inside_reroute():
            # a lifecycle navigating: its reroute is queued behind the one running this
            # lifecycle, so waiting here would wait for ourselves
            return self.get_mounted_apps()
        value = await result
        if isinstance(value, list):
            return value
        # shielded: a caller that is cancelled (a request timeout, an app task ending on its
        # unmount) stops waiting; it must not cancel the reroute every other caller shares
        return await asyncio.shield(self._rerouter.reroute())

    # -- unload -----------------------------------------------------------------------------

    def unload_application(
        self, name: str, *, wait_for_unmount: bool = False
    ) -> asyncio.Future[None]:
        """Unload ``name`` (back to NOT_LOADED): now (then remount it if active), or with
        ``wait_for_unmount`` once a reroute unmounts it. A bad name raises at once."""
        app = self._registry.get(name, "unload")
        if wait_for_unmount:
            return self.spawn(asyncio.shield(self._unload_request(app)))
        return self.spawn(self._unload_now(name, remount=True))

    def _unload_request(self, app: AppRecord) -> asyncio.Future[None]:
        if app.unload_request is None:
            request: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            request.add_done_callback(mark_seen)
            app.unload_request = request
        return app.unload_request

    async def _unload_now(self, name: str, *, remount: bool) -> None:
        app = self._registry.get(name, "unload")
        request = self._unload_request(app)
        try:
            if self._rerouter.underway or self._rerouter.is_active(app):
                await self._rerouter.reroute()
            if app.load_task is not None:
                await asyncio.shield(app.load_task)
            await self._steps.unmount(app)
            await self._steps.unload(app)
        finally:
            if app.unload_request is request and not request.done():
                app.unload_request = None
                request.set_result(None)
        await asyncio.shield(request)
        if remount and self._rerouter.started:
            asyncio.get_running_loop().call_soon(self._reroute_soon)

    def _reroute_soon(self) -> None:
        if not self._closed:
            self.spawn(self._rerouter.reroute())

    # -- parcels ----------------------------------------------------------------------------

    def mount_root_parcel(self, config: object, props: Mapping[str, Any] | None = None) -> Parcel:
        """Mount a parcel owned by the tab itself (single-spa's ``mountRootParcel``)."""
        return self._parcels.mount_parcel(self._parcels.root, config, props)

    # -- global state -----------------------------------------------------------------------

    def init_global_state(self, state: Mapping[str, Any]) -> GlobalStateActions:
        """Create the shared store once and return the shell's actions on it."""
        if self.global_state is None:
            from .global_state import GlobalState

            self.global_state = GlobalState()
        return self.global_state.init(state)
