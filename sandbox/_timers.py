"""Timers on the asyncio loop, and a clock that can stop for a hidden (kept-alive) app.

Pausing must not cost a reschedule per timer: an app may hold hundreds. So a paused clock only
freezes its time; a timer whose handle comes due while its clock is stopped is parked, and on
resume each parked timer is armed again for the delay it had left. A timer that comes due after
a resume finds its clock behind the loop's time by the pause and re-arms for the difference.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

#: below this many seconds left, a timer woken by the loop fires (asyncio wakes handles early by
#: up to its clock resolution; re-arming for less would only spin)
_EARLY = 1e-6


class TimerClock:
    """The time one app's timers run on: it stands still while the app is hidden."""

    __slots__ = ("_loop", "_offset", "_parked", "_paused_at", "paused")

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._offset = 0.0
        self._paused_at = 0.0
        self._parked: list[Timer] = []
        self.paused = False

    def now(self, loop: asyncio.AbstractEventLoop) -> float:
        """The loop's time minus every second this clock has stood still."""
        if self._loop is None:
            self._loop = loop
            if self.paused:
                self._paused_at = loop.time()
        return (self._paused_at if self.paused else loop.time()) - self._offset

    def pause(self) -> None:
        if self.paused:
            return
        self.paused = True
        if self._loop is not None:
            self._paused_at = self._loop.time()

    def resume(self) -> None:
        if not self.paused:
            return
        if self._loop is not None:
            self._offset += self._loop.time() - self._paused_at
        self.paused = False
        parked, self._parked = self._parked, []
        for timer in parked:
            timer.rearm()


class Timer:
    """One pending timeout or interval: an asyncio handle, or parked while its clock is stopped.

    ``fire`` is called when the delay has run on the timer's clock (at once on the loop's
    time when it has none); an interval's ``fire`` calls ``again`` to be called once more.
    """

    __slots__ = ("cancelled", "clock", "due", "fire", "handle", "loop")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        fire: Callable[[], None],
        seconds: float,
        clock: TimerClock | None,
    ) -> None:
        self.loop = loop
        self.fire = fire
        self.clock = clock
        self.cancelled = False
        self.due = clock.now(loop) + seconds if clock is not None else 0.0
        self.handle: asyncio.TimerHandle | None = loop.call_later(seconds, self._wake)

    @property
    def paused(self) -> bool:
        return self.clock is not None and self.clock.paused

    def again(self, seconds: float) -> None:
        """Run ``seconds`` more (an interval, from its callback's time)."""
        clock = self.clock
        if clock is not None:
            self.due = clock.now(self.loop) + seconds
        self.handle = self.loop.call_later(seconds, self._wake)

    def rearm(self) -> None:
        """After the clock resumes: wait for what is left of the delay."""
        if self.cancelled or self.handle is not None or self.clock is None:
            return
        left = self.due - self.clock.now(self.loop)
        self.handle = self.loop.call_later(max(0.0, left), self._wake)

    def cancel(self) -> None:
        self.cancelled = True
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None

    def _wake(self) -> None:
        self.handle = None
        clock = self.clock
        if clock is not None:
            if clock.paused:
                clock._parked.append(self)
                return
            left = self.due - clock.now(self.loop)
            if left > _EARLY:
                self.handle = self.loop.call_later(left, self._wake)
                return
        self.fire()
