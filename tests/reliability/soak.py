"""Soak: 10,000 route changes across 20 HTML-entry apps and 100,000 global-state updates, with
memory sampled, in one headless tab over real loopback HTTP.

Run ``python tests/reliability/soak.py`` for JSON lines on stdout (one per memory sample, then a
summary), or with ``--write-doc`` to also put the summary table into ``docs/reliability.md``
(what ``make reliability`` does through ``test_reliability_soak.py``). ``--routes``/``--updates``
scale it down for a quick look. After every route change the mounted apps must be exactly those
active for the URL and the routed app's text must be on the page; every state update must reach
every mounted app's listener, in order. Anything else is counted as lost.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import random
import re
import sys
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from orchestrator import Orchestrator
from orchestrator.testing import LoopbackServer, Reply

APPS = 20
DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
BEGIN, END = "<!-- soak:begin -->", "<!-- soak:end -->"
SHELL = (
    "<!DOCTYPE html><html><head><title>soak</title></head><body>"
    '<header id="side"></header><main id="main"></main></body></html>'
)
APP_SCRIPT = """
def bootstrap(props):
    pass

def mount(props):
    stats = props["stats"]
    stats["mounts"] += 1
    props["container"].cssselect("#root")[0].text = "{name} mounted"
    seen = {"last": None}

    def on_change(state, prev):
        counter = state["counter"]
        if seen["last"] is not None and counter != seen["last"] + 1:
            stats["out_of_order"] += 1
        seen["last"] = counter
        stats["deliveries"] += 1

    props["on_global_state_change"](on_change)
    window.set_timeout(lambda: None, 60_000)
    window.add_event_listener("resize", on_change)
    window.last_mount = stats["mounts"]

def unmount(props):
    props["stats"]["unmounts"] += 1
"""


def app_name(index: int) -> str:
    return f"app{index:02d}"


def entry(name: str) -> str:
    code = APP_SCRIPT.replace("{name}", name)
    return (
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="style.css"></head><body>'
        f'<div id="root"></div><script type="text/python" entry>{code}</script></body></html>'
    )


@dataclass
class Sample:
    route_changes: int
    state_updates: int
    seconds: float
    traced_bytes: int
    rss_bytes: int


@dataclass
class Summary:
    apps: int = APPS
    route_changes: int = 0
    state_updates: int = 0
    mounts: int = 0
    unmounts: int = 0
    wrong_mounted_set: int = 0
    wrong_page_text: int = 0
    deliveries_expected: int = 0
    deliveries_received: int = 0
    out_of_order: int = 0
    lifecycle_errors: int = 0
    entry_fetches: int = 0
    history_entries: int = 0
    growth_history_bytes: int = 0
    growth_other_bytes: int = 0
    pending_timers_at_end: int = 0
    window_globals_at_end: int = 0
    seconds: float = 0.0
    traced_start_bytes: int = 0
    traced_end_bytes: int = 0
    traced_peak_bytes: int = 0
    rss_start_bytes: int = 0
    rss_end_bytes: int = 0
    python: str = field(default_factory=platform.python_version)

    @property
    def lost(self) -> int:
        return (
            self.wrong_mounted_set
            + self.wrong_page_text
            + (self.deliveries_expected - self.deliveries_received)
            + self.out_of_order
            + self.lifecycle_errors
        )


def rss_bytes() -> int:
    """Resident set size from /proc (0 where there is no /proc)."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    found = re.search(r"VmRSS:\s+(\d+) kB", text)
    return int(found.group(1)) * 1024 if found else 0


def routes(rng: random.Random, count: int) -> Iterator[str]:
    """``count`` route changes: mostly navigations to a routed app, some back/forward/home."""
    for _ in range(count):
        roll = rng.random()
        if roll < 0.08:
            yield "back"
        elif roll < 0.14:
            yield "forward"
        elif roll < 0.2:
            yield "/"
        else:
            yield f"/{app_name(rng.randrange(1, APPS))}/page/{rng.randrange(100)}"


