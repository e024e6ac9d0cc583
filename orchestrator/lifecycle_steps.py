"""One status transition each: load, bootstrap, mount, unmount, unload, update (single-spa's
``toLoadPromise`` & co.).

Every step is a no-op unless the app or parcel is in the status the step starts from, which is
what makes duplicate and concurrent requests safe. Failures become a ``LifecycleError``: reported
to the error handlers for apps, raised for parcels (``hard_fail``).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from .errors import LifecycleError, ParcelLifecycleError
from .events import BEFORE_FIRST_MOUNT, FIRST_MOUNT
from .lifecycle import (
    InvalidExportsError,
    Lifecycles,
    Timeout,
    call_lifecycle,
    read_lifecycles,
)
from .props import app_props
from .status import AppStatus

if TYPE_CHECKING:
    from .core import Orchestrator
    from .parcels import Parcel
    from .registry import AppRecord

__all__ = ["ErrorHandlers", "LifecycleSteps", "Unit"]

logger = logging.getLogger(__name__)
S = AppStatus


class Unit(Protocol):
    """An app record or a parcel: what a step works on."""

    name: str
    status: AppStatus
    lifecycles: Lifecycles | None
    parcels: dict[int, Parcel]

    def fire(self, trigger: str) -> None: ...


ErrorHandler = Callable[[LifecycleError], Any]


class ErrorHandlers:
    """``add_error_handler``/``remove_error_handler``; without handlers errors are logged."""

    def __init__(self) -> None:
        self._handlers: list[ErrorHandler] = []

    def add(self, handler: ErrorHandler) -> None:
        if not callable(handler):
            raise TypeError(f"error handler must be callable, got {type(handler).__name__}")
        self._handlers.append(handler)

    def remove(self, handler: ErrorHandler) -> bool:
        if not callable(handler):
            raise TypeError(f"error handler must be callable, got {type(handler).__name__}")
        before = len(self._handlers)
        self._handlers = [h for h in self._handlers if h is not handler]
        return len(self._handlers) != before

    def report(self, error: LifecycleError) -> None:
        """Call each handler in order; one raising is logged and does not stop the others."""
        if not self._handlers:
            logger.error("%s", error, exc_info=error)
            return
        for handler in list(self._handlers):
            try:
                result = handler(error)
                if inspect.iscoroutine(result):
                    result.close()
                    logger.error("error handler %r is async; handlers must be sync", handler)
            except Exception:
                logger.exception("error handler %r raised", handler)


def _cause(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _is_parcel(unit: Unit) -> bool:
    return hasattr(unit, "owner")


class LifecycleSteps:
    """The per-orchestrator driver of status transitions for apps and parcels."""

    def __init__(self, orchestrator: Orchestrator, handlers: ErrorHandlers) -> None:
        self._orchestrator = orchestrator
        self._handlers = handlers
        self._first_mount_started = False
        self._first_mount_done = False
        self.base_timeouts: Mapping[str, Timeout] = orchestrator.timeouts

    # -- errors -----------------------------------------------------------------------------

    def fail(
        self, unit: Unit, exc: BaseException, new_status: AppStatus, *, hard: bool = False
    ) -> LifecycleError:
        """Wrap ``exc`` naming the status it died in, move to ``new_status``, report or raise."""
        error_type = ParcelLifecycleError if _is_parcel(unit) else LifecycleError
        error = error_type(unit.name, unit.status.value, _cause(exc))
        error.__cause__ = exc
        if unit.status is not new_status:
            unit.fire("load_failed" if new_status is S.LOAD_ERROR else "break_")
        if hard:
            raise error
        self._handlers.report(error)
        return error

    # -- props ------------------------------------------------------------------------------

    def props(self, unit: Unit) -> dict[str, Any]:
        if _is_parcel(unit):
            return unit.props()  # type: ignore[attr-defined,no-any-return]
        return app_props(self._orchestrator, unit)  # type: ignore[arg-type]

    async def _call(self, unit: Unit, lifecycle: str) -> None:
        lifecycles = unit.lifecycles
        assert lifecycles is not None
        fn = getattr(lifecycles, lifecycle)
        kind = "parcel" if _is_parcel(unit) else "application"
        await call_lifecycle(
            fn, self.props(unit), lifecycle, kind, unit.name, lifecycles.timeouts[lifecycle]
        )

    # -- steps ------------------------------------------------------------------------------

    async def load(self, app: AppRecord) -> None:
        """NOT_LOADED/LOAD_ERROR → NOT_BOOTSTRAPPED (or LOAD_ERROR, or broken); deduplicated."""
        if app.load_task is not None:
            await asyncio.shield(app.load_task)
            return
        if app.removed or (app.status is not S.NOT_LOADED and app.status is not S.LOAD_ERROR):
            return
        app.fire("start_load")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        app.load_task = done
        try:
            await self._load(app)
        finally:
            app.load_task = None
            done.set_result(None)

    async def _load(self, app: AppRecord) -> None:
        source = app.app
        try:
            if callable(source) and not isinstance(source, type):
                exports = source(self.props(app))
                if inspect.isawaitable(exports):
                    exports = await exports
            elif inspect.isawaitable(source):
                exports = await source
                app.app = exports
            else:
                exports = source
        except Exception as exc:
            app.load_error_time = self._orchestrator._registry.clock()
            self.fail(app, exc, S.LOAD_ERROR)
            return
        app.load_error_time = None
        try:
            app.lifecycles = read_lifecycles(
                exports, f"application '{app.name}'", self.base_timeouts
            )
        except InvalidExportsError as exc:
            self.fail(app, exc, S.SKIP_BECAUSE_BROKEN)
            return
        app.fire("load_succeeded")

    async def bootstrap(self, unit: Unit, *, hard: bool = False) -> None:
        if unit.status is not S.NOT_BOOTSTRAPPED:
            return
        unit.fire("start_bootstrap")
        try:
            await self._call(unit, "bootstrap")
        except Exception as exc:
            self.fail(unit, exc, S.SKIP_BECAUSE_BROKEN, hard=hard)
            return
        unit.fire("bootstrap_succeeded")

    async def mount(self, unit: Unit, *, hard: bool = False) -> None:
        """NOT_MOUNTED → MOUNTED; a failed mount gets one unmount attempt and one error."""
        if unit.status is not S.NOT_MOUNTED:
            return
        events = self._orchestrator.events
        if not self._first_mount_started:
            self._first_mount_started = True
            await events.send(BEFORE_FIRST_MOUNT, self._orchestrator, detail=None)
        unit.fire("start_mount")
        try:
            await self._call(unit, "mount")
        except Exception as exc:
            unit.fire("mount_succeeded")
            try:
                await self.unmount(unit, hard=True)
            except Exception:
                logger.debug("unmount after the failed mount of %r failed too", unit.name)
            self.fail(unit, exc, S.SKIP_BECAUSE_BROKEN, hard=hard)
            return
        unit.fire("mount_succeeded")
        if not self._first_mount_done:
            self._first_mount_done = True
            await events.send(FIRST_MOUNT, self._orchestrator, detail=None)

    async def unmount(self, unit: Unit, *, hard: bool = False) -> None:
        """MOUNTED → NOT_MOUNTED, child parcels first; a child's failure breaks the owner."""
        if unit.status is not S.MOUNTED:
            return
        unit.fire("start_unmount")
        child_error: BaseException | None = None
        if unit.parcels:
            results = await asyncio.gather(
                *(parcel.unmount_this_parcel() for parcel in list(unit.parcels.values())),
                return_exceptions=True,
            )
            child_error = next((r for r in results if isinstance(r, BaseException)), None)
        try:
            await self._call(unit, "unmount")
        except Exception as exc:
            self.fail(unit, exc, S.SKIP_BECAUSE_BROKEN, hard=hard)
            return
        finally:
            if not _is_parcel(unit):
                self._forget_global_state(unit)
        unit.fire("unmount_succeeded")
        if child_error is not None:
            wrapped = RuntimeError(_cause(child_error))
            wrapped.__cause__ = child_error
            self.fail(unit, wrapped, S.SKIP_BECAUSE_BROKEN, hard=hard)

    def _forget_global_state(self, unit: Unit) -> None:
        state = self._orchestrator.global_state
        if state is not None:
            try:
                state.actions_for(unit.name).off_global_state_change()
            except Exception:
                logger.exception("could not remove the global state listener of %r", unit.name)

    async def unload(self, app: AppRecord) -> None:
        """Serve ``app``'s unload request: → NOT_LOADED with its lifecycles forgotten."""
        request = app.unload_request
        if request is None:
            return
        status = app.status
        if status is S.NOT_LOADED:
            self._finish_unload(app, None)
            return
        if status is S.UNLOADING:
            await asyncio.shield(request)
            return
        if status not in (S.NOT_MOUNTED, S.NOT_BOOTSTRAPPED, S.LOAD_ERROR, S.SKIP_BECAUSE_BROKEN):
            return
        call_unload = status is not S.LOAD_ERROR and app.lifecycles is not None
        app.fire("start_unload")
        try:
            if call_unload:
                await self._call(app, "unload")
        except Exception as exc:
            app.lifecycles = None
            error = self.fail(app, exc, S.SKIP_BECAUSE_BROKEN)
            self._finish_unload(app, error)
            return
        app.lifecycles = None
        app.fire("unload_succeeded")
        self._finish_unload(app, None)

    @staticmethod
    def _finish_unload(app: AppRecord, error: BaseException | None) -> None:
        request = app.unload_request
        app.unload_request = None
        if request is None or request.done():
            return
        if error is None:
            request.set_result(None)
        else:
            request.set_exception(error)

    async def update(self, unit: Unit) -> None:
        """MOUNTED → UPDATING → MOUNTED (parcels only); a failure raises and breaks the parcel."""
        unit.fire("start_update")
        try:
            await self._call(unit, "update")
        except Exception as exc:
            self.fail(unit, exc, S.SKIP_BECAUSE_BROKEN, hard=True)
        unit.fire("update_succeeded")
