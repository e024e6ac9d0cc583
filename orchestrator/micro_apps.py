"""The qiankun layer: HTML-entry micro-apps registered by route or loaded by hand.

``MicroApps`` belongs to one orchestrator (made on first use). It turns each micro-app into a
single-spa application (``register_micro_apps``) or a root parcel (``load_micro_app``) whose loader
is qiankun's ``loadApp`` (``app_loader.LoadedApp``), and holds the ``start`` configuration,
prefetching, singular mode and the global effects.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sandbox import Event

from .app_loader import HOOK_NAMES, Hooks, LoadedApp, MicroAppConfig, call_all
from .events import FIRST_MOUNT, NO_APP_CHANGE
from .status import AppStatus

if TYPE_CHECKING:
    from .core import Orchestrator
    from .html_entry import EntryLoader
    from .parcels import Parcel

__all__ = ["MicroApp", "MicroApps"]

logger = logging.getLogger(__name__)

#: ``start`` options of qiankun (in Python spelling) and their defaults.
DEFAULT_CONFIGURATION: dict[str, Any] = {
    "prefetch": True,
    "sandbox": True,
    "singular": True,
    "fetch": None,
    "get_public_path": None,
    "get_template": None,
    "exclude_asset_filter": None,
    "script_mode": "passthrough",
}
_SANDBOX_KEYS = frozenset({"strict_style_isolation", "experimental_style_isolation", "loose"})
_APP_KEYS = frozenset({"name", "entry", "container", "active_rule", "props", "loader"})
_BROKEN = (AppStatus.LOAD_ERROR, AppStatus.SKIP_BECAUSE_BROKEN)


def check_configuration(options: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Check ``start``/``load_micro_app`` options; unknown or ill-typed ones raise naming them."""
    unknown = sorted(set(options) - set(DEFAULT_CONFIGURATION) - {"url_reroute_only"})
    if unknown:
        raise TypeError(f"{where}: unknown option(s) {', '.join(map(repr, unknown))}")
    sandbox = options.get("sandbox", True)
    if isinstance(sandbox, Mapping):
        bad = sorted(set(sandbox) - _SANDBOX_KEYS)
        if bad:
            raise ValueError(
                f"{where}: unknown sandbox option(s) {', '.join(map(repr, bad))}; "
                f"expected {', '.join(sorted(_SANDBOX_KEYS))}"
            )
        options = {**options, "sandbox": dict(sandbox)}
    elif not isinstance(sandbox, bool):
        raise TypeError(f"{where}: sandbox must be a bool or a dict, got {type(sandbox).__name__}")
    mode = options.get("script_mode", "passthrough")
    if mode not in ("passthrough", "drop"):
        raise ValueError(f"{where}: script_mode must be 'passthrough' or 'drop', got {mode!r}")
    return dict(options)


def check_app(app: Any, *, routed: bool) -> MicroAppConfig:
    """A micro-app registration checked for the keys qiankun needs."""
    if not isinstance(app, Mapping):
        raise TypeError(f"a micro app must be a mapping, got {type(app).__name__}")
    name = app.get("name")
    label = f"micro app {name!r}" if isinstance(name, str) else "micro app"
    unknown = sorted(set(app) - _APP_KEYS)
    if unknown:
        raise ValueError(f"{label}: unknown key(s) {', '.join(map(repr, unknown))}")
    if not isinstance(name, str) or not name:
        raise TypeError(f"{label}: 'name' must be a non-empty string")
    entry = app.get("entry")
    if not isinstance(entry, str | Mapping) or not entry:
        raise TypeError(f"{label}: 'entry' must be a URL string or a config entry dict")
    container = app.get("container")
    if container is None or (isinstance(container, str) and not container.strip()):
        raise TypeError(f"{label}: 'container' must be a CSS selector or an element")
    if routed and app.get("active_rule") is None:
        raise TypeError(f"{label}: 'active_rule' is required")
    props = app.get("props") or {}
    if not isinstance(props, Mapping):
        raise TypeError(f"{label}: 'props' must be a mapping")
    loader = app.get("loader")
    if loader is not None and not callable(loader):
        raise TypeError(f"{label}: 'loader' must be callable")
    return MicroAppConfig(
        name=name,
        entry=entry,
        container=container,
        active_rule=app.get("active_rule"),
        props=props,
        loader=loader,
    )


