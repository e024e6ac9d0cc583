"""Serving side by side: Zalando's Tailor and our ``ComposeApp`` on one 3-fragment page, one run.

Run: ``python tests/perf/bench_serving.py [--quick] [--duration S] [--json PATH]`` (``make bench``
installs its tools: Debian's ``wrk``, and Tailor by ``npm ci`` in ``tests/perf/serving``).

Both sides compose the same page (header, content, footer; one stylesheet each) from the same
fragment servers (``serving/fragments.py``) and are driven by the same load generator, wrk, with
one connection per wrk thread so every connection keeps its own cookie jar. wrk rather than
autocannon: it is C, so on a 2-core machine it takes less CPU from the servers it measures, it
keeps HdrHistogram latencies, and Debian ships it (installed by the Makefile like chromium).
Rows: returning visitors (each connection keeps the cookie of one earlier visit), new visitors
(no cookie), and returning visitors of fragments sent ``no-store`` (then a fragment changes and
the next page shows whether each side noticed). Each cell is split into slices alternating
Tailor, ours and a plain Starlette page under the same uvicorn (the stack's own limit, beside
each row), so load from other processes falls on all three alike; the CPU each composer spent
per request and the CPU other processes took are reported with it. Then single timed requests:
TTFB with the content fragment answering in 500 ms, and the status and time of a page whose
content fragment never answers. Then ``mfe serve --redis`` itself with one worker and with two
(new visitors; a ``redis-server`` on a free port), for the scale-out ratio. Every server started
is stopped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SERVING = Path(__file__).resolve().parent / "serving"
sys.path.insert(0, str(SERVING))

from children import Child, Children  # noqa: E402
from fragments import NAMES  # noqa: E402
from load import Slice, merge, run_wrk  # noqa: E402
from probe import Probe, get  # noqa: E402

SIDES = ("tailor", "ours")
ROWS = {  # row -> (fragment mode, the client keeps its cookie)
    "returning visitor": ("cache", True),
    "new visitor": ("cache", False),
    "fragments no-store": ("nostore", True),
}
SHELL = (
    '<!doctype html><html><head><meta charset="utf-8"><title>bench page</title></head><body>'
    '<div id="header">{header}</div><main id="content">{content}</main>'
    '<div id="footer">{footer}</div></body></html>'
)
OPTIONS = """
[options]
prefetch = false
script_mode = "passthrough"

[options.sandbox]
experimental_style_isolation = true
"""


@dataclass(frozen=True)
class Setup:
    """How long each cell runs, at which concurrencies, with which uvicorn HTTP implementation."""

    slices: int  # per cell and server, alternating between the servers
    slice_seconds: int
    warmup: int  # seconds of load before a row's first cell (0: none)
    concurrency: tuple[int, ...]
    http: str
    work: Path


# --- the two compositions ---------------------------------------------------------------------


def write_compositions(work: Path, ports: dict[str, int], mode: str) -> tuple[Path, Path]:
    """Tailor's template and our TOML config for one fragment mode; the same shell for both."""
    tailor = work / f"tailor-{mode}.html"
    tailor.write_text(
        SHELL.format(
            **{n: f'<fragment src="http://127.0.0.1:{ports[n]}/{mode}/fragment">' for n in NAMES}
        ),
        encoding="utf-8",
    )
    (work / "shell.html").write_text(SHELL.format(header="", content="", footer=""), "utf-8")
    apps = "".join(
        f'\n[[apps]]\nname = "{n}"\nentry = "http://127.0.0.1:{ports[n]}/{mode}/"\n'
        f'container = "#{n}"\nactive_rule = "/"\nlayout = {"false" if n == "content" else "true"}\n'
        for n in NAMES
    )
    ours = work / f"ours-{mode}.toml"
    ours.write_text(f'shell = "shell.html"\n{OPTIONS}{apps}', encoding="utf-8")
    return tailor, ours


def start_side(
    children: Children, side: str, setup: Setup, ports: dict[str, int], mode: str
) -> Child:
    tailor, ours = write_compositions(setup.work, ports, mode)
    if side == "tailor":
        return children.start(
            f"tailor/{mode}", ["node", str(SERVING / "tailor_server.js"), str(tailor)]
        )
    argv = [sys.executable, str(SERVING / "ours.py"), "compose", str(ours), "--http", setup.http]
    return children.start(f"ours/{mode}", argv)


