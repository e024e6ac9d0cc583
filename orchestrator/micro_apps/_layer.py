"""``MicroApps``: qiankun's layer on one tab: registration, ``start`` options, loading, effects.

It turns each micro-app into a single-spa application (``register_micro_apps``) or a root parcel
(``load_micro_app``) whose loading function is qiankun's ``loadApp`` (``LoadedApp``). It uses only
the tab's public API, and joins the tab as a ``Layer`` so that ``start`` hands it its options.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sandbox import Event

from .._tasks import call_in_order, call_maybe_async
from ..dom import SubDocument
from ..errors import EntryLoadError
from ..events import FIRST_MOUNT, NO_APP_CHANGE
from ..html_entry import EntryLoader
from ..status import BROKEN_STATUSES, AppStatus
from ._config import (
    DEFAULT_CONFIGURATION,
    START_OPTIONS,
    MicroAppConfig,
    check_app,
    check_configuration,
)
from ._hooks import Hooks, check_hooks
from ._keep_alive import HiddenApps
from ._loaded_app import AppHost, LoadedApp
from ._micro_app import MicroApp
from ._prefetch import prefetch_entry, split_strategy
from ._singular import SingularMode

if TYPE_CHECKING:
    from ..core import Tab

__all__ = ["MicroApps"]

logger = logging.getLogger("orchestrator.micro_apps")


@dataclasses.dataclass
class _Registered:
    """One micro-app given to ``register_micro_apps``: everything the layer keeps about it."""

    config: MicroAppConfig
    hooks: Hooks
    instance_id: str | None = None
    """Given at the first load (qiankun numbers instances in the order they load)."""
    loaded: LoadedApp | None = None


@dataclasses.dataclass
class _HandLoaded:
    """One ``load_micro_app`` cache entry (per name and container): its load and its instances."""

    load: asyncio.Future[LoadedApp]
    instances: list[MicroApp] = dataclasses.field(default_factory=list)


class MicroApps:
    """qiankun's API for one tab."""

    start_options = START_OPTIONS

    def __init__(self, tab: Tab) -> None:
        self._tab = tab
        self.configuration: dict[str, Any] = dict(DEFAULT_CONFIGURATION)
        self._registered: dict[str, _Registered] = {}
        self._hand_loaded: dict[str, _HandLoaded] = {}
        self._instance_counts: dict[str, int] = {}
        self._fetch_loaders: dict[int, EntryLoader] = {}
        self._uncaught: dict[Callable[..., Any], Callable[[Exception], None]] = {}
        self._singular = SingularMode()
        self.hidden_apps: HiddenApps[LoadedApp] = HiddenApps(self._evict)
        self._host = AppHost(
            window=tab.window,
            document=tab.document,
            global_state=lambda: tab.global_state,
            singular=self._singular,
            show_loading=self.show_loading,
            forget=self._forget,
            location=tab.location,
            signal=self._signal,
            hidden_apps=self.hidden_apps,
            nested_tab=self._nested_tab,
        )

    # -- the Layer interface ----------------------------------------------------------------

    async def configure(self, options: dict[str, Any]) -> None:
        """Take ``start``'s qiankun options and start prefetching as the strategy says."""
        self.configuration.update(check_configuration(options, "start()"))
        await self._reload_stale()
        self._prefetch_by_strategy(self.configuration.get("prefetch"))

    async def aclose(self) -> None:
        for registered in self._registered.values():
            if registered.loaded is not None:
                registered.loaded.dispose()
        for hand_loaded in self._hand_loaded.values():
            load = hand_loaded.load
            if load.done() and not load.cancelled() and load.exception() is None:
                load.result().dispose()
        self._hand_loaded.clear()
        for loader in self._fetch_loaders.values():
            await loader.aclose()
        self._fetch_loaders.clear()

    # -- configuration and loaders ----------------------------------------------------------

    async def _reload_stale(self) -> None:
        """Apps loaded by a reroute before ``start`` used the defaults: unload those whose
        options differ, so ``start``'s reroute loads them again with its own (cached entries
        make that cheap). qiankun makes such loads wait for ``start`` instead."""
        for name, registered in list(self._registered.items()):
            loaded = registered.loaded
            if (
                loaded is not None
                and _differs(loaded.configuration, self.configuration)
                and self._tab.get_app_status(name) is AppStatus.NOT_BOOTSTRAPPED
            ):
                await self._tab.unload_application(name)

    async def remount_updated(self) -> list[str]:
        """Hot update: unload each mounted app whose entry has a newer version that loads
        (the loader revalidates a stale entry), so the next reroute mounts the new one;
        global state stays. Returns the names unloaded."""
        unloaded: list[str] = []
        for name, registered in list(self._registered.items()):
            loaded = registered.loaded
            if loaded is None or self._tab.get_app_status(name) is not AppStatus.MOUNTED:
                continue
            try:
                updated = await loaded.check_update()
            except EntryLoadError as error:  # the running version keeps serving
                logger.warning("application '%s': %s", name, error)
                continue
            if updated:
                await self._tab.unload_application(name)
                unloaded.append(name)
        return unloaded

    def loader_for(self, configuration: Mapping[str, Any]) -> EntryLoader:
        """The tab's loader, or one with the custom ``fetch`` of this configuration."""
        fetch = configuration.get("fetch")
        if fetch is None:
            return self._tab.loader
        loader = self._fetch_loaders.get(id(fetch))
        if loader is None:
            base = self._tab.loader
            loader = EntryLoader(
                fetch=fetch,
                timeout=base.timeout,
                max_bytes=base.max_bytes,
                trusted_origins=base.trusted_origins,
            )
            self._fetch_loaders[id(fetch)] = loader
        return loader

    def _new_loaded_app(
        self,
        config: MicroAppConfig,
        instance_id: str,
        configuration: Mapping[str, Any],
        hooks: Hooks,
    ) -> LoadedApp:
        return LoadedApp(
            self._host, config, instance_id, configuration, hooks, self.loader_for(configuration)
        )

    def _nested_tab(self, element: Any) -> Tab:
        """A tab of this tab's own kind (the ``Orchestrator``, qiankun layer and all) rendering
        into ``element``, with the same loader and URL."""
        tab = self._tab
        document = SubDocument(element, selector_cache=tab.document.selectors)
        make: Any = type(tab)
        nested: Tab = make(url=tab.location.href, loader=tab.loader, document=document)
        return nested

    async def _signal(self, name: str, **detail: Any) -> None:
        await self._tab.events.send(name, self._tab, **detail)

    @staticmethod
    async def _evict(loaded: LoadedApp) -> None:
        try:
            await loaded.evict()
        except Exception:
            logger.exception("unmounting the hidden app %r failed", loaded.config.name)

    def code_free_versions(self, names: Iterable[str]) -> dict[str, tuple[str, str]] | None:
        """Each named app's entry URL and the version it runs, when every one is loaded from an
        HTML entry that ran no Python, with no hooks, loading callback or custom fetch (its
        markup depends only on that version); else ``None``."""
        found: dict[str, tuple[str, str]] = {}
        for name in names:
            registered = self._registered.get(name)
            loaded = None if registered is None else registered.loaded
            if registered is None or loaded is None or loaded.lifecycles:
                return None
            config = registered.config
            entry, version, imported = config.entry, loaded.entry_version, loaded.imported
            if (
                not isinstance(entry, str)
                or version is None
                or imported is None
                or config.loader is not None
                or any(registered.hooks.values())
                or loaded.loader is not self._tab.loader
                or any(script.is_python for script in imported.scripts)
            ):
                return None
            found[name] = (entry, version)
        return found

    # -- instances --------------------------------------------------------------------------

    def _instance_id(self, name: str) -> str:
        """qiankun's ``genAppInstanceIdByName``: ``name``, then ``name_1``, ``name_2``…"""
        count = self._instance_counts.get(name)
        self._instance_counts[name] = 0 if count is None else count + 1
        return name if count is None else f"{name}_{count + 1}"

    def _forget(self, loaded: LoadedApp) -> None:
        registered = self._registered.get(loaded.config.name)
        if registered is not None and registered.loaded is loaded:
            registered.loaded = None

    async def show_loading(self, config: MicroAppConfig, loading: bool) -> None:
        """qiankun's ``loader(loading)`` callback of an app, when it registered one."""
        if config.loader is not None:
            await call_maybe_async(config.loader, loading)

    # -- registerMicroApps ------------------------------------------------------------------

    def register_micro_apps(
        self, apps: Iterable[Mapping[str, Any]], hooks: Mapping[str, Any] | None = None
    ) -> None:
        """Register each app with the engine; a name already registered is skipped (qiankun)."""
        if isinstance(apps, Mapping | str):
            raise TypeError("register_micro_apps takes a list of app mappings")
        checked_hooks = check_hooks(hooks)
        configs = [check_app(app, routed=True) for app in apps]
        taken = set(self._tab.get_app_names())
        for config in configs:
            if config.name in taken:
                continue
            taken.add(config.name)
            registered = _Registered(config, checked_hooks)
            self._tab.register_application(
                config.name,
                app=self._loading_function(registered),
                active_when=config.active_rule,
                custom_props=dict(config.props),
                container=self._container_getter(registered),
            )
            self._registered[config.name] = registered

    def _loading_function(self, registered: _Registered) -> Callable[[Any], Any]:
        async def load(props: Any) -> dict[str, Any]:
            await self.show_loading(registered.config, True)
            if registered.loaded is not None:
                registered.loaded.dispose()
            if registered.instance_id is None:
                registered.instance_id = self._instance_id(registered.config.name)
            loaded = self._new_loaded_app(
                registered.config,
                registered.instance_id,
                dict(self.configuration),
                registered.hooks,
            )
            registered.loaded = loaded
            try:
                return await loaded.load()
            except BaseException:
                loaded.dispose()
                raise

        return load

    @staticmethod
    def _container_getter(registered: _Registered) -> Callable[[], Any]:
        def container() -> Any:
            loaded = registered.loaded
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
        cached = self._hand_loaded.get(key)
        earlier = [
            other
            for other in (cached.instances if cached is not None else [])
            if other.get_status() not in BROKEN_STATUSES and not other.unmount_promise.done()
        ]
        if cached is None:
            # stored now, not when the parcel runs: a second call at once must reuse this load
            loaded = self._new_loaded_app(
                config, self._instance_id(config.name), options, checked_hooks
            )
            entry = _HandLoaded(self._tab.spawn(self._load_for_parcel(loaded, key)))
            self._hand_loaded[key] = entry
        else:
            entry = cached
        first = entry.load

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

        parcel = self._tab.mount_root_parcel(parcel_config, dict(config.props))
        micro_app = MicroApp(parcel, key, self._drop_cached)
        entry.instances.append(micro_app)
        micro_app.unmount_promise.add_done_callback(lambda _: self._release(micro_app))
        return micro_app

    async def _load_for_parcel(self, loaded: LoadedApp, key: str) -> LoadedApp:
        try:
            await loaded.load()
        except BaseException:
            entry = self._hand_loaded.get(key)
            if entry is not None and entry.load is asyncio.current_task():
                del self._hand_loaded[key]  # unlike qiankun 2, a failed load is not kept
            loaded.dispose()
            raise
        return loaded

    def _container_key(self, container: Any) -> str:
        """A stable key for a container: the selector, or the element's path in the document."""
        if isinstance(container, str):
            return container
        tree = container.getroottree() if hasattr(container, "getroottree") else None
        if tree is None or tree.getroot() is not self._tab.document.root:
            return f"detached-{id(container)}"
        return str(tree.getpath(container))

    def _release(self, micro_app: MicroApp) -> None:
        entry = self._hand_loaded.get(micro_app.key)
        if entry is not None and micro_app in entry.instances:
            entry.instances.remove(micro_app)

    def _drop_cached(self, micro_app: MicroApp) -> None:
        """Forget the cached load behind ``micro_app`` once no other instance uses it."""
        self._release(micro_app)
        entry = self._hand_loaded.get(micro_app.key)
        if entry is None or entry.instances:
            return
        del self._hand_loaded[micro_app.key]
        task = entry.load
        if task.done() and not task.cancelled() and not task.exception():
            task.result().dispose()

    # -- prefetch ---------------------------------------------------------------------------

    def _prefetch_by_strategy(self, strategy: Any) -> None:
        names = list(self._registered)
        now, later = split_strategy(
            strategy, names, lambda: [r.config.as_dict() for r in self._registered.values()]
        )
        if now:
            self._prefetch_now(now)
        if later:
            self._after_first_mount(lambda: self._prefetch_now(later))

    def _prefetch_now(self, names: Iterable[str]) -> None:
        for name in names:
            registered = self._registered.get(name)
            if registered is None or self._tab.get_app_status(name) is not AppStatus.NOT_LOADED:
                continue
            self._tab.spawn(
                prefetch_entry(
                    registered.config.entry, self.loader_for(self.configuration), self.configuration
                )
            )

    async def prefetch_apps(self, apps: Iterable[Mapping[str, Any]]) -> None:
        """Prefetch the given ``{name, entry}`` apps now; returns when their assets are cached."""
        entries = []
        for app in apps:
            if not isinstance(app, Mapping) or "entry" not in app:
                raise TypeError("prefetch_apps takes mappings with an 'entry'")
            entries.append(app["entry"])
        loader = self.loader_for(self.configuration)
        await asyncio.gather(
            *(prefetch_entry(entry, loader, self.configuration) for entry in entries)
        )

    # -- effects ----------------------------------------------------------------------------

    def _after_first_mount(self, callback: Callable[[], Any]) -> None:
        self._once(FIRST_MOUNT, callback)

    def _once(self, event: str, callback: Callable[[], Any]) -> None:
        signal = self._tab.events.signal(event)

        async def receiver(sender: Any, **_: Any) -> None:
            signal.disconnect(receiver)
            await call_in_order([callback])

        signal.connect(receiver)

    def set_default_mount_app(self, url: str) -> None:
        """Navigate to ``url`` after a reroute that mounted nothing (qiankun)."""

        def go() -> None:
            if not self._tab.get_mounted_apps():
                self._tab.spawn(self._tab.navigate(url))

        self._once(NO_APP_CHANGE, go)

    def run_after_first_mounted(self, effect: Callable[[], Any]) -> None:
        """Run ``effect`` once, after the first app has mounted."""
        self._after_first_mount(effect)

    def add_global_uncaught_error_handler(self, handler: Callable[[Event], Any]) -> None:
        """Call ``handler(event)`` for ``error``/``unhandledrejection`` events on the window and
        for lifecycle errors (``event.error`` holds the exception)."""
        window = self._tab.window
        window.add_event_listener("error", handler)
        window.add_event_listener("unhandledrejection", handler)

        def on_error(error: Exception) -> None:
            handler(Event("error", error=error, message=str(error)))

        self._uncaught[handler] = on_error
        self._tab.add_error_handler(on_error)

    def remove_global_uncaught_error_handler(self, handler: Callable[[Event], Any]) -> bool:
        window = self._tab.window
        window.remove_event_listener("error", handler)
        window.remove_event_listener("unhandledrejection", handler)
        on_error = self._uncaught.pop(handler, None)
        return on_error is not None and self._tab.remove_error_handler(on_error)


def _differs(used: Mapping[str, Any], now: Mapping[str, Any]) -> bool:
    """Whether an app loaded with ``used`` would be built differently under ``now``."""
    return any(used.get(key) != now.get(key) for key in now if key != "prefetch")


async def _noop(props: Any) -> None:
    return None
