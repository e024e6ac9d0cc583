"""One status transition each: load, bootstrap, mount, unmount, unload, update (single-spa's
``toLoadPromise`` & co.).

Every step is a no-op unless the status table has its move from where the app or parcel is now
(``unit.can(trigger)``), which is what makes duplicate and concurrent requests safe. Failures
become a ``LifecycleError``: reported to the error handlers for apps, raised for parcels.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ._tasks import call_maybe_async, maybe_await
from .errors import LifecycleError, ParcelLifecycleError
from .events import BEFORE_FIRST_MOUNT, FIRST_MOUNT, Events
from .lifecycle import (
    ChildParcel,
    InvalidExportsError,
    Lifecycles,
    Timeout,
    call_lifecycle,
    read_lifecycles,
)
from .status import AppStatus

if TYPE_CHECKING:
    from .registry import AppRecord

__all__ = ["ErrorHandlers", "LifecycleSteps", "Unit"]

logger = logging.getLogger(__name__)
S = AppStatus


class Unit(Protocol):
    """An app record or a parcel: what a step works on."""

    name: str
    status: AppStatus
    lifecycles: Lifecycles | None
    parcels: dict[int, ChildParcel]

    def fire(self, trigger: str) -> None: ...

    def can(self, trigger: str) -> bool: ...


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
        """Remove every handler equal to ``handler``: ``==``, not ``is``, because each access to
        ``self.on_error`` makes a new bound-method object (equal, never identical)."""
        if not callable(handler):
            raise TypeError(f"error handler must be callable, got {type(handler).__name__}")
        before = len(self._handlers)
        self._handlers = [h for h in self._handlers if h != handler]
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

    def __init__(
        self,
        *,
        sender: object,
        events: Events,
        errors: ErrorHandlers,
        app_props: Callable[[AppRecord], dict[str, Any]],
        clock: Callable[[], float],
        timeouts: Mapping[str, Timeout],
        on_app_unmounted: Callable[[str], None] = lambda name: None,
    ) -> None:
        self._sender = sender
        self._events = events
        self._handlers = errors
        self._app_props = app_props
        self._clock = clock
        self._on_app_unmounted = on_app_unmounted
        self._first_mount_started = False
        self._first_mount_done = False
        self.base_timeouts: Mapping[str, Timeout] = timeouts

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
        return self._app_props(unit)  # type: ignore[arg-type]

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
        if app.removed or not app.can("start_load"):
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
                exports = await call_maybe_async(source, self.props(app))
            elif inspect.isawaitable(source):
                exports = await maybe_await(source)
                app.app = exports
            else:
                exports = source
        except Exception as exc:
            app.load_error_time = self._clock()
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
        if not unit.can("start_bootstrap"):
            return
        unit.fire("start_bootstrap")
        try:
            await self._call(unit, "bootstrap")
        except Exception as exc:
            self.fail(unit, exc, S.SKIP_BECAUSE_BROKEN, hard=hard)
            return
        unit.fire("bootstrap_succeeded")

    async def mount(self, unit: Unit, *, hard: bool = False) -> None:
        """NOT_MOUNTED → MOUNTED; a failed mount gets one unmount attempt and one error, and
        goes MOUNTING → UNMOUNTING (→ NOT_MOUNTED) → SKIP_BECAUSE_BROKEN, never through MOUNTED."""
        if not unit.can("start_mount"):
            return
        if not self._first_mount_started:
            self._first_mount_started = True
            await self._events.send(BEFORE_FIRST_MOUNT, self._sender, detail=None)
        unit.fire("start_mount")
        try:
            await self._call(unit, "mount")
        except Exception as exc:
            unit.fire("mount_failed")
            own, _child = await self._tear_down(unit)
            if own is None:
                unit.fire("unmount_succeeded")  # the error then names NOT_MOUNTED, as single-spa
            else:
                logger.debug("unmount after the failed mount of %r failed too", unit.name)
                unit.fire("break_")
            self.fail(unit, exc, S.SKIP_BECAUSE_BROKEN, hard=hard)
            return
        unit.fire("mount_succeeded")
        if not self._first_mount_done:
            self._first_mount_done = True
            await self._events.send(FIRST_MOUNT, self._sender, detail=None)

    async def unmount(self, unit: Unit, *, hard: bool = False) -> None:
        """MOUNTED → NOT_MOUNTED, child parcels first; a child's failure breaks the owner."""
        if not unit.can("start_unmount"):
            return
        unit.fire("start_unmount")
        own, child = await self._tear_down(unit)
        if own is not None:
            self.fail(unit, own, S.SKIP_BECAUSE_BROKEN, hard=hard)
            return
        unit.fire("unmount_succeeded")
        if child is not None:
            wrapped = RuntimeError(_cause(child))
            wrapped.__cause__ = child
            self.fail(unit, wrapped, S.SKIP_BECAUSE_BROKEN, hard=hard)

    async def _tear_down(self, unit: Unit) -> tuple[Exception | None, BaseException | None]:
        """Unmount child parcels, then the unit's own ``unmount``: (its error, a child's error)."""
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
            return exc, child_error
        finally:
            if not _is_parcel(unit):
                self._released(unit.name)
        return None, child_error

    def _released(self, name: str) -> None:
        try:
            self._on_app_unmounted(name)
        except Exception:
            logger.exception("cleaning up after the unmount of %r failed", name)

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
        if not app.can("start_unload"):
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
