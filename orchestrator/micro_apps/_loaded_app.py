"""qiankun's ``loadApp`` for one app instance: entry → sandbox → scripts → wrapped lifecycles.

A ``LoadedApp`` is created when the engine loads an HTML-entry app; it owns the app's sandbox and
its built wrapper, and hands the engine lifecycles that render the wrapper into the container,
switch the sandbox, and run the global hooks around the app's own lifecycles in qiankun's order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sandbox import (
    Event,
    LegacySandbox,
    ProxySandbox,
    Sandbox,
    Window,
    find_lifecycles,
    run_scripts,
)

from .._tasks import call_in_order
from ..errors import ContainerNotFoundError, EntryLoadError, UntrustedOriginError
from ..html_entry import import_entry
from ..lifecycle import Lifecycle, as_lifecycle
from ._config import MicroAppConfig
from ._hooks import ADDONS, MISSING, PUBLIC_PATH, Hooks
from ._keep_alive import AFTER_HIDDEN, AFTER_SHOW, BEFORE_SHOW, HiddenApps, app_state_event
from ._singular import SingularMode
from ._wrapper import WrapperOptions, build_wrapper, fresh_copy

if TYPE_CHECKING:
    from lxml import etree

    from ..core import Tab
    from ..dom import Document
    from ..global_state import GlobalState, HeldListener
    from ..html_entry import AssetKind, EntryLoader, ImportedEntry, Script
    from ..navigation import Location

__all__ = ["AppHost", "LoadedApp"]
_APP_LIFECYCLES = ("bootstrap", "mount", "unmount", "update", "unload")


@dataclasses.dataclass(frozen=True)
class AppHost:
    """What a loaded app needs of its tab and layer, and nothing more."""

    window: Window
    document: Document
    global_state: Callable[[], GlobalState | None]
    singular: SingularMode
    show_loading: Callable[[MicroAppConfig, bool], Awaitable[None]]
    forget: Callable[[LoadedApp], None]
    location: Location
    signal: Callable[..., Awaitable[None]]
    """``await signal(name, app=..., url=...)``: a tab signal for the shell (keep-alive)."""
    hidden_apps: HiddenApps[LoadedApp]
    nested_tab: Callable[[Any], Tab]
    """A tab of the same kind as this one whose page is the given element (a sub-shell)."""


class LoadedApp:
    """One loaded instance of an HTML-entry app: its sandbox, wrapper and lifecycles."""

    def __init__(
        self,
        host: AppHost,
        config: MicroAppConfig,
        instance_id: str,
        configuration: Mapping[str, Any],
        hooks: Hooks,
        loader: EntryLoader,
    ) -> None:
        self._host = host
        self.config = config
        self.instance_id = instance_id
        self.configuration = configuration
        self.hooks = hooks
        self.loader = loader
        self.options = WrapperOptions(
            sandbox=configuration.get("sandbox", True),
            script_mode=configuration.get("script_mode", "passthrough"),
            exclude_asset_filter=configuration.get("exclude_asset_filter"),
            asset_path=configuration.get("asset_path"),
        )
        self.imported: ImportedEntry | None = None
        self.sandbox: Sandbox | None = None
        self.global_object: Any = None
        self.prototype: etree._Element | None = None
        self.wrapper: etree._Element | None = None
        self.lifecycles: dict[str, Any] = {}
        self._own: dict[str, Lifecycle] = {}
        self.mounted_once = False
        self.original_public_path: Any = None
        self.hidden = False
        """Hidden by keep-alive: its wrapper detached and kept, its timers paused."""
        self._hidden_url: str | None = None
        self._held_state: HeldListener | None = None
        self._nested: list[Tab] = []
        self.entry_version: str | None = None
        """The entry's version this instance runs (a user of it in the loader's ledger)."""

    def __repr__(self) -> str:
        return f"<LoadedApp {self.instance_id!r} entry={self.config.entry!r}>"

    @property
    def singular(self) -> Any:
        return self.configuration.get("singular", False)

    # -- load -------------------------------------------------------------------------------

    async def load(self) -> dict[str, Any]:
        """Fetch and run the app; return the lifecycles the engine drives (qiankun's loadApp).

        A failed load leaves nothing cached for the entry, so the retry fetches it afresh.
        """
        try:
            return await self._load()
        except BaseException:
            if isinstance(self.config.entry, str):
                self.loader.forget_entry(self.config.entry)
            raise

    async def _load(self) -> dict[str, Any]:
        loader = self.loader
        imported = await import_entry(
            self.config.entry,
            loader=loader,
            get_public_path=self.configuration.get("get_public_path"),
            get_template=self.configuration.get("get_template"),
        )
        self.imported = imported
        if isinstance(self.config.entry, str) and self.entry_version is None:
            self.entry_version = loader.acquire(self.config.entry)
        python = [script for script in imported.scripts if script.is_python]
        self._check_trust(python, imported)
        script_texts, style_texts = await self._asset_texts(python, imported)
        await self._host.singular.gate(self.singular, self.config.as_dict())
        key = (imported, self.instance_id, self.options.key, tuple(style_texts))
        prototype = loader.wrapper_cache.get(key)
        if prototype is None:
            prototype = await build_wrapper(
                self.instance_id,
                imported,
                style_texts,
                self.options,
                loader,
                app_name=self.config.name,
            )
            loader.wrapper_cache[key] = prototype
        self.prototype = prototype
        window = self._host.window
        sandbox_option = self.options.sandbox
        if sandbox_option:
            loose = isinstance(sandbox_option, dict) and bool(sandbox_option.get("loose"))
            self.sandbox = (LegacySandbox if loose else ProxySandbox)(self.instance_id, window)
            self.global_object = self.sandbox.proxy
        else:
            self.global_object = window
        self.original_public_path = window.get(PUBLIC_PATH, MISSING)
        await self._run_hooks("before_load")
        if python:
            runnable = [
                dataclasses.replace(script, content=text)
                for script, text in zip(python, script_texts, strict=True)
            ]
            entry = next((i for i, s in enumerate(python) if s.is_entry), None)
            exports = run_scripts(
                runnable,
                self.global_object,
                app_name=self.config.name,
                entry=entry,
                code_cache=loader.code_cache,
            )
            self.lifecycles = find_lifecycles(
                exports, self.global_object, app_name=self.config.name
            )
        else:
            self.lifecycles = {}
        owner = f"application '{self.config.name}'"
        self._own = {
            name: as_lifecycle(self.lifecycles.get(name), name, owner) for name in _APP_LIFECYCLES
        }
        return self.lifecycles_for_engine()

    def _check_trust(self, python: Sequence[Script], imported: ImportedEntry) -> None:
        """Python runs only when the entry's final origin is trusted and so is every script's
        (their redirect hops are checked again as they are fetched)."""
        if not python:
            return
        entry_url = imported.url
        if entry_url is not None and not self.loader.is_trusted(entry_url):
            raise UntrustedOriginError(
                entry_url,
                "Python scripts run only from trusted origins, and an entry from an untrusted "
                "origin runs none, its own or any other origin's (pass trusted_origins to the "
                "Orchestrator or EntryLoader to allow this one)",
                app_name=self.config.name,
            )
        for script in python:
            if script.src is not None and not self.loader.is_trusted(script.src):
                raise UntrustedOriginError(
                    script.src,
                    "Python scripts run only from trusted origins (pass trusted_origins to the "
                    "Orchestrator or EntryLoader to allow this one)",
                    app_name=self.config.name,
                )

    async def _asset_texts(
        self, python: Sequence[Script], imported: ImportedEntry
    ) -> tuple[list[str], list[str | None]]:
        """The text of each Python script and each stylesheet (``None``: left to the browser).

        Cached assets are read at once; only the others are fetched, in parallel. Each passes
        the loader's rules for its kind on every redirect hop (cached ones too).
        """
        loader = self.loader
        entry_url = imported.url
        assets: list[tuple[str | None, str | None, str | None, AssetKind]] = [
            (script.src, script.content, script.integrity, "python") for script in python
        ]
        assets += [
            (style.href, style.content, style.integrity, "style") for style in imported.styles
        ]
        texts: list[str | None] = []
        wanted: dict[int, tuple[str, str | None, AssetKind]] = {}
        for index, (url, content, integrity, kind) in enumerate(assets):
            texts.append(content or "" if url is None else None)
            if url is not None and not (kind == "style" and self.options.excluded(url)):
                wanted[index] = (url, integrity, kind)
        try:
            fetched = await loader.fetch_texts(list(wanted.values()), entry_url=entry_url)
            for index, text in zip(wanted, fetched, strict=True):
                texts[index] = text
        except EntryLoadError as error:
            if error.app_name is not None:
                raise
            raise type(error)(error.url, error.reason, app_name=self.config.name) from error
        return [text or "" for text in texts[: len(python)]], texts[len(python) :]

    # -- the lifecycles the engine drives ---------------------------------------------------

    def lifecycles_for_engine(self) -> dict[str, Any]:
        """qiankun's parcel config: the app's lifecycles wrapped with rendering, sandbox, hooks."""
        found = self.lifecycles
        lifecycles: dict[str, Any] = {
            "name": self.instance_id,
            "bootstrap": self._bootstrap,
            "mount": [self._loading_on, self._mount, self._loading_off],
            "unmount": self._unmount,
            "unload": self._unload,
        }
        if "update" in found:
            lifecycles["update"] = self._update
        if "timeouts" in found:
            lifecycles["timeouts"] = found["timeouts"]
        return lifecycles

    def current_wrapper(self) -> etree._Element | None:
        """The wrapper the app renders into now (or will, at its next mount)."""
        if self.wrapper is None and self.prototype is not None:
            self.wrapper = fresh_copy(self.prototype)
        return self.wrapper

    def _app_props(self, props: Mapping[str, Any]) -> dict[str, Any]:
        merged = dict(props)
        merged["container"] = self._render_target()
        merged["create_orchestrator"] = self._create_nested
        state = self._host.global_state()
        if state is not None:
            actions = state.actions_for(self.instance_id)
            merged["set_global_state"] = actions.set_global_state
            merged["on_global_state_change"] = actions.on_global_state_change
        return merged

    def _create_nested(self) -> Tab:
        """A sub-shell: an orchestrator of the same kind whose page is this app's container,
        sharing the loader and the URL; the app's unmount closes it (and its apps with it)."""
        target = self._render_target()
        if target is None:
            raise RuntimeError(f"application '{self.config.name}' has no container yet")
        tab = self._host.nested_tab(target)
        self._nested.append(tab)
        return tab

    async def _close_nested(self) -> None:
        """Unmount and forget the nested tabs' apps (their unmounts run), then close the tabs."""
        nested, self._nested = self._nested, []
        for tab in reversed(nested):
            try:
                for name in reversed(tab.get_app_names()):
                    await tab.unregister_application(name)
            finally:
                await tab.aclose()

    def _render_target(self) -> Any:
        wrapper = self.current_wrapper()
        if wrapper is not None and self.options.strict_style_isolation and len(wrapper):
            return wrapper[0]
        return wrapper

    async def _bootstrap(self, props: Mapping[str, Any]) -> None:
        await self._own["bootstrap"](self._app_props(props))

    async def _loading_on(self, props: Mapping[str, Any]) -> None:
        await self._host.show_loading(self.config, True)

    async def _loading_off(self, props: Mapping[str, Any]) -> None:
        await self._host.show_loading(self.config, False)

    async def _mount(self, props: Mapping[str, Any]) -> None:
        if self.hidden:
            await self._show()
            return
        await self._host.singular.gate(self.singular, self.config.as_dict())
        wrapper = self.current_wrapper()
        container = self._container("mounting")
        if wrapper is not None and wrapper.getparent() is not container:
            _empty(container)
            container.append(wrapper)
        if self.sandbox is not None:
            self.sandbox.active()
        await self._run_hooks("before_mount")
        await self._own["mount"](self._app_props(props))
        if wrapper is not None and wrapper.getparent() is None:
            self._container("mounted")
        await self._run_hooks("after_mount")
        self.mounted_once = True

    async def _unmount(self, props: Mapping[str, Any]) -> None:
        """qiankun's unmount chain; the sandbox and the container are cleaned up even when the
        app's own unmount raises or is cancelled (a broken app leaves no timers or globals)."""
        if self.config.keep_alive and self.mounted_once:
            await self._hide()
            return
        async with self._host.singular.unmounting():
            try:
                await self._run_hooks("before_unmount")
                await self._close_nested()  # a sub-shell's apps first, as a parcel's children
                await self._own["unmount"](self._app_props(props))
            finally:
                await self._close_nested()
                self._release()
            await self._run_hooks("after_unmount")

    # -- keep-alive ---------------------------------------------------------------------------

    async def _hide(self) -> None:
        """micro-app's order: the app hears ``afterhidden``, then the shell, then the DOM is
        detached and the app's effects are held."""
        url = self._host.location.href
        async with self._host.singular.unmounting():
            self._tell_app(AFTER_HIDDEN, url)
            await self._host.signal(AFTER_HIDDEN, app=self.config.name, url=url)
            wrapper = self.wrapper
            parent = None if wrapper is None else wrapper.getparent()
            if wrapper is not None and parent is not None:
                parent.remove(wrapper)
            container = self._find_container()
            if container is not None:
                _empty(container)
            if self.sandbox is not None and self.sandbox.sandbox_running:
                self.sandbox.pause()
            state = self._host.global_state()
            if state is not None:
                self._held_state = state.hold_listener(self.instance_id)
            self.hidden = True
            self._hidden_url = url
        await self._host.hidden_apps.hidden(self)

    async def _show(self) -> None:
        """micro-app's order: effects back, the app hears ``beforeshow`` (and a ``popstate``
        first if its URL moved on), the shell, the DOM back, then ``aftershow`` to both."""
        await self._host.singular.gate(self.singular, self.config.as_dict())
        container = self._container("mounting")
        self._host.hidden_apps.shown(self)
        self.hidden = False
        if self.sandbox is not None:
            self.sandbox.resume()
        state = self._host.global_state()
        if state is not None and self._held_state is not None:
            state.release_listener(self.instance_id, self._held_state)
        self._held_state = None
        url = self._host.location.href
        if url != self._hidden_url and self.sandbox is not None:
            self.sandbox.dispatch_to_app(Event("popstate", state=None, url=url))
        self._tell_app(BEFORE_SHOW, url)
        await self._host.signal(BEFORE_SHOW, app=self.config.name, url=url)
        wrapper = self.current_wrapper()
        if wrapper is not None and wrapper.getparent() is not container:
            _empty(container)
            container.append(wrapper)
        self._tell_app(AFTER_SHOW, url)
        await self._host.signal(AFTER_SHOW, app=self.config.name, url=url)

    def _tell_app(self, app_state: str, url: str) -> None:
        if self.sandbox is not None:
            self.sandbox.dispatch_to_app(app_state_event(app_state, url))

    async def evict(self) -> None:
        """Unmount a hidden app for real (too many are hidden): its own unmount, then release."""
        if not self.hidden:
            return
        self.hidden = False
        if self.sandbox is not None:
            self.sandbox.resume()
        try:
            await self._run_hooks("before_unmount")
            await self._own["unmount"](self._app_props({}))
        finally:
            await self._close_nested()
            self._release()
        await self._run_hooks("after_unmount")

    def _release(self) -> None:
        if self.sandbox is not None:
            self.sandbox.inactive()
        container = self._find_container()
        if container is not None:
            _empty(container)
        elif self.wrapper is not None:
            parent = self.wrapper.getparent()
            if parent is not None:
                parent.remove(self.wrapper)
        self.wrapper = None
        state = self._host.global_state()
        if state is not None:
            state.actions_for(self.instance_id).off_global_state_change()

    async def _update(self, props: Mapping[str, Any]) -> None:
        await self._own["update"](self._app_props(props))

    async def _unload(self, props: Mapping[str, Any]) -> None:
        await self._own["unload"](self._app_props(props))
        self.dispose()

    async def check_update(self) -> bool:
        """Import this instance's entry again (no I/O while it is fresh) and say whether a
        newer version of it loads: a deploy that fails to load leaves this one serving."""
        entry = self.config.entry
        if not isinstance(entry, str) or self.entry_version is None:
            return False
        await import_entry(
            entry,
            loader=self.loader,
            get_public_path=self.configuration.get("get_public_path"),
            get_template=self.configuration.get("get_template"),
        )
        return self.outdated()

    def outdated(self) -> bool:
        """Whether the loader has a newer version of this instance's entry (hot update)."""
        entry = self.config.entry
        if not isinstance(entry, str) or self.entry_version is None:
            return False
        return self.loader.entry_version(entry) not in (None, self.entry_version)

    def dispose(self) -> None:
        """Throw the instance away: close its sandbox and drop its wrapper and lifecycles."""
        if isinstance(self.config.entry, str) and self.entry_version is not None:
            self.loader.release(self.config.entry, self.entry_version)
            self.entry_version = None
        if self.sandbox is not None:
            self.sandbox.close()
        self.wrapper = None
        self.prototype = None
        self.lifecycles = {}
        self._own = {}
        self._host.forget(self)

    # -- containers and hooks ---------------------------------------------------------------

    def _find_container(self) -> Any:
        spec = self.config.container
        if isinstance(spec, str):
            return self._host.document.query_selector(spec)
        return spec

    def _container(self, phase: str) -> Any:
        container = self._find_container()
        if container is None:
            when = "while" if phase == "mounting" else "after"
            raise ContainerNotFoundError(
                f"[qiankun]: Target container with {self.config.container} not existed "
                f"{when} {self.instance_id} {phase}!",
                app_name=self.config.name,
            )
        return container

    async def _run_hooks(self, phase: str) -> None:
        """qiankun's addons of the phase first (engine flag, public path), then the user's."""
        addon = ADDONS.get(phase)
        if addon is not None:
            addon(self)
        await call_in_order(self.hooks.get(phase, []), self.config.as_dict(), self.global_object)

    def public_path(self) -> str:
        return self.imported.asset_public_path if self.imported is not None else "/"


def _empty(container: Any) -> None:
    for child in list(container):
        container.remove(child)
    container.text = None
