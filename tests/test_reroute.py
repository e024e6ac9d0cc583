"""Reroute semantics: before/after start, ordering, queueing, cancelation, captured listeners."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from engine_support import Gate, Recorder, record_events, until
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator import Orchestrator
from orchestrator.status import AppStatus
from sandbox import Event

S = AppStatus


async def test_before_start_only_loads_and_fires_no_events() -> None:
    rec = Recorder()
    gate = Gate()
    async with Orchestrator(url="http://localhost/a") as orch:
        seen = record_events(orch)
        orch.register_application("a", rec.loader("a", load_gate=gate), "/a")
        orch.register_application("b", rec.loader("b"), "/b")
        assert orch.get_app_status("a") is S.NOT_LOADED  # registering does not reroute
        pending = asyncio.ensure_future(orch.trigger_app_change())
        await gate.entered.wait()
        assert orch.get_app_status("a") is S.LOADING_SOURCE_CODE
        gate.open()
        assert await pending == []
        assert orch.get_app_status("a") is S.NOT_BOOTSTRAPPED
        assert orch.get_app_status("b") is S.NOT_LOADED
        assert seen == []
        assert await orch.navigate("/b") == []
        assert orch.get_app_status("b") is S.NOT_BOOTSTRAPPED
        assert rec.log == [("a", "load"), ("b", "load")]
        assert await orch.start() == ["b"]
        assert rec.calls("a") == ["load"]


async def test_app_still_loading_at_start_is_mounted_by_start() -> None:
    rec = Recorder()
    gate = Gate()
    async with Orchestrator(url="http://localhost/a") as orch:
        orch.register_application("a", rec.loader("a", load_gate=gate), "/a")
        early = asyncio.ensure_future(orch.trigger_app_change())
        await gate.entered.wait()
        started = asyncio.ensure_future(orch.start())
        await until(lambda: orch.started)  # start has queued its reroute; the load goes on
        assert orch.get_app_status("a") is S.LOADING_SOURCE_CODE
        gate.open()
        assert await started == ["a"]
        await early
        assert rec.calls("a") == ["load", "bootstrap", "mount"]


async def test_mounts_wait_for_every_unmount_while_loads_overlap_them() -> None:
    log: list[tuple[str, str]] = []
    rec = Recorder(log)
    new_bootstrapped = Gate(opened=True)

    async def slow_unmount(props: dict[str, Any]) -> None:
        log.append(("old", "unmount"))
        await new_bootstrapped.entered.wait()  # the new app loads and bootstraps meanwhile
        log.append(("old", "unmounted"))

    old = rec.lifecycles("old", extra={"unmount": slow_unmount})
    new = rec.loader("new", gates={"bootstrap": new_bootstrapped})
    async with Orchestrator(url="http://localhost/old") as orch:
        orch.register_application("old", old, "/old")
        orch.register_application("new", new, "/new")
        await orch.start()
        log.clear()
        assert await orch.navigate("/new") == ["new"]
    assert log == [
        ("old", "unmount"),
        ("new", "load"),
        ("new", "bootstrap"),
        ("old", "unmounted"),
        ("new", "mount"),
    ]


async def test_a_fast_app_mounts_while_a_slow_one_is_still_loading() -> None:
    rec = Recorder()
    fast_mounted = Gate(opened=True)
    slow_load = Gate()
    async with Orchestrator(url="http://localhost/") as orch:
        orch.register_application("slow", rec.loader("slow", load_gate=slow_load), "/")
        orch.register_application("fast", rec.loader("fast", gates={"mount": fast_mounted}), "/")
        started = asyncio.ensure_future(orch.start())
        await fast_mounted.entered.wait()
        assert orch.get_app_status("slow") is S.LOADING_SOURCE_CODE
        slow_load.open()
        assert await started == ["slow", "fast"]
    assert rec.log == [
        ("slow", "load"),
        ("fast", "load"),
        ("fast", "bootstrap"),
        ("fast", "mount"),
        ("slow", "bootstrap"),
        ("slow", "mount"),
    ]


async def test_app_left_while_loading_is_never_bootstrapped() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/#/slow") as orch:
        gate = Gate(opened=True)
        orch.register_application("slow", rec.loader("slow", load_gate=gate), "/#/slow")
        orch.register_application("fast", rec.loader("fast"), "/#/fast")
        await orch.start()
        assert orch.get_mounted_apps() == ["slow"]
        await orch.navigate("#/fast")
        assert orch.get_mounted_apps() == ["fast"]
        # now navigate away from slow while it loads again after an unload
        await orch.unload_application("slow")
        gate.close()
        first = asyncio.ensure_future(orch.navigate("#/slow"))
        await gate.entered.wait()  # slow is loading again
        second = asyncio.ensure_future(orch.navigate("#/fast"))
        await until(lambda: orch.location.hash == "#/fast")
        gate.open()
        await first
        await second
        assert orch.get_app_status("slow") is S.NOT_BOOTSTRAPPED
        assert orch.get_mounted_apps() == ["fast"]
        assert await orch.navigate("#/slow") == ["slow"]
        assert await orch.navigate("#/other") == []


async def test_reroutes_are_queued_and_collapsed_into_one_follow_up() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/a") as orch:
        b_mount = Gate(opened=True)
        for name in "abcd":
            gates = {"mount": b_mount} if name == "b" else {}
            orch.register_application(name, rec.loader(name, gates=gates), f"/{name}")
        await orch.start()
        seen = record_events(orch, ["routing-event"])
        b_mount.close()
        first = asyncio.ensure_future(orch.navigate("/b"))
        await b_mount.entered.wait()  # the reroute to /b is mounting b: the others must queue
        queued = [asyncio.ensure_future(orch.navigate(path)) for path in ("/c", "/d")]
        await until(lambda: orch.location.pathname == "/d")
        b_mount.open()
        results = [await first, *[await one for one in queued]]
        # /b ran; /c and /d were queued and served by one reroute at /d
        assert results == [["d"], ["d"], ["d"]]
        assert len(seen) == 2
        assert rec.calls("c") == []
        assert orch.get_mounted_apps() == ["d"]


async def test_one_reroute_at_a_time() -> None:
    running = 0
    peak = 0

    async def mount(props: dict[str, Any]) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        for _ in range(5):  # give any concurrent reroute the turns to overlap this one
            await asyncio.sleep(0)
        running -= 1

    async with Orchestrator(url="http://localhost/x0") as orch:
        for i in range(4):
            orch.register_application(
                f"x{i}", {"mount": mount, "unmount": lambda p: None}, f"/x{i}"
            )
        await orch.start()
        await asyncio.gather(*(orch.navigate(f"/x{i % 4}") for i in range(12)))
        await orch.trigger_app_change()
    assert peak == 1


async def test_trigger_app_change_returns_mounted_names() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/a") as orch:
        orch.register_application("a", rec.lifecycles("a"), "/a")
        orch.register_application("all", rec.lifecycles("all"), lambda loc: True)
        assert await orch.start() == ["a", "all"]
        assert await orch.trigger_app_change() == ["a", "all"]


@pytest.mark.parametrize(
    ("value", "canceled"),
    [
        ((), True),
        ((True,), True),
        ((object(),), True),
        (({},), False),
        ((False,), False),
        ((None,), False),
        (("",), False),
    ],
)
async def test_cancel_navigation_values(value: tuple[Any, ...], canceled: bool) -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/") as orch:
        orch.register_application("app1", rec.lifecycles("app1"), "/app1")
        await orch.start()

        def cancel(sender: Orchestrator, detail: Any) -> None:
            detail.cancel_navigation(*value)

        orch.events["before-routing-event"].connect(cancel)
        result = await orch.navigate("/app1")
        assert orch.location.pathname == ("/" if canceled else "/app1")
        assert result == ([] if canceled else ["app1"])


@pytest.mark.parametrize(("resolved", "canceled"), [(True, True), (False, False), ("boom", False)])
async def test_async_cancel_navigation(resolved: Any, canceled: bool) -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/") as orch:
        orch.register_application("app1", rec.lifecycles("app1"), "/app1")
        await orch.start()

        async def decide() -> Any:
            await asyncio.sleep(0)  # resolves later than the dispatch that collected it
            if resolved == "boom":
                raise RuntimeError("rejected")
            return resolved

        orch.events["before-routing-event"].connect(
            lambda sender, detail: detail.cancel_navigation(decide())
        )
        await orch.navigate("/app1")
        assert (orch.location.pathname == "/") is canceled
        assert (orch.get_app_status("app1") is S.MOUNTED) is not canceled


async def test_canceled_navigation_is_silent_and_keeps_the_target_unmounted() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/") as orch:
        orch.register_application("russell", rec.lifecycles("russell"), "/#/russell")
        await orch.start()
        seen = record_events(orch)
        urls: list[str] = []
        orch.window.add_event_listener("hashchange", lambda e: urls.append(e.type))

        def cancel(sender: Orchestrator, detail: Any) -> None:
            urls.append(detail.new_url)
            if detail.new_url.endswith("#/russell"):
                detail.cancel_navigation()

        orch.events["before-routing-event"].connect(cancel)
        await orch.navigate("#/russell")
        assert orch.location.href == "http://localhost/"
        assert orch.get_app_status("russell") is S.NOT_LOADED
        assert [name for name, _ in seen] == ["before-app-change", "before-routing-event"]
        assert urls == ["http://localhost/#/russell"]  # the hashchange listener was swallowed


async def test_late_cancel_calls_are_ignored() -> None:
    rec = Recorder()
    kept: list[Any] = []
    async with Orchestrator(url="http://localhost/") as orch:
        orch.register_application("a", rec.lifecycles("a"), "/a")
        await orch.start()
        orch.events["before-routing-event"].connect(lambda s, detail: kept.append(detail))
        await orch.navigate("/a")
        kept[0].cancel_navigation()  # after the dispatch: ignored
        assert orch.get_mounted_apps() == ["a"]
        assert orch.location.pathname == "/a"
        assert await orch.trigger_app_change() == ["a"]


async def test_captured_listeners_run_after_unmounts_before_mounts() -> None:
    log: list[tuple[str, str]] = []
    rec = Recorder(log)
    async with Orchestrator(url="http://localhost/a") as orch:
        orch.register_application("a", rec.lifecycles("a", delays={"unmount": 0.01}), "/a")
        orch.register_application("b", rec.lifecycles("b"), "/b")
        await orch.start()
        orch.window.add_event_listener("popstate", lambda e: log.append(("listener", e.type)))
        await orch.navigate("/b")
    assert log[-3:] == [("a", "unmount"), ("listener", "popstate"), ("b", "mount")] or log[-4:] == [
        ("a", "unmount"),
        ("b", "bootstrap"),
        ("listener", "popstate"),
        ("b", "mount"),
    ]
    assert log.index(("listener", "popstate")) > log.index(("a", "unmount"))
    assert log.index(("listener", "popstate")) < log.index(("b", "mount"))


async def test_back_fires_popstate_and_hashchange_to_listeners_once_each() -> None:
    async with Orchestrator(url="http://localhost/#/one") as orch:
        await orch.start()
        got: list[str] = []
        orch.window.add_event_listener("popstate", lambda e: got.append("popstate"))
        orch.window.add_event_listener("hashchange", lambda e: got.append("hashchange"))
        await orch.navigate("#/two")
        assert got == ["popstate", "hashchange"]
        got.clear()
        await orch.history.back()
        assert got == ["popstate", "hashchange"]
        assert orch.location.hash == "#/one"


async def test_dispatched_popstate_triggers_a_reroute() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/") as orch:
        orch.register_application("a", rec.lifecycles("a"), "/a")
        await orch.start()
        got: list[Any] = []
        orch.window.add_event_listener("popstate", got.append)
        orch.history.on_change, handler = None, orch.history.on_change
        orch.history.push_state(None, "", "/a")  # URL changes, nobody told
        orch.history.on_change = handler
        assert orch.get_mounted_apps() == []
        rerouted = asyncio.Event()
        orch.events["routing-event"].connect(lambda sender, detail: rerouted.set())
        event = Event("popstate", state=None)
        orch.window.dispatch_event(event)
        await asyncio.wait_for(rerouted.wait(), 5)
        assert orch.get_mounted_apps() == ["a"]
        assert got == [event]


async def test_url_reroute_only_default_ignores_same_url_push_state() -> None:
    async with Orchestrator(url="http://localhost/same") as orch:
        await orch.start()
        got: list[Any] = []
        orch.window.add_event_listener("popstate", got.append)
        seen = record_events(orch, ["routing-event"])
        assert await orch.history.push_state({"x": 1}, "", "/same") is None  # no reroute
        assert got == [] and seen == []
        await orch.history.push_state({"x": 2}, "", "/new-url")
        assert len(got) == 1 and len(seen) == 1
        assert got[0].single_spa is True and got[0].single_spa_trigger == "pushState"
        assert got[0].state == {"x": 2}


async def test_url_reroute_only_false_fires_for_every_state_change() -> None:
    async with Orchestrator(url="http://localhost/same") as orch:
        await orch.start(url_reroute_only=False)
        got: list[Any] = []
        orch.window.add_event_listener("popstate", got.append)
        await orch.history.replace_state("s", "", "/same")
        assert len(got) == 1
        assert got[0].single_spa_trigger == "replaceState" and got[0].state == "s"


async def test_no_synthetic_popstate_to_listeners_before_start() -> None:
    async with Orchestrator(url="http://localhost/") as orch:
        got: list[Any] = []
        orch.window.add_event_listener("popstate", got.append)
        await orch.navigate("/x")
        await orch.trigger_app_change()
        assert got == []
        await orch.start()
        await orch.navigate("/y")
        assert len(got) == 1


async def test_the_underway_flag_is_cleared_even_when_the_engine_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/") as orch:
        orch.register_application("a", rec.lifecycles("a"), "/a")
        await orch.start()
        original = orch._steps.mount

        async def broken_mount(unit: Any, *, hard: bool = False) -> None:
            raise RuntimeError("engine bug")

        monkeypatch.setattr(orch._steps, "mount", broken_mount)
        with pytest.raises(RuntimeError, match="engine bug"):
            await orch.navigate("/a")
        monkeypatch.setattr(orch._steps, "mount", original)
        assert await orch.trigger_app_change() == ["a"]


async def test_navigate_relative_and_replace() -> None:
    async with Orchestrator(url="http://localhost/base/page") as orch:
        await orch.start()
        length = orch.history.length
        await orch.navigate("other")
        assert orch.location.href == "http://localhost/base/other"
        await orch.navigate("/x?q=1", replace=True)
        assert orch.location.href == "http://localhost/x?q=1"
        assert orch.history.length == length + 1
        await orch.navigate("/x?q=2")
        assert orch.location.search == "?q=2"
        with pytest.raises(ValueError):
            await orch.navigate("https://elsewhere.example/")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(["/a", "/b", "/c", "/ab", "/#/h", "/"]), min_size=1, max_size=8))
def test_any_navigation_sequence_ends_in_the_state_of_the_last_url(paths: list[str]) -> None:
    async def scenario() -> None:
        rec = Recorder()
        async with Orchestrator(url="http://localhost/") as orch:
            orch.register_application("a", rec.loader("a", delays={"mount": 0.001}), "/a")
            orch.register_application("b", rec.loader("b"), ["/b", "/ab"])
            orch.register_application("c", rec.lifecycles("c", delays={"unmount": 0.001}), "/c")
            orch.register_application("h", rec.lifecycles("h"), lambda loc: loc.hash == "#/h")
            await orch.start()
            results = await asyncio.gather(*(orch.navigate(p) for p in paths))
            expected = orch.check_activity_functions()
            assert results[-1] == expected
            assert orch.get_mounted_apps() == expected
            for name in "abch":
                calls = [c for c in rec.calls(name) if c in ("mount", "unmount")]
                assert all(x != y for x, y in itertools.pairwise(calls))

    asyncio.run(scenario())


async def test_one_app_with_many_rules_mounts_and_unmounts_on_each() -> None:
    rec = Recorder()
    rules: list[Any] = [
        "/#/appWithRegularPrefix",
        "/pathname",
        lambda loc: loc.pathname.startswith("/specificCriteria"),
        "/#/hashResource/:id/hashSubResource/:hashSubResourceId",
        "/resource/:id/subresource/:subId",
        "pathname/#/subpath/:dynamic/another",
    ]
    prefixes = [
        "/#/appWithRegularPrefix",
        "/pathname",
        "/specificCriteria",
        "/#/hashResource/1/hashSubResource/2",
        "/resource/1/subresource/2",
        "/pathname/#/subpath/1/another",
    ]
    async with Orchestrator(url="http://localhost/") as orch:
        orch.register_application("multi", rec.lifecycles("multi"), rules)
        await orch.start()
        for prefix in prefixes:
            assert await orch.navigate(prefix + "/anything/everything") == ["multi"], prefix
            assert await orch.navigate("/#/unregisteredPath") == [], prefix
    assert rec.count("multi", "bootstrap") == 1
    assert rec.count("multi", "mount") == len(prefixes)
    assert rec.count("multi", "unmount") == len(prefixes)


async def test_callers_queued_behind_a_failed_reroute_are_still_served(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/") as orch:
        orch.register_application("a", rec.lifecycles("a"), "/a")
        orch.register_application("b", rec.lifecycles("b"), "/b")
        await orch.start()
        original = orch._steps.mount
        failures = 0
        gate = Gate()

        async def mount_once_broken(unit: Any, *, hard: bool = False) -> None:
            nonlocal failures
            if failures == 0:
                failures += 1
                await gate.pass_through()
                raise RuntimeError("engine bug")
            await original(unit, hard=hard)

        monkeypatch.setattr(orch._steps, "mount", mount_once_broken)
        first = asyncio.ensure_future(orch.navigate("/a"))
        await gate.entered.wait()
        second = asyncio.ensure_future(orch.navigate("/b"))
        await until(lambda: orch.location.pathname == "/b")  # queued behind the failing one
        gate.open()
        with pytest.raises(RuntimeError, match="engine bug"):
            await first
        assert await asyncio.wait_for(second, 1) == ["b"]


async def test_a_cancelled_caller_does_not_cancel_the_reroute_it_waits_for() -> None:
    """An app task awaiting ``navigate`` is cancelled when its app unmounts (the sandbox ends
    its tasks); the reroute it started is shared, and must still mount the next app."""
    rec = Recorder()
    gate = Gate()
    async with Orchestrator(url="http://localhost/a") as orch:
        orch.register_application("a", rec.lifecycles("a"), "/a")
        orch.register_application("b", rec.lifecycles("b", gates={"mount": gate}), "/b")
        await orch.start()
        waiting = asyncio.ensure_future(orch.navigate("/b"))
        await gate.entered.wait()  # the reroute to /b is mounting b
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        gate.open()
        assert await orch.trigger_app_change() == ["b"]
        assert rec.calls("b") == ["bootstrap", "mount"]
        waiting = asyncio.ensure_future(orch.trigger_app_change())
        await asyncio.sleep(0)
        waiting.cancel()
        assert await orch.navigate("/a") == ["a"]
