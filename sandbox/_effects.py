"""What an app starts through its proxy (listeners, timers, tasks), owned by its sandbox.

Unmount frees them, keep-alive pauses and resumes them, and a nested app's effects are part of
its outer app's: freeing, pausing or closing the outer does the same to the inner.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any

from ._events import Listener, invoke
from ._timers import TimerClock
from ._window import Window, current_task, finish

_Key = tuple[str, Listener]


class SideEffects:
    """Records the window listeners, timers and tasks of one app; ``free()`` ends what remains.

    As qiankun's interval and window-listener patchers, but timeouts are tracked too so no
    callback of an unmounted app fires later, and the tasks its async callbacks start are
    cancelled with it. Listeners added while the app was loading and bootstrapping (its scripts
    run once) are added back by ``rebuild()`` on each remount.
    """

    __slots__ = (
        "__weakref__",
        "_boot_listeners",
        "_booting",
        "_cancelled",
        "_children",
        "_clock",
        "_deferred",
        "_detached",
        "_held_by_outer",
        "_held_by_self",
        "_listeners",
        "_parent",
        "_tasks",
        "_timers",
        "_window",
    )

    def __init__(self, window: Window, parent: SideEffects | None = None) -> None:
        self._window = window
        #: each listener the app added (``==`` keys, so bound methods match) and its ``once``
        self._listeners: dict[_Key, bool] = {}
        self._boot_listeners: dict[_Key, None] = {}
        #: listeners taken off the window by ``pause()``, in the order they were added
        self._detached: dict[_Key, bool] = {}
        self._timers: dict[int, None] = {}
        #: the app's time: it stands still while the app is hidden, so no timer needs touching
        self._clock = TimerClock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._cancelled: set[asyncio.Task[Any]] = set()
        #: tasks to cancel once the foreign task they await has ended (see ``cancel_tasks``)
        self._deferred: set[asyncio.Task[Any]] = set()
        self._children: weakref.WeakSet[SideEffects] = weakref.WeakSet()
        self._booting = True
        self._held_by_self = False
        self._held_by_outer = False
        self._parent = parent
        if parent is not None:
            parent._children.add(self)
            self._held_by_outer = parent.paused

    # -- running the app's callbacks --------------------------------------------------------

    def run(self, callback: Callable[..., Any], args: tuple[Any, ...], what: str) -> None:
        """Call one of the app's callbacks; a coroutine it returns becomes a task this app owns."""
        task = invoke(callback, args, what, self._tasks)
        if task is not None:
            window_tasks = self._window._tasks
            window_tasks.add(task)
            task.add_done_callback(window_tasks.discard)

    # -- listeners ----------------------------------------------------------------------------

    def add_event_listener(self, type: str, listener: Listener, *, once: bool = False) -> None:
        key = (type, listener)
        if key not in self._listeners:
            self._listeners[key] = once
        if self._booting and not once:
            self._boot_listeners[key] = None
        if self.paused:
            self._detached.setdefault(key, once)
        else:
            self._window.add_event_listener(type, listener, once=once, runner=self.run)

    def remove_event_listener(self, type: str, listener: Listener) -> None:
        key = (type, listener)
        self._window.remove_event_listener(type, listener)
        self._listeners.pop(key, None)
        self._boot_listeners.pop(key, None)
        self._detached.pop(key, None)

    def dispatch_to_app(self, event: Any) -> None:
        """Run only this app's listeners of ``event.type`` (attached or held by a pause), in
        the order it added them: events meant for one app (its keep-alive state, its URL)."""
        if event.target is None:
            event.target = self._window
        for (type, listener), once in list(self._listeners.items()):
            if type != event.type:
                continue
            if once:
                self.remove_event_listener(type, listener)
            self.run(listener, (event,), f"{type!r} listener")

    def end_bootstrap(self) -> None:
        """The app mounted for the first time: listeners added from now on are not rebuilt."""
        self._booting = False

    def rebuild(self) -> None:
        """Add back the listeners the app added while loading (it will not add them again)."""
        for type, listener in self._boot_listeners:
            self._listeners[(type, listener)] = False
            if self.paused:
                self._detached.setdefault((type, listener), False)
            else:
                self._window.add_event_listener(type, listener, runner=self.run)

    def forget_bootstrap(self) -> None:
        self._boot_listeners.clear()

    # -- timers -------------------------------------------------------------------------------

    def set_timeout(self, callback: Callable[..., Any], delay: float, args: tuple[Any, ...]) -> int:
        timers = self._timers
        cell: list[int] = []

        def _fire(*fire_args: Any) -> None:
            timers.pop(cell[0], None)
            self.run(callback, fire_args, "timeout callback")

        handle = self._window._start_timer(_fire, delay, args, repeat=False, clock=self._clock)
        cell.append(handle)
        timers[handle] = None
        return handle

    def set_interval(
        self, callback: Callable[..., Any], delay: float, args: tuple[Any, ...]
    ) -> int:
        def _fire(*fire_args: Any) -> None:
            self.run(callback, fire_args, "interval callback")

        handle = self._window._start_timer(_fire, delay, args, repeat=True, clock=self._clock)
        self._timers[handle] = None
        return handle

    def clear_timer(self, handle: int | None) -> None:
        self._window.clear_timeout(handle)
        if handle is not None:
            self._timers.pop(handle, None)

    # -- keep-alive ---------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        """Whether the app's timers are stopped and its listeners detached (by it or its outer)."""
        return self._held_by_self or self._held_by_outer

    def pause(self) -> None:
        """Stop the app's timers (each keeps the delay it had left) and detach its listeners."""
        was = self.paused
        self._held_by_self = True
        self._apply(was)

    def resume(self) -> None:
        """Start the app's timers with their remaining delays; re-add its listeners in order."""
        was = self.paused
        self._held_by_self = False
        self._apply(was)

    def _hold_by_outer(self, held: bool) -> None:
        was = self.paused
        self._held_by_outer = held
        self._apply(was)

    def _apply(self, was: bool) -> None:
        now = self.paused
        if now == was:
            return
        window = self._window
        if now:
            self._clock.pause()
            for key, once in list(self._listeners.items()):
                type, listener = key
                if window.has_event_listener(type, listener):
                    window.remove_event_listener(type, listener)
                    self._detached[key] = once
                else:  # a once listener that fired, or one the shell removed for the app
                    del self._listeners[key]
        else:
            detached, self._detached = self._detached, {}
            for (type, listener), once in detached.items():
                window.add_event_listener(type, listener, once=once, runner=self.run)
            self._clock.resume()
        for child in list(self._children):
            child._hold_by_outer(now)

    # -- tasks --------------------------------------------------------------------------------

    def cancel_tasks(self) -> None:
        """Cancel the tasks its callbacks started (its nested apps' too); ``settle`` awaits.

        asyncio cancels what a cancelled task awaits, so a task of the app waiting on a task
        it did not start (the shell's reroute that is unmounting it, after ``await navigate``)
        is cancelled only once that task has ended: ending the app must not end the shell's
        work. ``Window.close()`` (the tab going away) cancels every task at once.
        """
        self._cancel_own_tasks()
        for child in list(self._children):
            child.cancel_tasks()

    def _cancel_own_tasks(self) -> None:
        if not self._tasks:
            return
        current = current_task()
        for task in list(self._tasks):
            if task is not current and task not in self._cancelled and task not in self._deferred:
                self._cancel(task)

    def _cancel(self, task: asyncio.Task[Any]) -> None:
        waiter = getattr(task, "_fut_waiter", None)  # what the task awaits (CPython's tasks)
        if isinstance(waiter, asyncio.Task) and not waiter.done() and waiter not in self._tasks:
            self._deferred.add(task)
            waiter.add_done_callback(lambda _: self._cancel_deferred(task))
            return
        task.cancel()
        self._cancelled.add(task)
        task.add_done_callback(self._cancelled.discard)

    def _cancel_deferred(self, task: asyncio.Task[Any]) -> None:
        if task in self._deferred:
            self._deferred.discard(task)
            if not task.done():
                self._cancel(task)

    async def settle(self) -> None:
        """Wait until the tasks cancelled so far (this app's and its nested apps') have ended.

        Tasks whose cancel waits for the end of a task they await are not waited for: that
        task may be the very caller (a reroute awaiting its unmount step).
        """
        tasks = list(self._cancelled)
        for child in list(self._children):
            tasks.extend(child._cancelled)
        await finish(tasks)

    # -- counts and freeing -------------------------------------------------------------------

    @property
    def listener_count(self) -> int:
        """Listeners of the app on the window (or detached by a pause); fired once-ones are not."""
        window, detached = self._window, self._detached
        return sum(
            1 for key in self._listeners if key in detached or window.has_event_listener(*key)
        )

    @property
    def timer_count(self) -> int:
        return len(self._timers)

    @property
    def task_count(self) -> int:
        return len(self._tasks)

    def free(self) -> None:
        """Remove every listener, clear every timer, cancel every task (nested apps' too).

        A pause ends with it: the app's next mount starts with its clocks running.
        """
        window = self._window
        if self._listeners:
            detached = self._detached
            for type, listener in list(self._listeners):
                if (type, listener) not in detached:
                    window.remove_event_listener(type, listener)
            self._listeners.clear()
            detached.clear()
        if self._timers:
            for handle in list(self._timers):
                window.clear_timeout(handle)
            self._timers.clear()
        if self._held_by_self:
            self._held_by_self = False
            if not self._held_by_outer:
                self._clock.resume()
        self._cancel_own_tasks()
        if self._children:
            for child in list(self._children):
                child.free()
                child._hold_by_outer(self.paused)

    def detach(self) -> None:
        """This app is gone for good: its outer app no longer frees or pauses it."""
        if self._parent is not None:
            self._parent._children.discard(self)
            self._parent = None