async def soak(
    route_count: int, update_count: int, seed: int = 2026
) -> tuple[Summary, list[Sample]]:
    summary = Summary(route_changes=route_count, state_updates=update_count)
    samples: list[Sample] = []
    stats = {
        name: {"mounts": 0, "unmounts": 0, "deliveries": 0, "out_of_order": 0}
        for name in map(app_name, range(APPS))
    }
    errors: list[Exception] = []
    with LoopbackServer() as server:
        for name in stats:
            server.route(f"/{name}/index.html", Reply(body=entry(name)))
            server.route(
                f"/{name}/style.css",
                Reply(body=f".{name} {{ color: teal }}", content_type="text/css"),
            )
        async with Orchestrator(SHELL) as tab:
            tab.add_error_handler(errors.append)
            shell_state = tab.init_global_state({"counter": 0})
            apps = [
                {
                    "name": name,
                    "entry": server.url_for(f"/{name}/index.html"),
                    "container": "#side" if index == 0 else "#main",
                    "active_rule": "/" if index == 0 else f"/{name}",
                    "props": {"stats": stats[name]},
                }
                for index, name in enumerate(stats)
            ]
            tab.register_micro_apps(apps)
            await tab.start(prefetch=False)
            rng = random.Random(seed)
            updates_per_route = max(1, update_count // max(1, route_count))
            updates_done = 0
            gc.collect()
            tracemalloc.start()
            started = time.perf_counter()
            summary.rss_start_bytes = rss_bytes()
            summary.traced_start_bytes = tracemalloc.get_traced_memory()[0]
            interval = max(1, route_count // 10)
            first: tracemalloc.Snapshot | None = None
            for done, route in enumerate(routes(rng, route_count), 1):
                if route == "back":
                    await tab.history.back()
                elif route == "forward":
                    await tab.history.forward()
                else:
                    await tab.navigate(route)
                check_page(tab, summary)
                batch = min(updates_per_route, update_count - updates_done)
                if done == route_count:
                    batch = update_count - updates_done
                listeners = len(tab.get_mounted_apps())
                for _ in range(batch):
                    updates_done += 1
                    if shell_state.set_global_state({"counter": updates_done}):
                        summary.deliveries_expected += listeners
                if done % interval == 0 or done == route_count:
                    gc.collect()
                    samples.append(
                        Sample(
                            done,
                            updates_done,
                            round(time.perf_counter() - started, 2),
                            tracemalloc.get_traced_memory()[0],
                            rss_bytes(),
                        )
                    )
                    if first is None:
                        first = tracemalloc.take_snapshot()
            summary.seconds = round(time.perf_counter() - started, 2)
            summary.traced_end_bytes = tracemalloc.get_traced_memory()[0]
            summary.traced_peak_bytes = tracemalloc.get_traced_memory()[1]
            summary.rss_end_bytes = rss_bytes()
            if first is not None:
                attribute_growth(summary, first, tracemalloc.take_snapshot())
            tracemalloc.stop()
            summary.history_entries = tab.history.length
            await tab.navigate("/")
            summary.pending_timers_at_end = tab.window.pending_timers
            summary.window_globals_at_end = len(tab.window.keys())
            summary.lifecycle_errors = len(errors)
            summary.entry_fetches = sum(server.count(f"/{name}/index.html") for name in stats)
    summary.mounts = sum(s["mounts"] for s in stats.values())
    summary.unmounts = sum(s["unmounts"] for s in stats.values())
    summary.deliveries_received = sum(s["deliveries"] for s in stats.values())
    summary.out_of_order = sum(s["out_of_order"] for s in stats.values())
    return summary, samples


_HISTORY_FILES = ("orchestrator/navigation.py", "urllib/parse.py")


def attribute_growth(
    summary: Summary, first: tracemalloc.Snapshot, last: tracemalloc.Snapshot
) -> None:
    """Split memory growth into the session history (every push keeps an entry, as browsers
    do) and everything else, which must stay flat."""
    for stat in last.compare_to(first, "filename"):
        filename = stat.traceback[0].filename.replace("\\", "/")
        if filename.endswith(_HISTORY_FILES):
            summary.growth_history_bytes += stat.size_diff
        else:
            summary.growth_other_bytes += stat.size_diff


def check_page(tab: Orchestrator, summary: Summary) -> None:
    active = tab.check_activity_functions()
    mounted = tab.get_mounted_apps()
    if mounted != active:
        summary.wrong_mounted_set += 1
    routed = [name for name in mounted if name != app_name(0)]
    root = tab.document.query_selector("#main #root")
    text = None if root is None else root.text
    if text != (f"{routed[0]} mounted" if routed else None):
        summary.wrong_page_text += 1


def _mb(value: int) -> str:
    return f"{value / 1_000_000:.1f} MB"


def table(summary: Summary, samples: list[Sample]) -> str:
    """The Markdown that goes between the soak markers of docs/reliability.md."""
    growth = samples[-1].traced_bytes - samples[0].traced_bytes if samples else 0
    first_routes = samples[0].route_changes if samples else 0
    rows = [
        ("route changes (navigate, back, forward)", f"{summary.route_changes:,}", "0 wrong"),
        ("apps (1 header + 19 routed, HTML entries)", f"{summary.apps}", "-"),
        ("mounts / unmounts", f"{summary.mounts:,} / {summary.unmounts:,}", "-"),
        ("mounted set == active set after each change", f"{summary.route_changes:,}",
         f"{summary.wrong_mounted_set} wrong"),
        ("routed app's text on the page", f"{summary.route_changes:,}",
         f"{summary.wrong_page_text} wrong"),
        ("global state updates", f"{summary.state_updates:,}", "-"),
        ("deliveries to mounted apps' listeners", f"{summary.deliveries_expected:,}",
         f"{summary.deliveries_expected - summary.deliveries_received} lost, "
         f"{summary.out_of_order} out of order"),
        ("lifecycle errors", "-", f"{summary.lifecycle_errors}"),
        ("entry fetches (cache)", f"{summary.entry_fetches}", "one per app"),
        ("timers / window globals left after", "-",
         f"{summary.pending_timers_at_end} / {summary.window_globals_at_end}"),
    ]  # fmt: skip
    lines = [
        "| what | how many | lost / wrong |",
        "|---|---:|---|",
        *(f"| {what} | {count} | {lost} |" for what, count, lost in rows),
        "",
        "| after route changes | state updates | seconds | traced memory | RSS |",
        "|---:|---:|---:|---:|---:|",
        *(
            f"| {s.route_changes:,} | {s.state_updates:,} | {s.seconds} | "
            f"{_mb(s.traced_bytes)} | {_mb(s.rss_bytes)} |"
            for s in samples
        ),
        "",
        "Traced memory (tracemalloc, after `gc.collect()`) went from "
        f"{_mb(samples[0].traced_bytes)} at the first sample to "
        f"{_mb(samples[-1].traced_bytes)} at the last "
        f"({growth / 1_000_000:+.2f} MB); peak {_mb(summary.traced_peak_bytes)}. "
        f"Of the growth, {summary.growth_history_bytes / 1_000_000:+.2f} MB is the session "
        f"history ({summary.history_entries:,} entries, "
        f"{summary.growth_history_bytes / max(1, summary.route_changes - first_routes):.0f} B "
        "per route change) "
        f"and {summary.growth_other_bytes / 1_000_000:+.2f} MB everything else. "
        f"Total {summary.seconds} s with tracemalloc on, Python {summary.python}. "
        f"**Lost: {summary.lost}.**",
    ]
    return "\n".join(lines)


def write_doc(markdown: str, path: Path = DOC) -> None:
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    path.write_text(text[:start] + "\n" + markdown + "\n" + text[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--routes", type=int, default=10_000)
    parser.add_argument("--updates", type=int, default=100_000)
    parser.add_argument("--write-doc", action="store_true", help="update docs/reliability.md")
    args = parser.parse_args(argv)
    summary, samples = asyncio.run(soak(args.routes, args.updates))
    for sample in samples:
        print(json.dumps({"kind": "soak-sample", **asdict(sample)}))
    print(json.dumps({"kind": "soak-summary", **asdict(summary), "lost": summary.lost}))
    if args.write_doc:
        write_doc(table(summary, samples))
    return 0 if summary.lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