def check_page(body: bytes, ports: dict[str, int], mode: str, version_: int) -> dict[str, Any]:
    """What the composed page holds: each fragment (and its version) and each stylesheet."""
    text = body.decode("utf-8", "replace")
    fragments = [n for n in NAMES if f'data-fragment="{n}"' in text]
    current = [n for n in NAMES if f'data-fragment="{n}" data-version="{version_}"' in text]
    styles = [
        n for n in NAMES if f"{n}-sheet" in text or f"127.0.0.1:{ports[n]}/{mode}/style.css" in text
    ]
    return {"bytes": len(body), "fragments": fragments, "current": current, "stylesheets": styles}


# --- load -------------------------------------------------------------------------------------


def cell(
    servers: dict[str, Child],
    setup: Setup,
    fragments: Child,
    concurrency: int,
    jars: dict[str, tuple[str, ...]] | None,
) -> dict[str, dict[str, Any]]:
    """Each server's figures at one concurrency, its slices alternating with the others'."""
    slices: dict[str, list[Slice]] = {name: [] for name in servers}
    names = list(servers)
    for index in range(setup.slices):
        for name in names[index % len(names) :] + names[: index % len(names)]:
            child = servers[name]
            slices[name].append(
                run_wrk(
                    child.port,
                    concurrency=concurrency,
                    seconds=setup.slice_seconds,
                    keep_cookie=jars is not None,
                    server_pid=child.process.pid,
                    fragments_pid=fragments.process.pid,
                    cookies=jars.get(name, ()) if jars is not None else (),
                )
            )
    return {name: merge(runs) for name, runs in slices.items()}


def _ratio(ours: float, tailor: float) -> float | None:
    return ours / tailor if tailor else None


def throughput(
    children: Children, setup: Setup, fragments: Child, static: Child
) -> list[dict[str, Any]]:
    ports = {n: int(fragments.info[n]) for n in NAMES}
    rows: list[dict[str, Any]] = []
    for row, (mode, keep) in ROWS.items():
        sides = {side: start_side(children, side, setup, ports, mode) for side in SIDES}
        checks: dict[str, Any] = {}
        jars: dict[str, tuple[str, ...]] = {}
        for side, child in sides.items():
            first = get(child.port)
            checks[side] = {"status": first.status, **check_page(first.body, ports, mode, 1)}
            if keep:  # one earlier visit per connection: the cookie each connection keeps
                visits = [first] + [get(child.port) for _ in range(max(setup.concurrency) - 1)]
                jars[side] = tuple(
                    v.set_cookie.split(";", 1)[0] for v in visits if v.set_cookie is not None
                )
            if setup.warmup:
                run_wrk(
                    child.port,
                    concurrency=8,
                    seconds=setup.warmup,
                    keep_cookie=keep,
                    server_pid=child.process.pid,
                    fragments_pid=fragments.process.pid,
                    cookies=jars.get(side, ()),
                )
        for concurrency in setup.concurrency:
            servers = {**sides, "static": static}
            cells = cell(servers, setup, fragments, concurrency, jars if keep else None)
            tailor, ours = cells["tailor"], cells["ours"]
            rows.append(
                {
                    "row": row,
                    "fragment_mode": mode,
                    "keeps_cookie": keep,
                    "concurrency": concurrency,
                    **cells,
                    "ratio_ours_to_tailor": _ratio(ours["rps"], tailor["rps"]),
                    "p99_ratio_ours_to_tailor": _ratio(ours["p99_ms"], tailor["p99_ms"]),
                    "page_check": checks,
                }
            )
            print_cell(rows[-1])
        if mode == "nostore":  # does a changed fragment show on the next page?
            get(ports["header"], "/_bench/version/2")
            for side, child in sides.items():
                cookie = jars[side][0] if jars.get(side) else None
                page = check_page(get(child.port, cookie=cookie).body, ports, mode, 2)
                checks[side]["fresh_after_change"] = page["current"]
            get(ports["header"], "/_bench/version/1")
            seen = ", ".join(
                f"{side} {len(checks[side]['fresh_after_change'])}/3" for side in SIDES
            )
            print(f"{'':<20}      a fragment changed; the next page showed it: {seen}")
        for child in sides.values():
            children.stop(child)
    return rows


