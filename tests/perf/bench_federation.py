"""Federation figures (JSON lines): semver checks, resolving a loaded shared module, loading a
50-module remote zip cold and warm. Targets (issue 14): satisfy ≥ 1 M checks/s on webpack's
table ranges parsed once; a loaded shared module resolves in < 5 µs; a 50-module zip loads in
< 50 ms cold and < 1 ms warm. Run: ``python tests/perf/bench_federation.py``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from _timing import emit, measure

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from test_federation_semver import SATISFIES  # webpack's table, as data

from orchestrator.federation import Federation, Shared
from orchestrator.federation._build import build_remote
from orchestrator.federation.semver import (
    _satisfy_tree,
    parse_range,
    parse_version,
    satisfy,
)

IMPL = f"mfe-orchestrator federation (Python {sys.version.split()[0]})"
BASE = "http://127.0.0.1:9/"


def bench_satisfy() -> None:
    pairs = [
        (parse_range(rng), item.removeprefix("!")) for rng, items in SATISFIES.items()
        for item in items
    ]  # fmt: skip

    def memoised() -> None:
        for rng, version in pairs:
            satisfy(rng, version)

    def computed() -> None:  # the algorithm itself: the version parsed and walked each time
        for rng, version in pairs:
            _satisfy_tree(rng.tree, parse_version(version))

    for name, fn, target in (("satisfy", memoised, 1e6), ("satisfy_uncached", computed, None)):
        row = measure(fn, per_call=len(pairs))
        emit({"bench": f"federation_{name}", "impl": IMPL, "checks": len(pairs),
              "target_ops_per_s": target, **row})  # fmt: skip


def _loop_time(loop: asyncio.AbstractEventLoop, coro_fn: Any, n: int) -> float:
    async def many() -> None:
        for _ in range(n):
            await coro_fn()

    start = time.perf_counter()
    loop.run_until_complete(many())
    return (time.perf_counter() - start) / n


def bench_loaded_share(loop: asyncio.AbstractEventLoop) -> None:
    pricing = type(sys)("pricing")
    fed = Federation(
        "host",
        shared={"pricing": Shared(version="1.2.0", import_=lambda: pricing, singleton=True)},
        loader=_no_network,
    )
    loop.run_until_complete(fed.load_share("pricing"))  # now loaded
    scope = fed.share_scopes["default"]
    for name, fn in (
        ("load_share_loaded", lambda: fed.load_share("pricing")),
        ("share_scope_singleton_loaded", lambda: scope.load_singleton_version("pricing", "^1")),
    ):
        _loop_time(loop, fn, 2000)
        runs = sorted(_loop_time(loop, fn, 20000) for _ in range(5))
        emit({"bench": f"federation_{name}", "impl": IMPL, "us_per_op": round(runs[2] * 1e6, 3),
              "us_per_op_runs": [round(r * 1e6, 3) for r in runs], "target_us": 5})  # fmt: skip


async def _no_network(url: str) -> tuple[str, bytes]:
    raise AssertionError(f"no fetch expected: {url}")


def _fifty_module_remote() -> tuple[dict[str, bytes], str]:
    files: dict[str, str | bytes] = {}
    for i in range(49):
        files[f"mod{i:02d}.py"] = (
            f'"""Module {i} of the benchmark remote."""\n'
            f"NAME = 'mod{i:02d}'\n"
            "def value(x):\n"
            f"    return x * {i} + len(NAME)\n"
            "class Thing:\n"
            "    def __init__(self, n):\n"
            "        self.n = n\n"
            "    def double(self):\n"
            "        return self.n * 2\n"
        )
    files["entry.py"] = "".join(f"from . import mod{i:02d}\n" for i in range(49)) + (
        "def total(x):\n"
        f"    return sum(m.value(x) for m in ({', '.join(f'mod{i:02d}' for i in range(49))},))\n"
    )
    build = build_remote("bench", "1.0.0", files, exposes={"./Entry": "entry.py"})
    url = f"{BASE}bench/mf-manifest.json"
    return {url: build.manifest_bytes, f"{BASE}bench/{build.entry_name}": build.zip_bytes}, url


def bench_zip(loop: asyncio.AbstractEventLoop) -> None:
    bodies, url = _fifty_module_remote()

    async def fetch(target: str) -> tuple[str, bytes]:
        return target, bodies[target]

    def cold() -> None:
        fed = Federation("host", remotes=[{"name": "bench", "entry": url}], loader=fetch)
        entry = loop.run_until_complete(fed.load_remote("bench/Entry"))
        assert entry.total(1) > 0
        loop.run_until_complete(fed.aclose())

    row = measure(cold, runs=5, run_seconds=0.5)
    emit({"bench": "federation_zip_50_cold", "impl": IMPL, "modules": 50,
          "zip_bytes": len(bodies[next(u for u in bodies if u.endswith(".zip"))]),
          "target_ms": 50, **row})  # fmt: skip

    fed = Federation("host", remotes=[{"name": "bench", "entry": url}], loader=fetch)
    loop.run_until_complete(fed.load_remote("bench/Entry"))
    _loop_time(loop, lambda: fed.load_remote("bench/Entry"), 500)
    runs = sorted(_loop_time(loop, lambda: fed.load_remote("bench/Entry"), 5000) for _ in range(5))
    emit({"bench": "federation_zip_50_warm", "impl": IMPL, "ms_per_op": round(runs[2] * 1e3, 5),
          "ms_per_op_runs": [round(r * 1e3, 5) for r in runs], "target_ms": 1})  # fmt: skip
    loop.run_until_complete(fed.aclose())


def main() -> None:
    bench_satisfy()
    loop = asyncio.new_event_loop()
    try:
        bench_loaded_share(loop)
        bench_zip(loop)
    finally:
        loop.close()


if __name__ == "__main__":
    main()
