"""Routing events: names, order, details, first-mount, status-change, receivers."""

from __future__ import annotations

import gc
from typing import Any

from engine_support import Recorder, collect_errors, record_events

from orchestrator import Orchestrator
from orchestrator.events import ROUTING_EVENT_NAMES, Events, RoutingEventDetail
from orchestrator.status import AppStatus

S = AppStatus


def test_each_orchestrator_has_its_own_signals() -> None:
    one, two = Orchestrator(), Orchestrator()
    assert isinstance(one.events, Events)
    assert set(one.events) == {*ROUTING_EVENT_NAMES, "status-change"}
    assert one.events["routing-event"] is not two.events["routing-event"]


async def test_order_and_before_mount_sees_unmounted_but_not_mounted() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/a") as orch:
        orch.register_application("a", rec.lifecycles("a"), "/a")
        orch.register_application("b", rec.lifecycles("b"), "/b")
        await orch.start()
        seen = record_events(orch)
        at_before_mount: list[Any] = []
        orch.events["before-mount-routing-event"].connect(
            lambda s, detail: at_before_mount.append(
                (orch.get_app_status("a"), orch.get_app_status("b"))
            )
        )
        await orch.navigate("/b")
    assert [name for name, _ in seen] == [
        "before-app-change",
        "before-routing-event",
        "before-mount-routing-event",
        "app-change",
        "routing-event",
    ]
    assert len(at_before_mount) == 1
    a_status, b_status = at_before_mount[0]
    assert a_status is S.NOT_MOUNTED and b_status is not S.MOUNTED


async def test_no_change_fires_the_no_app_change_pair_with_empty_lists() -> None:
    async with Orchestrator(url="http://localhost/") as orch:
        await orch.start()
        seen = record_events(orch)
        await orch.trigger_app_change()
    names = [name for name, _ in seen]
    assert names == [
        "before-no-app-change",
        "before-routing-event",
        "before-mount-routing-event",
        "no-app-change",
        "routing-event",
    ]
    detail = seen[0][1]
    assert detail.total_app_changes == 0
    assert detail.apps_by_new_status == {
        S.MOUNTED: [],
        S.NOT_MOUNTED: [],
        S.NOT_LOADED: [],
        S.SKIP_BECAUSE_BROKEN: [],
    }


async def test_details_predict_before_and_report_after() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/boom") as orch:
        collect_errors(orch)
        orch.register_application("boom", rec.lifecycles("boom"), "/boom")
        orch.register_application("russell", rec.lifecycles("russell", fail={"mount"}), "/r")
        await orch.start()
        events = record_events(orch)
        await orch.navigate("/r")
    seen = dict(events)
    before = seen["before-app-change"]
    assert isinstance(before, RoutingEventDetail)
    assert before.apps_by_new_status["MOUNTED"] == ["russell"]  # type: ignore[index]
    assert before.apps_by_new_status[S.NOT_MOUNTED] == ["boom"]
    assert before.new_app_statuses == {"russell": "MOUNTED", "boom": "NOT_MOUNTED"}
    assert before.total_app_changes == 2
    assert before.old_url == "http://localhost/boom"
    assert before.new_url == "http://localhost/r"
    assert before.cancel_navigation is None
    assert callable(seen["before-routing-event"].cancel_navigation)
    after = seen["app-change"]
    assert after.new_app_statuses == {"boom": S.NOT_MOUNTED, "russell": S.SKIP_BECAUSE_BROKEN}
    assert after.apps_by_new_status[S.SKIP_BECAUSE_BROKEN] == ["russell"]
    assert after.total_app_changes == 2
    assert seen["routing-event"] is after
    assert after.original_event is not None and after.original_event.type == "popstate"


async def test_app_change_detail_for_a_single_mount() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/") as orch:
        orch.register_application("russell", rec.loader("russell"), "/#/russell")
        await orch.start()
        events = record_events(orch)
        await orch.navigate("#/russell")
    detail = dict(events)["app-change"]
    assert detail.apps_by_new_status == {
        S.MOUNTED: ["russell"],
        S.NOT_MOUNTED: [],
        S.NOT_LOADED: [],
        S.SKIP_BECAUSE_BROKEN: [],
    }
    assert detail.new_app_statuses == {"russell": S.MOUNTED}
    assert detail.total_app_changes == 1


