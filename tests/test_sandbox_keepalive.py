"""Keep-alive: a hidden app's timers are paused (not cleared) and its window listeners detached.

On the real loop, time has to pass for "nothing fired while paused" to mean anything: each
wait is on an ``asyncio.Event`` set by a timer of the shell's own, never a bare sleep. Exact
delays are checked on a loop whose clock jumps (``VirtualTimeLoop``, at the end), including a
property test against a model of shown time.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox import (
    Event,
    LegacySandbox,
    ProxySandbox,
    Sandbox,
    SandboxWarning,
    SnapshotSandbox,
    Window,
)

SandboxFactory = Callable[[str, Window], Sandbox]
WAIT = 3.0


@pytest.fixture(params=[ProxySandbox, LegacySandbox, SnapshotSandbox], ids=lambda f: f.__name__)
def make(request: pytest.FixtureRequest) -> SandboxFactory:
    factory: SandboxFactory = request.param
    return factory


async def _shell_wait(window: Window, ms: float) -> float:
    """Let ``ms`` pass on the shell's own clock (a window timer); the loop time when it fired."""
    fired = asyncio.Event()
    window.set_timeout(fired.set, ms)
    await asyncio.wait_for(fired.wait(), WAIT)
    return asyncio.get_running_loop().time()


class Counter:
    """A counting callback that lets a test wait for its n-th call."""

    def __init__(self) -> None:
        self.count = 0
        self.times: list[float] = []
        self._changed = asyncio.Event()

    def __call__(self, *args: object) -> None:
        self.count += 1
        self.times.append(asyncio.get_running_loop().time())
        self._changed.set()

    async def reach(self, count: int) -> None:
        async def _wait() -> None:
            while self.count < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(_wait(), WAIT)


async def test_counting_interval_stops_while_paused_and_resumes(make: SandboxFactory) -> None:
    window = Window()
    sandbox = make("app1", window)
    sandbox.active()
    tick = Counter()
    handle = sandbox.proxy.set_interval(tick, 10)
    await tick.reach(2)
    sandbox.pause()
    assert sandbox.paused and window.timer_paused(handle) and window.has_timer(handle)
    frozen = tick.count
    await _shell_wait(window, 80)
    assert tick.count == frozen, "the interval ticked while its app was hidden"
    sandbox.resume()
    assert not sandbox.paused and not window.timer_paused(handle)
    await tick.reach(frozen + 2)
    assert sandbox.timer_count == 1


async def test_listeners_detached_while_paused_and_readded_in_order(make: SandboxFactory) -> None:
    window = Window()
    sandbox = make("app1", window)
    sandbox.active()
    calls: list[str] = []

    def shell(event: Event) -> None:
        calls.append("shell")

    window.add_event_listener("popstate", shell)
    for name in ("a", "b", "c"):
        sandbox.proxy.add_event_listener("popstate", lambda e, name=name: calls.append(name))
    sandbox.proxy.add_event_listener("popstate", lambda e: calls.append("once"), once=True)
    sandbox.proxy.add_event_listener("resize", lambda e: calls.append("resize"))
    window.dispatch_event(Event("popstate"))
    assert calls == ["shell", "a", "b", "c", "once"]
    sandbox.proxy.add_event_listener("popstate", lambda e: calls.append("once2"), once=True)
    calls.clear()
    sandbox.pause()
    assert window.event_listeners("popstate") == [shell] and window.event_listeners("resize") == []
    window.dispatch_event(Event("popstate"))
    window.dispatch_event(Event("resize"))
    assert calls == ["shell"]
    calls.clear()
    sandbox.resume()
    window.dispatch_event(Event("popstate"))
    window.dispatch_event(Event("popstate"))
    window.dispatch_event(Event("resize"))
    # the fired once-listener stays gone; the pending one is still once
    assert calls == ["shell", "a", "b", "c", "once2", "shell", "a", "b", "c", "resize"]
    assert sandbox.listener_count == 4


async def test_effects_added_while_paused_wait_for_resume(make: SandboxFactory) -> None:
    """A hidden app's still-running task may add a timer or listener: neither acts until shown."""
    window = Window()
    sandbox = make("app1", window)
    sandbox.active()
    sandbox.pause()
    tick, heard = Counter(), Counter()
    handle = sandbox.proxy.set_timeout(tick, 0)
    sandbox.proxy.add_event_listener("x", heard)
    assert window.timer_paused(handle) and window.event_listeners("x") == []
    await _shell_wait(window, 30)
    window.dispatch_event(Event("x"))
    assert tick.count == 0 and heard.count == 0
    sandbox.resume()
    await tick.reach(1)
    window.dispatch_event(Event("x"))
    assert heard.count == 1


