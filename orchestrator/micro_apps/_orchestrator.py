"""``Orchestrator``: the tab with qiankun's layer on it, the class users make."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..core import Tab
from ._config import Configuration, LifecycleHooks, MicroAppRegistration
from ._layer import MicroApps
from ._micro_app import MicroApp

if TYPE_CHECKING:
    import httpx

    from sandbox import Event

    from ..dom import Document
    from ..federation import Federation
    from ..html_entry import EntryLoader

__all__ = ["Orchestrator"]


class Orchestrator(Tab):
    """One headless browser tab: single-spa's API (from ``Tab``) and qiankun's
    (``register_micro_apps``, ``load_micro_app``, ``start``'s qiankun options, …)."""

    def __init__(
        self,
        shell: str | None = None,
        *,
        url: str = "http://localhost/",
        loader: EntryLoader | None = None,
        timeouts: Mapping[str, Any] | None = None,
        client: httpx.AsyncClient | None = None,
        trusted_origins: Iterable[str] | None = None,
        federation: Federation | None = None,
        document: Document | None = None,
    ) -> None:
        super().__init__(
            shell,
            url=url,
            loader=loader,
            timeouts=timeouts,
            client=client,
            trusted_origins=trusted_origins,
            document=document,
        )
        self.micro_apps = MicroApps(self)
        """The qiankun layer of this tab."""
        self.add_layer(self.micro_apps)
        self.federation = federation
        """Module Federation for this tab's micro-apps: each gets its ``load_remote`` and
        ``load_share`` as props. Given by the caller, who closes it (tabs may share one)."""

    def _with_federation(self, app: MicroAppRegistration) -> MicroAppRegistration:
        """``app`` with ``load_remote``/``load_share`` props (an app's own props win)."""
        federation = self.federation
        props: Any = app.get("props") if isinstance(app, Mapping) else None
        if federation is None or not isinstance(props, Mapping | None):
            return app  # no federation, or a mistake the layer will name
        given = {
            "load_remote": federation.load_remote,
            "load_share": federation.load_share,
            **(props or {}),
        }
        return {**app, "props": given}

    async def navigate(self, url: str, *, replace: bool = False) -> list[str]:
        """``Tab.navigate``; first, apps whose entry was redeployed are unloaded so that this
        navigation mounts their new version (not from inside a reroute: that one is queued)."""
        if not self._rerouter.inside_reroute():
            await self.micro_apps.remount_updated()
        return await super().navigate(url, replace=replace)

    def register_micro_apps(
        self, apps: Iterable[MicroAppRegistration], hooks: LifecycleHooks | None = None
    ) -> None:
        """qiankun's ``registerMicroApps``: each app becomes a routed single-spa application."""
        if self.federation is not None and not isinstance(apps, Mapping | str):
            apps = [self._with_federation(app) for app in apps]
        self.micro_apps.register_micro_apps(apps, hooks)

    async def load_micro_app(
        self,
        app: MicroAppRegistration,
        configuration: Configuration | None = None,
        hooks: LifecycleHooks | None = None,
    ) -> MicroApp:
        """qiankun's ``loadMicroApp``: load and mount an app by hand, outside routing."""
        return await self.micro_apps.load_micro_app(
            self._with_federation(app), configuration, hooks
        )

    async def prefetch_apps(self, apps: Iterable[Mapping[str, Any]]) -> None:
        # qiankun's prefetchApps takes ``{name, entry}`` objects
        """Fetch the given apps' entries and assets now, so their first mount does not wait."""
        await self.micro_apps.prefetch_apps(apps)

    def set_default_mount_app(self, url: str) -> None:
        """Navigate to ``url`` after a reroute that mounted nothing."""
        self.micro_apps.set_default_mount_app(url)

    def run_after_first_mounted(self, effect: Callable[[], Any]) -> None:
        """Run ``effect`` once, after the first app has mounted."""
        self.micro_apps.run_after_first_mounted(effect)

    def add_global_uncaught_error_handler(self, handler: Callable[[Event], Any]) -> None:
        """Call ``handler(event)`` for window errors and lifecycle errors."""
        self.micro_apps.add_global_uncaught_error_handler(handler)

    def remove_global_uncaught_error_handler(self, handler: Callable[[Event], Any]) -> bool:
        return self.micro_apps.remove_global_uncaught_error_handler(handler)