def check_hooks(hooks: Mapping[str, Any] | None) -> Hooks:
    """Global lifecycle hooks as lists of callables, in qiankun's phase names."""
    if hooks is None:
        return {}
    if not isinstance(hooks, Mapping):
        raise TypeError(f"hooks must be a mapping, got {type(hooks).__name__}")
    result: Hooks = {}
    for phase, value in hooks.items():
        if phase not in HOOK_NAMES:
            raise ValueError(f"unknown hook {phase!r}; expected one of {', '.join(HOOK_NAMES)}")
        functions = list(value) if isinstance(value, list | tuple) else [value]
        for function in functions:
            if not callable(function):
                raise TypeError(f"hook {phase!r} must be callable or a list of callables")
        result[phase] = functions
    return result


class MicroApp:
    """A micro-app loaded by hand (qiankun's ``MicroApp``), built on a root parcel."""

    def __init__(self, layer: MicroApps, parcel: Parcel, key: str) -> None:
        self._layer = layer
        self._parcel = parcel
        self.key = key

    def __repr__(self) -> str:
        return f"<MicroApp {self.name!r} {self.get_status()}>"

    @property
    def name(self) -> str:
        return self._parcel.name

    @property
    def parcel(self) -> Parcel:
        return self._parcel

    @property
    def load_promise(self) -> asyncio.Future[None]:
        return self._parcel.load_promise

    @property
    def bootstrap_promise(self) -> asyncio.Future[None]:
        return self._parcel.bootstrap_promise

    @property
    def mount_promise(self) -> asyncio.Future[None]:
        return self._parcel.mount_promise

    @property
    def unmount_promise(self) -> asyncio.Future[None]:
        return self._parcel.unmount_promise

    def get_status(self) -> AppStatus:
        return self._parcel.get_status()

    async def mount(self) -> None:
        await self._parcel.mount()

    async def unmount(self) -> None:
        await self._parcel.unmount()

    async def update(self, props: Mapping[str, Any]) -> None:
        await self._parcel.update(props)

    async def unload(self) -> None:
        """Unmount if mounted, then drop the cached instance so nothing of it is kept."""
        with contextlib.suppress(Exception):
            await asyncio.shield(self.mount_promise)
        if self.get_status() is AppStatus.MOUNTED:
            await self.unmount()
        self._layer.drop_cached(self)