def scale_out(children: Children, setup: Setup, fragments: Child) -> list[dict[str, Any]]:
    """``mfe serve --redis`` with one worker and with two, new visitors of the cached page."""
    ports = {n: int(fragments.info[n]) for n in NAMES}
    _, config = write_compositions(setup.work, ports, "cache")
    sides = {
        f"workers {n}": children.start(
            f"serve/{n}",
            [sys.executable, str(SERVING / "ours.py"), "serve", str(config), "--workers", str(n)],
        )
        for n in (1, 2)
    }
    for child in sides.values():
        if setup.warmup:
            run_wrk(
                child.port,
                concurrency=8,
                seconds=setup.warmup,
                keep_cookie=False,
                server_pid=child.process.pid,
                fragments_pid=fragments.process.pid,
            )
    rows: list[dict[str, Any]] = []
    for concurrency in setup.concurrency:
        cells = cell(sides, setup, fragments, concurrency, None)
        one, two = cells["workers 1"], cells["workers 2"]
        rows.append(
            {
                "concurrency": concurrency,
                "workers_1": one,
                "workers_2": two,
                "ratio_2_to_1": _ratio(two["rps"], one["rps"]),
            }
        )
        ratio = rows[-1]["ratio_2_to_1"]
        shown = f"{ratio:.2f}x" if ratio else "-"
        print(
            f"{'mfe serve --workers':<20} {concurrency:>3}  1: {one['rps']:>7.0f} rps"
            f" p99 {one['p99_ms']:>6.1f} ms   2: {two['rps']:>7.0f} rps"
            f" p99 {two['p99_ms']:>6.1f} ms   2/1: {shown}",
            flush=True,
        )
    for child in sides.values():
        children.stop(child)
    return rows


# --- single timed requests --------------------------------------------------------------------


def probe_row(probe: Probe, ports: dict[str, int], mode: str) -> dict[str, Any]:
    check = check_page(probe.body, ports, mode, 1)
    return {
        "status": probe.status,
        "ttfb_ms": round(probe.first_byte * 1000, 2),
        "first_body_byte_ms": round(probe.first_body_byte * 1000, 2),
        "total_ms": round(probe.total * 1000, 2),
        "fragments": check["fragments"],
        "bytes": check["bytes"],
        "error": probe.error,
    }


def slow_fragment(
    children: Children, setup: Setup, ports: dict[str, int], samples: int
) -> dict[str, Any]:
    """Content answers in 500 ms (no-store): the first request, then ``samples`` more."""
    result: dict[str, Any] = {}
    for side in SIDES:
        child = start_side(children, side, setup, ports, "slow")
        probes = [get(child.port) for _ in range(samples + 1)]
        later = [p.first_byte * 1000 for p in probes[1:]]
        result[side] = {
            "first": probe_row(probes[0], ports, "slow"),
            "later_ttfb_ms_median": round(statistics.median(later), 2),
            "later_first_body_byte_ms_median": round(
                statistics.median(p.first_body_byte * 1000 for p in probes[1:]), 2
            ),
            "later_total_ms_median": round(
                statistics.median(p.total * 1000 for p in probes[1:]), 2
            ),
            "later_status": sorted({p.status for p in probes[1:]}),
        }
        children.stop(child)
    return result


def hanging_fragment(children: Children, setup: Setup, ports: dict[str, int]) -> dict[str, Any]:
    """Content never answers: two requests in a row, each bounded at 20 s by the client."""
    result: dict[str, Any] = {}
    for side in SIDES:
        child = start_side(children, side, setup, ports, "hang")
        result[side] = [probe_row(get(child.port, timeout=20.0), ports, "hang") for _ in range(2)]
        children.stop(child)
    return result


# --- output -----------------------------------------------------------------------------------


