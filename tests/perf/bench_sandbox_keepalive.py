"""Keep-alive cost: pause + resume of an app's sandbox against a full unmount + mount cycle.

Run as ``python tests/perf/bench_sandbox_keepalive.py``; prints only JSON lines in the anchors
schema. The app has 100 timers (50 intervals, 50 timeouts) and 20 window listeners. A full cycle
is ``inactive()`` + ``active()`` + what the app's mount must then do again (start its 100 timers
and add its 20 listeners, which unmount cleared); hiding is ``pause()`` + ``resume()``, which
keeps all of them. Target (issue 17): hide + show at least 10x faster than unmount + mount.
"""

from __future__ import annotations

import asyncio
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from _timing import RUN_SECONDS, RUNS, emit, summarize

from sandbox import Event, ProxySandbox, Window

TIMERS = 100
LISTENERS = 20
GLOBALS = 1000
BATCH = 10
IMPL = f"mfe sandbox (CPython {platform.python_version()})"
INPUT = f"1 app: {TIMERS} timers, {LISTENERS} listeners; window_{GLOBALS}_globals"


class App:
    """What a mounted app holds: its timers and listeners, started by its mount."""

    def __init__(self, sandbox: ProxySandbox) -> None:
        self.sandbox = sandbox
        self.listeners = [self._listener(i) for i in range(LISTENERS)]

    @staticmethod
    def _listener(index: int) -> Callable[[Event], None]:
        def on_event(event: Event) -> None:
            pass

        return on_event

    def mount(self) -> None:
        proxy = self.sandbox.proxy
        for i in range(TIMERS // 2):
            proxy.set_interval(_noop, 60_000 + i)
            proxy.set_timeout(_noop, 120_000 + i)
        for i, listener in enumerate(self.listeners):
            proxy.add_event_listener(f"event{i % 4}", listener)


def _noop() -> None:
    pass


def _setup() -> tuple[Window, ProxySandbox, App]:
    window = Window(document="document")
    for i in range(GLOBALS):
        window[f"g{i}"] = i
    sandbox = ProxySandbox("kept", window)
    sandbox.active()
    app = App(sandbox)
    app.mount()
    return window, sandbox, app


async def _measure(fn: Callable[[], None]) -> dict[str, Any]:
    """``measure`` with the event loop turning between batches, as it does between a hide and a
    show in a server: it drops the timer handles that were cancelled, so its heap stays small."""

    def batch() -> None:
        for _ in range(BATCH):
            fn()

    ops: list[float] = []
    for _ in range(RUNS):
        calls, seconds = 0, 0.0
        while seconds < RUN_SECONDS:
            start = time.perf_counter()
            batch()
            seconds += time.perf_counter() - start
            calls += BATCH
            await asyncio.sleep(0)
        ops.append(calls / seconds)
    return summarize(ops)


def _check(window: Window, sandbox: ProxySandbox) -> dict[str, Any]:
    return {
        "timers": sandbox.timer_count,
        "listeners": sandbox.listener_count,
        "window_timers": window.pending_timers,
        "paused": sandbox.paused,
    }


async def main() -> None:
    window, sandbox, app = _setup()

    def hide_and_show() -> None:
        sandbox.pause()
        sandbox.resume()

    def unmount_and_mount() -> None:
        sandbox.inactive()
        sandbox.active()
        app.mount()

    bare_window, bare_sandbox, _ = _setup()

    def bare_inactive_active() -> None:
        bare_sandbox.inactive()
        bare_sandbox.active()

    keep = await _measure(hide_and_show)
    keep_check = _check(window, sandbox)
    full = await _measure(unmount_and_mount)
    full_check = _check(window, sandbox)
    bare = await _measure(bare_inactive_active)
    rows: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        ("pause() + resume() (keep-alive hide and show)", keep, keep_check),
        ("inactive() + active() + app re-mount (timers and listeners again)", full, full_check),
        (
            "inactive() + active() alone (the app would still have to restart its timers)",
            bare,
            _check(bare_window, bare_sandbox),
        ),
    ]
    speedup = round(keep["ops_per_s"] / full["ops_per_s"], 2)
    for what, result, check in rows:
        emit(
            {
                "bench": "sandbox_keepalive",
                "impl": f"{IMPL}: {what}",
                "input": INPUT,
                **result,
                "check": {**check, "keepalive_speedup_vs_full_cycle": speedup},
            }
        )
    await window.aclose()
    await bare_window.aclose()


if __name__ == "__main__":
    asyncio.run(main())