async def test_clear_while_paused_and_removing_a_detached_listener(make: SandboxFactory) -> None:
    window = Window()
    sandbox = make("app1", window)
    sandbox.active()
    gone, kept = Counter(), Counter()
    handle = sandbox.proxy.set_interval(gone, 5)
    sandbox.proxy.set_timeout(kept, 5)
    sandbox.proxy.add_event_listener("x", gone)
    sandbox.pause()
    sandbox.proxy.clear_interval(handle)
    sandbox.proxy.remove_event_listener("x", gone)
    assert not window.has_timer(handle) and sandbox.timer_count == 1
    sandbox.resume()
    await kept.reach(1)
    window.dispatch_event(Event("x"))
    assert gone.count == 0 and window.event_listeners("x") == []


async def test_timers_parked_while_paused_can_be_cleared_or_cancelled() -> None:
    """Timers that come due while their app is hidden wait parked; clearing them still works."""
    window = Window()
    sandbox = ProxySandbox("app1", window)
    cleared, cancelled, kept = Counter(), Counter(), Counter()
    first = sandbox.proxy.set_interval(cleared, 1)
    sandbox.proxy.set_timeout(kept, 1)
    sandbox.pause()
    await _shell_wait(window, 20)  # both came due while paused: parked
    sandbox.proxy.clear_interval(first)
    sandbox.resume()
    await kept.reach(1)
    assert cleared.count == 0 and not window.has_timer(first)
    sandbox.proxy.set_timeout(cancelled, 1)
    sandbox.pause()
    await _shell_wait(window, 20)
    window.cancel_timers()
    sandbox.resume()
    await _shell_wait(window, 20)
    assert cancelled.count == 0 and sandbox.timer_count == 1  # its record goes on unmount
    sandbox.inactive()
    assert sandbox.timer_count == 0


async def test_unmount_while_paused_frees_everything(make: SandboxFactory) -> None:
    window = Window()
    sandbox = make("app1", window)
    sandbox.active()
    tick = Counter()
    sandbox.proxy.set_interval(tick, 5)
    sandbox.proxy.add_event_listener("x", tick)
    sandbox.pause()
    sandbox.inactive()
    assert not sandbox.paused and window.pending_timers == 0 and sandbox.listener_count == 0
    sandbox.active()
    assert not sandbox.paused
    sandbox.proxy.set_timeout(tick, 0)
    await tick.reach(1)
    window.dispatch_event(Event("x"))
    assert tick.count == 1


async def test_shell_and_other_apps_keep_running(make: SandboxFactory) -> None:
    window = Window()
    hidden = make("hidden", window)
    shown = ProxySandbox("shown", window)
    hidden_tick, shown_tick, shell_tick = Counter(), Counter(), Counter()
    hidden.proxy.set_interval(hidden_tick, 5)
    shown.proxy.set_interval(shown_tick, 5)
    window.set_interval(shell_tick, 5)
    hidden.pause()
    frozen = hidden_tick.count
    await shown_tick.reach(3)
    await shell_tick.reach(3)
    assert hidden_tick.count == frozen and not shown.paused


def test_pause_needs_an_active_sandbox_and_is_idempotent() -> None:
    window = Window()
    sandbox = ProxySandbox("app1", window)
    sandbox.pause()
    sandbox.pause()
    sandbox.resume()
    assert not sandbox.paused
    sandbox.resume()
    sandbox.inactive()
    with pytest.raises(RuntimeError, match="'app1': it is not active"):
        sandbox.pause()
    sandbox.close()
    with pytest.raises(RuntimeError, match="closed"):
        sandbox.pause()


def test_globals_untouched_by_pause() -> None:
    """Hiding is not unmounting: the app's overlay stays and it may still write."""
    window = Window()
    sandbox = ProxySandbox("app1", window)
    sandbox.proxy.kept = 1
    sandbox.pause()
    sandbox.proxy.later = 2
    assert (sandbox.proxy.kept, sandbox.proxy.later) == (1, 2) and sandbox.sandbox_running
    assert "kept" not in window
    sandbox.resume()
    assert sandbox.own_keys == ["kept", "later"]


@pytest.mark.parametrize("singular", [LegacySandbox, SnapshotSandbox], ids=lambda f: f.__name__)
def test_singular_sandboxes_give_the_window_back_while_hidden(singular: SandboxFactory) -> None:
    """Legacy and snapshot apps write the real window: hidden, they must not leave their
    globals to the app mounted next, nor write any until shown again."""
    window = Window()
    window.shared = "shell"
    hidden = singular("hidden", window)
    hidden.active()
    hidden.proxy.shared = "hidden's"
    hidden.proxy.own = 1
    hidden.pause()
    assert window.shared == "shell" and "own" not in window
    with pytest.warns(SandboxWarning, match="Set window.late"):
        hidden.proxy.late = 2
    assert "late" not in window
    shown = singular("shown", window)
    shown.active()
    shown.proxy.shared = "shown's"
    shown.inactive()
    assert window.keys() == ["shared"] and window.shared == "shell"
    hidden.resume()
    assert (window.shared, window.own) == ("hidden's", 1)
    hidden.pause()
    hidden.inactive()  # unmounted while hidden: the window is not put back twice
    assert window.items() == [("shared", "shell")]
    hidden.active()
    assert (window.shared, window.own) == ("hidden's", 1)
    hidden.inactive()
    assert window.items() == [("shared", "shell")]


