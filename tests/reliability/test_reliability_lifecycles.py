"""Apps that misbehave in their lifecycles: they raise, hang past their timeouts, export the wrong
types, leave listeners and timers behind, or write every global they can reach. The faulty app
ends SKIP_BECAUSE_BROKEN with an error naming the status it died in; its neighbours keep routing;
after an unmount the shell's window is as it was and none of the app's timers fire again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from reliability_support import SHELL, ErrorRecorder, entry_page, micro_app, serve_app, within

from orchestrator import AppStatus, LifecycleError, Orchestrator
from orchestrator.testing import LoopbackServer, Reply
from sandbox import Event

S = AppStatus
LIFECYCLES = ("bootstrap", "mount", "unmount", "unload")
FAST = {"millis": 30, "die_on_timeout": True, "warning_millis": 10}


def lifecycles(
    name: str, log: list[tuple[str, str]], *, fault: str = "", at: str = "", **extra: Any
) -> dict[str, Any]:
    """In-process lifecycles recording ``(lifecycle, name)``; ``fault`` happens in ``at``."""

    def make(lifecycle: str) -> Callable[[dict[str, Any]], Any]:
        async def run(props: dict[str, Any]) -> None:
            log.append((lifecycle, name))
            if lifecycle == at:
                if fault == "raise":
                    raise RuntimeError(f"{name} {lifecycle} boom")
                if fault == "hang":
                    await asyncio.Event().wait()

        return run

    exports: dict[str, Any] = {key: make(key) for key in LIFECYCLES}
    exports["timeouts"] = {key: FAST for key in LIFECYCLES}
    exports.update(extra)
    return exports


@pytest.fixture
async def tab() -> AsyncIterator[Orchestrator]:
    async with Orchestrator(SHELL) as orchestrator:
        yield orchestrator


def register_pair(tab: Orchestrator, faulty: object, log: list[tuple[str, str]]) -> ErrorRecorder:
    """``faulty`` on /x, a healthy ``peer`` on /x and /y; errors are recorded."""
    errors = ErrorRecorder()
    tab.add_error_handler(errors)
    tab.register_application("faulty", faulty, "/x")
    tab.register_application("peer", lifecycles("peer", log), ["/x", "/y"])
    return errors


@pytest.mark.parametrize("fault", ["raise", "hang"])
@pytest.mark.parametrize("at", ["bootstrap", "mount"])
async def test_failing_bootstrap_or_mount_breaks_only_that_app(
    tab: Orchestrator, fault: str, at: str
) -> None:
    log: list[tuple[str, str]] = []
    errors = register_pair(tab, lifecycles("faulty", log, fault=fault, at=at), log)
    await tab.start()
    assert await within(3, tab.navigate("/x")) == ["peer"]
    assert tab.get_app_status("faulty") is S.SKIP_BECAUSE_BROKEN
    [error] = errors.for_app("faulty")
    # single-spa names the status after the failed mount's own unmount attempt
    died_in = "BOOTSTRAPPING" if at == "bootstrap" else "NOT_MOUNTED"
    assert error.status == died_in
    expected = (
        "faulty mount boom"
        if fault == "raise" and at == "mount"
        else "faulty bootstrap boom"
        if fault == "raise"
        else f"Lifecycle function {at} for application faulty lifecycle did not resolve or "
        "reject for 30 ms."
    )
    assert str(error) == f"application 'faulty' died in status {died_in}: {expected}"
    if at == "mount":  # single-spa gives a failed mount one unmount attempt
        assert ("unmount", "faulty") in log
    # broken apps are skipped for good; the peer keeps routing
    assert await tab.navigate("/y") == ["peer"]
    assert await tab.navigate("/x") == ["peer"]
    assert log.count((at, "faulty")) == 1
    assert len(errors.errors) == 1


@pytest.mark.parametrize("fault", ["raise", "hang"])
async def test_failing_unmount_breaks_only_that_app(tab: Orchestrator, fault: str) -> None:
    log: list[tuple[str, str]] = []
    errors = register_pair(tab, lifecycles("faulty", log, fault=fault, at="unmount"), log)
    await tab.start()
    assert await tab.navigate("/x") == ["faulty", "peer"]
    assert await within(3, tab.navigate("/y")) == ["peer"]
    assert tab.get_app_status("faulty") is S.SKIP_BECAUSE_BROKEN
    [error] = errors.for_app("faulty")
    assert error.status == "UNMOUNTING"
    assert isinstance(error.__cause__, Exception)
    assert await tab.navigate("/x") == ["peer"]


@pytest.mark.parametrize("fault", ["raise", "hang"])
async def test_failing_unload_breaks_the_app_and_keeps_the_tab_usable(
    tab: Orchestrator, fault: str
) -> None:
    log: list[tuple[str, str]] = []
    errors = register_pair(tab, lifecycles("faulty", log, fault=fault, at="unload"), log)
    await tab.start()
    await tab.navigate("/x")
    await tab.navigate("/y")
    with pytest.raises(LifecycleError, match="died in status UNLOADING"):
        await within(3, tab.unload_application("faulty"))
    assert tab.get_app_status("faulty") is S.SKIP_BECAUSE_BROKEN
    assert errors.for_app("faulty")[0].status == "UNLOADING"
    assert await tab.navigate("/x") == ["peer"]


async def test_broken_app_recovers_after_unload(tab: Orchestrator) -> None:
    """single-spa v7: a SKIP_BECAUSE_BROKEN app can be unloaded, and then loads afresh."""
    log: list[tuple[str, str]] = []
    attempts = {"mount": 0}

    async def flaky_mount(props: dict[str, Any]) -> None:
        attempts["mount"] += 1
        if attempts["mount"] == 1:
            raise RuntimeError("first mount fails")

    errors = register_pair(tab, lifecycles("faulty", log, mount=flaky_mount), log)
    await tab.start()
    assert await tab.navigate("/x") == ["peer"]
    assert tab.get_app_status("faulty") is S.SKIP_BECAUSE_BROKEN
    await tab.unload_application("faulty")
    assert await tab.trigger_app_change() == ["faulty", "peer"]
    assert attempts["mount"] == 2
    assert len(errors.errors) == 1


async def test_late_lifecycle_without_die_on_timeout_is_logged_and_kept(
    tab: Orchestrator, caplog: pytest.LogCaptureFixture
) -> None:
    async def slow_mount(props: dict[str, Any]) -> None:
        await asyncio.sleep(0.06)

    log: list[tuple[str, str]] = []
    exports = lifecycles("faulty", log, mount=slow_mount)
    exports["timeouts"] = {"mount": {"millis": 20, "warning_millis": 10}}
    errors = register_pair(tab, exports, log)
    await tab.start()
    with caplog.at_level(logging.WARNING, logger="orchestrator"):
        assert await tab.navigate("/x") == ["faulty", "peer"]
    assert errors.errors == []
    messages = [record.getMessage() for record in caplog.records]
    late = "Lifecycle function mount for application faulty lifecycle did not resolve or reject"
    assert any(late in message for message in messages)


def _raise_import_error(props: dict[str, Any]) -> Any:
    raise ImportError("no module app")


WRONG_EXPORTS: dict[str, tuple[Any, str, str]] = {
    "loader returns None": (lambda props: None, "SKIP_BECAUSE_BROKEN", "does not export anything"),
    "loader returns an int": (lambda props: 42, "SKIP_BECAUSE_BROKEN", "does not export"),
    "no mount": ({"bootstrap": lambda p: None, "unmount": lambda p: None}, "SKIP", "mount"),
    "mount is a string": (
        {"mount": "mount()", "unmount": lambda p: None},
        "SKIP_BECAUSE_BROKEN",
        "valid mount",
    ),
    "list with a non-callable": (
        {"mount": [lambda p: None, 7], "unmount": lambda p: None},
        "SKIP_BECAUSE_BROKEN",
        "valid mount",
    ),
    "timeouts of the wrong type": (
        {"mount": lambda p: None, "unmount": lambda p: None, "timeouts": "fast"},
        "SKIP_BECAUSE_BROKEN",
        "timeouts",
    ),
    "negative timeout": (
        {"mount": lambda p: None, "unmount": lambda p: None, "timeouts": {"mount": -1}},
        "SKIP_BECAUSE_BROKEN",
        "positive number",
    ),
    "loader raises": (_raise_import_error, "LOAD_ERROR", "no module app"),
}


@pytest.mark.parametrize("case", list(WRONG_EXPORTS))
async def test_wrong_exports_break_only_that_app(tab: Orchestrator, case: str) -> None:
    exports, status, words = WRONG_EXPORTS[case]
    log: list[tuple[str, str]] = []
    errors = register_pair(tab, exports, log)
    await tab.start()
    assert await within(3, tab.navigate("/x")) == ["peer"]
    assert tab.get_app_status("faulty").value.startswith(status)  # type: ignore[union-attr]
    [error] = errors.for_app("faulty")
    assert str(error).startswith("application 'faulty' died in status LOADING_SOURCE_CODE: ")
    assert words in str(error)
    assert await tab.navigate("/y") == ["peer"]


async def test_lifecycles_returning_odd_values_are_accepted(tab: Orchestrator) -> None:
    """A sync lifecycle may return anything; only awaitables are awaited (as flattened)."""
    log: list[tuple[str, str]] = []
    exports = {
        "bootstrap": lambda props: 42,
        "mount": [lambda props: "ignored", lambda props: {"also": "ignored"}],
        "unmount": lambda props: None,
    }
    errors = register_pair(tab, exports, log)
    await tab.start()
    assert await tab.navigate("/x") == ["faulty", "peer"]
    assert await tab.navigate("/y") == ["peer"]
    assert errors.errors == []


async def test_raising_activity_function_and_error_handler(tab: Orchestrator) -> None:
    def broken_rule(location: Any) -> bool:
        raise ValueError("bad rule")

    def raising_handler(error: LifecycleError) -> None:
        raise RuntimeError("handler boom")

    log: list[tuple[str, str]] = []
    tab.add_error_handler(raising_handler)
    errors = ErrorRecorder()
    tab.add_error_handler(errors)
    tab.register_application("faulty", lifecycles("faulty", log), broken_rule)
    tab.register_application("peer", lifecycles("peer", log), "/")
    assert await tab.start() == ["peer"]
    assert tab.get_app_status("faulty") is S.SKIP_BECAUSE_BROKEN
    assert "bad rule" in str(errors.for_app("faulty")[0])
    assert await tab.navigate("/y") == ["peer"]


# -- HTML-entry apps in sandboxes: leaks and globals -----------------------------------------

LEAKY_SCRIPT = """
state = {"sink": None}

