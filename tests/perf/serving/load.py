"""The load generator: wrk runs, the CPU each process spent meanwhile, and runs merged into cells.

A cell is split into slices that alternate between the servers compared, so a burst of work
from another process on the machine lands on every side alike; slices are merged by adding
requests and time, and by merging their latency distributions (wrk's 0.1 % quantiles, each
weighted by its slice's request count).
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve().parent / "visitor.lua"
_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Slice:
    """One wrk run against one server, with the CPU seconds spent while it ran."""

    requests: int
    seconds: float
    bytes: int
    max_ms: float
    permille_ms: tuple[float, ...]
    errors: dict[str, int]
    cookies_set: int  # responses with Set-Cookie (counted only for returning visitors)
    server_cpu: float
    fragments_cpu: float
    wrk_cpu: float
    other_cpu: float  # used by every other process on the machine meanwhile
    steal_cpu: float  # taken by the hypervisor for other machines meanwhile


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a live process has used (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def machine_cpu_seconds() -> tuple[float, float]:
    """CPU seconds all cores have been busy, and stolen by the hypervisor, since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values
    return (user + nice + system + irq + softirq) / _TICK, steal / _TICK


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(
    port: int,
    *,
    concurrency: int,
    seconds: int,
    keep_cookie: bool,
    server_pid: int,
    fragments_pid: int,
    cookies: tuple[str, ...] = (),
) -> Slice:
    """``wrk -tC -cC`` for ``seconds``: one connection (and cookie jar) per wrk thread.

    ``cookies`` (``name=value``): the n-th thread starts with the n-th (a returning visitor).
    """
    argv = [
        "wrk",
        f"-t{concurrency}",
        f"-c{concurrency}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(SCRIPT),
        f"http://127.0.0.1:{port}/",
    ]
    env = {
        **os.environ,
        "BENCH_KEEP_COOKIE": "1" if keep_cookie else "0",
        "BENCH_COOKIES": "|".join(cookies) if keep_cookie else "",
    }
    server0, fragments0 = cpu_seconds(server_pid), cpu_seconds(fragments_pid)
    wrk0, (busy0, steal0) = _children_cpu(), machine_cpu_seconds()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=seconds + 30)
    server_cpu = cpu_seconds(server_pid) - server0
    fragments_cpu = cpu_seconds(fragments_pid) - fragments0
    wrk_cpu = _children_cpu() - wrk0
    busy1, steal1 = machine_cpu_seconds()
    busy, steal = busy1 - busy0, steal1 - steal0
    match = re.search(r"^BENCH_JSON (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}{done.stderr}")
    raw = json.loads(match.group(1))
    return Slice(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        bytes=raw["bytes"],
        max_ms=raw["max_us"] / 1000,
        permille_ms=tuple(v / 1000 for v in raw["permille_us"]),
        errors=raw["errors"],
        cookies_set=raw["cookies_set"],
        server_cpu=server_cpu,
        fragments_cpu=fragments_cpu,
        wrk_cpu=wrk_cpu,
        other_cpu=max(0.0, busy - server_cpu - fragments_cpu - wrk_cpu),
        steal_cpu=steal,
    )


def _quantile(slices: list[Slice], q: float) -> float:
    """The latency at quantile ``q`` of the slices' merged distributions."""
    points = sorted(
        (value, s.requests / len(s.permille_ms)) for s in slices for value in s.permille_ms
    )
    total = sum(weight for _, weight in points)
    seen = 0.0
    for value, weight in points:
        seen += weight
        if seen >= q * total:
            return value
    return points[-1][0] if points else 0.0


def merge(slices: list[Slice]) -> dict[str, Any]:
    """One cell's figures from its slices: requests/s, latency quantiles, errors, CPU."""
    requests = sum(s.requests for s in slices)
    seconds = sum(s.seconds for s in slices)
    per = max(1, requests)
    errors: dict[str, int] = {}
    for s in slices:
        for name, count in s.errors.items():
            errors[name] = errors.get(name, 0) + count
    return {
        "rps": requests / seconds if seconds else 0.0,
        "p50_ms": _quantile(slices, 0.50),
        "p90_ms": _quantile(slices, 0.90),
        "p99_ms": _quantile(slices, 0.99),
        "max_ms": max(s.max_ms for s in slices),
        "requests": requests,
        "seconds": round(seconds, 3),
        "slices_rps": [round(s.requests / s.seconds, 1) for s in slices if s.seconds],
        "bytes_per_request": sum(s.bytes for s in slices) // per,
        "errors": errors,
        "cookies_set": sum(s.cookies_set for s in slices),
        "server_cpu_ms_per_request": round(1000 * sum(s.server_cpu for s in slices) / per, 4),
        "fragments_cpu_ms_per_request": round(1000 * sum(s.fragments_cpu for s in slices) / per, 4),
        "wrk_cpu_s": round(sum(s.wrk_cpu for s in slices), 3),
        # what the rest of the machine (other processes) took meanwhile: the noise to read by
        "other_cpu_s": round(sum(s.other_cpu for s in slices), 3),
        "steal_cpu_s": round(sum(s.steal_cpu for s in slices), 3),
    }
