"""``Garfish.channel``: the event bus apps and the shell share (EventEmitter2's core API)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._tasks import TaskSet

__all__ = ["Channel"]

Listener = Callable[..., Any]


class Channel:
    """``on``/``once``/``off``/``emit`` as EventEmitter2: listeners run in the order added.

    A listener may be sync or async; one that raises is logged and the others still run (an
    EventEmitter2 listener's exception would reach the emitter instead). ``emit("error", exc)``
    with no listener raises ``exc``, as EventEmitter2 does.
    """

    def __init__(self, tasks: TaskSet | None = None) -> None:
        self._tasks = tasks if tasks is not None else TaskSet()
        self._listeners: dict[str, list[tuple[Listener, bool]]] = {}

    def on(self, event: str, listener: Listener) -> Channel:
        self._add(event, listener, once=False)
        return self

    add_listener = on

    def once(self, event: str, listener: Listener) -> Channel:
        self._add(event, listener, once=True)
        return self

    def off(self, event: str, listener: Listener) -> Channel:
        """Remove ``listener`` (compared with ``==``, so bound methods work) from ``event``."""
        listeners = self._listeners.get(event)
        if listeners:
            for index, (added, _once) in enumerate(listeners):
                if added == listener:
                    del listeners[index]
                    break
            if not listeners:
                del self._listeners[event]
        return self

    remove_listener = off

    def remove_all_listeners(self, event: str | None = None) -> Channel:
        if event is None:
            self._listeners.clear()
        else:
            self._listeners.pop(event, None)
        return self

    def listeners(self, event: str) -> list[Listener]:
        return [listener for listener, _once in self._listeners.get(event, [])]

    def emit(self, event: str, *args: Any) -> bool:
        """Call every listener of ``event`` with ``args``; whether there was any."""
        listeners = self._listeners.get(event)
        if not listeners:
            if event == "error":
                if args and isinstance(args[0], BaseException):
                    raise args[0]
                raise RuntimeError("Uncaught, unspecified 'error' event.")
            return False
        for entry in list(listeners):
            listener, once = entry
            if once:
                self._discard(event, entry)
            self._tasks.call(listener, *args, what=f"channel listener {listener!r} of {event!r}")
        return True

    def _add(self, event: str, listener: Listener, *, once: bool) -> None:
        if not isinstance(event, str):
            raise TypeError(f"channel event must be a str, got {type(event).__name__}")
        if not callable(listener):
            raise TypeError(f"channel listener must be callable, got {type(listener).__name__}")
        self._listeners.setdefault(event, []).append((listener, once))

    def _discard(self, event: str, entry: tuple[Listener, bool]) -> None:
        listeners = self._listeners.get(event)
        if listeners is None:
            return
        for index, other in enumerate(listeners):
            if other is entry:
                del listeners[index]
                break
        if not listeners:
            del self._listeners[event]