def tick(*args):
    if state["sink"] is not None:
        state["sink"].append("tick")

window.add_event_listener("resize", tick)
window.loaded_global = "written at load"

def bootstrap(props):
    state["sink"] = props["sink"]

def mount(props):
    window.add_event_listener("message", tick)
    window.add_event_listener("popstate", tick)
    window.set_interval(tick, 2)
    window.set_timeout(tick, 40)
    window.set_timeout(lambda: window.set_interval(tick, 2), 1)
    window.leaked = "mounted"
    window["System"] = "hijacked"
    window.global_this.via_global_this = 1
    window.self["via_self"] = 2
    for name in list(window.keys()):
        for value in ("overwritten", None):
            try:
                window[name] = value
                setattr(window, name, value)
            except Exception:
                pass
    for name in list(window.keys()):
        try:
            del window[name]
        except Exception:
            pass
    for name in ("document", "location", "history", "keys", "set_timeout"):
        try:
            setattr(window, name, "hijacked")
        except Exception:
            pass
    {mount_fault}

{unmount}
"""
UNMOUNTS = {
    "clean": "def unmount(props):\n    pass",
    "raises": "def unmount(props):\n    raise RuntimeError('unmount boom')",
    "hangs": (
        "import asyncio\n"
        "timeouts = {'unmount': {'millis': 30, 'die_on_timeout': True, 'warning_millis': 10}}\n"
        "async def unmount(props):\n    await asyncio.sleep(30)"
    ),
}


def leaky_page(mount_fault: str = "pass", unmount: str = "clean") -> str:
    script = LEAKY_SCRIPT.replace("{mount_fault}", mount_fault)
    return entry_page("leaky", script=script.replace("{unmount}", UNMOUNTS[unmount]))


async def run_leaky(
    server: LoopbackServer, sandbox: Any, *, mount_fault: str = "pass", unmount: str = "clean"
) -> tuple[Orchestrator, list[Any], dict[str, Any]]:
    serve_app(server, "leaky", Reply(body=leaky_page(mount_fault, unmount)))
    serve_app(server, "peer")
    orchestrator = Orchestrator(SHELL)
    orchestrator.add_error_handler(ErrorRecorder())
    orchestrator.window.shell_value = "shell"
    orchestrator.window.System = "shell's System"
    before = dict(orchestrator.window.items())
    sink: list[Any] = []
    orchestrator.register_micro_apps(
        [
            micro_app(server, "leaky", sink, container="#main", rule="/leaky"),
            micro_app(server, "peer", sink, container="#side", rule=["/leaky", "/peer"]),
        ]
    )
    await orchestrator.start(prefetch=False, sandbox=sandbox, singular=False)
    assert await orchestrator.navigate("/leaky") in (["leaky", "peer"], ["peer"])
    await asyncio.sleep(0.05)  # let its timers fire while mounted
    assert await orchestrator.navigate("/") == []
    return orchestrator, sink, before


async def assert_left_no_trace(
    orchestrator: Orchestrator, sink: list[Any], before: dict[str, Any]
) -> None:
    window = orchestrator.window
    assert dict(window.items()) == before
    assert window.pending_timers == 0
    for event in ("resize", "message", "popstate"):
        assert window.event_listeners(event) == []
    fired = len(sink)
    await asyncio.sleep(0.08)
    assert len(sink) == fired, "a timer of the unmounted app fired"
    window.dispatch_event(_event("resize"))
    assert len(sink) == fired


def _event(kind: str) -> Event:
    return Event(kind)


SANDBOXES = {"proxy": True, "loose": {"loose": True}}


@pytest.mark.parametrize("sandbox", list(SANDBOXES))
async def test_leaky_app_leaves_no_trace_after_unmount(loopback_server: Any, sandbox: str) -> None:
    orchestrator, sink, before = await run_leaky(loopback_server(), SANDBOXES[sandbox])
    assert orchestrator.get_app_status("leaky") is S.NOT_MOUNTED
    assert "tick" in sink  # its timers did run while it was mounted
    await assert_left_no_trace(orchestrator, sink, before)
    assert await orchestrator.navigate("/peer") == ["peer"]
    # and it comes back: remounting restores its own globals and load-time listeners only
    assert await orchestrator.navigate("/leaky") == ["leaky", "peer"]
    assert orchestrator.window.event_listeners("resize") != []
    assert await orchestrator.navigate("/") == []
    await assert_left_no_trace(orchestrator, sink, before)
    await orchestrator.aclose()


@pytest.mark.parametrize("sandbox", list(SANDBOXES))
async def test_app_failing_mid_mount_leaves_no_trace(loopback_server: Any, sandbox: str) -> None:
    orchestrator, sink, before = await run_leaky(
        loopback_server(), SANDBOXES[sandbox], mount_fault="raise RuntimeError('mount boom')"
    )
    assert orchestrator.get_app_status("leaky") is S.SKIP_BECAUSE_BROKEN
    await assert_left_no_trace(orchestrator, sink, before)
    assert await orchestrator.navigate("/peer") == ["peer"]
    await orchestrator.aclose()


@pytest.mark.parametrize("sandbox", list(SANDBOXES))
async def test_app_failing_at_load_leaves_no_trace(loopback_server: Any, sandbox: str) -> None:
    server: LoopbackServer = loopback_server()
    script = "window.half_loaded = 1\nwindow.add_event_listener('resize', print)\n1 / 0\n"
    serve_app(server, "leaky", Reply(body=entry_page("leaky", script=script)))
    serve_app(server, "peer")
    async with Orchestrator(SHELL) as orchestrator:
        errors = ErrorRecorder()
        orchestrator.add_error_handler(errors)
        orchestrator.window.shell_value = "shell"
        before = dict(orchestrator.window.items())
        orchestrator.register_micro_apps(
            [
                micro_app(server, "leaky", [], container="#main", rule="/leaky"),
                micro_app(server, "peer", [], container="#side", rule="/peer"),
            ]
        )
        await orchestrator.start(prefetch=False, sandbox=SANDBOXES[sandbox], singular=False)
        assert await orchestrator.navigate("/leaky") == []
        assert orchestrator.get_app_status("leaky") is S.LOAD_ERROR
        [error] = errors.for_app("leaky")
        assert "division by zero" in str(error)
        assert dict(orchestrator.window.items()) == before
        assert orchestrator.window.event_listeners("resize") == []
        assert await orchestrator.navigate("/peer") == ["peer"]


@pytest.mark.parametrize("unmount", ["raises", "hangs"])
@pytest.mark.parametrize("sandbox", list(SANDBOXES))
async def test_app_failing_in_unmount_leaves_no_trace(
    loopback_server: Any, sandbox: str, unmount: str
) -> None:
    """Found by this suite: a failed unmount used to leave the sandbox active."""
    orchestrator, sink, before = await run_leaky(
        loopback_server(), SANDBOXES[sandbox], unmount=unmount
    )
    try:
        assert orchestrator.get_app_status("leaky") is S.SKIP_BECAUSE_BROKEN
        await assert_left_no_trace(orchestrator, sink, before)
    finally:
        await orchestrator.aclose()
