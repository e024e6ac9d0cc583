"""The lifecycle steps: guards that ask the status table, and an honest failed mount."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator import AppStatus, LifecycleError, Orchestrator
from orchestrator.status import TRANSITIONS, StatusMachine, StatusModel

S = AppStatus


def _transitions(tab: Orchestrator) -> list[tuple[str, AppStatus, AppStatus]]:
    seen: list[tuple[str, AppStatus, AppStatus]] = []
    tab.events["status-change"].connect(
        lambda sender, app, old, new: seen.append((app, old, new)), weak=False
    )
    return seen


async def test_a_failed_mount_is_never_reported_mounted() -> None:
    """single-spa passes a failed mount through MOUNTED to attempt its unmount; a receiver
    would see an app 'mounted' whose mount raised. Here it goes MOUNTING → UNMOUNTING."""
    calls: list[str] = []

    async def mount(props: Any) -> None:
        calls.append("mount")
        raise RuntimeError("no DOM for you")

    async def unmount(props: Any) -> None:
        calls.append("unmount")

    async with Orchestrator(url="http://localhost/a") as tab:
        errors: list[LifecycleError] = []
        tab.add_error_handler(errors.append)
        tab.register_application(
            "a",
            {"bootstrap": lambda p: None, "mount": mount, "unmount": unmount},
            "/a",
        )
        seen = _transitions(tab)
        await tab.start()
        moves = [(old, new) for app, old, new in seen if app == "a"]
        assert (S.MOUNTING, S.MOUNTED) not in moves
        assert all(new is not S.MOUNTED for _, new in moves)
        assert moves[-3:] == [
            (S.MOUNTING, S.UNMOUNTING),
            (S.UNMOUNTING, S.NOT_MOUNTED),
            (S.NOT_MOUNTED, S.SKIP_BECAUSE_BROKEN),
        ]
        assert calls == ["mount", "unmount"]  # the one unmount attempt
        [error] = errors
        assert error.status == "NOT_MOUNTED"  # single-spa's message, kept
        assert tab.get_app_status("a") is S.SKIP_BECAUSE_BROKEN


async def test_a_failed_mount_whose_unmount_fails_too_reports_one_error() -> None:
    async def boom(props: Any) -> None:
        raise RuntimeError("boom")

    async with Orchestrator(url="http://localhost/a") as tab:
        errors: list[LifecycleError] = []
        tab.add_error_handler(errors.append)
        tab.register_application(
            "a", {"bootstrap": lambda p: None, "mount": boom, "unmount": boom}, "/a"
        )
        seen = _transitions(tab)
        await tab.start()
        assert all(new is not S.MOUNTED for app, _, new in seen)
        assert [str(e.__cause__) for e in errors] == ["boom"]
        assert tab.get_app_status("a") is S.SKIP_BECAUSE_BROKEN


@pytest.mark.parametrize(
    ("trigger", "source", "dest"), [t for t in TRANSITIONS if t[0] != "break_"]
)
def test_the_table_is_what_guards_ask(trigger: str, source: Any, dest: AppStatus) -> None:
    machine = StatusMachine(lambda model, old, new: None)
    unit = StatusModel()
    sources = source if isinstance(source, list) else [source]
    for status in S:
        machine.attach(unit, status)
        assert unit.can(trigger) is (status in sources), (trigger, status)
    machine.attach(unit, sources[0])
    unit.fire(trigger)
    assert unit.status is dest


async def test_a_second_mount_request_is_a_no_op_by_the_table() -> None:
    mounts: list[str] = []
    async with Orchestrator(url="http://localhost/a") as tab:
        tab.register_application(
            "a",
            {
                "bootstrap": lambda p: None,
                "mount": lambda p: mounts.append("m"),
                "unmount": lambda p: None,
            },
            "/a",
        )
        await tab.start()
        record = tab._registry.get("a")
        # asked straight, past the reroute (which would not ask): the table has no MOUNTED
        # start_mount move, so the step does nothing
        await tab._steps.mount(record)
        await tab._steps.bootstrap(record)
        assert mounts == ["m"]
        assert tab.get_app_status("a") is S.MOUNTED
