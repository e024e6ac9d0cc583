"""The tasks an app's async callbacks start belong to its sandbox: unmount and close end them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from sandbox import (
    Event,
    LegacySandbox,
    ProxySandbox,
    Sandbox,
    SnapshotSandbox,
    Window,
    run_scripts,
)

SandboxFactory = Callable[[str, Window], Sandbox]
WAIT = 2.0


@pytest.fixture(params=[ProxySandbox, LegacySandbox, SnapshotSandbox], ids=lambda f: f.__name__)
def make(request: pytest.FixtureRequest) -> SandboxFactory:
    factory: SandboxFactory = request.param
    return factory


class Job:
    """An async callback that starts, then waits forever; it records how it ended."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.ended: list[str] = []

    async def __call__(self, *args: Any) -> None:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.ended.append("cancelled")
            raise
        finally:
            self.ended.append("finally")


async def _started(job: Job) -> None:
    await asyncio.wait_for(job.started.wait(), WAIT)


async def test_listener_task_cancelled_on_inactive_and_awaited_by_settle(
    make: SandboxFactory,
) -> None:
    window = Window()
    sandbox = make("app1", window)
    sandbox.active()
    job = Job()
    sandbox.proxy.add_event_listener("popstate", job)
    window.dispatch_event(Event("popstate"))
    await _started(job)
    assert sandbox.task_count == 1 and window.pending_tasks == 1
    sandbox.inactive()
    await asyncio.wait_for(sandbox.settle(), WAIT)
    assert job.ended == ["cancelled", "finally"]
    assert sandbox.task_count == 0 and window.pending_tasks == 0


async def test_timeout_and_interval_tasks_cancelled_on_inactive(make: SandboxFactory) -> None:
    window = Window()
    sandbox = make("app1", window)
    sandbox.active()
    from_timeout, from_interval = Job(), Job()
    sandbox.proxy.set_timeout(from_timeout, 0)
    handle = sandbox.proxy.set_interval(from_interval, 1)
    await _started(from_timeout)
    await _started(from_interval)
    sandbox.proxy.clear_interval(handle)
    assert sandbox.task_count >= 2
    sandbox.inactive()
    await asyncio.wait_for(sandbox.settle(), WAIT)
    assert from_timeout.ended == ["cancelled", "finally"]
    assert from_interval.ended[:2] == ["cancelled", "finally"]
    assert sandbox.task_count == 0 and window.pending_tasks == 0


async def test_aclose_cancels_and_awaits(make: SandboxFactory) -> None:
    window = Window()
    sandbox = make("app1", window)
    job = Job()
    sandbox.proxy.set_timeout(job, 0)
    await _started(job)
    await asyncio.wait_for(sandbox.aclose(), WAIT)
    assert job.ended == ["cancelled", "finally"] and sandbox.closed


async def test_task_started_by_a_load_time_script_is_owned() -> None:
    """A script (run once, at load) schedules async work: unmount ends it."""
    window = Window()
    sandbox = ProxySandbox("app1", window)
    job = Job()
    window.job = job
    run_scripts(["window.set_timeout(window.job, 0)"], sandbox.proxy, app_name="app1")
    await _started(job)
    sandbox.active()
    sandbox.inactive()
    await asyncio.wait_for(sandbox.settle(), WAIT)
    assert job.ended == ["cancelled", "finally"]


async def test_only_the_unmounted_apps_tasks_end() -> None:
    window = Window()
    first, second = ProxySandbox("app1", window), ProxySandbox("app2", window)
    mine, other, shell = Job(), Job(), Job()
    first.proxy.add_event_listener("go", mine)
    second.proxy.add_event_listener("go", other)
    window.add_event_listener("go", shell)
    window.dispatch_event(Event("go"))
    for job in (mine, other, shell):
        await _started(job)
    first.inactive()
    await asyncio.wait_for(first.settle(), WAIT)
    assert mine.ended == ["cancelled", "finally"]
    assert other.ended == [] and shell.ended == []
    assert second.task_count == 1 and window.pending_tasks == 2
    await asyncio.wait_for(window.aclose(), WAIT)
    assert other.ended == ["cancelled", "finally"] and shell.ended == ["cancelled", "finally"]


async def test_window_aclose_ends_sandbox_tasks_too() -> None:
    """The tab going away (``Window.aclose``) ends every app's tasks, even unmounted never."""
    window = Window()
    sandbox = ProxySandbox("app1", window)
    job = Job()
    sandbox.proxy.set_timeout(job, 0)
    ticks: list[int] = []
    sandbox.proxy.set_interval(lambda: ticks.append(1), 1000)
    await _started(job)
    await asyncio.wait_for(window.aclose(), WAIT)
    assert job.ended == ["cancelled", "finally"]
    assert window.pending_tasks == 0 and window.pending_timers == 0


