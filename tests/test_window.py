"""Window: the global object of a headless tab (globals, events, timers)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from sandbox import Event, Window


def test_globals_by_attribute_and_item() -> None:
    w = Window()
    w.a = 1
    w["b"] = 2
    assert (w.a, w["a"], w.b, w["b"]) == (1, 1, 2, 2)
    assert "a" in w and "b" in w and "c" not in w
    assert w.keys() == ["a", "b"]
    assert w.items() == [("a", 1), ("b", 2)]
    assert w.values() == [1, 2]
    assert list(w) == ["a", "b"] and len(w) == 2
    assert w.get("a") == 1 and w.get("c") is None and w.get("c", 7) == 7


def test_keys_keep_insertion_order_and_delete() -> None:
    w = Window()
    for name in ("z", "a", "m"):
        w[name] = name
    del w.a
    del w["z"]
    w.a = 0
    assert w.keys() == ["m", "a"]


def test_missing_names_raise_like_python() -> None:
    w = Window()
    with pytest.raises(AttributeError, match="'nope'"):
        _ = w.nope
    with pytest.raises(KeyError):
        _ = w["nope"]
    with pytest.raises(AttributeError):
        del w.nope
    with pytest.raises(KeyError):
        del w["nope"]


def test_document_location_history_are_builtins_not_globals() -> None:
    w = Window(document="doc", location="loc")
    assert (w.document, w.location, w.history) == ("doc", "loc", None)
    w.document = "doc2"
    w.history = "hist"
    assert w.document == "doc2" and w["history"] == "hist" and w.get("document") == "doc2"
    assert "document" in w
    assert w.keys() == []
    assert w.window is w and w.self is w and w.global_this is w


def test_globals_cannot_shadow_methods() -> None:
    w = Window()
    with pytest.raises(AttributeError, match="built in"):
        w.add_event_listener = None  # type: ignore[method-assign,assignment]
    w["keys"] = "a global named keys"
    assert w["keys"] == "a global named keys"
    assert w.keys() == ["keys"]


def test_empty_window_is_truthy_and_events_copy_safely() -> None:
    import copy

    assert Window() and Window().window
    event = Event("x", state={"a": 1})
    clone = copy.deepcopy(event)
    assert clone.state == {"a": 1} and clone.type == "x"
    with pytest.raises(AttributeError, match="'x' event has no attribute 'nope'"):
        _ = event.nope


def test_two_windows_are_independent() -> None:
    a, b = Window(), Window()
    a.x = 1
    assert "x" not in b


def test_listeners_in_order_deduplicated_and_removable() -> None:
    w = Window()
    calls: list[str] = []

    def first(e: Event) -> None:
        calls.append("first")

    def second(e: Event) -> None:
        calls.append("second")

    w.add_event_listener("popstate", first)
    w.add_event_listener("popstate", second)
    w.add_event_listener("popstate", first)
    assert w.dispatch_event(Event("popstate")) is True
    assert calls == ["first", "second"]
    w.remove_event_listener("popstate", first)
    w.remove_event_listener("popstate", first)
    w.dispatch_event(Event("popstate"))
    assert calls == ["first", "second", "second"]
    w.dispatch_event(Event("hashchange"))
    assert calls == ["first", "second", "second"]


def test_event_attributes_and_prevent_default() -> None:
    w = Window()
    seen: list[Event] = []

    def cancel(e: Event) -> None:
        seen.append(e)
        e.prevent_default()

    w.add_event_listener("x", cancel)
    event = Event("x", detail={"a": 1}, old_url="/a", new_url="/b")
    assert w.dispatch_event(event) is False
    assert event.default_prevented and seen == [event]
    assert (event.detail, event.old_url, event.new_url, event.target) == ({"a": 1}, "/a", "/b", w)


def test_listener_error_is_logged_and_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    w = Window()
    calls: list[str] = []

    def boom(e: Event) -> None:
        raise ValueError("boom in listener")

    w.add_event_listener("x", boom)
    w.add_event_listener("x", lambda e: calls.append("after"))
    with caplog.at_level(logging.ERROR, logger="sandbox"):
        assert w.dispatch_event(Event("x")) is True
    assert calls == ["after"]
    assert "boom in listener" in caplog.text


async def test_async_listener_runs_as_task() -> None:
    w = Window()
    done = asyncio.Event()

    async def listener(e: Event) -> None:
        await asyncio.sleep(0)
        done.set()

    w.add_event_listener("x", listener)
    w.dispatch_event(Event("x"))
    await asyncio.wait_for(done.wait(), 1)


def test_interceptor_replaces_listeners_until_cleared() -> None:
    w = Window()
    calls: list[str] = []
    captured: list[Event] = []
    w.add_event_listener("popstate", lambda e: calls.append("listener"))
    w.intercept_events(["popstate", "hashchange"], captured.append)
    event = Event("popstate", state=None)
    w.dispatch_event(event)
    assert captured == [event] and calls == []
    w.call_event_listeners(event)
    assert calls == ["listener"]
    w.dispatch_event(Event("other"))
    assert len(captured) == 1
    w.intercept_events(["popstate"], None)
    w.dispatch_event(Event("popstate"))
    assert calls == ["listener", "listener"]


def test_once_listener_runs_once() -> None:
    w = Window()
    calls: list[int] = []

    def listener(e: Event) -> None:
        calls.append(1)

    w.add_event_listener("x", listener, once=True)
    w.add_event_listener("x", listener)
    w.dispatch_event(Event("x"))
    w.dispatch_event(Event("x"))
    assert calls == [1] and w.event_listeners("x") == []


def test_listener_removed_during_dispatch_is_not_called() -> None:
    w = Window()
    calls: list[str] = []

    def second(e: Event) -> None:
        calls.append("second")

    def first(e: Event) -> None:
        calls.append("first")
        w.remove_event_listener("x", second)

    w.add_event_listener("x", first)
    w.add_event_listener("x", second)
    w.dispatch_event(Event("x"))
    assert calls == ["first"]


def test_stop_immediate_propagation() -> None:
    w = Window()
    calls: list[int] = []

    def stop(e: Event) -> None:
        calls.append(1)
        e.stop_immediate_propagation()

    w.add_event_listener("x", stop)
    w.add_event_listener("x", lambda e: calls.append(2))
    w.dispatch_event(Event("x"))
    assert calls == [1]


def test_timers_need_a_running_loop() -> None:
    with pytest.raises(RuntimeError, match="running asyncio event loop"):
        Window().set_timeout(lambda: None, 10)


async def test_timeout_runs_once_with_args_and_can_be_cleared() -> None:
    w = Window()
    out: list[Any] = []
    w.set_timeout(out.append, 1, "ran")
    cleared = w.set_timeout(out.append, 1, "cleared")
    w.clear_timeout(cleared)
    await asyncio.sleep(0.03)
    assert out == ["ran"]
    assert w.pending_timers == 0


async def test_interval_repeats_until_cleared() -> None:
    w = Window()
    out: list[int] = []
    handle = w.set_interval(lambda: out.append(1), 2)
    await asyncio.sleep(0.04)
    w.clear_interval(handle)
    count = len(out)
    assert count >= 2
    await asyncio.sleep(0.02)
    assert len(out) == count and not w.has_timer(handle)


async def test_interval_cleared_from_its_own_callback() -> None:
    w = Window()
    out: list[int] = []

    def tick() -> None:
        out.append(1)
        w.clear_interval(handle)

    handle = w.set_interval(tick, 1)
    await asyncio.sleep(0.03)
    assert out == [1] and w.pending_timers == 0


async def test_timer_error_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    w = Window()

    def boom() -> None:
        raise RuntimeError("timer boom")

    with caplog.at_level(logging.ERROR, logger="sandbox"):
        w.set_timeout(boom, 0)
        await asyncio.sleep(0.01)
    assert "timer boom" in caplog.text


async def test_cancel_timers() -> None:
    w = Window()
    out: list[int] = []
    w.set_timeout(out.append, 1, 1)
    w.set_interval(out.append, 1, 2)
    w.cancel_timers()
    await asyncio.sleep(0.02)
    assert out == [] and w.pending_timers == 0


async def test_shell_timers_are_never_paused() -> None:
    w = Window()
    handle = w.set_interval(lambda: None, 1000)
    assert w.has_timer(handle) and w.timer_paused(handle) is False
    assert w.timer_paused(99) is False
    w.clear_interval(handle)
    assert not w.has_timer(handle) and w.timer_paused(handle) is False


async def test_close_cancels_timers_and_tasks_aclose_awaits_them() -> None:
    w = Window()
    started = asyncio.Event()
    ended: list[str] = []

    async def listener(e: Event) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            ended.append("ended")

    w.add_event_listener("x", listener)
    w.set_interval(lambda: None, 1000)
    w.dispatch_event(Event("x"))
    await asyncio.wait_for(started.wait(), 2)
    assert w.pending_tasks == 1
    await asyncio.wait_for(w.aclose(), 2)
    assert ended == ["ended"] and w.pending_tasks == 0 and w.pending_timers == 0


def test_runner_calls_the_listener_for_its_owner() -> None:
    w = Window()
    ran: list[tuple[str, str]] = []

    def runner(callback: Any, args: tuple[Any, ...], what: str) -> None:
        ran.append((what, args[0].type))
        callback(*args)

    seen: list[str] = []
    w.add_event_listener("x", lambda e: seen.append(e.type), runner=runner)
    w.dispatch_event(Event("x"))
    assert ran == [("'x' listener", "x")] and seen == ["x"]
