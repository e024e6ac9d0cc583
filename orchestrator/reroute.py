"""The reroute engine: from the URL at call time to loads, unmounts and mounts (single-spa's
``reroute``).

One started reroute runs at a time; calls made meanwhile are queued and collapsed into one
follow-up. Unloads and unmounts run first, loads and bootstraps overlap them, mounts wait for all
of them, and activity is checked again before bootstrap and before mount.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import logging
from collections.abc import Awaitable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from ._tasks import TaskSet, maybe_await
from .events import (
    APP_CHANGE,
    BEFORE_APP_CHANGE,
    BEFORE_MOUNT_ROUTING_EVENT,
    BEFORE_NO_APP_CHANGE,
    BEFORE_ROUTING_EVENT,
    NO_APP_CHANGE,
    ROUTING_EVENT,
    RoutingEventDetail,
)
from .registry import AppChanges, AppRecord
from .status import AppStatus

if TYPE_CHECKING:
    from sandbox import Window

    from .events import Events
    from .lifecycle_steps import LifecycleSteps
    from .navigation import History, Location
    from .registry import Registry

__all__ = ["Rerouter"]

logger = logging.getLogger(__name__)
S = AppStatus

_BEFORE = (
    BEFORE_NO_APP_CHANGE,
    BEFORE_APP_CHANGE,
    BEFORE_ROUTING_EVENT,
    BEFORE_MOUNT_ROUTING_EVENT,
)
_AFTER = (NO_APP_CHANGE, APP_CHANGE, ROUTING_EVENT)
Pending = list["asyncio.Future[list[str]]"]


async def _run_all(coroutines: Sequence[Awaitable[Any]]) -> None:
    """Await concurrently, without the cost of tasks when there is only one."""
    if len(coroutines) == 1:
        await coroutines[0]
    elif coroutines:
        await asyncio.gather(*coroutines)


#: The rerouter whose reroute is running in this context (lifecycles run inside it).
_CURRENT: contextvars.ContextVar[Rerouter | None] = contextvars.ContextVar(
    "orchestrator_reroute", default=None
)


class Rerouter:
    """Per-orchestrator reroute state: started, the change-underway flag, the queue, the URL."""

    def __init__(
        self,
        *,
        sender: object,
        events: Events,
        registry: Registry,
        steps: LifecycleSteps,
        location: Location,
        history: History,
        window: Window,
    ) -> None:
        self._sender = sender
        self._registry = registry
        self._steps = steps
        self._events = events
        self._location = location
        self._history = history
        self._window = window
        self.started = False
        self.url_reroute_only = True
        self.underway = False
        self._waiting: list[tuple[asyncio.Future[list[str]], Any]] = []
        self.current_url = location.href
        self._tasks = TaskSet()

    # -- activity ---------------------------------------------------------------------------

    def is_active(self, app: AppRecord, location: Any = None) -> bool:
        """The app's activity function; one that raises breaks the app and counts as inactive.

        An unregistered app is never active, so a reroute that picked it up before it was
        removed leaves it alone instead of mounting an app nobody can unmount.
        """
        if app.removed:
            return False
        if location is None:
            location = self._location
        try:
            return bool(app.active_when(location))
        except Exception as exc:
            if app.status is not S.SKIP_BECAUSE_BROKEN:
                self._steps.fail(app, exc, S.SKIP_BECAUSE_BROKEN)
            return False

    # -- entry points -----------------------------------------------------------------------

    def reroute(self, original_event: Any = None) -> asyncio.Future[list[str]]:
        """Start (or queue) a reroute for the URL as it is now; resolves to the mounted names."""
        if self.underway:
            future: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()
            self._waiting.append((future, original_event))
            return future
        events = [] if original_event is None else [original_event]
        return self._begin([], events, original_event)

    def inside_reroute(self) -> bool:
        """Whether the caller runs inside one of this rerouter's reroutes (in a lifecycle)."""
        return _CURRENT.get() is self

    def on_navigation_event(self, event: Any) -> asyncio.Future[list[str]] | None:
        """What a ``popstate``/``hashchange`` does: a reroute, its listeners run after unmounts."""
        if (
            getattr(event, "single_spa", False)
            and self.url_reroute_only
            and getattr(event, "old_url", None) == getattr(event, "new_url", None)
        ):
            return None
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return None
        return self.reroute(event)

    def _begin(
        self, pending: Pending, listener_events: list[Any], original_event: Any
    ) -> asyncio.Future[list[str]]:
        """The synchronous prologue: app changes and URLs now, the work in a task."""
        location = self._location
        changes = self._registry.app_changes(location, self.is_active)
        old_url, self.current_url = self.current_url, location.href
        coroutine: Coroutine[Any, Any, list[str]]
        if not self.started:
            # before start no history patch exists: browsers fire no popstate for pushState
            browser_events = [e for e in listener_events if not getattr(e, "single_spa", False)]
            coroutine = self._load_only(changes, pending, browser_events)
        else:
            self.underway = True
            coroutine = self._perform(changes, old_url, pending, listener_events, original_event)
        return self._tasks.spawn(coroutine)

    # -- before start -----------------------------------------------------------------------

    async def _load_only(
        self, changes: AppChanges, pending: Pending, listener_events: list[Any]
    ) -> list[str]:
        try:
            await _run_all([self._steps.load(app) for app in changes.to_load])
        finally:
            self._call_listeners(listener_events)
        _resolve(pending, [])
        return []

    # -- after start ------------------------------------------------------------------------

    async def _perform(
        self,
        changes: AppChanges,
        old_url: str,
        pending: Pending,
        listener_events: list[Any],
        original_event: Any,
    ) -> list[str]:
        _CURRENT.set(self)
        try:
            try:
                await self._apply(
                    changes, old_url, pending, listener_events, original_event, silent=False
                )
            finally:
                self.underway = False
        except BaseException as exc:
            if not isinstance(exc, asyncio.CancelledError):
                self._start_follow_up()  # callers queued behind a failed reroute must not hang
            _fail(pending, exc)
            raise
        follow_up = self._start_follow_up()
        try:
            result = await follow_up if follow_up is not None else self._registry.mounted_names()
        except BaseException as exc:
            _fail(pending, exc)
            raise
        _resolve(pending, result)
        return result

    def _start_follow_up(self) -> asyncio.Future[list[str]] | None:
        """Collapse every queued call into one reroute for the URL as it is now."""
        if not self._waiting:
            return None
        waiting, self._waiting = self._waiting, []
        futures = [future for future, _ in waiting]
        events = [event for _, event in waiting if event is not None]
        return self._begin(futures, events, None)

    def _detail(
        self, changes: AppChanges, old_url: str, original_event: Any, *, before: bool
    ) -> RoutingEventDetail:
        if before:
            pairs = [(app.name, S.MOUNTED) for app in (*changes.to_load, *changes.to_mount)]
            pairs += [(app.name, S.NOT_LOADED) for app in changes.to_unload]
            pairs += [(app.name, S.NOT_MOUNTED) for app in changes.to_unmount]
        else:
            pairs = [(app.name, app.status) for app in changes.changed()]
        return RoutingEventDetail.build(
            pairs, len(changes), original_event, old_url, self.current_url
        )

    def _wants(self, names: Sequence[str]) -> bool:
        return any(self._events.has_receivers(name) for name in names)

    async def _apply(
        self,
        changes: AppChanges,
        old_url: str,
        pending: Pending,
        listener_events: list[Any],
        original_event: Any,
        silent: bool,
    ) -> None:
        sender = self._sender
        events = self._events
        total = len(changes)
        before: RoutingEventDetail | None = None
        if not silent and self._wants(_BEFORE):
            before = self._detail(changes, old_url, original_event, before=True)
            name = BEFORE_APP_CHANGE if total else BEFORE_NO_APP_CHANGE
            await events.send(name, sender, detail=before)
            if await self._canceled(before):
                self._absorb_same_navigation(pending)
                self._revert_url(old_url)
                self.current_url = self._location.href
                changes = self._registry.app_changes(self._location, self.is_active)
                await self._apply(changes, old_url, pending, [], None, silent=True)
                return

        steps = self._steps
        loop = asyncio.get_running_loop()
        gate: asyncio.Future[None] = loop.create_future()
        chains: list[asyncio.Task[None]] = []
        for app in changes.to_load:
            chains.append(loop.create_task(self._load_and_mount(app, gate)))
        ready: list[AppRecord] = []
        for app in changes.to_mount:
            if app.status is S.NOT_BOOTSTRAPPED:
                chains.append(loop.create_task(self._bootstrap_and_mount(app, gate)))
            elif self.is_active(app):
                ready.append(app)

        removals = [steps.unload(app) for app in changes.to_unload]
        removals += [self._unmount_and_unload(app) for app in changes.to_unmount]
        try:
            await _run_all(removals)
            if before is not None:
                await events.send(BEFORE_MOUNT_ROUTING_EVENT, sender, detail=before)
            if not silent:
                self._call_listeners(listener_events)
        finally:
            gate.set_result(None)
        await _run_all([self._mount_if_active(app) for app in ready])
        if chains:
            await asyncio.gather(*chains)
        if not silent and self._wants(_AFTER):
            after = self._detail(changes, old_url, original_event, before=False)
            await events.send(APP_CHANGE if total else NO_APP_CHANGE, sender, detail=after)
            await events.send(ROUTING_EVENT, sender, detail=after)

    def _absorb_same_navigation(self, pending: Pending) -> None:
        """A canceled navigation swallows the rest of its events (the ``hashchange`` after the
        ``popstate``): their callers are served by this reroute instead of a follow-up."""
        canceled_url = self.current_url
        kept: list[tuple[asyncio.Future[list[str]], Any]] = []
        for future, event in self._waiting:
            if event is not None and getattr(event, "new_url", None) == canceled_url:
                pending.append(future)
            else:
                kept.append((future, event))
        self._waiting = kept

    async def _canceled(self, detail: RoutingEventDetail) -> bool:
        """Fire ``before-routing-event``; true if any ``cancel_navigation`` value was truthy."""
        values: list[Any] = []
        collecting = True

        def cancel_navigation(value: Any = True) -> None:
            """Cancel (if ``value`` is truthy or resolves truthy); ignored once dispatch ended."""
            if collecting:
                values.append(value)

        routing_detail = dataclasses.replace(detail, cancel_navigation=cancel_navigation)
        try:
            await self._events.send(BEFORE_ROUTING_EVENT, self._sender, detail=routing_detail)
        finally:
            collecting = False
        canceled = False
        for value in values:
            try:
                value = await maybe_await(value)
            except Exception as exc:
                logger.warning("A cancel_navigation awaitable raised: %r", exc)
                value = False
            canceled = canceled or bool(value)
        return canceled

    def _revert_url(self, old_url: str) -> None:
        """Put the URL back without any event or reroute (the pushed entry stays, as in
        single-spa)."""
        history = self._history
        handler, history.on_change = history.on_change, None
        try:
            history.replace_state(history.state, "", old_url)
        finally:
            history.on_change = handler

    async def _unmount_and_unload(self, app: AppRecord) -> None:
        await self._steps.unmount(app)
        await self._steps.unload(app)

    async def _mount_if_active(self, app: AppRecord) -> None:
        if self.is_active(app):
            await self._steps.mount(app)

    async def _bootstrap_and_mount(self, app: AppRecord, gate: asyncio.Future[None]) -> None:
        if self.is_active(app):
            await self._steps.bootstrap(app)
            await gate
            await self._mount_if_active(app)
        else:
            await gate

    async def _load_and_mount(self, app: AppRecord, gate: asyncio.Future[None]) -> None:
        await self._steps.load(app)
        await self._bootstrap_and_mount(app, gate)

    def _call_listeners(self, events: list[Any]) -> None:
        window = self._window
        for event in events:
            window.call_event_listeners(event)

    async def aclose(self) -> None:
        await self._tasks.aclose()
        for future, _ in self._waiting:
            future.cancel()
        self._waiting.clear()


def _resolve(pending: Pending, result: list[str]) -> None:
    for future in pending:
        if not future.done():
            future.set_result(list(result))


def _fail(pending: Pending, exc: BaseException) -> None:
    for future in pending:
        if not future.done():
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