async def test_finished_tasks_are_forgotten(make: SandboxFactory) -> None:
    window = Window()
    sandbox = make("app1", window)
    done = asyncio.Event()

    async def quick(*args: Any) -> None:
        done.set()

    sandbox.proxy.set_timeout(quick, 0)
    await asyncio.wait_for(done.wait(), WAIT)
    for _ in range(100):
        if sandbox.task_count == 0:
            break
        await asyncio.sleep(0)
    assert sandbox.task_count == 0 and window.pending_tasks == 0


async def test_errors_of_owned_tasks_are_logged_not_raised(
    make: SandboxFactory, caplog: pytest.LogCaptureFixture
) -> None:
    window = Window()
    sandbox = make("app1", window)
    failed = asyncio.Event()

    async def boom(event: Event) -> None:
        failed.set()
        raise ValueError("async listener boom")

    sandbox.proxy.add_event_listener("x", boom)
    window.dispatch_event(Event("x"))
    await asyncio.wait_for(failed.wait(), WAIT)
    for _ in range(100):
        if sandbox.task_count == 0:
            break
        await asyncio.sleep(0)
    assert "async listener boom" in caplog.text and sandbox.task_count == 0


async def test_an_app_unmounting_itself_from_its_own_task_is_not_cancelled_midway() -> None:
    """``inactive()`` called from one of the app's own tasks spares that task (it is the caller)."""
    window = Window()
    sandbox = ProxySandbox("app1", window)
    finished = asyncio.Event()

    async def unmount_self(event: Event) -> None:
        sandbox.inactive()
        await sandbox.settle()
        finished.set()

    sandbox.proxy.add_event_listener("leave", unmount_self)
    window.dispatch_event(Event("leave"))
    await asyncio.wait_for(finished.wait(), WAIT)
    assert not sandbox.sandbox_running


def test_coroutine_callback_without_a_loop_is_closed_not_leaked() -> None:
    window = Window()
    sandbox = ProxySandbox("app1", window)
    made: list[Coroutine[Any, Any, None]] = []

    async def work() -> None:
        pass

    def listener(event: Event) -> Coroutine[Any, Any, None]:
        made.append(work())
        return made[-1]

    sandbox.proxy.add_event_listener("x", listener)
    window.dispatch_event(Event("x"))
    assert sandbox.task_count == 0 and made[0].cr_frame is None


async def test_cancelling_an_app_never_cancels_the_shell_task_it_awaits() -> None:
    """asyncio cancels what a task awaits: an app awaiting the shell's work (``await navigate``)
    is cancelled only after that work ends, so unmounting the app cannot kill it."""
    window = Window()
    sandbox = ProxySandbox("app1", window)
    release, waiting = asyncio.Event(), asyncio.Event()

    async def shell_work() -> str:
        await release.wait()
        return "done"

    shell_task = asyncio.create_task(shell_work())
    log: list[str] = []

    async def listener(event: Event) -> None:
        waiting.set()
        log.append(await shell_task)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            log.append("cancelled")
            raise

    sandbox.proxy.add_event_listener("go", listener)
    window.dispatch_event(Event("go"))
    await asyncio.wait_for(waiting.wait(), WAIT)
    sandbox.inactive()
    await asyncio.wait_for(sandbox.settle(), WAIT)  # does not wait for the deferred one
    assert not shell_task.done() and log == []
    release.set()
    assert await asyncio.wait_for(shell_task, WAIT) == "done"
    await asyncio.wait_for(sandbox.settle(), WAIT)
    assert log == ["done", "cancelled"] and sandbox.task_count == 0


async def test_the_shell_task_unmounting_an_app_that_awaits_it_can_settle() -> None:
    """A reroute awaited by the app's listener unmounts that app and settles it: no deadlock,
    and the reroute's result still reaches the listener."""
    window = Window()
    sandbox = ProxySandbox("app1", window)
    waiting = asyncio.Event()
    log: list[str] = []

    async def reroute() -> str:
        await waiting.wait()
        sandbox.inactive()
        await sandbox.settle()
        return "rerouted"

    reroute_task = asyncio.create_task(reroute())

    async def on_click(event: Event) -> None:
        waiting.set()
        log.append(await reroute_task)

    sandbox.proxy.add_event_listener("click", on_click)
    window.dispatch_event(Event("click"))
    assert await asyncio.wait_for(reroute_task, WAIT) == "rerouted"
    for _ in range(100):
        if sandbox.task_count == 0:
            break
        await asyncio.sleep(0)
    assert log == ["rerouted"] and sandbox.task_count == 0