def print_cell(row: dict[str, Any]) -> None:
    t, o, s = row["tailor"], row["ours"], row["static"]
    ratio = f"{row['ratio_ours_to_tailor']:.2f}x" if row["ratio_ours_to_tailor"] else "-"
    errors = {side: sum(row[side]["errors"].values()) for side in ("tailor", "ours", "static")}
    flag = "" if not any(errors.values()) else f"  errors {errors}"
    others = (t["other_cpu_s"] + o["other_cpu_s"]) / (t["seconds"] + o["seconds"])
    cells = [
        f"{row['row']:<20} {row['concurrency']:>3}",
        f"{t['rps']:>7.0f} {t['p99_ms']:>7.1f} {t['server_cpu_ms_per_request']:>6.2f}",
        f"{o['rps']:>7.0f} {o['p99_ms']:>7.1f} {o['server_cpu_ms_per_request']:>6.2f}",
        f"{ratio:>6}",
        f"{s['rps']:>7.0f} {s['p99_ms']:>7.1f}",
        f"{others:>6.2f}{flag}",
    ]
    print("  ".join(cells), flush=True)


def print_header(meta: dict[str, Any]) -> None:
    print(
        f"Serving benchmark: Tailor {meta['tailor']} (node {meta['node']}) vs ComposeApp "
        f"(uvicorn {meta['uvicorn']}, {meta['http']}, one worker); wrk {meta['wrk']}, "
        f"{meta['duration_s']} s per cell ({meta['slices']}),"
        f" {meta['cpus']} CPUs, load at start {meta['load_1m']}"
    )
    print(
        "cpu = the composer process's CPU ms per request; others = cores kept busy by processes"
        " outside the benchmark meanwhile (noise)"
    )
    print(f"{'':<20} {'':>3}  {'Tailor':>22}  {'ours':>22}  {'ours/':>6}  {'static shell':>15}")
    print(
        f"{'row':<20} {'c':>3}  {'req/s':>7} {'p99 ms':>7} {'cpu':>6}  {'req/s':>7} {'p99 ms':>7}"
        f" {'cpu':>6}  {'Tailor':>6}  {'req/s':>7} {'p99 ms':>7}  {'others':>6}"
    )


def _page_line(row: str, side: str, check: dict[str, Any]) -> str:
    fresh = check.get("fresh_after_change")
    extra = "" if fresh is None else f"; fresh after a change: {len(fresh)}/3"
    return (
        f"  {row:<20} {side:<7} status {check['status']}, {len(check['fragments'])}/3 fragments,"
        f" {len(check['stylesheets'])}/3 stylesheets, {check['bytes']} B{extra}"
    )


def _slow_line(side: str, r: dict[str, Any]) -> str:
    f = r["first"]
    first = f"{f['ttfb_ms']:.0f} / {f['first_body_byte_ms']:.0f} / {f['total_ms']:.0f}"
    later = (
        f"{r['later_ttfb_ms_median']:.0f} / {r['later_first_body_byte_ms_median']:.0f}"
        f" / {r['later_total_ms_median']:.0f}"
    )
    return f"  {side:<7} first request {f['status']}: {first};  later (median): {later}"


def _hang_cell(p: dict[str, Any]) -> str:
    fragments = ", ".join(p["fragments"]) or "no fragments"
    return f"{p['status'] or 'none'} in {p['total_ms'] / 1000:.2f} s ({fragments})"


def print_probes(report: dict[str, Any]) -> None:
    print("\nPage checks (first page of each row): fragments / stylesheets / bytes")
    seen: set[str] = set()
    for row in report["throughput"]:
        if row["row"] not in seen:
            seen.add(row["row"])
            for side in SIDES:
                print(_page_line(row["row"], side, row["page_check"][side]))
    print("\nContent fragment answering in 500 ms (no-store): ms to first byte / body byte / end")
    for side, r in report["slow_fragment"].items():
        print(_slow_line(side, r))
    print("\nContent fragment that never answers: status, seconds to answer, fragments in the page")
    for side, probes in report["hanging_fragment"].items():
        print(f"  {side:<7} " + ";  then ".join(_hang_cell(p) for p in probes))
    cells = [row[side] for row in report["throughput"] for side in (*SIDES, "static")]
    seconds = sum(c["seconds"] for c in cells) or 1.0
    others = sum(c["other_cpu_s"] for c in cells) / seconds
    steal = sum(c["steal_cpu_s"] for c in cells) / seconds
    print(
        f"\nWhile loaded, other processes kept {others:.2f} of {os.cpu_count()} cores busy"
        f" and the hypervisor stole {steal:.2f}"
        + ("; the figures above are noisy." if others + steal > 0.25 else ".")
    )
    report["noise_cores"] = {"others": round(others, 3), "steal": round(steal, 3)}
    print(f"Servers left running: {report['children_left']}")


