"""Parcels: framework-agnostic components mounted by hand (single-spa's ``mountParcel``).

A parcel is owned by an app, another parcel or the orchestrator's root; it is unmounted with its
owner. ``Parcel`` is general on purpose: qiankun's ``MicroApp`` (``load_micro_app``) is built on it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ._tasks import TaskSet, mark_seen, maybe_await
from .errors import ParcelStateError
from .lifecycle import ChildParcel, Lifecycles, read_lifecycles
from .status import AppStatus, StatusMachine, StatusModel

if TYPE_CHECKING:
    from .lifecycle_steps import LifecycleSteps

__all__ = ["Parcel", "ParcelOwner", "Parcels"]

S = AppStatus


class ParcelOwner:
    """The root owner of parcels mounted with ``mount_root_parcel``."""

    def __init__(self, name: str = "rootParcels") -> None:
        self.name = name
        self.parcels: dict[int, ChildParcel] = {}


class Parcel(StatusModel):
    """A mounted (or mounting) parcel: ``mount``, ``unmount``, ``update``, ``get_status`` and the
    awaitables ``load_promise``, ``bootstrap_promise``, ``mount_promise``, ``unmount_promise``
    (each resolving to ``None``, or raising the ``ParcelLifecycleError`` that broke the parcel).
    """

    def __init__(
        self,
        parcels: Parcels,
        owner: Any,
        parcel_id: int,
        config: object,
        custom_props: Mapping[str, Any],
    ) -> None:
        self._manager = parcels
        self.owner = owner
        self.id = parcel_id
        self.custom_props: dict[str, Any] = dict(custom_props)
        self.lifecycles: Lifecycles | None = None
        self.parcels: dict[int, ChildParcel] = {}
        self.name = self._name_of(config) or f"parcel-{parcel_id}"
        is_loader = callable(config) and not isinstance(config, Mapping | type)
        initial = S.LOADING_SOURCE_CODE if is_loader else S.NOT_BOOTSTRAPPED
        parcels.machine.attach(self, initial)
        loop = asyncio.get_running_loop()
        self.load_promise: asyncio.Future[None] = loop.create_future()
        self.bootstrap_promise: asyncio.Future[None] = loop.create_future()
        self.mount_promise: asyncio.Future[None] = loop.create_future()
        self.unmount_promise: asyncio.Future[None] = loop.create_future()
        for future in (
            self.load_promise,
            self.bootstrap_promise,
            self.mount_promise,
            self.unmount_promise,
        ):
            future.add_done_callback(mark_seen)
        source = config(self.props()) if is_loader else config  # type: ignore[operator]
        parcels.tasks.spawn(self._first_mount(source))

    @staticmethod
    def _name_of(config: object) -> str | None:
        if callable(config) and not isinstance(config, Mapping | type):
            return None
        name = config.get("name") if isinstance(config, Mapping) else getattr(config, "name", None)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"parcel config name must be a str, got {type(name).__name__}")
        return name

    def __repr__(self) -> str:
        return f"<Parcel {self.name!r} {self.status}>"

    @property
    def _steps(self) -> LifecycleSteps:
        return self._manager.steps

    def props(self) -> dict[str, Any]:
        """Custom props (as given, or as last ``update``d) with the built-ins winning."""
        props = dict(self.custom_props)
        props["name"] = self.name
        props["orchestrator"] = self._manager.tab
        props["mount_parcel"] = self._manager.mounter_for(self)
        props["unmount_self"] = self.unmount_this_parcel
        return props

    async def _first_mount(self, source: object) -> None:
        futures = (self.load_promise, self.bootstrap_promise, self.mount_promise)
        try:
            source = await maybe_await(source)
            if source is None:
                raise TypeError(
                    f"the loading function of parcel '{self.name}' did not resolve with a "
                    "parcel config"
                )
            self.name = self._name_of(source) or self.name
            self.lifecycles = read_lifecycles(
                source, f"parcel '{self.name}'", self._steps.base_timeouts
            )
            if self.status is S.LOADING_SOURCE_CODE:
                self.fire("load_succeeded")
        except Exception as exc:
            for future in futures:
                future.set_exception(exc)
            return
        self.owner.parcels[self.id] = self
        self.load_promise.set_result(None)
        try:
            await self._steps.bootstrap(self, hard=True)
        except Exception as exc:
            for future in futures[1:]:
                future.set_exception(exc)
            return
        self.bootstrap_promise.set_result(None)
        try:
            await self._steps.mount(self, hard=True)
        except Exception as exc:
            self.mount_promise.set_exception(exc)
            return
        self.mount_promise.set_result(None)

    def get_status(self) -> AppStatus:
        return self.status

    async def mount(self) -> None:
        """Mount again after an ``unmount``; a failure goes to the error handlers."""
        if self.status is not S.NOT_MOUNTED:
            raise ParcelStateError(self.name, "mount", self.status)
        self.owner.parcels[self.id] = self
        await self._steps.mount(self)

    async def unmount(self) -> None:
        await self.unmount_this_parcel()

    async def unmount_this_parcel(self) -> None:
        """Unmount (waiting for the first mount to finish first), then leave the owner."""
        try:
            await asyncio.shield(self.mount_promise)
            if self.status is not S.MOUNTED:
                raise ParcelStateError(self.name, "unmount", self.status)
            await self._steps.unmount(self, hard=True)
        except ParcelStateError:
            raise
        except Exception as exc:
            if self.status is not S.SKIP_BECAUSE_BROKEN:
                self.fire("break_")
            if not self.unmount_promise.done():
                self.unmount_promise.set_exception(exc)
            raise
        self.owner.parcels.pop(self.id, None)
        if not self.unmount_promise.done():
            self.unmount_promise.set_result(None)

    async def update(self, custom_props: Mapping[str, Any]) -> None:
        """Replace the custom props and run the parcel's ``update`` lifecycle."""
        if self.lifecycles is None or self.lifecycles.update is None:
            raise TypeError(f"parcel '{self.name}' has no update lifecycle")
        if self.status is not S.MOUNTED:
            raise ParcelStateError(self.name, "update", self.status)
        if not isinstance(custom_props, Mapping):
            raise TypeError(f"parcel props must be a mapping, got {type(custom_props).__name__}")
        self.custom_props = dict(custom_props)
        await self._steps.update(self)


class Parcels:
    """Creates parcels for one orchestrator and keeps their root owner and counter."""

    def __init__(self, tab: object, steps: LifecycleSteps, machine: StatusMachine) -> None:
        self.tab = tab
        """What parcels get as their ``orchestrator`` prop."""
        self.steps = steps
        self.root = ParcelOwner()
        self.machine = machine
        self._count = 0
        self.tasks = TaskSet()

    def mount_parcel(self, owner: Any, config: object, props: Mapping[str, Any] | None) -> Parcel:
        """Validate now, then load, bootstrap and mount in the background."""
        if config is None or isinstance(config, str | bytes | int | float | bool | list | tuple):
            raise TypeError(
                "parcel config must be lifecycles (a mapping or an object) or a loading function, "
                f"got {type(config).__name__}"
            )
        if props is None:
            props = {}
        if not isinstance(props, Mapping):
            raise TypeError(f"parcel props must be a mapping, got {type(props).__name__}")
        self._count += 1
        return Parcel(self, owner, self._count, config, props)

    def mounter_for(self, owner: Any) -> Callable[[object, Mapping[str, Any] | None], Parcel]:
        """The ``mount_parcel`` prop of ``owner``: parcels it mounts are unmounted with it."""
        return functools.partial(self.mount_parcel, owner)

    async def aclose(self) -> None:
        await self.tasks.aclose()
