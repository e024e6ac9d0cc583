"""A ProxySandbox over another sandbox's proxy: an app nested in an app (qiankun inside qiankun)."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from sandbox import (
    Event,
    LegacySandbox,
    ProxySandbox,
    SandboxWarning,
    SnapshotSandbox,
    Window,
    WindowLike,
)

WAIT = 2.0


def _nested() -> tuple[Window, ProxySandbox, ProxySandbox]:
    window = Window(document="the document")
    outer = ProxySandbox("outer", window)
    inner = ProxySandbox("inner", outer.proxy)
    return window, outer, inner


def test_reads_fall_through_both_layers() -> None:
    window, outer, inner = _nested()
    window.from_window = "w"
    outer.proxy.from_outer = "o"
    outer.proxy.shadowed = "outer value"
    inner.proxy.shadowed = "inner value"
    proxy = inner.proxy
    assert (proxy.from_window, proxy["from_outer"], proxy.get("shadowed")) == (
        "w",
        "o",
        "inner value",
    )
    assert "from_window" in proxy and "from_outer" in proxy and "nope" not in proxy
    assert proxy.get("nope", 7) == 7
    with pytest.raises(AttributeError, match="'inner' has no global 'nope'"):
        _ = proxy.nope
    assert proxy.keys() == ["from_window", "from_outer", "shadowed"]
    assert outer.proxy.shadowed == "outer value"


def test_writes_and_deletes_stay_in_the_inner_overlay() -> None:
    window, outer, inner = _nested()
    outer.proxy.shared = "outer"
    inner.proxy.own = 1
    inner.proxy.shared = "inner"
    assert "own" not in outer.proxy and "own" not in window
    assert outer.proxy.shared == "outer" and inner.own_keys == ["own", "shared"]
    del inner.proxy.shared
    assert inner.proxy.shared == "outer" and outer.proxy.shared == "outer"
    del inner.proxy.shared  # only the outer has it now: the inner cannot delete it
    assert outer.proxy.shared == "outer"


def test_browser_surface_is_the_real_windows_and_the_proxy_is_its_own() -> None:
    window, outer, inner = _nested()
    assert inner.proxy.document == "the document"
    assert inner.proxy.window is inner.proxy and inner.proxy.global_this is inner.proxy
    assert inner.proxy["self"] is inner.proxy
    assert isinstance(inner.proxy, WindowLike) and inner.window is outer.proxy
    assert inner.root_window is window and inner.outer is outer


def test_inactive_on_the_inner_leaves_the_outer_alone() -> None:
    window, outer, inner = _nested()
    calls: list[str] = []
    outer.proxy.state = "outer state"
    outer.proxy.add_event_listener("popstate", lambda e: calls.append("outer"))
    inner.proxy.add_event_listener("popstate", lambda e: calls.append("inner"))
    inner.proxy.inner_state = 1
    window.dispatch_event(Event("popstate"))
    assert calls == ["outer", "inner"]
    inner.inactive()
    window.dispatch_event(Event("popstate"))
    assert calls == ["outer", "inner", "outer"]
    assert outer.sandbox_running and outer.proxy.state == "outer state"
    assert outer.listener_count == 1 and "inner_state" not in outer.proxy
    inner.active()
    assert inner.proxy.inner_state == 1


def test_inner_whitelisted_names_go_to_the_outer_and_come_back() -> None:
    window = Window()
    outer = ProxySandbox("outer", window)
    inner = ProxySandbox("inner", outer.proxy, global_whitelist=["shared"])
    outer.proxy.shared = "before"
    inner.proxy.shared = "from inner"
    assert outer.proxy.shared == "from inner" and "shared" not in window
    inner.inactive()
    assert outer.proxy.shared == "before"
    del outer.proxy.shared
    inner.active()
    inner.proxy.shared = "new"
    assert outer.proxy.shared == "new"
    inner.inactive()
    assert "shared" not in outer.proxy


def test_writes_while_the_inner_is_inactive_are_refused() -> None:
    _, _, inner = _nested()
    inner.inactive()
    with pytest.warns(SandboxWarning, match="in inner"):
        inner.proxy.x = 1
    assert "x" not in inner.proxy


async def test_outer_unmount_ends_the_inner_apps_effects() -> None:
    window, outer, inner = _nested()
    ticks: list[int] = []
    started = asyncio.Event()

    async def work(event: Event) -> None:
        started.set()
        await asyncio.Event().wait()

    inner.proxy.set_interval(lambda: ticks.append(1), 1000)
    inner.proxy.add_event_listener("x", work)
    window.dispatch_event(Event("x"))
    await asyncio.wait_for(started.wait(), WAIT)
    outer.inactive()
    await asyncio.wait_for(outer.settle(), WAIT)
    assert window.pending_timers == 0 and window.event_listeners("x") == []
    assert window.pending_tasks == 0 and inner.task_count == 0


async def test_effects_refused_while_the_outer_is_inactive() -> None:
    window, outer, inner = _nested()
    outer.inactive()
    with pytest.warns(SandboxWarning, match="in inner"):
        assert inner.proxy.set_timeout(print, 1) == 0
    with pytest.warns(SandboxWarning):
        inner.proxy.add_event_listener("x", print)
    assert window.pending_timers == 0 and window.event_listeners("x") == []


async def test_pausing_the_outer_pauses_the_inner() -> None:
    window, outer, inner = _nested()
    heard: list[str] = []
    handle = inner.proxy.set_interval(lambda: None, 1000)
    inner.proxy.add_event_listener("x", lambda e: heard.append("inner"))
    outer.pause()
    assert inner.paused and window.timer_paused(handle)
    window.dispatch_event(Event("x"))
    assert heard == []
    inner.pause()
    outer.resume()
    assert inner.paused and window.timer_paused(handle), "the inner's own pause still holds"
    inner.resume()
    assert not window.timer_paused(handle)
    window.dispatch_event(Event("x"))
    assert heard == ["inner"]
    outer.pause()
    late = ProxySandbox("late", outer.proxy)
    assert late.paused
    outer.resume()
    assert not late.paused


def test_three_levels() -> None:
    window = Window()
    top = ProxySandbox("top", window)
    middle = ProxySandbox("middle", top.proxy)
    bottom = ProxySandbox("bottom", middle.proxy)
    window.a = "window"
    top.proxy.b = "top"
    middle.proxy.c = "middle"
    bottom.proxy.d = "bottom"
    assert [bottom.proxy[n] for n in "abcd"] == ["window", "top", "middle", "bottom"]
    assert "d" not in middle.proxy and "c" not in top.proxy
    assert bottom.root_window is window


@pytest.mark.parametrize("singular", [LegacySandbox, SnapshotSandbox])
def test_singular_sandboxes_need_the_real_window(singular: type[LegacySandbox]) -> None:
    outer = ProxySandbox("outer", Window())
    with pytest.raises(TypeError, match="only a ProxySandbox"):
        singular("inner", outer.proxy)  # type: ignore[arg-type]


def test_not_a_window_at_all() -> None:
    with pytest.raises(TypeError, match=r"needs a sandbox\.Window, got dict"):
        ProxySandbox("x", {})  # type: ignore[arg-type]


async def test_a_thousand_inner_cycles_leave_nothing_behind() -> None:
    window, outer, _ = _nested()
    outer.proxy.add_event_listener("x", print)
    last: weakref.ref[ProxySandbox] | None = None
    for index in range(1000):
        inner = ProxySandbox(f"inner{index}", outer.proxy)
        inner.proxy.set_interval(print, 1000)
        inner.proxy.add_event_listener("x", lambda e: None)
        inner.proxy.own = index
        inner.active()
        inner.inactive()
        inner.active()
        inner.close()
        last = weakref.ref(inner)
    del inner
    gc.collect()
    assert last is not None and last() is None
    assert window.pending_timers == 0 and window.event_listeners("x") == [print]
    assert outer.listener_count == 1 and outer.proxy.keys() == []


async def test_outer_unmount_while_hidden_leaves_the_inner_clock_running_again() -> None:
    """Outer hidden, then unmounted and mounted: the inner app's new timers run."""
    window, outer, inner = _nested()
    outer.pause()
    assert inner.paused
    outer.inactive()
    assert not inner.paused
    outer.active()
    fired = asyncio.Event()
    handle = inner.proxy.set_timeout(fired.set, 0)
    assert not window.timer_paused(handle)
    await asyncio.wait_for(fired.wait(), WAIT)
