"""The global object of a headless tab: globals, events and timers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ._events import Event, Listener, invoke

_MISSING: Any = object()

#: Names that are part of the browser surface, never globals (they are not in ``keys()``).
BROWSER_NAMES = frozenset({"document", "location", "history", "window", "self", "global_this"})
_OWNER_SETTABLE = frozenset({"document", "location", "history"})


class Window:
    """The global object of one headless tab.

    Globals live in a plain dict behind attribute and item access so reads stay cheap;
    ``document``/``location``/``history`` are built-in properties the owner sets, never globals.
    Methods and built-in properties win over globals of the same name for attribute access;
    item access (``window["keys"]``) always reaches the global.
    """

    __slots__ = (
        "_document",
        "_globals",
        "_history",
        "_interceptors",
        "_listeners",
        "_location",
        "_next_handle",
        "_tasks",
        "_timers",
    )

    _globals: dict[str, Any]
    _listeners: dict[str, dict[Listener, bool]]
    _interceptors: dict[str, Listener]
    _timers: dict[int, asyncio.TimerHandle]
    _tasks: set[asyncio.Task[Any]]
    _next_handle: int
    _document: Any
    _location: Any
    _history: Any

    def __init__(self, *, document: Any = None, location: Any = None, history: Any = None) -> None:
        init = object.__setattr__
        init(self, "_globals", {})
        init(self, "_listeners", {})
        init(self, "_interceptors", {})
        init(self, "_timers", {})
        init(self, "_tasks", set())
        init(self, "_next_handle", 0)
        init(self, "_document", document)
        init(self, "_location", location)
        init(self, "_history", history)

    # -- browser surface --------------------------------------------------------------------

    @property
    def document(self) -> Any:
        return self._document

    @document.setter
    def document(self, value: Any) -> None:
        object.__setattr__(self, "_document", value)

    @property
    def location(self) -> Any:
        return self._location

    @location.setter
    def location(self, value: Any) -> None:
        object.__setattr__(self, "_location", value)

    @property
    def history(self) -> Any:
        return self._history

    @history.setter
    def history(self, value: Any) -> None:
        object.__setattr__(self, "_history", value)

    @property
    def window(self) -> Window:
        return self

    @property
    def self(self) -> Window:
        return self

    @property
    def global_this(self) -> Window:
        return self

    # -- globals ------------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        try:
            return self._globals[name]
        except KeyError:
            raise AttributeError(f"window has no global {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWNER_SETTABLE:
            object.__setattr__(self, name, value)
        elif name in _CLASS_NAMES:
            raise AttributeError(
                f"cannot set {name!r} on window: it is built in; use window[{name!r}] for a global"
            )
        else:
            self._globals[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self._globals[name]
        except KeyError:
            raise AttributeError(f"window has no global {name!r}") from None

    def __getitem__(self, name: str) -> Any:
        try:
            return self._globals[name]
        except KeyError:
            if name in BROWSER_NAMES:
                return getattr(self, name)
            raise KeyError(name) from None

    def __setitem__(self, name: str, value: Any) -> None:
        if name in BROWSER_NAMES:
            setattr(self, name, value)
        else:
            self._globals[name] = value

    def __delitem__(self, name: str) -> None:
        del self._globals[name]

    def __contains__(self, name: object) -> bool:
        return name in self._globals or name in BROWSER_NAMES

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._globals))

    def __len__(self) -> int:
        return len(self._globals)

    def __bool__(self) -> bool:
        """A window is always truthy, even with no globals (``window or default`` must work)."""
        return True

    def get(self, name: str, default: Any = None) -> Any:
        value = self._globals.get(name, _MISSING)
        if value is not _MISSING:
            return value
        if name in BROWSER_NAMES:
            return getattr(self, name)
        return default

    def keys(self) -> list[str]:
        """The names of the globals set on this window, in insertion order."""
        return list(self._globals)

    def values(self) -> list[Any]:
        return list(self._globals.values())

    def items(self) -> list[tuple[str, Any]]:
        return list(self._globals.items())

    def __repr__(self) -> str:
        return f"<Window with {len(self._globals)} globals>"

    # -- events -------------------------------------------------------------------------------

    def add_event_listener(self, type: str, listener: Listener, *, once: bool = False) -> None:
        """Add ``listener`` for ``type``; adding the same listener twice keeps the first.

        With ``once=True`` it is removed just before its first call.
        """
        if not callable(listener):
            raise TypeError(f"listener for {type!r} must be callable, got {listener!r}")
        self._listeners.setdefault(type, {}).setdefault(listener, once)

    def remove_event_listener(self, type: str, listener: Listener) -> None:
        listeners = self._listeners.get(type)
        if listeners is not None:
            listeners.pop(listener, None)
            if not listeners:
                del self._listeners[type]

    def has_event_listener(self, type: str, listener: Listener) -> bool:
        return listener in self._listeners.get(type, ())

    def event_listeners(self, type: str) -> list[Listener]:
        """The listeners currently added for ``type``, in the order they were added."""
        return list(self._listeners.get(type, ()))

    def dispatch_event(self, event: Event) -> bool:
        """Deliver ``event`` (to its type's interceptor if one is set); ``False`` if cancelled."""
        if event.target is None:
            event.target = self
        interceptor = self._interceptors.get(event.type)
        if interceptor is not None:
            invoke(interceptor, (event,), f"interceptor of {event.type!r}", self._tasks)
        else:
            self.call_event_listeners(event)
        return not event.default_prevented

    def intercept_events(self, types: Iterable[str], interceptor: Listener | None) -> None:
        """Send dispatches of ``types`` to ``interceptor``, not the listeners (``None`` stops).

        The owner uses this to run apps' routing listeners only after unmounts, as single-spa's
        captured listeners; it then calls ``call_event_listeners`` itself.
        """
        if isinstance(types, str):
            types = (types,)
        for type in types:
            if interceptor is None:
                self._interceptors.pop(type, None)
            else:
                self._interceptors[type] = interceptor

    def call_event_listeners(self, event: Event) -> None:
        """Run the listeners of ``event.type`` now; one failing does not stop the others.

        As in the DOM, a listener removed by an earlier one during this dispatch is not called.
        """
        if event.target is None:
            event.target = self
        listeners = self._listeners.get(event.type)
        if not listeners:
            return
        what = f"{event.type!r} listener"
        for listener, once in list(listeners.items()):
            if listener not in listeners:
                continue
            if once:
                self.remove_event_listener(event.type, listener)
            invoke(listener, (event,), what, self._tasks)
            if event.propagation_stopped:
                break

    # -- timers -------------------------------------------------------------------------------

    def set_timeout(self, callback: Callable[..., Any], delay: float = 0, *args: Any) -> int:
        """Call ``callback(*args)`` once after ``delay`` ms on the running asyncio loop."""
        loop = _running_loop("set_timeout")
        handle = self._new_handle()

        def _fire() -> None:
            self._timers.pop(handle, None)
            invoke(callback, args, "timeout callback", self._tasks)

        self._timers[handle] = loop.call_later(_seconds(delay), _fire)
        return handle

    def set_interval(self, callback: Callable[..., Any], delay: float = 0, *args: Any) -> int:
        """Call ``callback(*args)`` every ``delay`` ms on the running asyncio loop until cleared."""
        loop = _running_loop("set_interval")
        handle = self._new_handle()
        seconds = _seconds(delay)

        def _fire() -> None:
            if handle not in self._timers:
                return
            self._timers[handle] = loop.call_later(seconds, _fire)
            invoke(callback, args, "interval callback", self._tasks)

        self._timers[handle] = loop.call_later(seconds, _fire)
        return handle

    def clear_timeout(self, handle: int | None) -> None:
        """Cancel a pending timeout or interval (one pool of handles, as in browsers)."""
        timer = self._timers.pop(handle, None) if handle is not None else None
        if timer is not None:
            timer.cancel()

    clear_interval = clear_timeout

    def has_timer(self, handle: int) -> bool:
        """Whether a timeout or interval with ``handle`` is still pending."""
        return handle in self._timers

    @property
    def pending_timers(self) -> int:
        return len(self._timers)

    def cancel_timers(self) -> None:
        """Cancel every pending timeout and interval (when the tab goes away)."""
        timers = list(self._timers.values())
        self._timers.clear()
        for timer in timers:
            timer.cancel()

    def _new_handle(self) -> int:
        handle: int = self._next_handle + 1
        object.__setattr__(self, "_next_handle", handle)
        return handle


def _running_loop(what: str) -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            f"window.{what} needs a running asyncio event loop (call it from async code)"
        ) from None


def _seconds(delay_ms: float) -> float:
    try:
        delay = float(delay_ms)
    except (TypeError, ValueError):
        raise TypeError(f"timer delay must be a number of milliseconds, got {delay_ms!r}") from None
    if delay != delay or delay < 0:
        return 0.0
    return delay / 1000.0


_CLASS_NAMES = frozenset(name for name in dir(Window) if not name.startswith("__"))
