"""The Orchestrator as a tab: its window and page, props, unload and unregister, closing."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from engine_support import Recorder, collect_errors

from orchestrator import Orchestrator
from orchestrator.errors import LifecycleError
from orchestrator.status import AppStatus

S = AppStatus


def test_a_tab_has_its_window_page_and_url() -> None:
    orch = Orchestrator(
        '<html><body><main id="main"></main></body></html>', url="http://shell.test/start"
    )
    assert orch.window.document is orch.document
    assert orch.window.location is orch.location
    assert orch.window.history is orch.history
    assert orch.location.href == "http://shell.test/start"
    assert orch.document.query_selector("#main") is not None
    assert "<main" in orch.document.html
    assert orch.global_state is None
    other = Orchestrator()
    other.register_application("x", {"mount": lambda p: None, "unmount": lambda p: None}, "/")
    assert orch.get_app_names() == []


async def test_two_tabs_route_independently() -> None:
    rec = Recorder()
    async with (
        Orchestrator(url="http://localhost/a") as one,
        Orchestrator(url="http://localhost/b") as two,
    ):
        for tab in (one, two):
            tab.register_application("a", rec.lifecycles("a"), "/a")
            tab.register_application("b", rec.lifecycles("b"), "/b")
            await tab.start()
        assert one.get_mounted_apps() == ["a"]
        assert two.get_mounted_apps() == ["b"]
        assert await one.navigate("/a/x") == ["a"]
        assert one.location.pathname == "/a/x"
        assert two.location.pathname == "/b" and two.get_mounted_apps() == ["b"]
        assert await two.navigate("/a") == ["a"]
        assert one.location.pathname == "/a/x" and one.get_mounted_apps() == ["a"]


async def test_props_custom_then_builtins_fresh_each_call() -> None:
    rec = Recorder()
    calls = 0

    def dynamic(name: str, location: Any) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        return {"dynamically": "set", "name": "ignored", "path": location.pathname}

    async with Orchestrator(url="http://localhost/a") as orch:
        orch.register_application("a", rec.loader("a"), "/a", dynamic)
        orch.register_application("s", rec.lifecycles("s"), "/a", {"test": "test"})
        await orch.start()
        await orch.navigate("/elsewhere")
        await orch.unload_application("a")
    a_props = [p for p in rec.props if p["name"] == "a"]
    assert len(a_props) == 4  # bootstrap, mount, unmount, unload (the loader got props too)
    assert calls == 5
    assert all(p["dynamically"] == "set" and p["orchestrator"] is orch for p in a_props)
    assert a_props[0]["path"] == "/a" and a_props[2]["path"] == "/elsewhere"
    assert len({id(p) for p in a_props}) == 4
    s_props = [p for p in rec.props if p["name"] == "s"]
    assert all(p["test"] == "test" and callable(p["mount_parcel"]) for p in s_props)
    assert "set_global_state" not in s_props[0]


async def test_custom_props_function_returning_junk_warns(caplog: pytest.LogCaptureFixture) -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/") as orch:
        orch.register_application("a", rec.lifecycles("a"), "/", lambda name, loc: ["x"])
        with caplog.at_level(logging.WARNING):
            assert await orch.start() == ["a"]
    assert rec.props[0]["name"] == "a"
    assert any(
        "custom_props function must return a mapping" in r.getMessage() for r in caplog.records
    )


async def test_containers() -> None:
    rec = Recorder()
    shell = '<html><body><section id="slot"></section></body></html>'
    async with Orchestrator(shell, url="http://localhost/") as orch:
        orch.register_application("default", rec.lifecycles("default"), "/")
        orch.register_application("selector", rec.lifecycles("selector"), "/", container="#slot")
        element = orch.document.create_element("div", {"id": "made"})
        orch.register_application("element", rec.lifecycles("element"), "/", container=element)
        orch.register_application(
            "factory", rec.lifecycles("factory"), "/", container=lambda: element
        )
        await orch.start()
    by_name = {p["name"]: p["container"] for p in rec.props}
    assert by_name["default"].get("id") == "single-spa-application:default"
    assert by_name["default"].getparent() is orch.document.body
    assert by_name["selector"].get("id") == "slot"
    assert by_name["element"] is element and by_name["factory"] is element
    assert 'id="single-spa-application:default"' in orch.document.html


async def test_global_state_props_and_cleanup_on_unmount() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/a") as orch:
        shell = orch.init_global_state({"user": "ann"})
        assert orch.global_state is not None
        seen: list[Any] = []
        mount = rec.lifecycles("a")["mount"]

        async def mount_listening(props: dict[str, Any]) -> None:
            await mount(props)
            props["on_global_state_change"](lambda state, prev: seen.append(state["user"]))

        orch.register_application("a", rec.lifecycles("a", extra={"mount": mount_listening}), "/a")
        await orch.start()
        assert shell.set_global_state({"user": "bob"}) is True
        assert seen == ["bob"]
        await orch.navigate("/b")
        shell.set_global_state({"user": "cy"})
        assert seen == ["bob"]


async def test_unload_an_inactive_app_then_remount() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/a") as orch:
        orch.register_application("a", rec.lifecycles("a"), "/a")
        await orch.start()
        await orch.navigate("/b")
        await orch.unload_application("a")
        assert orch.get_app_status("a") is S.NOT_LOADED
        assert [rec.count("a", k) for k in ("bootstrap", "mount", "unmount", "unload")] == [
            1,
            1,
            1,
            1,
        ]
        await orch.navigate("/a")
        assert rec.count("a", "bootstrap") == 2 and rec.count("a", "mount") == 2


async def test_unload_not_loaded_is_a_no_op() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/") as orch:
        orch.register_application("a", rec.lifecycles("a"), "/a")
        await orch.unload_application("a")
        assert orch.get_app_status("a") is S.NOT_LOADED
        assert rec.log == []


async def test_unload_an_active_app_unmounts_unloads_and_remounts() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/a") as orch:
        orch.register_application("a", rec.loader("a"), "/a")
        await orch.start()
        await orch.unload_application("a")
        assert rec.calls("a")[-2:] == ["unmount", "unload"]
        await asyncio.sleep(0.01)
        await orch.trigger_app_change()
        assert orch.get_mounted_apps() == ["a"]
        assert rec.calls("a") == [
            "load",
            "bootstrap",
            "mount",
            "unmount",
            "unload",
            "load",
            "bootstrap",
            "mount",
        ]


async def test_wait_for_unmount() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/a") as orch:
        orch.register_application("a", rec.lifecycles("a"), "/a")
        await orch.start()
        waiting = asyncio.ensure_future(orch.unload_application("a", wait_for_unmount=True))
        await orch.trigger_app_change()
        assert not waiting.done() and orch.get_app_status("a") is S.MOUNTED
        await orch.navigate("/b")
        await asyncio.wait_for(waiting, 1)
        assert orch.get_app_status("a") is S.NOT_LOADED


async def test_wait_and_immediate_callers_are_both_served() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/a") as orch:
        orch.register_application("a", rec.lifecycles("a"), "/a")
        await orch.start()
        waiting = asyncio.ensure_future(orch.unload_application("a", wait_for_unmount=True))
        await asyncio.sleep(0)
        await orch.unload_application("a")
        await asyncio.wait_for(waiting, 1)
        assert rec.count("a", "unload") == 1


async def test_failing_unload_rejects_and_breaks() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/a") as orch:
        errors = collect_errors(orch)
        orch.register_application("a", rec.lifecycles("a", fail={"unload"}), "/a")
        await orch.start()
        with pytest.raises(LifecycleError, match="died in status UNLOADING: unload error"):
            await orch.unload_application("a")
        assert orch.get_app_status("a") is S.SKIP_BECAUSE_BROKEN
        assert len(errors) == 1


async def test_load_error_and_broken_apps_can_be_unloaded() -> None:
    async def failing(props: dict[str, Any]) -> Any:
        raise RuntimeError("down")

    rec = Recorder()
    async with Orchestrator(url="http://localhost/") as orch:
        collect_errors(orch)
        orch.register_application("load", failing, "/")
        orch.register_application("broken", rec.loader("broken", fail={"mount"}), "/")
        await orch.start()
        assert orch.get_app_status("load") is S.LOAD_ERROR
        assert orch.get_app_status("broken") is S.SKIP_BECAUSE_BROKEN
        await orch.navigate("/away-but-still-active")
        await orch.unload_application("load")
        assert orch.get_app_status("load") is S.NOT_LOADED
        await orch.unload_application("broken")  # v7: broken apps can recover
        assert orch.get_app_status("broken") is S.NOT_LOADED
        await asyncio.sleep(0.01)
        await orch.trigger_app_change()
        assert rec.count("broken", "load") == 2


async def test_unregister_a_mounting_app_waits_for_the_mount() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/") as orch:
        orch.register_application("slow", rec.lifecycles("slow", delays={"mount": 0.05}), "/")
        started = asyncio.ensure_future(orch.start())
        await asyncio.sleep(0.01)
        assert orch.get_app_status("slow") is S.MOUNTING
        await orch.unregister_application("slow")
        assert orch.get_app_names() == []
        assert rec.calls("slow") == ["bootstrap", "mount", "unmount", "unload"]
        await started


async def test_loader_is_created_lazily_and_closed() -> None:
    orch = Orchestrator()
    loader = orch.loader
    assert orch.loader is loader
    await orch.aclose()
    assert loader.closed


async def test_given_loader_is_not_closed() -> None:
    from orchestrator.html_entry import EntryLoader

    shared = EntryLoader()
    async with Orchestrator(loader=shared) as orch:
        assert orch.loader is shared
    assert not shared.closed
    await shared.aclose()


async def test_aclose_cancels_work_in_flight() -> None:
    rec = Recorder()
    orch = Orchestrator(url="http://localhost/")
    orch.register_application("slow", rec.lifecycles("slow", delays={"mount": 5}), "/")
    started = asyncio.ensure_future(orch.start())
    await asyncio.sleep(0.01)
    await asyncio.wait_for(orch.aclose(), 1)
    with pytest.raises(asyncio.CancelledError):
        await started


async def test_unregister_an_app_still_loading_before_start() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/elsewhere") as orch:
        orch.register_application("a", rec.loader("a", load_delay=0.02), lambda loc: True)
        loading = asyncio.ensure_future(orch.trigger_app_change())
        await asyncio.sleep(0.005)
        orch.register_application("b", rec.lifecycles("b"), "/b")
        orch._registry.get("a").active_when = lambda loc: False  # the URL moved on meanwhile
        await orch.unregister_application("a")
        assert orch.get_app_names() == ["b"]
        assert rec.calls("a") == ["load", "unload"]
        await loading


async def test_unregister_right_after_unload_does_not_remount_a_forgotten_app() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/") as orch:
        orch.register_application("home", rec.loader("home"), "/")
        await orch.start()
        unload = orch.unload_application("home")  # schedules a remount when done
        await asyncio.sleep(0)
        await orch.unregister_application("home")
        await unload
        for _ in range(20):
            await asyncio.sleep(0)
        assert orch.get_app_names() == [] and orch.get_mounted_apps() == []
        assert rec.calls("home")[-1] == "unload"


async def test_unregister_during_queued_navigations_leaves_the_app_unmounted() -> None:
    rec = Recorder()

    async def after(turns: int, action: Any) -> None:
        for _ in range(turns):
            await asyncio.sleep(0)
        await action()

    async with Orchestrator(url="http://localhost/") as orch:
        orch.register_application("home", rec.loader("home"), "/")
        orch.register_application("beta", rec.loader("beta"), ["/b", "/c"])
        await orch.start()
        await asyncio.gather(
            after(0, lambda: orch.navigate("/")),
            after(0, lambda: orch.navigate("/")),
            after(3, lambda: orch.navigate("/b")),
            after(0, lambda: orch.unregister_application("beta")),
        )
        await orch.trigger_app_change()
        assert orch.get_app_names() == ["home"]
        assert rec.calls("beta")[-1:] != ["mount"]