class MicroApps:
    """qiankun's API for one orchestrator: registration, ``start`` options, loading, effects."""

    def __init__(self, orchestrator: Orchestrator) -> None:
        self.orchestrator = orchestrator
        self.configuration: dict[str, Any] = dict(DEFAULT_CONFIGURATION)
        self._apps: dict[str, MicroAppConfig] = {}
        self._hooks: dict[str, Hooks] = {}
        self._instance_counts: dict[str, int] = {}
        self._registered_ids: dict[str, str] = {}
        self._loaded: dict[str, LoadedApp] = {}
        self._parcel_loads: dict[str, asyncio.Future[LoadedApp]] = {}
        self._instances: dict[str, list[MicroApp]] = {}
        self._unmounts: set[asyncio.Future[None]] = set()
        self._fetch_loaders: dict[int, EntryLoader] = {}
        self._uncaught: dict[Callable[..., Any], Callable[[Exception], None]] = {}

    # -- configuration and loaders ----------------------------------------------------------

    async def configure(self, options: Mapping[str, Any]) -> None:
        """Take ``start``'s qiankun options and start prefetching as the strategy says."""
        self.configuration.update(check_configuration(options, "start()"))
        await self._reload_stale()
        self._prefetch_by_strategy(self.configuration.get("prefetch"))

    async def _reload_stale(self) -> None:
        """Apps loaded by a reroute before ``start`` used the defaults: unload those whose
        options differ, so ``start``'s reroute loads them again with its own (cached entries
        make that cheap). qiankun makes such loads wait for ``start`` instead."""
        for name, loaded in list(self._loaded.items()):
            if _differs(loaded.configuration, self.configuration) and (
                self.orchestrator.get_app_status(name) is AppStatus.NOT_BOOTSTRAPPED
            ):
                await self.orchestrator.unload_application(name)

    def loader_for(self, configuration: Mapping[str, Any]) -> EntryLoader:
        """The tab's loader, or one with the custom ``fetch`` of this configuration."""
        fetch = configuration.get("fetch")
        if fetch is None:
            return self.orchestrator.loader
        loader = self._fetch_loaders.get(id(fetch))
        if loader is None:
            from .html_entry import EntryLoader

            base = self.orchestrator.loader
            loader = EntryLoader(
                fetch=fetch,
                timeout=base.timeout,
                max_bytes=base.max_bytes,
                trusted_origins=base.trusted_origins,
            )
            self._fetch_loaders[id(fetch)] = loader
        return loader

    async def aclose(self) -> None:
        for loaded in list(self._loaded.values()):
            loaded.dispose()
        for load in self._parcel_loads.values():
            if load.done() and not load.cancelled() and load.exception() is None:
                load.result().dispose()
        self._parcel_loads.clear()
        for loader in self._fetch_loaders.values():
            await loader.aclose()
        self._fetch_loaders.clear()

    # -- instances --------------------------------------------------------------------------

    def _instance_id(self, name: str) -> str:
        """qiankun's ``genAppInstanceIdByName``: ``name``, then ``name_1``, ``name_2``…"""
        count = self._instance_counts.get(name)
        self._instance_counts[name] = 0 if count is None else count + 1
        return name if count is None else f"{name}_{count + 1}"

    def forget(self, loaded: LoadedApp) -> None:
        if self._loaded.get(loaded.config.name) is loaded:
            del self._loaded[loaded.config.name]

    # -- singular mode ----------------------------------------------------------------------

    async def singular_gate(self, loaded: LoadedApp) -> None:
        """In singular mode, wait for the unmounts already underway.

        It never waits for an app that stays mounted, only for unmounts that have begun, so
        several apps active at once (a header beside a routed page) cannot deadlock.
        """
        singular = loaded.singular
        if callable(singular):
            singular = singular(loaded.config.as_dict())
            if inspect.isawaitable(singular):
                singular = await singular
        if not singular:
            return
        while self._unmounts:
            await asyncio.gather(*self._unmounts, return_exceptions=True)

    @contextlib.asynccontextmanager
    async def unmounting(self, loaded: LoadedApp) -> AsyncIterator[None]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._unmounts.add(done)
        try:
            yield
        finally:
            self._unmounts.discard(done)
            done.set_result(None)

    # -- registerMicroApps ------------------------------------------------------------------

    def register_micro_apps(
        self, apps: Iterable[Mapping[str, Any]], hooks: Mapping[str, Any] | None = None
    ) -> None:
        """Register each app with the engine; a name already registered is skipped (qiankun)."""
        if isinstance(apps, Mapping | str):
            raise TypeError("register_micro_apps takes a list of app mappings")
        checked_hooks = check_hooks(hooks)
        configs = [check_app(app, routed=True) for app in apps]
        registered = set(self.orchestrator.get_app_names())
        for config in configs:
            if config.name in registered:
                continue
            registered.add(config.name)
            self.orchestrator.register_application(
                config.name,
                app=self._loading_function(config),
                active_when=config.active_rule,
                custom_props=dict(config.props),
                container=self._container_getter(config.name),
            )
            self._apps[config.name] = config
            self._hooks[config.name] = checked_hooks

    def _loading_function(self, config: MicroAppConfig) -> Callable[[Any], Any]:
        async def load(props: Any) -> dict[str, Any]:
            await self.show_loading(config, True)
            loaded = self._loaded.get(config.name)
            if loaded is not None:
                loaded.dispose()
            instance_id = self._registered_ids.get(config.name)
            if instance_id is None:
                instance_id = self._registered_ids[config.name] = self._instance_id(config.name)
            loaded = LoadedApp(
                self, config, instance_id, dict(self.configuration), self._hooks[config.name]
            )
            self._loaded[config.name] = loaded
            try:
                return await loaded.load()
            except BaseException:
                loaded.dispose()
                raise

        return load

    async def show_loading(self, config: MicroAppConfig, loading: bool) -> None:
        """qiankun's ``loader(loading)`` callback of an app, when it registered one."""
        if config.loader is not None:
            await call_all([config.loader], loading)

    def _container_getter(self, name: str) -> Callable[[], Any]:
        def container() -> Any:
            loaded = self._loaded.get(name)
            return None if loaded is None else loaded.current_wrapper()

        return container

    # -- loadMicroApp -----------------------------------------------------------------------

    async def load_micro_app(
        self,
        app: Mapping[str, Any],
        configuration: Mapping[str, Any] | None = None,
        hooks: Mapping[str, Any] | None = None,
    ) -> MicroApp:
        """Load and mount an app by hand; loads are cached per name and container (qiankun 2)."""
        config = check_app(app, routed=False)
        if configuration is None:
            options = {**self.configuration, "singular": False}
        else:
            options = {**DEFAULT_CONFIGURATION, "singular": False}
            options.update(check_configuration(configuration, "load_micro_app()"))
        checked_hooks = check_hooks(hooks)
        key = f"{config.name}-{self._container_key(config.container)}"
        earlier = [
            other
            for other in self._instances.get(key, [])
            if other.get_status() not in _BROKEN and not other.unmount_promise.done()
        ]
        cached = self._parcel_loads.get(key)
        if cached is None:
            # stored now, not when the parcel runs: a second call at once must reuse this load
            loaded = LoadedApp(self, config, self._instance_id(config.name), options, checked_hooks)
            first: asyncio.Future[LoadedApp] = self.orchestrator._spawn(
                self._load_for_parcel(loaded, key)
            )
            self._parcel_loads[key] = first
        else:
            first = cached

        async def parcel_config(props: Any = None) -> dict[str, Any]:
            loaded = await asyncio.shield(first)
            lifecycles = loaded.lifecycles_for_engine()
            if cached is None:
                return lifecycles
            lifecycles["bootstrap"] = _noop
            if earlier:
                waits = [asyncio.shield(other.unmount_promise) for other in earlier]

                async def wait_for_earlier(props: Any) -> None:
                    await asyncio.gather(*waits, return_exceptions=True)

                lifecycles["mount"] = [wait_for_earlier, *lifecycles["mount"]]
            return lifecycles

        parcel = self.orchestrator.mount_root_parcel(parcel_config, dict(config.props))
        micro_app = MicroApp(self, parcel, key)
        self._instances.setdefault(key, []).append(micro_app)
        micro_app.unmount_promise.add_done_callback(lambda _: self._release(micro_app))
        return micro_app

    async def _load_for_parcel(self, loaded: LoadedApp, key: str) -> LoadedApp:
        try:
            await loaded.load()
        except BaseException:
            if self._parcel_loads.get(key) is asyncio.current_task():
                del self._parcel_loads[key]  # unlike qiankun 2, a failed load is not kept
            loaded.dispose()
            raise
        return loaded

    def _container_key(self, container: Any) -> str:
        """A stable key for a container: the selector, or the element's path in the document."""
        if isinstance(container, str):
            return container
        tree = container.getroottree() if hasattr(container, "getroottree") else None
        if tree is None or tree.getroot() is not self.orchestrator.document.root:
            return f"detached-{id(container)}"
        return str(tree.getpath(container))

    def _release(self, micro_app: MicroApp) -> None:
        instances = self._instances.get(micro_app.key)
        if instances and micro_app in instances:
            instances.remove(micro_app)
            if not instances:
                del self._instances[micro_app.key]

    def drop_cached(self, micro_app: MicroApp) -> None:
        """Forget the cached load behind ``micro_app`` once no other instance uses it."""
        self._release(micro_app)
        if self._instances.get(micro_app.key):
            return
        task = self._parcel_loads.pop(micro_app.key, None)
        if task is not None and task.done() and not task.cancelled() and not task.exception():
            task.result().dispose()

    # -- prefetch ---------------------------------------------------------------------------

    def _prefetch_by_strategy(self, strategy: Any) -> None:
        if not strategy:
            return
        names = list(self._apps)
        if strategy == "all":
            self._prefetch_now(names)
        elif strategy is True:
            self._after_first_mount(lambda: self._prefetch_now(names))
        elif isinstance(strategy, list | tuple):
            chosen = [name for name in strategy if name in self._apps]
            self._after_first_mount(lambda: self._prefetch_now(chosen))
        elif callable(strategy):
            picked = strategy([app.as_dict() for app in self._apps.values()])
            critical = _pick(picked, "critical_app_names", "criticalAppNames")
            minor = _pick(picked, "minor_apps_name", "minorAppsName")
            self._prefetch_now(critical)
            self._after_first_mount(lambda: self._prefetch_now(minor))
        else:
            raise ValueError(
                f"prefetch must be True, False, 'all', a list of app names or a function, "
                f"got {strategy!r}"
            )

    def _prefetch_now(self, names: Iterable[str]) -> None:
        for name in names:
            config = self._apps.get(name)
            if config is None or self.orchestrator.get_app_status(name) is not AppStatus.NOT_LOADED:
                continue
            self.orchestrator._spawn(self._prefetch(config.entry))

    async def _prefetch(self, entry: Any) -> None:
        """Warm the loader's caches (entry, styles, scripts); nothing runs, failures are logged."""
        from .html_entry import import_entry

        try:
            imported = await import_entry(
                entry,
                loader=self.loader_for(self.configuration),
                get_public_path=self.configuration.get("get_public_path"),
                get_template=self.configuration.get("get_template"),
            )
            await imported.get_external_style_sheets()
            await imported.get_external_scripts()
        except Exception as error:
            logger.warning("prefetch of %s failed: %s", entry, error)

    async def prefetch_apps(self, apps: Iterable[Mapping[str, Any]]) -> None:
        """Prefetch the given ``{name, entry}`` apps now; returns when their assets are cached."""
        entries = []
        for app in apps:
            if not isinstance(app, Mapping) or "entry" not in app:
                raise TypeError("prefetch_apps takes mappings with an 'entry'")
            entries.append(app["entry"])
        await asyncio.gather(*(self._prefetch(entry) for entry in entries))

    # -- effects ----------------------------------------------------------------------------

    def _after_first_mount(self, callback: Callable[[], Any]) -> None:
        self._once(FIRST_MOUNT, callback)

    def _once(self, event: str, callback: Callable[[], Any]) -> None:
        signal = self.orchestrator.events.signal(event)

        async def receiver(sender: Any, **_: Any) -> None:
            signal.disconnect(receiver)
            result = callback()
            if inspect.isawaitable(result):
                await result

        signal.connect(receiver)

    def set_default_mount_app(self, url: str) -> None:
        """Navigate to ``url`` after a reroute that mounted nothing (qiankun)."""

        def go() -> None:
            if not self.orchestrator.get_mounted_apps():
                self.orchestrator._spawn(self.orchestrator.navigate(url))

        self._once(NO_APP_CHANGE, go)

    def run_after_first_mounted(self, effect: Callable[[], Any]) -> None:
        """Run ``effect`` once, after the first app has mounted."""
        self._after_first_mount(effect)

    def add_global_uncaught_error_handler(self, handler: Callable[[Event], Any]) -> None:
        """Call ``handler(event)`` for ``error``/``unhandledrejection`` events on the window and
        for lifecycle errors (``event.error`` holds the exception)."""
        window = self.orchestrator.window
        window.add_event_listener("error", handler)
        window.add_event_listener("unhandledrejection", handler)

        def on_error(error: Exception) -> None:
            handler(Event("error", error=error, message=str(error)))

        self._uncaught[handler] = on_error
        self.orchestrator.add_error_handler(on_error)

    def remove_global_uncaught_error_handler(self, handler: Callable[[Event], Any]) -> bool:
        window = self.orchestrator.window
        window.remove_event_listener("error", handler)
        window.remove_event_listener("unhandledrejection", handler)
        on_error = self._uncaught.pop(handler, None)
        return on_error is not None and self.orchestrator.remove_error_handler(on_error)


def _differs(used: Mapping[str, Any], now: Mapping[str, Any]) -> bool:
    """Whether an app loaded with ``used`` would be built differently under ``now``."""
    return any(used.get(key) != now.get(key) for key in now if key != "prefetch")


def _pick(value: Any, *keys: str) -> list[str]:
    for key in keys:
        if isinstance(value, Mapping) and key in value:
            return list(value[key])
    return []


async def _noop(props: Any) -> None:
    return None
