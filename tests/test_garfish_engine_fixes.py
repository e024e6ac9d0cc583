"""Issue 17 item 4, engine fidelity fixes found while porting qiankun's and single-spa's suites:
``remove_error_handler`` compares with ``==`` (bound methods), and single-spa's warning when
``start()`` has not been called some time after the first registration."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from orchestrator import Orchestrator
from orchestrator.core import START_WARNING_DELAY, Tab
from orchestrator.errors import LifecycleError

_LOGGER = "orchestrator.core"


class _Collector:
    """An object whose bound method is the error handler (a new object at each access)."""

    def __init__(self) -> None:
        self.errors: list[LifecycleError] = []

    def on_error(self, error: LifecycleError) -> None:
        self.errors.append(error)


async def _broken(props: Any) -> Any:
    raise RuntimeError("cannot load")


async def test_remove_error_handler_removes_a_bound_method() -> None:
    collector = _Collector()
    async with Orchestrator() as orch:
        orch.add_error_handler(collector.on_error)
        assert collector.on_error is not collector.on_error  # the reason `is` failed
        assert orch.remove_error_handler(collector.on_error) is True
        assert orch.remove_error_handler(collector.on_error) is False
        orch.register_application("broken", _broken, "/")
        await orch.start()
    assert collector.errors == []


async def test_remove_error_handler_keeps_other_handlers() -> None:
    first, second = _Collector(), _Collector()
    async with Orchestrator() as orch:
        orch.add_error_handler(first.on_error)
        orch.add_error_handler(second.on_error)
        assert orch.remove_error_handler(first.on_error) is True
        orch.register_application("broken", _broken, "/")
        await orch.start()
    assert first.errors == []
    assert [error.app_name for error in second.errors] == ["broken"]


# -- single-spa's start() warning -------------------------------------------------------------


class _WarningSeen(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "start() has not been called" in message:
            self.messages.append(message)
            self.seen.set()


@pytest.fixture
def warnings_seen() -> Iterator[_WarningSeen]:
    handler = _WarningSeen()
    logger = logging.getLogger(_LOGGER)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@pytest.fixture
async def timers(monkeypatch: pytest.MonkeyPatch) -> list[asyncio.TimerHandle]:
    """Every ``call_later`` handle of the running loop that calls the tab's warning."""
    loop = asyncio.get_running_loop()
    original: Callable[..., asyncio.TimerHandle] = loop.call_later
    handles: list[asyncio.TimerHandle] = []

    def recording(delay: float, callback: Callable[..., Any], *args: Any) -> asyncio.TimerHandle:
        handle = original(delay, callback, *args)
        if getattr(callback, "__name__", "") == "_warn_not_started":
            handles.append(handle)
        return handle

    monkeypatch.setattr(loop, "call_later", recording)
    return handles


def _lifecycles() -> dict[str, Any]:
    async def noop(props: Any) -> None:
        return None

    return {"bootstrap": noop, "mount": noop, "unmount": noop}


def test_default_delay_is_single_spas_5000_ms() -> None:
    assert START_WARNING_DELAY == 5.0
    assert Tab.start_warning_delay == 5.0


async def test_warns_once_when_start_is_not_called_after_the_delay(
    warnings_seen: _WarningSeen, timers: list[asyncio.TimerHandle]
) -> None:
    async with Orchestrator() as orch:
        orch.start_warning_delay = 0.02
        assert timers == []  # no warning before any registration
        orch.register_application("a", _lifecycles(), "/a")
        orch.register_application("b", _lifecycles(), "/b")
        assert len(timers) == 1  # one timer, for the first registration
        await asyncio.wait_for(warnings_seen.seen.wait(), timeout=5)
    assert warnings_seen.messages == [
        "single-spa minified message #1: start() has not been called, 20ms after the first "
        "application was registered. Before start() is called, apps can be declared and "
        "loaded, but not bootstrapped or mounted. See https://single-spa.js.org/error/?code=1"
    ]


async def test_start_in_time_cancels_the_warning(
    warnings_seen: _WarningSeen, timers: list[asyncio.TimerHandle]
) -> None:
    async with Orchestrator() as orch:
        orch.start_warning_delay = 60.0
        orch.register_application("a", _lifecycles(), "/a")
        await orch.start()
        assert [handle.cancelled() for handle in timers] == [True]
        orch.register_application("b", _lifecycles(), "/b")
        assert len(timers) == 1  # started: no new timer
    assert warnings_seen.messages == []


async def test_aclose_leaves_no_timer_running(timers: list[asyncio.TimerHandle]) -> None:
    orch = Orchestrator()
    orch.start_warning_delay = 60.0
    orch.register_application("a", _lifecycles(), "/a")
    assert [handle.cancelled() for handle in timers] == [False]
    await orch.aclose()
    assert [handle.cancelled() for handle in timers] == [True]


async def test_no_delay_means_no_warning(timers: list[asyncio.TimerHandle]) -> None:
    async with Orchestrator() as orch:
        orch.start_warning_delay = None
        orch.register_application("a", _lifecycles(), "/a")
    assert timers == []


def test_registering_without_a_loop_schedules_nothing_and_does_not_fail() -> None:
    orch = Orchestrator()
    orch.register_application("a", _lifecycles(), "/a")
    assert orch.get_app_names() == ["a"]
    asyncio.run(orch.aclose())
