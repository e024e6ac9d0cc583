"""The status table, lifecycle flattening and validation, and timeouts."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any

import pytest
from engine_support import Recorder, collect_errors
from transitions import MachineError

from orchestrator import Orchestrator
from orchestrator.lifecycle import (
    DEFAULT_TIMEOUTS,
    InvalidExportsError,
    Timeout,
    merge_timeouts,
    read_lifecycles,
)
from orchestrator.status import TRANSITIONS, AppStatus, StatusMachine, StatusModel

S = AppStatus


class _Model(StatusModel):
    def __init__(self) -> None:
        self.name = "m"


def test_status_values_equal_names() -> None:
    assert [s.value for s in AppStatus] == [s.name for s in AppStatus]
    assert len(AppStatus) == 12


def test_every_status_is_reachable_and_skip_is_left_only_by_unload() -> None:
    targets = {dest for _, _, dest in TRANSITIONS}
    assert targets | {S.NOT_LOADED} == set(AppStatus)
    leaving_broken = [
        t
        for t, src, _ in TRANSITIONS
        if S.SKIP_BECAUSE_BROKEN in (src if isinstance(src, list) else [src])
    ]
    assert leaving_broken == ["start_unload"]


def test_illegal_transitions_raise_and_legal_ones_signal() -> None:
    seen: list[tuple[AppStatus, AppStatus]] = []
    machine = StatusMachine(lambda model, old, new: seen.append((old, new)))
    model = _Model()
    machine.attach(model, S.NOT_LOADED)
    with pytest.raises(MachineError):
        model.fire("start_mount")
    assert model.status is S.NOT_LOADED
    for trigger in (
        "start_load",
        "load_succeeded",
        "start_bootstrap",
        "bootstrap_succeeded",
        "start_mount",
        "mount_succeeded",
        "start_unmount",
        "unmount_succeeded",
        "start_unload",
        "unload_succeeded",
    ):
        model.fire(trigger)
    assert model.status is S.NOT_LOADED
    assert [new for _, new in seen] == [
        S.LOADING_SOURCE_CODE,
        S.NOT_BOOTSTRAPPED,
        S.BOOTSTRAPPING,
        S.NOT_MOUNTED,
        S.MOUNTING,
        S.MOUNTED,
        S.UNMOUNTING,
        S.NOT_MOUNTED,
        S.UNLOADING,
        S.NOT_LOADED,
    ]
    model.fire("break_")
    with pytest.raises(MachineError):
        model.fire("break_")
    with pytest.raises(MachineError):
        model.fire("start_mount")


def test_read_lifecycles_accepts_mappings_objects_and_lists() -> None:
    noop = lambda props: None  # noqa: E731
    assert read_lifecycles({"mount": noop, "unmount": [noop, noop]}, "x", DEFAULT_TIMEOUTS)
    assert read_lifecycles(SimpleNamespace(mount=noop, unmount=noop), "x", DEFAULT_TIMEOUTS)
    empty = read_lifecycles({"bootstrap": [], "mount": [], "unmount": []}, "x", DEFAULT_TIMEOUTS)
    assert empty.update is None


@pytest.mark.parametrize(
    ("exports", "fragment"),
    [
        (None, "does not export anything"),
        ("text", "does not export anything"),
        ({"unmount": lambda p: None}, "does not export a mount"),
        ({"mount": lambda p: None}, "does not export a unmount"),
        ({"mount": lambda p: None, "unmount": lambda p: None, "bootstrap": 3}, "valid bootstrap"),
        ({"mount": [lambda p: None, 3], "unmount": lambda p: None}, "valid mount"),
        (
            {"mount": lambda p: None, "unmount": lambda p: None, "timeouts": {"mount": -1}},
            "positive",
        ),
    ],
)
def test_read_lifecycles_rejects_bad_exports(exports: object, fragment: str) -> None:
    with pytest.raises(InvalidExportsError, match=fragment):
        read_lifecycles(exports, "application 'x'", DEFAULT_TIMEOUTS)


def test_merge_timeouts_never_mutates_defaults() -> None:
    merged = merge_timeouts(DEFAULT_TIMEOUTS, {"mount": {"millis": 20, "dieOnTimeout": True}})
    assert merged["mount"] == Timeout(20, True, 1000)
    assert DEFAULT_TIMEOUTS["mount"] == Timeout(3000, False, 1000)
    assert DEFAULT_TIMEOUTS["bootstrap"].millis == 4000
    with pytest.raises(ValueError, match="unknown lifecycle"):
        merge_timeouts(DEFAULT_TIMEOUTS, {"mnt": 3})
    with pytest.raises(ValueError, match="unknown key"):
        merge_timeouts(DEFAULT_TIMEOUTS, {"mount": {"milis": 3}})


async def test_lifecycle_arrays_run_in_order_each_after_the_previous() -> None:
    order: list[str] = []

    def step(label: str, delay: float = 0) -> Any:
        async def run(props: dict[str, Any]) -> None:
            order.append(label + ":start")
            await asyncio.sleep(delay)
            order.append(label + ":end")

        return run

    app = {
        "bootstrap": [step("b1", 0.01), step("b2"), lambda props: order.append("b3")],
        "mount": [step("m1", 0.01), step("m2")],
        "unmount": [step("u1", 0.01), step("u2")],
    }
    async with Orchestrator(url="http://localhost/a") as orch:
        orch.register_application("a", app, "/a")
        await orch.start()
        await orch.navigate("/b")
    assert order == [
        "b1:start",
        "b1:end",
        "b2:start",
        "b2:end",
        "b3",
        "m1:start",
        "m1:end",
        "m2:start",
        "m2:end",
        "u1:start",
        "u1:end",
        "u2:start",
        "u2:end",
    ]


async def test_sync_lifecycles_and_sync_loader() -> None:
    rec = Recorder()
    calls: list[str] = []
    app = {
        "bootstrap": lambda p: calls.append("b"),
        "mount": lambda p: calls.append("m"),
        "unmount": lambda p: calls.append("u"),
    }
    async with Orchestrator(url="http://localhost/a") as orch:
        orch.register_application("a", lambda props: app, "/a")
        orch.register_application("obj", SimpleNamespace(**rec.lifecycles("obj")), "/a")
        assert await orch.start() == ["a", "obj"]
    assert calls == ["b", "m"]
    assert rec.calls("obj") == ["bootstrap", "mount"]


@pytest.mark.parametrize("lifecycle", ["bootstrap", "mount", "unmount"])
async def test_die_on_timeout_breaks_the_app(lifecycle: str) -> None:
    rec = Recorder()
    app = rec.lifecycles("slow", delays={lifecycle: 0.2})
    app["timeouts"] = {lifecycle: {"millis": 20, "die_on_timeout": True, "warning_millis": 10}}
    async with Orchestrator(url="http://localhost/slow") as orch:
        errors = collect_errors(orch)
        orch.register_application("slow", app, "/slow")
        await orch.start()
        await orch.navigate("/elsewhere")
        assert orch.get_app_status("slow") is S.SKIP_BECAUSE_BROKEN
        assert orch.get_mounted_apps() == []
        assert len(errors) == 1
        assert (
            f"Lifecycle function {lifecycle} for application slow lifecycle did not resolve"
            in str(errors[0])
        )


@pytest.mark.parametrize("lifecycle", ["bootstrap", "mount", "unmount"])
async def test_timeout_without_die_waits_and_logs(
    lifecycle: str, caplog: pytest.LogCaptureFixture
) -> None:
    rec = Recorder()
    app = rec.lifecycles("slow", delays={lifecycle: 0.06})
    app["timeouts"] = {lifecycle: {"millis": 30, "warning_millis": 10}}
    async with Orchestrator(url="http://localhost/slow") as orch:
        errors = collect_errors(orch)
        orch.register_application("slow", app, "/slow")
        with caplog.at_level(logging.WARNING, logger="orchestrator.lifecycle"):
            await orch.start()
            await orch.navigate("/elsewhere")
        assert errors == []
        assert orch.get_app_status("slow") is S.NOT_MOUNTED
    message = (
        f"Lifecycle function {lifecycle} for application slow lifecycle did not resolve "
        "or reject for 30 ms."
    )
    levels = [r.levelno for r in caplog.records if r.getMessage() == message]
    assert logging.ERROR in levels
    assert levels.count(logging.WARNING) >= 1


async def test_warning_cites_default_millis(caplog: pytest.LogCaptureFixture) -> None:
    rec = Recorder()
    app = rec.lifecycles("a", delays={"bootstrap": 0.02, "mount": 0.02})
    app["timeouts"] = {"bootstrap": {"warning_millis": 5}, "mount": {"warning_millis": 5}}
    async with Orchestrator(url="http://localhost/a") as orch:
        orch.register_application("a", app, "/a")
        with caplog.at_level(logging.WARNING, logger="orchestrator.lifecycle"):
            assert await orch.start() == ["a"]
    texts = [r.getMessage() for r in caplog.records]
    assert any("bootstrap for application a" in t and "for 4000 ms" in t for t in texts)
    assert any("mount for application a" in t and "for 3000 ms" in t for t in texts)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_orchestrator_timeouts_change_the_defaults_of_that_tab_only() -> None:
    rec = Recorder()
    async with (
        Orchestrator(
            url="http://localhost/a", timeouts={"mount": {"millis": 20, "die_on_timeout": True}}
        ) as orch,
        Orchestrator(url="http://localhost/a") as other,
    ):
        for tab in (orch, other):
            tab.register_application("a", rec.lifecycles("a", delays={"mount": 0.06}), "/a")
        await orch.start()
        await other.start()
        assert orch.get_app_status("a") is S.SKIP_BECAUSE_BROKEN
        assert other.get_app_status("a") is S.MOUNTED
