"""Side effects an app adds through its proxy are freed when its sandbox goes inactive."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

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


async def _eventually(check: Callable[[], bool], seconds: float = 2.0) -> None:
    """Wait until ``check()`` holds (timers on a loaded machine may run late)."""
    for _ in range(int(seconds / 0.001)):
        if check():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition not met in time")


ALL_SANDBOXES: list[SandboxFactory] = [ProxySandbox, LegacySandbox, SnapshotSandbox]


@pytest.fixture(params=ALL_SANDBOXES, ids=lambda f: f.__name__)
def make(request: pytest.FixtureRequest) -> SandboxFactory:
    factory: SandboxFactory = request.param
    return factory


async def test_intervals_cleared_on_inactive(make: SandboxFactory) -> None:
    window = Window()
    sandbox = make("app1", window)
    sandbox.active()
    proxy = sandbox.proxy
    cleared: list[int] = []
    uncleared: list[int] = []
    with_args: list[str] = []
    first = proxy.set_interval(lambda: cleared.append(1), 5)
    proxy.set_interval(lambda: uncleared.append(1), 5)
    proxy.set_interval(with_args.append, 500, "kuitos")
    proxy.clear_interval(first)
    await _eventually(lambda: bool(uncleared))
    sandbox.inactive()
    ticks = len(uncleared)
    assert cleared == [] and with_args == []
    assert window.pending_timers == 0 and sandbox.timer_count == 0
    await asyncio.sleep(0.02)
    assert len(uncleared) == ticks and with_args == []


async def test_pending_timeouts_cleared_and_fired_ones_forgotten(make: SandboxFactory) -> None:
    window = Window()
    sandbox = make("app1", window)
    sandbox.active()
    out: list[str] = []
    sandbox.proxy.set_timeout(out.append, 0, "fired")
    sandbox.proxy.set_timeout(out.append, 50, "never")
    await _eventually(lambda: bool(out))
    assert out == ["fired"] and sandbox.timer_count == 1
    sandbox.inactive()
    await asyncio.sleep(0.06)
    assert out == ["fired"] and window.pending_timers == 0


async def test_owner_timers_survive_app_unmount(make: SandboxFactory) -> None:
    window = Window()
    out: list[str] = []
    window.set_timeout(out.append, 5, "owner")
    sandbox = make("app1", window)
    sandbox.proxy.set_timeout(out.append, 5, "app")
    sandbox.inactive()
    await _eventually(lambda: bool(out))
    await asyncio.sleep(0.01)
    assert out == ["owner"]


def test_window_listeners_removed_on_inactive(make: SandboxFactory) -> None:
    window = Window()
    calls: list[str] = []

    def owner(e: Event) -> None:
        calls.append("owner")

    def app(e: Event) -> None:
        calls.append("app")

    def removed_by_app(e: Event) -> None:
        calls.append("removed")

    window.add_event_listener("popstate", owner)
    sandbox = make("app1", window)
    sandbox.active()
    sandbox.proxy.add_event_listener("popstate", app)
    sandbox.proxy.add_event_listener("popstate", app)
    sandbox.proxy.add_event_listener("hashchange", removed_by_app)
    sandbox.proxy.remove_event_listener("hashchange", removed_by_app)
    assert sandbox.listener_count == 1
    assert sandbox.proxy.dispatch_event(Event("popstate")) is True
    assert calls == ["owner", "app"]
    sandbox.inactive()
    assert window.event_listeners("popstate") == [owner]
    assert window.event_listeners("hashchange") == []
    window.dispatch_event(Event("popstate"))
    assert calls == ["owner", "app", "owner"]
    sandbox.active()
    window.dispatch_event(Event("popstate"))
    assert calls[-1] == "owner" and calls.count("app") == 1


def test_no_side_effects_while_inactive(make: SandboxFactory) -> None:
    window = Window()
    sandbox = make("app1", window)
    sandbox.active()
    sandbox.inactive()
    with pytest.warns(SandboxWarning):
        sandbox.proxy.add_event_listener("popstate", print)
    with pytest.warns(SandboxWarning):
        assert sandbox.proxy.set_timeout(print, 1) == 0
    with pytest.warns(SandboxWarning):
        assert sandbox.proxy.set_interval(print, 1) == 0
    assert window.event_listeners("popstate") == [] and window.pending_timers == 0


async def test_close_frees_everything(make: SandboxFactory) -> None:
    window = Window()
    sandbox = make("app1", window)
    ticks: list[int] = []
    sandbox.proxy.set_interval(lambda: ticks.append(1), 1)
    sandbox.proxy.add_event_listener("popstate", print)
    sandbox.close()
    await asyncio.sleep(0.01)
    assert ticks == [] and window.pending_timers == 0 and window.event_listeners("popstate") == []


async def test_interval_started_by_a_timeout_is_still_freed(make: SandboxFactory) -> None:
    window = Window()
    sandbox = make("app1", window)
    ticks: list[int] = []

    def start() -> None:
        sandbox.proxy.set_interval(lambda: ticks.append(1), 1)

    sandbox.proxy.set_timeout(start, 0)
    await _eventually(lambda: bool(ticks))
    sandbox.inactive()
    count = len(ticks)
    await asyncio.sleep(0.01)
    assert len(ticks) == count and window.pending_timers == 0


def test_listeners_added_at_load_come_back_on_remount(make: SandboxFactory) -> None:
    """Scripts run once, so a listener they add at load must survive unmount/remount."""
    window = Window()
    sandbox = make("app1", window)
    calls: list[str] = []

    def at_load(e: Event) -> None:
        calls.append("load")

    def at_mount(e: Event) -> None:
        calls.append("mount")

    def removed(e: Event) -> None:
        calls.append("removed")

    sandbox.proxy.add_event_listener("popstate", at_load)
    sandbox.proxy.add_event_listener("popstate", removed)
    sandbox.active()
    sandbox.proxy.remove_event_listener("popstate", removed)
    sandbox.proxy.add_event_listener("popstate", at_mount)
    sandbox.inactive()
    assert window.event_listeners("popstate") == []
    sandbox.active()
    assert window.event_listeners("popstate") == [at_load]
    window.dispatch_event(Event("popstate"))
    assert calls == ["load"]
    sandbox.inactive()
    assert window.event_listeners("popstate") == []
    sandbox.close()
    assert window.event_listeners("popstate") == []


def test_once_listener_through_proxy(make: SandboxFactory) -> None:
    window = Window()
    sandbox = make("app1", window)
    sandbox.active()
    calls: list[str] = []
    sandbox.proxy.add_event_listener("x", lambda e: calls.append("fired"), once=True)
    sandbox.proxy.add_event_listener("y", lambda e: calls.append("never"), once=True)
    window.dispatch_event(Event("x"))
    window.dispatch_event(Event("x"))
    sandbox.inactive()
    window.dispatch_event(Event("y"))
    assert calls == ["fired"] and window.event_listeners("y") == []
