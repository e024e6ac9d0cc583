"""``MicroApp``: a micro-app loaded by hand (qiankun's ``loadMicroApp``), on a root parcel."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..status import AppStatus

if TYPE_CHECKING:
    from ..parcels import Parcel

__all__ = ["MicroApp"]


class MicroApp:
    """A micro-app loaded by hand (qiankun's ``MicroApp``), built on a root parcel."""

    def __init__(self, parcel: Parcel, key: str, drop_cached: Callable[[MicroApp], None]) -> None:
        self._drop_cached = drop_cached
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
        self._drop_cached(self)
