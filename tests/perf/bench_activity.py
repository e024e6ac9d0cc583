"""Activity scan: every registered app's activity function against one location (JSON lines).

Comparable with the anchors' ``single_spa_activity_scan`` rows (checkActivityFunctions over N
apps registered with ``activeWhen: "/app{i}"``, jsdom Location). Run: ``python bench_activity.py``.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from collections.abc import Callable

from _timing import time_box

from orchestrator.activity import sanitize_active_when
from orchestrator.navigation import Location

RUNS = max(3, int(os.environ.get("ANCHOR_RUNS", "5")))
RUN_SECONDS = float(os.environ.get("ANCHOR_RUN_SECONDS", "0.4"))
NS = [int(n) for n in os.environ.get("ANCHOR_SPA_NS", "10,100,1000").split(",")]


def _ops_per_s(fn: Callable[[], object], seconds: float) -> float:
    calls, elapsed = time_box(fn, seconds)
    return calls / elapsed


def main() -> None:
    impl = f"mfe-orchestrator activity (PathActivity, Python {sys.version.split()[0]})"
    for n in NS:
        functions = [sanitize_active_when(f"/app{i}") for i in range(n)]
        location = Location(f"http://localhost/app{n // 2}")

        def scan(
            functions: list[Callable[[Location], bool]] = functions, location: Location = location
        ) -> list[bool]:
            return [active(location) for active in functions]

        matched = [i for i, active in enumerate(scan()) if active]
        _ops_per_s(scan, 0.2)
        runs = [_ops_per_s(scan, RUN_SECONDS) for _ in range(RUNS)]
        median = statistics.median(runs)
        sys.stdout.write(
            json.dumps(
                {
                    "bench": "single_spa_activity_scan",
                    "impl": impl,
                    "input": f"N={n}",
                    "N": n,
                    "runs": len(runs),
                    "ops_per_s_runs": [float(f"{x:.5g}") for x in runs],
                    "ops_per_s": float(f"{median:.5g}"),
                    "ms_per_op": float(f"{1000 / median:.5g}"),
                    "ops_per_s_best": float(f"{max(runs):.5g}"),
                    "ms_per_scan": float(f"{1000 / median:.4g}"),
                    "check": {"matched": matched},
                    "note": "every app's activity function over one Location; apps /app{i}",
                }
            )
            + "\n"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