def meta(setup: Setup, fragments: Child, static: Child) -> dict[str, Any]:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    wrk_line = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    package = json.loads((SERVING / "node_modules/node-tailor/package.json").read_text())
    return {
        "tailor": package["version"],
        "node": node,
        "wrk": ([*wrk_line.split(), "?", "?"])[1],
        "uvicorn": static.info["uvicorn"],
        "starlette": static.info["starlette"],
        "http": static.info["http"],
        "python": platform.python_version(),
        "orchestrator_commit": commit.stdout.strip(),
        "cpus": os.cpu_count(),
        "load_1m": round(os.getloadavg()[0], 2),
        "duration_s": setup.slices * setup.slice_seconds,
        "slices": f"{setup.slices} x {setup.slice_seconds} s, alternating Tailor, ours, static",
        "warmup_s": setup.warmup,
        "concurrency": list(setup.concurrency),
        "fragment_ports": fragments.info,
        "ours_options": "prefetch=false, script_mode=passthrough, experimental_style_isolation",
    }


# --- main -------------------------------------------------------------------------------------


def missing_tools() -> list[str]:
    missing = [tool for tool in ("wrk", "node") if shutil.which(tool) is None]
    if not (SERVING / "node_modules/node-tailor/package.json").is_file():
        missing.append("node-tailor (npm ci in tests/perf/serving)")
    return missing


def run(setup: Setup, children: Children) -> dict[str, Any]:
    fragments = children.start("fragments", [sys.executable, str(SERVING / "fragments.py")])
    ports = {n: int(fragments.info[n]) for n in NAMES}
    (setup.work / "static.html").write_text(SHELL.format(header="", content="", footer=""), "utf-8")
    static_argv = [
        sys.executable,
        str(SERVING / "ours.py"),
        "static",
        str(setup.work / "static.html"),
    ]
    static = children.start("static", [*static_argv, "--http", setup.http])
    report: dict[str, Any] = {"meta": meta(setup, fragments, static)}
    print_header(report["meta"])
    report["throughput"] = throughput(children, setup, fragments, static)
    children.stop(static)
    report["scale_out"] = scale_out(children, setup, fragments)
    report["slow_fragment"] = slow_fragment(children, setup, ports, samples=5)
    report["hanging_fragment"] = hanging_fragment(children, setup, ports)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Tailor vs ComposeApp, side by side.")
    parser.add_argument(
        "--duration", type=float, default=10.0, help="seconds per cell and server (10)"
    )
    parser.add_argument("--quick", action="store_true", help="2 s per cell, short warm-ups")
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated (1,8,32)")
    parser.add_argument("--http", default="auto", choices=("auto", "h11", "httptools"))
    parser.add_argument("--json", type=Path, help="write every figure here as JSON")
    args = parser.parse_args(argv)
    missing = missing_tools()
    if missing:
        print(
            f"bench_serving: missing {', '.join(missing)}; `make bench` installs them",
            file=sys.stderr,
        )
        return 1
    duration = 2.0 if args.quick else args.duration
    slice_seconds = 2 if duration >= 4 else 1  # wrk counts whole seconds
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as work:
        setup = Setup(
            slices=max(1, round(duration / slice_seconds)),
            slice_seconds=slice_seconds,
            warmup=1 if args.quick else 2,
            concurrency=tuple(int(c) for c in args.concurrency.split(",")),
            http=args.http,
            work=Path(work),
        )
        children = Children(ROOT)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops the servers
        started = time.monotonic()
        try:
            report = run(setup, children)
        finally:
            left = children.stop_all()
        report["children_left"] = left
        report["meta"]["wall_seconds"] = round(time.monotonic() - started, 1)
    print_probes(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"JSON: {args.json}")
    return 0 if left == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
