"""``GarfishApp``: one loaded app, mounted, unmounted, shown and hidden as Garfish's ``App``.

``mount``: ``before_mount`` → the container is built and put in ``dom_getter``'s element → the
app's Python scripts run in its sandbox (``before_eval``/``after_eval`` around each) → the
provider is found → ``provider.render`` → ``after_mount``. ``unmount``: ``before_unmount`` →
``provider.destroy`` → the container is removed → exports forgotten → ``after_unmount`` (then
the sandbox is reset). ``hide``/``show`` do the same with the third hook argument ``True`` and
keep the container, the sandbox and the provider (Garfish's cache mode).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sandbox import Window, run_scripts

from .._rebase import Rebase
from .._tasks import maybe_await
from ._container import Container, build_container, render_node
from ._errors import WARN_PREFIX
from ._hooks import Plugin, emit
from ._options import AppInfo
from ._provider import GARFISH_EXPORTS, GarfishExports, call_flexibly, find_provider, member
from ._sandbox import GarfishSandbox

if TYPE_CHECKING:
    from ..dom import Document
    from ..html_entry import ImportedEntry, Script

__all__ = ["AppHost", "AppResources", "GarfishApp"]

logger = logging.getLogger("orchestrator.garfish")


@dataclasses.dataclass(frozen=True)
class AppHost:
    """What an app needs of its Garfish: the tab's window and document, its plugin chain."""

    window: Window
    document: Document
    chain: Callable[[AppInfo], Sequence[Plugin]]
    code_cache: Any
    next_key: Callable[[], int]
    forget_active: Callable[[GarfishApp], None]
    remember_active: Callable[[GarfishApp], None]


@dataclasses.dataclass(frozen=True)
class AppResources:
    """What ``load_app`` fetched: the entry, each Python script with its text, the CSS texts."""

    imported: ImportedEntry
    scripts: tuple[Script, ...]
    entry_index: int | None
    style_texts: tuple[str | None, ...]


