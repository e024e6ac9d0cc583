"""Timing shared by the benchmarks: the anchors kit's method, so rows compare side by side.

A warm-up, then RUNS time-boxed runs (each at least one call); ops/s per run; the median is the
headline. Settings come from the kit's environment variables. Not a benchmark itself.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

RUNS = max(3, int(os.environ.get("ANCHOR_RUNS", "5")))
RUN_SECONDS = float(os.environ.get("ANCHOR_RUN_SECONDS", "0.4"))
WARMUP_SECONDS = float(os.environ.get("ANCHOR_WARMUP_SECONDS", "0.3"))


def time_box(fn: Callable[[], object], seconds: float) -> tuple[int, float]:
    """Call ``fn`` until ``seconds`` have passed (at least once): (calls, elapsed seconds)."""
    clock = time.perf_counter
    start = now = clock()
    deadline, calls = start + seconds, 0
    while calls < 1 or now < deadline:
        fn()
        calls += 1
        now = clock()
    return calls, now - start


def summarize(ops: list[float], nbytes: int | None = None) -> dict[str, Any]:
    """The anchors schema's figures for a list of ops/s (MB = 10^6 bytes)."""
    median = statistics.median(ops)
    row: dict[str, Any] = {
        "runs": len(ops),
        "ops_per_s_runs": [float(f"{x:.5g}") for x in ops],
        "ops_per_s": float(f"{median:.5g}"),
        "ms_per_op": float(f"{1000 / median:.5g}"),
        "ops_per_s_best": float(f"{max(ops):.5g}"),
    }
    if nbytes:
        row["bytes"] = nbytes
        row["mb_per_s"] = float(f"{nbytes * median / 1e6:.5g}")
    return row


def measure(
    fn: Callable[[], object],
    *,
    nbytes: int | None = None,
    per_call: int = 1,
    runs: int = RUNS,
    run_seconds: float = RUN_SECONDS,
    warmup_seconds: float = WARMUP_SECONDS,
) -> dict[str, Any]:
    """Warm up, time ``runs`` boxes; ``per_call`` counts operations done by one call of ``fn``."""
    if warmup_seconds > 0:
        time_box(fn, warmup_seconds)
    ops = []
    for _ in range(runs):
        calls, seconds = time_box(fn, run_seconds)
        ops.append(calls * per_call / seconds)
    return summarize(ops, nbytes)


def emit(row: dict[str, Any]) -> None:
    """One JSON line on stdout, flushed (the kit reads them as they come)."""
    sys.stdout.write(json.dumps(row) + "\n")
    sys.stdout.flush()
