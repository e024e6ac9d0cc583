"""Reroute cost per navigation with 10, 100 and 1000 registered apps (single-spa anchor scenario).

Each navigation unmounts one app and mounts another, as ``shared/anchors/bench/single_spa.js``
does; prints JSON lines in the anchors schema (``single_spa_navigation`` rows, ``input`` ``N=<n>``).
Run: ``python tests/perf/bench_reroute.py`` (env ``BENCH_NS=10,100``, ``ANCHOR_RUNS=5``).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import sys
import time
from importlib.metadata import version
from typing import Any

from orchestrator import Orchestrator

NAVS = 200
CYCLE = 10


def _emit(row: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(row) + "\n")
    sys.stdout.flush()


def _r4(x: float) -> float:
    return float(f"{x:.4g}")


async def _one_process_like_run(n: int, runs: int) -> dict[str, Any]:
    calls = {"load": 0, "bootstrap": 0, "mount": 0, "unmount": 0}

    async def bootstrap(props: dict[str, Any]) -> None:
        calls["bootstrap"] += 1

    async def mount(props: dict[str, Any]) -> None:
        calls["mount"] += 1

    async def unmount(props: dict[str, Any]) -> None:
        calls["unmount"] += 1

    lifecycles = {"bootstrap": bootstrap, "mount": mount, "unmount": unmount}

    async def load(props: dict[str, Any]) -> dict[str, Any]:
        calls["load"] += 1
        return lifecycles

    t0 = time.perf_counter()
    orchestrator = Orchestrator(url="http://localhost:8080/app0")
    for i in range(n):
        orchestrator.register_application(
            {"name": f"app{i}", "app": load, "active_when": f"/app{i}"}
        )
    t_registered = time.perf_counter()
    mounted_after_start = await orchestrator.start()
    t_mounted = time.perf_counter()

    count = min(CYCLE, n)
    targets = [(j * n) // count for j in range(count)]
    k = 1
    bad = 0

    async def navigate() -> int:
        nonlocal k
        idx = targets[k % len(targets)]
        k += 1
        await orchestrator.navigate(f"/app{idx}")
        return idx

    for _ in range(2 * len(targets)):
        await navigate()
    per_nav: list[float] = []
    for _ in range(runs):
        mounts, unmounts = calls["mount"], calls["unmount"]
        gc.collect()
        ts = time.perf_counter()
        for i in range(NAVS):
            idx = await navigate()
            if i == NAVS - 1 and orchestrator.get_mounted_apps() != [f"app{idx}"]:
                bad += 1
        per_nav.append((time.perf_counter() - ts) * 1000 / NAVS)
        if calls["mount"] - mounts != NAVS or calls["unmount"] - unmounts != NAVS:
            bad += 1

    scans = max(20, 20000 // n)
    ts = time.perf_counter()
    for _ in range(scans):
        orchestrator.check_activity_functions()
    scan_ms = (time.perf_counter() - ts) * 1000 / scans
    await orchestrator.aclose()
    return {
        "runs_ms_per_nav": per_nav,
        "register_ms": (t_registered - t0) * 1000,
        "start_to_first_mount_ms": (t_mounted - t_registered) * 1000,
        "initial_total_ms": (t_mounted - t0) * 1000,
        "mounted_after_start": mounted_after_start,
        "scan_ms": scan_ms,
        "bad": bad,
        "calls": calls,
    }


def main() -> None:
    ns = [int(x) for x in os.environ.get("BENCH_NS", "10,100,1000").split(",")]
    reps = max(3, int(os.environ.get("ANCHOR_RUNS", "3")))
    impl = (
        f"mfe-orchestrator (Python {sys.version.split()[0]}, asyncio, "
        f"transitions@{version('transitions')})"
    )
    for n in ns:
        results = [asyncio.run(_one_process_like_run(n, 3)) for _ in range(reps)]
        nav_runs = [x for r in results for x in r["runs_ms_per_nav"]]
        med = statistics.median(nav_runs)
        _emit(
            {
                "bench": "single_spa_navigation",
                "impl": impl,
                "input": f"N={n}",
                "N": n,
                "navs_per_run": NAVS,
                "runs": len(nav_runs),
                "ms_per_nav_runs": [_r4(x) for x in nav_runs],
                "ms_per_nav": _r4(med),
                "navs_per_s": _r4(1000 / med),
                "check": {
                    "bad_mount_checks": sum(r["bad"] for r in results),
                    "mounted_after_start": results[0]["mounted_after_start"],
                    "calls_last_proc": results[-1]["calls"],
                },
            }
        )
        _emit(
            {
                "bench": "single_spa_initial",
                "impl": impl,
                "input": f"N={n}",
                "N": n,
                "runs": len(results),
                "register_ms": _r4(statistics.median(r["register_ms"] for r in results)),
                "start_to_first_mount_ms": _r4(
                    statistics.median(r["start_to_first_mount_ms"] for r in results)
                ),
                "initial_total_ms": _r4(statistics.median(r["initial_total_ms"] for r in results)),
                "initial_total_ms_runs": [_r4(r["initial_total_ms"]) for r in results],
                "note": "fresh Orchestrator each run: register N apps + start() until app0 mounted",
            }
        )
        _emit(
            {
                "bench": "single_spa_activity_scan",
                "impl": impl,
                "input": f"N={n}",
                "N": n,
                "runs": len(results),
                "ms_per_scan": _r4(statistics.median(r["scan_ms"] for r in results)),
                "note": "check_activity_functions() over all N apps",
            }
        )


if __name__ == "__main__":
    main()
