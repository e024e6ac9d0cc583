"""The global object of a headless tab: globals, events and timers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ._events import Event, Listener, Runner, invoke
from ._timers import Timer, TimerClock

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
    _listeners: dict[str, dict[Listener, tuple[bool, Runner | None]]]
    _interceptors: dict[str, Listener]
    _timers: dict[int, Timer]
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

    def add_event_listener(
        self, type: str, listener: Listener, *, once: bool = False, runner: Runner | None = None
    ) -> None:
        """Add ``listener`` for ``type``; adding the same (``==``) listener twice keeps the first.

        With ``once=True`` it is removed just before its first call. ``runner`` calls it instead
        of the window (a sandbox passes one so the tasks its app's listeners start are its own).
        """
        if not callable(listener):
            raise TypeError(f"listener for {type!r} must be callable, got {listener!r}")
        self._listeners.setdefault(type, {}).setdefault(listener, (once, runner))

    def remove_event_listener(self, type: str, listener: Listener) -> None:
        """Remove ``listener`` (compared with ``==``, so a fresh bound method of the same object
        and function removes the one added)."""
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
        for listener, (once, runner) in list(listeners.items()):
            if listener not in listeners:
                continue
            if once:
                self.remove_event_listener(event.type, listener)
            if runner is None:
                invoke(listener, (event,), what, self._tasks)
            else:
                runner(listener, (event,), what)
            if event.propagation_stopped:
                break

    # -- timers -------------------------------------------------------------------------------

    def set_timeout(self, callback: Callable[..., Any], delay: float = 0, *args: Any) -> int:
        """Call ``callback(*args)`` once after ``delay`` ms on the running asyncio loop."""
        return self._start_timer(callback, delay, args, repeat=False, clock=None)

    def set_interval(self, callback: Callable[..., Any], delay: float = 0, *args: Any) -> int:
        """Call ``callback(*args)`` every ``delay`` ms on the running asyncio loop until cleared."""
        return self._start_timer(callback, delay, args, repeat=True, clock=None)

    def _start_timer(
        self,
        callback: Callable[..., Any],
        delay: float,
        args: tuple[Any, ...],
        *,
        repeat: bool,
        clock: TimerClock | None,
    ) -> int:
        """A timeout or interval; a sandbox passes its app's ``clock``, which stops while hidden."""
        loop = _running_loop("set_interval" if repeat else "set_timeout")
        handle = self._new_handle()
        seconds = _seconds(delay)
        timers = self._timers
        tasks = self._tasks
        if repeat:

            def _fire() -> None:
                timer = timers.get(handle)
                if timer is None:
                    return
                timer.again(seconds)
                invoke(callback, args, "interval callback", tasks)

        else:

            def _fire() -> None:
                timers.pop(handle, None)
                invoke(callback, args, "timeout callback", tasks)

        timers[handle] = Timer(loop, _fire, seconds, clock)
        return handle

    def clear_timeout(self, handle: int | None) -> None:
        """Cancel a pending or paused timeout or interval (one pool of handles, as in browsers)."""
        timer = self._timers.pop(handle, None) if handle is not None else None
        if timer is not None:
            timer.cancel()

    clear_interval = clear_timeout

    def has_timer(self, handle: int) -> bool:
        """Whether a timeout or interval with ``handle`` is still pending (paused ones count)."""
        return handle in self._timers

    def timer_paused(self, handle: int) -> bool:
        """Whether a pending timer stands still because its app is hidden (keep-alive)."""
        timer = self._timers.get(handle)
        return timer is not None and timer.paused

    @property
    def pending_timers(self) -> int:
        return len(self._timers)

    def cancel_timers(self) -> None:
        """Cancel every pending timeout and interval (when the tab goes away)."""
        timers = list(self._timers.values())
        self._timers.clear()
        for timer in timers:
            timer.cancel()

    # -- tasks --------------------------------------------------------------------------------

    @property
    def pending_tasks(self) -> int:
        """Tasks started by async callbacks (the window's own and every sandbox's) still running."""
        return len(self._tasks)

    def close(self) -> None:
        """The tab goes away: cancel every timer and every task an async callback started."""
        self.cancel_timers()
        current = current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()

    async def aclose(self) -> None:
        """``close()``, then wait until the cancelled tasks have finished."""
        tasks = list(self._tasks)
        self.close()
        await finish(tasks)

    def _new_handle(self) -> int:
        handle: int = self._next_handle + 1
        object.__setattr__(self, "_next_handle", handle)
        return handle


def current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None


async def finish(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Wait for (cancelled) tasks to end, never for the caller's own; their outcome is theirs."""
    current = current_task()
    pending = [task for task in tasks if not task.done() and task is not current]
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)


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
