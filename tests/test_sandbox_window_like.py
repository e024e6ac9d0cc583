"""One interface for every ``window`` an app is given, and removal that matches bound methods."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sandbox import (
    Event,
    LegacySandbox,
    ProxySandbox,
    Sandbox,
    SandboxProxy,
    SnapshotSandbox,
    Window,
    WindowLike,
)

SandboxFactory = Callable[[str, Window], Sandbox]


@pytest.fixture(params=[ProxySandbox, LegacySandbox, SnapshotSandbox], ids=lambda f: f.__name__)
def make(request: pytest.FixtureRequest) -> SandboxFactory:
    factory: SandboxFactory = request.param
    return factory


class Widget:
    """An app object whose listener and timer callback are bound methods."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def on_event(self, event: Event) -> None:
        self.calls.append(event.type)

    def tick(self) -> None:
        self.calls.append("tick")


def test_every_window_and_proxy_is_window_like(make: SandboxFactory) -> None:
    window = Window()
    proxy = make("app1", window).proxy
    nested = ProxySandbox("inner", ProxySandbox("outer", window).proxy).proxy
    for candidate in (window, proxy, nested):
        assert isinstance(candidate, WindowLike)
    assert not isinstance(proxy, Window) and isinstance(proxy, SandboxProxy)
    for not_a_window in ({}, object(), "window", Event("x")):
        assert not isinstance(not_a_window, WindowLike)


def test_window_like_is_what_a_helper_can_ask_for(make: SandboxFactory) -> None:
    """Code written against WindowLike runs on the window and on any proxy alike."""

    def remember(target: WindowLike, value: int) -> int:
        target["remembered"] = value
        return int(target.get("remembered")) + len(target.keys())

    window = Window()
    assert remember(window, 1) == 2
    assert remember(make("app1", window).proxy, 5) == 6


def test_window_removes_a_fresh_bound_method() -> None:
    window = Window()
    widget = Widget()
    window.add_event_listener("x", widget.on_event)
    window.add_event_listener("x", widget.on_event)  # equal: still one
    assert widget.on_event is not widget.on_event and window.event_listeners("x") == [
        widget.on_event
    ]
    window.dispatch_event(Event("x"))
    window.remove_event_listener("x", widget.on_event)
    window.dispatch_event(Event("x"))
    assert widget.calls == ["x"] and window.event_listeners("x") == []


def test_proxy_removes_a_fresh_bound_method(make: SandboxFactory) -> None:
    window = Window()
    sandbox = make("app1", window)
    sandbox.active()
    widget = Widget()
    sandbox.proxy.add_event_listener("x", widget.on_event)
    assert sandbox.listener_count == 1
    sandbox.proxy.remove_event_listener("x", widget.on_event)
    window.dispatch_event(Event("x"))
    assert widget.calls == [] and sandbox.listener_count == 0
    assert window.event_listeners("x") == []


def test_bound_method_listeners_survive_pause_and_remount(make: SandboxFactory) -> None:
    window = Window()
    sandbox = make("app1", window)
    widget = Widget()
    sandbox.proxy.add_event_listener("x", widget.on_event)  # at load: rebuilt on remount
    sandbox.active()
    sandbox.pause()
    sandbox.proxy.remove_event_listener("x", widget.on_event)
    sandbox.resume()
    window.dispatch_event(Event("x"))
    assert widget.calls == []
    sandbox.proxy.add_event_listener("y", widget.on_event)
    sandbox.inactive()
    window.dispatch_event(Event("y"))
    assert widget.calls == [] and window.event_listeners("y") == []


async def test_bound_method_timer_cleared_by_handle(make: SandboxFactory) -> None:
    window = Window()
    sandbox = make("app1", window)
    widget = Widget()
    handle = sandbox.proxy.set_interval(widget.tick, 1000)
    sandbox.proxy.clear_interval(handle)
    assert sandbox.timer_count == 0 and not window.has_timer(handle)