class GarfishApp:
    """An app ``load_app`` returned: ``mount``, ``unmount``, ``show``, ``hide`` (each ``await``ed,
    each ``True`` when it did something); ``app_info``, ``mounted``, ``display``, ``provider``."""

    def __init__(self, host: AppHost, app_info: AppInfo, resources: AppResources) -> None:
        self._host = host
        self.app_info = app_info
        self.name = app_info.name
        self.resources = resources
        self.mounted = False
        self.mounting = False
        self.display = False
        self.active = False
        self.unmounting = False
        self.provider: Any = None
        self.sandbox: GarfishSandbox | None = None
        self.global_object: Any = host.window
        self.container: Container | None = None
        self.custom_exports = GarfishExports()
        self.exports: Mapping[str, Any] = {}

    def __repr__(self) -> str:
        state = "mounted" if self.mounted else "mounting" if self.mounting else "not mounted"
        return f"<GarfishApp {self.name!r} {state}{' shown' if self.display else ''}>"

    @property
    def root_element(self) -> Any:
        """Where the provider renders: the container's ``div[__garfishmockbody__]``."""
        return None if self.container is None else self.container.root

    # -- sandbox (Garfish's browser-vm plugin calls these) ----------------------------------

    def attach_sandbox(self) -> None:
        if self.sandbox is None:
            info = self.app_info
            self.sandbox = GarfishSandbox(
                self.name,
                self._host.window,
                protect_variable=info.protect_variable,
                insulation_variable=info.insulation_variable,
            )
            self.global_object = self.sandbox.proxy

    def reset_sandbox(self) -> None:
        """Free the app's timers and listeners and start it afresh for its next mount."""
        if self.sandbox is not None:
            self.sandbox.close()
            self.sandbox = None
            self.attach_sandbox()

    def dispose(self) -> None:
        if self.sandbox is not None:
            self.sandbox.close()
        if self.container is not None:
            self.container.detach()

    # -- hooks ------------------------------------------------------------------------------

    async def _emit(self, hook: str, *args: Any) -> None:
        await emit(hook, self._host.chain(self.app_info), *args)

    # -- mount / unmount --------------------------------------------------------------------

    def _can_mount(self) -> bool:
        if self.mounting:
            logger.warning("%s: The %s app mounting.", WARN_PREFIX, self.name)
            return False
        if self.mounted:
            logger.warning("%s: The %s app already mounted.", WARN_PREFIX, self.name)
            return False
        if self.unmounting:
            logger.warning(
                "%s: The %s app is unmounting can't Perform application rendering.",
                WARN_PREFIX,
                self.name,
            )
            return False
        return True

    def _still_active(self) -> bool:
        """Garfish's ``stopMountAndClearEffect``: an unmount during an await stops the mount."""
        if self.active:
            return True
        logger.warning(
            '%s: The app "%s" rendering process has been blocked.', WARN_PREFIX, self.name
        )
        self.mounting = False
        if self.container is not None:
            self.container.detach()
        return False

    async def mount(self) -> bool:
        if not self._can_mount():
            return False
        await self._emit("before_mount", self.app_info, self, False)
        self.active = True
        self.mounting = True
        try:
            self._host.remember_active(self)
            self.custom_exports = GarfishExports()
            self.container = build_container(
                self.name,
                self._host.next_key(),
                self.resources.imported,
                self.resources.style_texts,
                self._rebase(),
            )
            await self._add_container()
            await self._run_scripts()
            if not self._still_active():
                return False
            provider = await self._get_provider()
            if not self._still_active():
                return False
            await self._render(provider, is_mount=True)
            self.display = True
            self.mounted = True
            await self._emit("after_mount", self.app_info, self, False)
        except Exception as error:
            if self.container is not None:
                self.container.detach()
            self._host.forget_active(self)
            await self._emit("error_mount_app", error, self.app_info)
            return False
        finally:
            self.mounting = False
        return True

    async def unmount(self) -> bool:
        self.active = False
        self.mounting = False
        if not self.mounted or self.container is None:
            return False
        if self.unmounting:
            logger.warning("%s: The %s app unmounting.", WARN_PREFIX, self.name)
            return False
        self.unmounting = True
        await self._emit("before_unmount", self.app_info, self, False)
        try:
            await self._destroy(self.provider, is_unmount=True)
            self.display = False
            self.mounted = False
            self.provider = None
            self.custom_exports = GarfishExports()
            self.exports = {}
            self._host.forget_active(self)
            await self._emit("after_unmount", self.app_info, self, False)
        except Exception as error:
            self._host.forget_active(self)
            if self.container is not None:
                self.container.detach()
            await self._emit("error_unmount_app", error, self.app_info)
            return False
        finally:
            self.unmounting = False
        return True

    # -- show / hide (cache mode) -----------------------------------------------------------

    async def show(self) -> bool:
        """Put a hidden app back: the same container, ``provider.render`` again."""
        self.active = True
        if self.display:
            return False
        if not self.mounted:
            logger.warning('%s: Need to call the "app.mount()" method first.', WARN_PREFIX)
            return False
        await self._emit("before_mount", self.app_info, self, True)
        self._host.remember_active(self)
        if self.sandbox is not None and self.sandbox.hidden:
            self.sandbox.resume()  # its timers go on with the delays they had left
        await self._add_container()
        await self._render(self.provider, is_mount=False)
        self.display = True
        await self._emit("after_mount", self.app_info, self, True)
        return True

    async def hide(self) -> bool:
        """Take a mounted app off the page: ``provider.destroy``, its container detached and
        kept with its sandbox, whose timers are paused and listeners held until ``show``."""
        self.active = False
        self.mounting = False
        if not self.display:
            return False
        if not self.mounted:
            logger.warning('%s: Need to call the "app.mount()" method first.', WARN_PREFIX)
            return False
        await self._emit("before_unmount", self.app_info, self, True)
        await self._destroy(self.provider, is_unmount=False)
        if self.sandbox is not None and self.sandbox.sandbox_running:
            # unlike Garfish, a hidden app's timers and window listeners are held, not left
            # running (DESIGN.md §10); ``show`` resumes them
            self.sandbox.pause()
        self.display = False
        self._host.forget_active(self)
        await self._emit("after_unmount", self.app_info, self, True)
        return True

    # -- steps ------------------------------------------------------------------------------

    def _rebase(self) -> Rebase | None:
        imported, asset_path = self.resources.imported, self.app_info.asset_path
        entry_url = imported.requested_url
        if asset_path is None or not entry_url or "://" not in entry_url:
            return None
        return Rebase.for_app(asset_path, self.name, entry_url, imported.base_url)

    async def _add_container(self) -> None:
        assert self.container is not None
        node = await render_node(self.app_info.dom_getter, self._host.document, self.name)
        node.append(self.container.element)

    async def _run_scripts(self) -> None:
        resources = self.resources
        scripts = resources.scripts
        if self.sandbox is not None and not self.sandbox.sandbox_running:
            self.sandbox.active()
        self.global_object[GARFISH_EXPORTS] = self.custom_exports
        env = {GARFISH_EXPORTS: self.custom_exports}
        entry = len(scripts) - 1 if resources.entry_index is None else resources.entry_index
        chain = self._host.chain(self.app_info)
        for index, script in enumerate(scripts):
            code = script.content or ""
            url = script.src or resources.imported.url
            options = {
                "async": script.is_async,
                "no_entry": index != entry,
                "is_inline": not script.src,
            }
            await emit("before_eval", chain, self.app_info, code, env, url, options)
            try:
                exports = run_scripts(
                    [script],
                    self.global_object,
                    app_name=self.name,
                    code_cache=self._host.code_cache,
                )
            except Exception as error:
                await emit("error_exec_code", chain, error, self.app_info, code, env, url, options)
                raise
            if index == entry:
                self.exports = exports
            await emit("after_eval", chain, self.app_info, code, env, url, options)

    async def _get_provider(self) -> Any:
        if self.provider is None:
            info = self.app_info
            self.provider = await find_provider(
                self.name,
                self.exports,
                self.custom_exports,
                basename=info.basename,
                dom=self.root_element,
                props=info.props,
                async_timeout=info.async_provider_timeout,
                no_check=info.no_check_provider,
            )
        return self.provider

    async def _render(self, provider: Any, *, is_mount: bool) -> None:
        render = member(provider, "render") if provider is not None else None
        if render is not None:
            await maybe_await(
                call_flexibly(
                    render,
                    {
                        "app_name": self.name,
                        "dom": self.root_element,
                        "basename": self.app_info.basename,
                        "app_render_info": {"is_mount": is_mount},
                        "props": self.app_info.props,
                    },
                )
            )

    async def _destroy(self, provider: Any, *, is_unmount: bool) -> None:
        destroy = member(provider, "destroy") if provider is not None else None
        try:
            if destroy is not None:
                await maybe_await(
                    call_flexibly(
                        destroy,
                        {
                            "app_name": self.name,
                            "dom": self.root_element,
                            "app_render_info": {"is_unmount": is_unmount},
                            "props": self.app_info.props,
                        },
                    )
                )
        finally:
            if self.container is not None:
                self.container.detach()
