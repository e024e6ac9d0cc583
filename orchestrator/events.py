"""Routing events as blinker signals, one namespace per orchestrator.

Receivers are connected strongly by default (users pass lambdas) and may be sync or async.
"""

from __future__ import annotations

import functools
import logging
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from blinker import ANY, NamedSignal, Namespace

from ._tasks import TaskSet, maybe_await
from .status import AppStatus

__all__ = [
    "ROUTING_EVENT_NAMES",
    "STATUS_CHANGE",
    "Events",
    "RoutingEventDetail",
    "StrongSignal",
]

logger = logging.getLogger(__name__)

BEFORE_NO_APP_CHANGE = "before-no-app-change"
BEFORE_APP_CHANGE = "before-app-change"
BEFORE_ROUTING_EVENT = "before-routing-event"
BEFORE_MOUNT_ROUTING_EVENT = "before-mount-routing-event"
BEFORE_FIRST_MOUNT = "before-first-mount"
FIRST_MOUNT = "first-mount"
NO_APP_CHANGE = "no-app-change"
APP_CHANGE = "app-change"
ROUTING_EVENT = "routing-event"
STATUS_CHANGE = "status-change"

ROUTING_EVENT_NAMES = (
    BEFORE_NO_APP_CHANGE,
    BEFORE_APP_CHANGE,
    BEFORE_ROUTING_EVENT,
    BEFORE_MOUNT_ROUTING_EVENT,
    BEFORE_FIRST_MOUNT,
    FIRST_MOUNT,
    NO_APP_CHANGE,
    APP_CHANGE,
    ROUTING_EVENT,
)


@dataclass(slots=True)
class RoutingEventDetail:
    """single-spa's event ``detail``: predicted statuses before the changes, real ones after."""

    new_app_statuses: dict[str, AppStatus] = field(default_factory=dict)
    apps_by_new_status: dict[AppStatus, list[str]] = field(default_factory=dict)
    total_app_changes: int = 0
    original_event: Any = None
    old_url: str = ""
    new_url: str = ""
    cancel_navigation: Callable[..., None] | None = None

    @classmethod
    def build(
        cls,
        statuses: Iterable[tuple[str, AppStatus]],
        total: int,
        original_event: Any,
        old_url: str,
        new_url: str,
    ) -> RoutingEventDetail:
        by_status: dict[AppStatus, list[str]] = {
            AppStatus.MOUNTED: [],
            AppStatus.NOT_MOUNTED: [],
            AppStatus.NOT_LOADED: [],
            AppStatus.SKIP_BECAUSE_BROKEN: [],
        }
        new_statuses: dict[str, AppStatus] = {}
        for name, status in statuses:
            by_status.setdefault(status, []).append(name)
            new_statuses[name] = status
        return cls(new_statuses, by_status, total, original_event, old_url, new_url)


class StrongSignal(NamedSignal):
    """A named signal whose ``connect`` holds receivers strongly unless asked otherwise."""

    def connect(self, receiver: Any, sender: Any = ANY, weak: bool = False) -> Any:
        return super().connect(receiver, sender, weak)


class Events(Namespace):
    """The signals of one orchestrator: single-spa's routing events plus ``status-change``."""

    def __init__(self, names: Iterable[str] = (*ROUTING_EVENT_NAMES, STATUS_CHANGE)) -> None:
        super().__init__()
        self._tasks = TaskSet()
        for name in names:
            self.signal(name)

    def signal(self, name: str, doc: str | None = None) -> NamedSignal:
        try:
            return self[name]
        except KeyError:
            result = self.setdefault(name, StrongSignal(name, doc))
            return result

    @staticmethod
    def _in_connection_order(signal: NamedSignal, sender: Any) -> list[Any]:
        """blinker keeps receivers per sender in a set; deliver in the order they connected."""
        connected = [_resolve(value) for value in signal.receivers.values()]
        found = list(signal.receivers_for(sender))

        def position(receiver: Any) -> int:
            # ``==``, not ``is``: a weakly held bound method comes back as a fresh object
            return next((i for i, c in enumerate(connected) if c == receiver), len(connected))

        found.sort(key=position)
        return found

    def has_receivers(self, name: str) -> bool:
        signal = self.get(name)
        return bool(signal is not None and signal.receivers)

    async def send(self, name: str, sender: Any, **kwargs: Any) -> None:
        """Call every receiver in connection order, awaiting async ones; errors are logged."""
        signal = self.get(name)
        if signal is None or not signal.receivers:
            return
        for receiver in self._in_connection_order(signal, sender):
            try:
                await maybe_await(receiver(sender, **kwargs))
            except Exception:
                logger.exception("receiver %r of %r raised", receiver, name)

    def send_nowait(self, name: str, sender: Any, **kwargs: Any) -> None:
        """Call receivers now; an async receiver's coroutine runs as a task of its own."""
        signal = self.get(name)
        if signal is None or not signal.receivers:
            return
        for receiver in self._in_connection_order(signal, sender):
            self._tasks.call(
                functools.partial(receiver, sender, **kwargs),
                what=f"receiver {receiver!r} of {name!r}",
            )

    async def aclose(self) -> None:
        """Wait for (then cancel, if still running) receivers scheduled by ``send_nowait``."""
        await self._tasks.aclose()


def _resolve(value: Any) -> Any:
    """A receiver as blinker stores it: the object, or a weak reference to it."""
    return value() if isinstance(value, weakref.ref) else value