async def test_trigger_app_change_has_no_original_event() -> None:
    async with Orchestrator(url="http://localhost/") as orch:
        await orch.start()
        events = record_events(orch)
        await orch.trigger_app_change()
    assert dict(events)["routing-event"].original_event is None


async def test_first_mount_fires_once() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/a") as orch:
        orch.register_application("a", rec.lifecycles("a"), "/a")
        seen = record_events(orch, ["before-first-mount", "first-mount"])
        order: list[str] = []
        orch.events["before-first-mount"].connect(
            lambda s, detail: order.append(str(orch.get_app_status("a")))
        )
        await orch.start()
        await orch.navigate("/b")
        await orch.navigate("/a")
    assert [name for name, _ in seen] == ["before-first-mount", "first-mount"]
    assert order == ["NOT_MOUNTED"]


async def test_status_change_signal_on_every_transition() -> None:
    rec = Recorder()
    changes: list[tuple[str, AppStatus, AppStatus]] = []
    async with Orchestrator(url="http://localhost/a") as orch:
        orch.events["status-change"].connect(
            lambda sender, app, old, new: changes.append((app, old, new))
        )
        gc.collect()  # lambdas are held strongly
        orch.register_application("a", rec.loader("a"), "/a")
        await orch.start()
        await orch.navigate("/b")
    assert [(old.value, new.value) for _, old, new in changes] == [
        ("NOT_LOADED", "LOADING_SOURCE_CODE"),
        ("LOADING_SOURCE_CODE", "NOT_BOOTSTRAPPED"),
        ("NOT_BOOTSTRAPPED", "BOOTSTRAPPING"),
        ("BOOTSTRAPPING", "NOT_MOUNTED"),
        ("NOT_MOUNTED", "MOUNTING"),
        ("MOUNTING", "MOUNTED"),
        ("MOUNTED", "UNMOUNTING"),
        ("UNMOUNTING", "NOT_MOUNTED"),
    ]
    assert {app for app, _, _ in changes} == {"a"}


async def test_async_receivers_are_awaited_in_order_and_errors_do_not_stop_routing() -> None:
    rec = Recorder()
    got: list[str] = []

    async def slow(sender: Orchestrator, detail: RoutingEventDetail) -> None:
        got.append("async")

    def broken(sender: Orchestrator, detail: RoutingEventDetail) -> None:
        raise RuntimeError("receiver bug")

    async with Orchestrator(url="http://localhost/a") as orch:
        orch.register_application("a", rec.lifecycles("a"), "/a")
        orch.events["routing-event"].connect(broken)
        orch.events["routing-event"].connect(slow)
        orch.events["routing-event"].connect(lambda s, detail: got.append("sync"))
        assert await orch.start() == ["a"]
    assert got == ["async", "sync"]


async def test_async_status_change_receivers_run() -> None:
    got: list[str] = []

    async def receiver(sender: Orchestrator, app: str, old: AppStatus, new: AppStatus) -> None:
        got.append(new.value)

    async with Orchestrator(url="http://localhost/a") as orch:
        orch.events["status-change"].connect(receiver)
        orch.register_application("a", Recorder().lifecycles("a"), "/a")
        await orch.start()
        await orch.trigger_app_change()
    assert got[-1] == "MOUNTED"


async def test_no_events_before_start() -> None:
    async with Orchestrator(url="http://localhost/a") as orch:
        seen = record_events(orch)
        orch.register_application("a", Recorder().loader("a"), "/a")
        await orch.trigger_app_change()
        await orch.navigate("/b")
    assert seen == []


async def test_parcels_do_not_emit_status_change() -> None:
    seen: list[str] = []
    async with Orchestrator() as orch:
        orch.events["status-change"].connect(lambda sender, app, old, new: seen.append(app))
        parcel = orch.mount_root_parcel({"mount": lambda p: None, "unmount": lambda p: None}, {})
        await parcel.mount_promise
        assert parcel.get_status() is S.MOUNTED
    assert seen == []