# -- exact figures on a loop whose clock jumps (no waiting, no timing windows) ----------------


class _JumpingSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    """Instead of sleeping until the next timer, move the loop's clock to it."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[Any]:
        if timeout is None:
            return list(super().select(None))
        ready = list(super().select(0))
        if not ready and timeout > 0:
            self._loop.virtual_now += timeout
        return ready


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on virtual time: ``asyncio.sleep(0.2)`` returns at once, 0.2 s later."""

    def __init__(self) -> None:
        self.virtual_now = 0.0
        super().__init__(selector=_JumpingSelector(self))

    def time(self) -> float:
        return self.virtual_now


def _run_virtual(main: Callable[[VirtualTimeLoop], Coroutine[Any, Any, None]]) -> None:
    loop = VirtualTimeLoop()
    try:
        loop.run_until_complete(main(loop))
    finally:
        loop.close()


def _ms(loop: VirtualTimeLoop) -> float:
    return round(loop.time() * 1000, 6)


def test_exact_remaining_delay_of_a_timeout() -> None:
    async def main(loop: VirtualTimeLoop) -> None:
        window = Window()
        sandbox = ProxySandbox("app1", window)
        fired: list[float] = []
        sandbox.proxy.set_timeout(lambda: fired.append(_ms(loop)), 300)
        await asyncio.sleep(0.150)
        sandbox.pause()
        await asyncio.sleep(0.200)
        assert fired == []
        sandbox.resume()
        await asyncio.sleep(1)
        assert fired == [500.0]  # 150 ms run, 200 ms hidden, the 150 ms left

    _run_virtual(main)


def test_exact_interval_ticks_around_a_pause() -> None:
    async def main(loop: VirtualTimeLoop) -> None:
        window = Window()
        sandbox = ProxySandbox("app1", window)
        ticks: list[float] = []
        sandbox.proxy.set_interval(lambda: ticks.append(_ms(loop)), 100)
        await asyncio.sleep(0.250)
        sandbox.pause()
        await asyncio.sleep(1.000)
        sandbox.resume()
        await asyncio.sleep(0.160)
        assert ticks == [100.0, 200.0, 1300.0, 1400.0]

    _run_virtual(main)


_op = st.one_of(
    st.tuples(st.just("run"), st.integers(1, 60)),
    st.tuples(st.sampled_from(["pause", "resume", "timeout", "interval"]), st.integers(1, 60)),
)


def _model_fires(
    created: float, delay: float, segments: list[tuple[float, float]], repeat: bool, end: float
) -> list[float]:
    """When a timer fires if it counts only the time its app is shown (``segments``)."""
    fires: list[float] = []
    needed, start = delay, created
    for seg_start, seg_end in segments:
        begin = max(seg_start, start)
        while begin < seg_end:
            if begin + needed <= seg_end:
                at = begin + needed
                fires.append(at)
                if not repeat:
                    return fires
                needed, begin, start = delay, at, at
            else:
                needed -= seg_end - begin
                break
    return [t for t in fires if t <= end]


@settings(max_examples=150, deadline=None)
@given(ops=st.lists(_op, max_size=25))
def test_timers_count_only_the_time_their_app_is_shown(ops: list[tuple[str, int]]) -> None:
    """Any mix of pauses, resumes, timers and elapsed time: each timer fires exactly when the
    time its app was shown since it started adds up to its delay (intervals: each period)."""

    async def main(loop: VirtualTimeLoop) -> None:
        window = Window()
        sandbox = ProxySandbox("app1", window)
        timers: list[tuple[float, float, bool, list[float]]] = []
        segments: list[tuple[float, float]] = []
        shown_since: float | None = 0.0
        for op, value in ops:
            now = _ms(loop)
            if op == "run":
                await asyncio.sleep(value / 1000)
            elif op == "pause" and shown_since is not None:
                sandbox.pause()
                segments.append((shown_since, now))
                shown_since = None
            elif op == "resume" and shown_since is None:
                sandbox.resume()
                shown_since = now
            elif op in ("timeout", "interval"):
                # half-millisecond delays never coincide with the whole-millisecond steps
                delay, fired = value + 0.5, []
                start = (
                    sandbox.proxy.set_interval if op == "interval" else sandbox.proxy.set_timeout
                )
                start(lambda fired=fired: fired.append(_ms(loop)), delay)
                timers.append((now, delay, op == "interval", fired))
        if shown_since is None:
            sandbox.resume()
            shown_since = _ms(loop)
        await asyncio.sleep(0.2)
        end = _ms(loop)
        segments.append((shown_since, end))
        sandbox.inactive()
        for created, delay, repeat, fired in timers:
            expected = _model_fires(created, delay, segments, repeat, end)
            assert fired == pytest.approx(expected, abs=1e-6), (created, delay, repeat)

    _run_virtual(main)
