"""Keep-alive: a hidden app's timers are paused (not cleared) and its window listeners detached.

Time has to pass for "nothing fired while paused" to mean anything; each wait is on an
``asyncio.Event`` set by a timer of the shell's own, never a bare sleep.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from sandbox import (
    Event,
    LegacySandbox,
    ProxySandbox,
    Sandbox,
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


async def test_timeout_resumes_with_its_remaining_delay(make: SandboxFactory) -> None:
    """300 ms timeout, paused after about 150 ms for 200 ms: it fires about 150 ms after resume,
    neither at once (the pause was not taken as elapsed time) nor 300 ms later (no restart)."""
    window = Window()
    sandbox = make("app1", window)
    sandbox.active()
    done = Counter()
    loop = asyncio.get_running_loop()
    started = loop.time()
    sandbox.proxy.set_timeout(done, 300)
    paused_at = await _shell_wait(window, 150)
    sandbox.pause()
    resumed_at = await _shell_wait(window, 200)
    assert done.count == 0
    sandbox.resume()
    await done.reach(1)
    ran_before, ran_after = paused_at - started, done.times[0] - resumed_at
    assert ran_before + ran_after >= 0.3 - 0.002, "fired before its delay had run"
    assert ran_after < 0.29, "the delay started over instead of resuming"
    assert sandbox.timer_count == 0


async def test_interval_resumes_with_remaining_delay_then_its_period() -> None:
    window = Window()
    sandbox = ProxySandbox("app1", window)
    tick = Counter()
    loop = asyncio.get_running_loop()
    started = loop.time()
    sandbox.proxy.set_interval(tick, 200)
    paused_at = await _shell_wait(window, 100)
    sandbox.pause()
    resumed_at = await _shell_wait(window, 150)
    sandbox.resume()
    await tick.reach(2)
    first_after = tick.times[0] - resumed_at
    assert (paused_at - started) + first_after >= 0.2 - 0.002
    assert first_after < 0.19
    assert tick.times[1] - tick.times[0] >= 0.2 - 0.002


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
