"""Sandbox costs: proxy reads/writes against a plain Window, running scripts, mount cycles.

Run as ``python tests/perf/bench_sandbox.py``; prints only JSON lines in the anchors schema.
Target: proxy reads within 3x of direct reads; no memory growth across activate/deactivate cycles.
"""

from __future__ import annotations

import gc
import platform
import sys
import time
import tracemalloc
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from _timing import emit, measure, summarize

from sandbox import (
    LegacySandbox,
    ProxySandbox,
    Sandbox,
    SnapshotSandbox,
    Window,
    run_scripts,
)

GLOBALS = 1000
CYCLES = 10_000
BATCH = 1000
IMPL = f"mfe sandbox (CPython {platform.python_version()})"


def _bench(fn: Callable[[], object], per_call: int = 1) -> dict[str, Any]:
    return measure(fn, per_call=per_call)


def _window() -> Window:
    window = Window(document="document")
    for i in range(GLOBALS):
        window[f"g{i}"] = i
    return window


def _reader(target: Any, name: str) -> Callable[[], object]:
    """A function doing BATCH attribute reads of ``name`` (compiled so the loop is cheap)."""
    code = "def run(t=target):\n    for _ in range(10):\n" + "\n".join(
        f"        t.{name}" for _ in range(BATCH // 10)
    )
    namespace: dict[str, Any] = {"target": target}
    exec(code, namespace)
    run: Callable[[], object] = namespace["run"]
    return run


def _writer(target: Any, name: str) -> Callable[[], object]:
    code = "def run(t=target):\n    for i in range(10):\n" + "\n".join(
        f"        t.{name} = i" for _ in range(BATCH // 10)
    )
    namespace: dict[str, Any] = {"target": target}
    exec(code, namespace)
    run: Callable[[], object] = namespace["run"]
    return run


def bench_reads_and_writes() -> None:
    window = _window()
    sandbox = ProxySandbox("bench", window)
    proxy = sandbox.proxy
    proxy.own = 1
    direct_read = _bench(_reader(window, "g500"), BATCH)
    cases = [
        ("sandbox_read", "Window attribute read (direct)", direct_read, None),
        (
            "sandbox_read",
            "ProxySandbox.proxy attribute read, falls back to window",
            _bench(_reader(proxy, "g500"), BATCH),
            direct_read,
        ),
        (
            "sandbox_read",
            "ProxySandbox.proxy attribute read, own overlay value",
            _bench(_reader(proxy, "own"), BATCH),
            direct_read,
        ),
    ]
    direct_write = _bench(_writer(window, "w"), BATCH)
    cases += [
        ("sandbox_write", "Window attribute write (direct)", direct_write, None),
        (
            "sandbox_write",
            "ProxySandbox.proxy attribute write (overlay)",
            _bench(_writer(proxy, "w"), BATCH),
            direct_write,
        ),
    ]
    for bench, what, result, baseline in cases:
        check: dict[str, Any] = {"globals": GLOBALS}
        if baseline is not None:
            check["ratio_vs_direct"] = round(baseline["ops_per_s"] / result["ops_per_s"], 3)
        emit(
            {
                "bench": bench,
                "impl": f"{IMPL}: {what}",
                "input": "window_1000_globals",
                **result,
                "check": check,
            }
        )


APP_SCRIPTS = [
    "import math\nwindow.lib_version = '1.2.3'\nwindow.helpers = {'sqrt': math.sqrt}\n",
    "\n".join(f"window.setting_{i} = {i}" for i in range(20)),
    """
state = {"count": 0}

def bootstrap(props):
    pass

def mount(props):
    state["count"] += 1
    window.mounted = True

def unmount(props):
    window.mounted = False

def update(props):
    pass
""",
]


def bench_run_scripts() -> None:
    window = _window()
    cache: dict[tuple[str, str], types.CodeType] = {}
    source_bytes = sum(len(s.encode()) for s in APP_SCRIPTS)

    def cached() -> Mapping[str, Any]:
        return run_scripts(
            APP_SCRIPTS, ProxySandbox("app", window).proxy, app_name="app", code_cache=cache
        )

    def uncached() -> Mapping[str, Any]:
        return run_scripts(APP_SCRIPTS, ProxySandbox("app", window).proxy, app_name="app")

    exports = cached()
    for what, fn in (("compiled once (code cache)", cached), ("compiled every time", uncached)):
        result = _bench(fn)
        emit(
            {
                "bench": "sandbox_run_scripts",
                "impl": f"{IMPL}: run_scripts, {what}",
                "input": "3 Python scripts in a fresh ProxySandbox",
                "bytes": source_bytes,
                **result,
                "check": {"exports": sorted(exports)},
            }
        )


def _cycle(sandbox: Sandbox) -> None:
    sandbox.active()
    proxy = sandbox.proxy
    proxy.app_state = 1
    proxy.g10 = "changed"
    proxy["app_added"] = [1]
    del proxy.app_added
    sandbox.inactive()


def _run_cycles(sandbox: Sandbox, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        _cycle(sandbox)
    return time.perf_counter() - start


def bench_cycles() -> None:
    factories: list[Callable[[str, Window], Sandbox]] = [
        ProxySandbox,
        LegacySandbox,
        SnapshotSandbox,
    ]
    for factory in factories:
        window = _window()
        before = window.items()
        sandbox = factory("app", window)
        _run_cycles(sandbox, CYCLES // 10)
        ops = [CYCLES / _run_cycles(sandbox, CYCLES) for _ in range(3)]
        restored = window.items() == before

        gc.collect()
        tracemalloc.start()
        _run_cycles(sandbox, CYCLES // 10)
        gc.collect()
        after_warmup, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        _run_cycles(sandbox, CYCLES)
        gc.collect()
        after_all, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        emit(
            {
                "bench": "sandbox_cycles",
                "impl": f"{IMPL}: {factory.__name__} active/inactive cycle",
                "input": f"window_{GLOBALS}_globals, {CYCLES} cycles per run",
                **summarize(ops),
                "check": {
                    "window_restored": restored,
                    "growth_bytes_over_10000_cycles": after_all - after_warmup,
                    "peak_kib_during_cycles": round((peak - after_warmup) / 1024, 1),
                },
            }
        )


def main() -> None:
    bench_reads_and_writes()
    bench_run_scripts()
    bench_cycles()


if __name__ == "__main__":
    main()
