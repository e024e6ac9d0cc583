"""Broken apps: LifecycleError shape, LOAD_ERROR retries, SKIP_BECAUSE_BROKEN, error handlers."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from engine_support import Recorder, collect_errors

from orchestrator import Orchestrator
from orchestrator.errors import LifecycleError, OrchestratorError
from orchestrator.status import AppStatus

S = AppStatus


async def test_load_failure_is_reported_once_with_the_status_already_load_error() -> None:
    statuses: list[Any] = []

    async def load(props: dict[str, Any]) -> Any:
        raise RuntimeError("Could not load this one")

    async with Orchestrator(url="http://localhost/") as orch:
        errors = collect_errors(orch)
        orch.add_error_handler(lambda err: statuses.append(orch.get_app_status(err.app_name)))
        orch.register_application("load-error", load, "/")
        assert await orch.start() == []
    assert len(errors) == 1
    error = errors[0]
    assert isinstance(error, LifecycleError) and isinstance(error, OrchestratorError)
    assert error.app_name == "load-error"
    assert error.status == "LOADING_SOURCE_CODE"
    assert str(error) == (
        "application 'load-error' died in status LOADING_SOURCE_CODE: Could not load this one"
    )
    assert isinstance(error.__cause__, RuntimeError)
    assert statuses == [S.LOAD_ERROR]


async def test_bootstrap_failure_breaks_the_app_and_skips_mount() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/") as orch:
        errors = collect_errors(orch)
        orch.register_application("a", rec.lifecycles("a", fail={"bootstrap"}), "/")
        assert await orch.start() == []
        assert orch.get_app_status("a") is S.SKIP_BECAUSE_BROKEN
    assert rec.calls("a") == ["bootstrap"]
    assert [str(e) for e in errors] == [
        "application 'a' died in status BOOTSTRAPPING: bootstrap error"
    ]


async def test_failed_mount_gets_one_unmount_attempt_and_one_error() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/a") as orch:
        errors = collect_errors(orch)
        orch.register_application("a", rec.lifecycles("a", fail={"mount"}), "/a")
        await orch.start()
        assert orch.get_app_status("a") is S.SKIP_BECAUSE_BROKEN
        await orch.navigate("/b")
        await orch.navigate("/a")
        assert orch.get_app_status("a") is S.SKIP_BECAUSE_BROKEN
    assert rec.calls("a") == ["bootstrap", "mount", "unmount"]
    assert [str(e) for e in errors] == ["application 'a' died in status NOT_MOUNTED: mount error"]


async def test_mount_and_unmount_both_failing_report_only_the_mount() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/") as orch:
        errors = collect_errors(orch)
        orch.register_application("a", rec.lifecycles("a", fail={"mount", "unmount"}), "/")
        await orch.start()
    assert len(errors) == 1
    assert "mount error" in str(errors[0]) and "unmount" not in str(errors[0])
    assert errors[0].status == "SKIP_BECAUSE_BROKEN"


async def test_unmount_failure_breaks_the_app_for_good() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/a") as orch:
        errors = collect_errors(orch)
        orch.register_application("a", rec.lifecycles("a", fail={"unmount"}), "/a")
        await orch.start()
        await orch.navigate("/b")
        assert orch.get_app_status("a") is S.SKIP_BECAUSE_BROKEN
        await orch.navigate("/a")
        assert orch.get_mounted_apps() == []
    assert rec.count("a", "mount") == 1
    assert [str(e) for e in errors] == ["application 'a' died in status UNMOUNTING: unmount error"]


async def test_throwing_activity_function_breaks_only_that_app() -> None:
    rec = Recorder()

    def bad(location: Any) -> bool:
        raise ValueError("bad activity function")

    async with Orchestrator(url="http://localhost/") as orch:
        errors = collect_errors(orch)
        orch.register_application("bad", rec.lifecycles("bad"), bad)
        orch.register_application("good", rec.lifecycles("good"), "/")
        assert await orch.start() == ["good"]
        await orch.trigger_app_change()
        assert orch.get_app_status("bad") is S.SKIP_BECAUSE_BROKEN
    assert [str(e) for e in errors] == [
        "application 'bad' died in status NOT_LOADED: bad activity function"
    ]


@pytest.mark.parametrize(
    ("exports", "fragment"),
    [
        (None, "does not export anything"),
        ({"unmount": lambda p: None}, "does not export a mount"),
        ({"mount": lambda p: None}, "does not export a unmount"),
        ({"mount": lambda p: None, "unmount": lambda p: None, "bootstrap": "x"}, "bootstrap"),
    ],
)
async def test_bad_exports_break_the_app_without_calling_anything(
    exports: Any, fragment: str
) -> None:
    async with Orchestrator(url="http://localhost/") as orch:
        errors = collect_errors(orch)
        orch.register_application("x", lambda props: exports, "/")
        assert await orch.start() == []
        assert orch.get_app_status("x") is S.SKIP_BECAUSE_BROKEN
    assert len(errors) == 1
    assert str(errors[0]).startswith("application 'x' died in status LOADING_SOURCE_CODE: ")
    assert fragment in str(errors[0])


async def test_load_error_is_retried_only_after_200_ms_and_only_while_active() -> None:
    rec = Recorder()
    attempts = 0

    async def flaky(props: dict[str, Any]) -> Any:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("It didn't load")
        return rec.lifecycles("flaky")

    async with Orchestrator(url="http://localhost/#/a") as orch:
        errors = collect_errors(orch)
        orch.register_application("flaky", flaky, "/#/a")
        await orch.trigger_app_change()
        assert orch.get_app_status("flaky") is S.LOAD_ERROR
        await orch.navigate("#/a/other")
        assert attempts == 1  # too soon
        await asyncio.sleep(0.21)
        await orch.navigate("#/a/again")
        assert attempts == 2
        assert orch.get_app_status("flaky") is S.NOT_BOOTSTRAPPED  # not started: load only
        assert await orch.start() == ["flaky"]
    assert len(errors) == 1 and "It didn't load" in str(errors[0])


async def test_inactive_load_error_app_is_never_retried() -> None:
    attempts = 0

    async def broken(props: dict[str, Any]) -> Any:
        nonlocal attempts
        attempts += 1
        raise RuntimeError("nope")

    async with Orchestrator(url="http://localhost/a") as orch:
        collect_errors(orch)
        orch.register_application("a", broken, "/a")
        await orch.start()
        await orch.navigate("/b")
        await asyncio.sleep(0.21)
        await orch.navigate("/c")
        assert attempts == 1
        assert orch.get_app_status("a") is S.LOAD_ERROR


async def test_error_handlers_are_added_and_removed() -> None:
    got: list[LifecycleError] = []
    handler = got.append
    async with Orchestrator(url="http://localhost/") as orch:
        orch.add_error_handler(handler)
        orch.add_error_handler(handler)
        assert orch.remove_error_handler(handler) is True
        assert orch.remove_error_handler(handler) is False
        with pytest.raises(TypeError):
            orch.add_error_handler("not callable")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            orch.remove_error_handler(None)  # type: ignore[arg-type]
        orch.register_application("a", Recorder().lifecycles("a", fail={"mount"}), "/")
        await orch.start()
    assert got == []


async def test_without_handlers_errors_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    async with Orchestrator(url="http://localhost/") as orch:
        orch.register_application("a", Recorder().lifecycles("a", fail={"bootstrap"}), "/")
        with caplog.at_level(logging.ERROR):
            await orch.start()
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "application 'a' died in status BOOTSTRAPPING: bootstrap error" in messages


async def test_a_raising_error_handler_neither_wedges_nor_stops_other_handlers() -> None:
    rec = Recorder()
    got: list[str] = []

    def explode(error: LifecycleError) -> None:
        raise RuntimeError("handler bug")

    async with Orchestrator(url="http://localhost/a") as orch:
        orch.add_error_handler(explode)
        orch.add_error_handler(lambda e: got.append(e.app_name))
        orch.register_application("a", rec.lifecycles("a", fail={"mount"}), "/a")
        orch.register_application("b", rec.lifecycles("b"), "/b")
        await orch.start()
        assert await orch.navigate("/b") == ["b"]
    assert got == ["a"]


async def test_one_broken_app_never_stops_the_others() -> None:
    rec = Recorder()
    async with Orchestrator(url="http://localhost/") as orch:
        collect_errors(orch)
        orch.register_application("boot", rec.lifecycles("boot", fail={"bootstrap"}), "/")
        orch.register_application("mnt", rec.lifecycles("mnt", fail={"mount"}), "/")

        async def failing_loader(props: dict[str, Any]) -> Any:
            raise RuntimeError("down")

        orch.register_application("load", failing_loader, "/")
        orch.register_application("ok", rec.lifecycles("ok"), "/")
        assert await orch.start() == ["ok"]
