"""Side effects an app creates through its proxy (listeners, timers), so unmount can free them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._events import Listener
from ._window import Window


class SideEffects:
    """Records the window listeners and timers one app added; ``free()`` removes what remains.

    As qiankun's interval and window-listener patchers, but timeouts are tracked too so no
    callback of an unmounted app fires later. Listeners added while the app was loading and
    bootstrapping (its scripts run once) are added back by ``rebuild()`` on each remount.
    """

    __slots__ = ("_boot_listeners", "_booting", "_listeners", "_timers", "_window")

    def __init__(self, window: Window) -> None:
        self._window = window
        self._listeners: dict[tuple[str, Listener], None] = {}
        self._boot_listeners: dict[tuple[str, Listener], None] = {}
        self._timers: dict[int, None] = {}
        self._booting = True

    def add_event_listener(self, type: str, listener: Listener, *, once: bool = False) -> None:
        self._window.add_event_listener(type, listener, once=once)
        self._listeners[(type, listener)] = None
        if self._booting and not once:
            self._boot_listeners[(type, listener)] = None

    def remove_event_listener(self, type: str, listener: Listener) -> None:
        self._window.remove_event_listener(type, listener)
        self._listeners.pop((type, listener), None)
        self._boot_listeners.pop((type, listener), None)

    def end_bootstrap(self) -> None:
        """The app mounted for the first time: listeners added from now on are not rebuilt."""
        self._booting = False

    def rebuild(self) -> None:
        """Add back the listeners the app added while loading (it will not add them again)."""
        for key in self._boot_listeners:
            self._window.add_event_listener(*key)
            self._listeners[key] = None

    def forget_bootstrap(self) -> None:
        self._boot_listeners.clear()

    def set_timeout(self, callback: Callable[..., Any], delay: float, args: tuple[Any, ...]) -> int:
        timers = self._timers
        cell: list[int] = []

        def _fire(*fire_args: Any) -> Any:
            timers.pop(cell[0], None)
            return callback(*fire_args)

        handle = self._window.set_timeout(_fire, delay, *args)
        cell.append(handle)
        timers[handle] = None
        return handle

    def set_interval(
        self, callback: Callable[..., Any], delay: float, args: tuple[Any, ...]
    ) -> int:
        handle = self._window.set_interval(callback, delay, *args)
        self._timers[handle] = None
        return handle

    def clear_timer(self, handle: int | None) -> None:
        self._window.clear_timeout(handle)
        if handle is not None:
            self._timers.pop(handle, None)

    @property
    def listener_count(self) -> int:
        return len(self._listeners)

    @property
    def timer_count(self) -> int:
        return len(self._timers)

    def free(self) -> None:
        """Remove every recorded listener and cancel every recorded timer still pending."""
        window = self._window
        for type, listener in list(self._listeners):
            window.remove_event_listener(type, listener)
        self._listeners.clear()
        for handle in list(self._timers):
            window.clear_timeout(handle)
        self._timers.clear()
