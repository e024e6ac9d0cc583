"""``Garfish``: Garfish's API on one tab (``run``, ``register_app``, ``load_app``, ``channel``).

Apps with ``active_when`` become single-spa applications of the tab (the router's part): their
``mount`` lifecycle calls ``load_app(name, cache=True, basename=<root path>)`` and mounts the app
(or shows it when it is cached and mounted), their ``unmount`` hides or unmounts it, so routing
stays the tab's. Apps loaded by hand (``load_app``) are cached only with ``cache=True``.

A routed app whose load or mount raises (Garfish's default error hooks rethrow) is broken for the
tab (SKIP_BECAUSE_BROKEN, reported to its error handlers); when ``error_load_app`` /
``error_mount_app`` do not raise, nothing is shown and the next activation tries again, as
Garfish's router does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Self

from .._tasks import TaskSet
from ..errors import UntrustedOriginError
from ._app import AppHost, AppResources, GarfishApp
from ._channel import Channel
from ._container import container_prefix
from ._errors import WARN_PREFIX, GarfishError
from ._hooks import ERROR_HOOKS, HOOK_NAMES, Plugin, check_plugin, emit, emit_now, rethrow
from ._options import (
    AppInfo,
    check_app,
    check_load_options,
    check_run_options,
    info_as_options,
    merge_app_info,
)
from ._router import app_root_path, get_path, has_active, under_basename

if TYPE_CHECKING:
    from ..core import Tab
    from ..html_entry import ImportedEntry

__all__ = ["Garfish"]

logger = logging.getLogger("orchestrator.garfish")


class Garfish:
    """Garfish for one tab: ``Garfish(orchestrator)`` joins it as a layer."""

    start_options: frozenset[str] = frozenset()

    def __init__(self, tab: Tab) -> None:
        self._tab = tab
        self.running = False
        self.options: dict[str, Any] = {"basename": "/", "props": {}}
        self.app_infos: dict[str, dict[str, Any]] = {}
        self.cache_apps: dict[str, GarfishApp] = {}
        self.active_apps: list[GarfishApp] = []
        self.apps: dict[str, GarfishApp] = {}
        """Apps the router has mounted (or shown), by name."""
        self._tasks = TaskSet()
        self.channel = Channel(self._tasks)
        self._plugins: dict[str, Plugin] = {}
        self._options_plugin = Plugin("global-lifecycle", {}, options_level=True)
        self._loading: dict[str, asyncio.Future[GarfishApp | None]] = {}
        self._keys = itertools.count()
        self._host = AppHost(
            window=tab.window,
            document=tab.document,
            chain=self._app_chain,
            code_cache=None,
            next_key=lambda: next(self._keys),
            forget_active=self._forget_active,
            remember_active=self._remember_active,
        )
        self._use(_browser_vm())
        tab.add_layer(self)
        # as Garfish's instance module: apps reach it (its ``channel``) as ``window.Garfish``
        tab.window["Garfish"] = self
        tab.window["__GARFISH__"] = True

    def __repr__(self) -> str:
        return f"<Garfish apps={list(self.app_infos)} running={self.running}>"

    # -- the Layer interface ----------------------------------------------------------------

    async def configure(self, options: dict[str, Any]) -> None:
        """Garfish takes no ``start`` options: its own come through ``run``."""

    async def aclose(self) -> None:
        for task in list(self._loading.values()):
            task.cancel()
        await self._tasks.aclose()
        for app in {id(a): a for a in [*self.cache_apps.values(), *self.active_apps]}.values():
            app.dispose()
        self.cache_apps.clear()
        self.active_apps.clear()
        self.apps.clear()

    # -- plugins ----------------------------------------------------------------------------

    def use_plugin(self, plugin: Any) -> Self:
        """Add a plugin (a dict of hooks with a ``name``, or a function of this Garfish
        returning one); not after ``run``, as Garfish."""
        if self.running:
            raise GarfishError("Cannot register plugin after Garfish is started.")
        self._use(check_plugin(plugin, self))
        return self

    def _use(self, plugin: Plugin) -> None:
        if plugin.name in self._plugins:
            logger.warning("%s: Please do not register the plugin repeatedly.", WARN_PREFIX)
            return
        self._plugins[plugin.name] = plugin

    def remove_plugin(self, name: str) -> None:
        if name not in self._plugins:
            raise GarfishError(f'plugin "{name}" is not registered.')
        del self._plugins[name]

    @property
    def plugins(self) -> dict[str, Plugin]:
        return dict(self._plugins)

    def _global_chain(self) -> list[Plugin]:
        """Plugins in the order they were added, then the ``run`` options' own hooks."""
        return [*self._plugins.values(), self._options_plugin]

    def _app_chain(self, info: AppInfo) -> list[Plugin]:
        """The app's own hooks first (Garfish's ``<name>-lifecycle``), then the global chain."""
        own = Plugin(f"{info.name}-lifecycle", info.hooks, options_level=True)
        return [own, *self._global_chain()]

    # -- run / register ---------------------------------------------------------------------

    def run(self, options: Mapping[str, Any] | None = None) -> Self:
        """Take the options, add their plugins, register their apps (Garfish's ``run``).

        Routing is the tab's: ``await orchestrator.start()`` mounts the apps active now.
        """
        if self.running:
            logger.warning(
                "%s: Garfish is already running now, Cannot run Garfish repeatedly.", WARN_PREFIX
            )
            return self
        checked = check_run_options(options)
        plugins = [check_plugin(plugin, self) for plugin in checked.get("plugins", [])]
        apps = list(checked.get("apps", []))
        props = {**self.options.get("props", {}), **checked.get("props", {})}
        self.options.update({k: v for k, v in checked.items() if k not in ("apps", "plugins")})
        self.options["props"] = props
        for plugin in plugins:
            self._use(plugin)
        # Garfish's ``global-lifecycle`` plugin is the whole options object: every hook in it
        hooks = {key: value for key, value in self.options.items() if key in HOOK_NAMES}
        for key in ERROR_HOOKS:
            hooks.setdefault(key, rethrow)
        self._options_plugin = Plugin("global-lifecycle", hooks, options_level=True)
        emit_now("before_bootstrap", self._global_chain(), self.options)
        self.register_app(apps)
        self.running = True
        emit_now("bootstrap", self._global_chain(), self.options)
        return self

    def register_app(self, apps: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> Self:
        """Register one app or a list; a name already registered is skipped (as Garfish)."""
        emit_now("before_register_app", self._global_chain(), apps)
        listed = [apps] if isinstance(apps, Mapping) else list(apps)
        added: dict[str, dict[str, Any]] = {}
        for app in listed:
            checked = check_app(app)
            name = checked["name"]
            if name in self.app_infos:
                logger.warning('%s: The "%s" app is already registered.', WARN_PREFIX, name)
                continue
            self.app_infos[name] = checked
            added[name] = checked
            if checked.get("active_when") is not None:
                self._route(name)
        emit_now("register_app", self._global_chain(), added)
        return self

    # -- load_app ---------------------------------------------------------------------------

    def app_info(self, name: str, options: Mapping[str, Any] | None = None) -> AppInfo:
        """What ``name`` would be loaded with: its registration merged over the options."""
        return merge_app_info(
            name, self.options, self.app_infos.get(name), options or {}, self._tab.window
        )

    async def load_app(
        self, name: str, options: Mapping[str, Any] | None = None
    ) -> GarfishApp | None:
        """Garfish's ``loadApp``: ``None`` when a ``before_load`` returned ``False`` (or an
        ``error_load_app`` that does not raise swallowed the failure); concurrent calls for one
        name share one load."""
        if not name or not isinstance(name, str):
            raise GarfishError("Miss appName.")
        checked = check_load_options(options, name)
        loading = self._loading.get(name)
        if loading is None:
            loading = self._tasks.spawn(self._load(name, checked))
            self._loading[name] = loading
            loading.add_done_callback(lambda _: self._loading.pop(name, None))
        return await asyncio.shield(loading)

    async def _load(self, name: str, options: Mapping[str, Any]) -> GarfishApp | None:
        info = self.app_info(name, options)
        if await emit("before_load", self._global_chain(), info) is False:
            logger.warning(
                "%s: Load %s application is terminated by beforeLoad.", WARN_PREFIX, name
            )
            return None
        # merged again: a before_load may have registered the app or changed what it saw
        info = self.app_info(name, info_as_options(info))
        if not info.entry:
            raise GarfishError(
                f'Can\'t load unexpected child app "{name}", Please provide the entry '
                "parameters or registered in advance of the app.",
                app_name=name,
                phase="load",
            )
        app: GarfishApp | None = None
        cached = self.cache_apps.get(name)
        if info.cache and cached is not None:
            app = cached
        else:
            try:
                app = GarfishApp(self._host_for(), info, await self._resources(info))
                if info.cache:
                    self.cache_apps[name] = app
            except Exception as error:
                logger.debug("loading %r failed", name, exc_info=error)
                await emit("error_load_app", self._global_chain(), error, info)
        await emit("after_load", self._global_chain(), info, app)
        return app

    def _host_for(self) -> AppHost:
        return dataclasses.replace(self._host, code_cache=self._tab.loader.code_cache)

    async def _resources(self, info: AppInfo) -> AppResources:
        """Garfish's ``processAppResources``: the entry and the texts of its assets."""
        loader = self._tab.loader
        entry = info.entry
        assert entry is not None
        try:
            imported: ImportedEntry = await loader.import_entry(entry)
            python = [script for script in imported.scripts if script.is_python]
            for script in python:
                url = script.src or imported.url
                if url is not None and not loader.is_trusted(url):
                    raise UntrustedOriginError(
                        url,
                        "Python scripts run only from trusted origins (pass trusted_origins "
                        "to the Orchestrator or EntryLoader to allow this one)",
                        app_name=info.name,
                    )
            texts = await asyncio.gather(
                *(_text(loader, script.src, script.content, script.integrity) for script in python)
            )
            fetched = await imported.get_external_style_sheets()
            prefix = container_prefix(info.name)
            styles = [
                None
                if text is None
                else loader.scoped_css(text, prefix, style.href or imported.base_url)
                for style, text in zip(imported.styles, fetched, strict=True)
            ]
        except BaseException:
            if isinstance(entry, str):
                loader.forget_entry(entry)
            raise
        scripts = tuple(
            dataclasses.replace(script, content=text)
            for script, text in zip(python, texts, strict=True)
        )
        entry_index = next((i for i, s in enumerate(scripts) if s.is_entry), None)
        return AppResources(imported, scripts, entry_index, tuple(styles))

    def _remember_active(self, app: GarfishApp) -> None:
        if app not in self.active_apps:
            self.active_apps.append(app)

    def _forget_active(self, app: GarfishApp) -> None:
        if app in self.active_apps:
            self.active_apps.remove(app)

    # -- the router -------------------------------------------------------------------------

    def _route(self, name: str) -> None:
        """Register ``name`` with the tab: active by Garfish's rules under ``basename``."""

        def active(location: Any) -> bool:
            info = self.app_info(name)
            rule = info.active_when
            pathname = location.pathname
            if rule is None or not under_basename(info.basename, pathname):
                return False
            return has_active(rule, get_path(info.basename, pathname))

        async def load(props: Any) -> dict[str, Any]:
            return {"bootstrap": _noop, "mount": mount, "unmount": unmount}

        async def mount(props: Any) -> None:
            info = self.app_info(name)
            assert info.active_when is not None
            root = app_root_path(info.active_when, info.basename, self._tab.location.pathname)
            cache = info.cache is not False
            app = await self.load_app(name, {"cache": cache, "basename": root})
            if app is None:
                return
            app.app_info.basename = root
            app.app_info.root_path = root
            self.apps[name] = app
            if cache and app.mounted:
                await app.show()
            else:
                await app.mount()

        async def unmount(props: Any) -> None:
            app = self.apps.pop(name, None)
            if app is None:
                return
            if app.mounting:
                self.cache_apps.pop(name, None)  # torn down while rendering: not kept
            if app.app_info.cache is not False and app.mounted:
                await app.hide()
            else:
                await app.unmount()

        self._tab.register_application(name, load, active)


async def _text(loader: Any, url: str | None, content: str | None, integrity: str | None) -> str:
    if url is None:
        return content or ""
    text: str = await loader.fetch_text(url, integrity=integrity)
    return text


async def _noop(props: Any) -> None:
    return None


def _browser_vm() -> Plugin:
    """Garfish's ``browser-vm`` plugin: a sandbox per app at ``after_load``, reset after an
    unmount that is not a hide (``after_unmount`` with ``is_cache_mode`` false)."""

    def after_load(info: AppInfo, app: GarfishApp | None) -> None:
        if app is not None and info.sandbox and app.sandbox is None:
            app.attach_sandbox()

    def after_unmount(info: AppInfo, app: GarfishApp, is_cache_mode: bool) -> None:
        if not is_cache_mode:
            app.reset_sandbox()

    return Plugin("browser-vm", {"after_load": after_load, "after_unmount": after_unmount})
