"""SharedRuns: one run per key; waiters share it and survive the runner's cancellation."""

from __future__ import annotations

import asyncio

from orchestrator.html_entry._cache import SharedRuns


async def test_concurrent_callers_share_one_run() -> None:
    runs: SharedRuns[str] = SharedRuns()
    gate = asyncio.Event()
    calls = 0

    async def work() -> int:
        nonlocal calls
        calls += 1
        await gate.wait()
        return 42

    tasks = [asyncio.create_task(runs.run("k", work)) for _ in range(3)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*tasks) == [42, 42, 42]
    assert calls == 1
    assert "k" not in runs


async def test_a_waiter_runs_again_when_the_runner_is_cancelled() -> None:
    runs: SharedRuns[str] = SharedRuns()
    started = asyncio.Event()
    calls = 0

    async def work() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            started.set()
            await asyncio.Event().wait()  # the first run never ends by itself
        return "second"

    runner = asyncio.create_task(runs.run("k", work))
    await started.wait()
    waiter = asyncio.create_task(runs.run("k", work))
    await asyncio.sleep(0)
    runner.cancel()
    assert await asyncio.wait_for(waiter, 2) == "second"
    assert runner.cancelled()
    assert calls == 2


async def test_a_failure_reaches_every_waiter_and_is_not_kept() -> None:
    runs: SharedRuns[str] = SharedRuns()
    gate = asyncio.Event()

    async def work() -> str:
        await gate.wait()
        raise ValueError("broken")

    tasks = [asyncio.create_task(runs.run("k", work)) for _ in range(2)]
    await asyncio.sleep(0)
    gate.set()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(o, ValueError) for o in outcomes)
    assert "k" not in runs
