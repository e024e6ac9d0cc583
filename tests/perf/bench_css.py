"""Scoped-CSS throughput, next to postcss-prefix-selector and lightningcss on the same files.

Run: ``python tests/perf/bench_css.py`` (prints JSON lines in the anchors schema), or through
``EXTRA_DIR=tests/perf bash /work/shared/anchors/run_all.sh`` to get the JS rows in the same table.

Rows (``bench: css_prefix``; ``input`` is bootstrap.css or bootstrap_x10.css, prefix
``div[data-qiankun="app"]`` as the JS rows):
  scope_css                 the whole job: every style rule scoped, the rest copied
  scope_css + base_url      the same, and every relative url() made absolute
  ScopedCSSCache hit        the same stylesheet scoped again for the same app
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from _timing import RUN_SECONDS, emit, measure

from css_scoper import ScopedCSSCache, scope_css

PREFIX = 'div[data-qiankun="app"]'
BASE_URL = "https://cdn.example.com/npm/bootstrap@5.3.9/dist/css/bootstrap.css"
BOOTSTRAP = "5.3.9"
KIT = Path(__file__).resolve().parents[3] / "shared" / "anchors"


def bench(fn: Callable[[], object], nbytes: int, *, big: bool) -> dict[str, Any]:
    """Warm-up, then time-boxed runs; the big input gets three 1 s runs and no warm-up."""
    if big:
        return measure(fn, nbytes=nbytes, runs=3, run_seconds=1.0, warmup_seconds=0.0)
    return measure(fn, nbytes=nbytes, run_seconds=max(RUN_SECONDS, 0.5))


def _from_npm() -> str | None:
    """bootstrap.css from the npm package, installed in this benchmark's own temporary folder."""
    folder = Path(tempfile.gettempdir()) / "mfe-bench-css"
    css = folder / "node_modules" / "bootstrap" / "dist" / "css" / "bootstrap.css"
    if not css.is_file() and shutil.which("npm"):
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--ignore-scripts",
                "--prefix",
                str(folder),
                f"bootstrap@{BOOTSTRAP}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=sys.stderr,
            check=False,
            timeout=300,
        )
    return css.read_text("utf-8") if css.is_file() else None


def _generated() -> str:
    """A bootstrap-shaped stylesheet (~280 KB) for machines with neither the kit nor npm."""
    parts = [
        ":root,\n[data-bs-theme=light] {\n  --bs-blue: #0d6efd;\n  --bs-body-font-size: 1rem;\n}\n",
        "*,\n*::before,\n*::after {\n  box-sizing: border-box;\n}\n",
        "body {\n  margin: 0;\n  font-family: var(--bs-body-font-family);\n}\n",
    ]
    i = 0
    while sum(map(len, parts)) < 280_000:
        parts.append(
            f".btn-{i}:hover,\n.btn-check:checked + .btn-{i},\n"
            f".card-body > .x-{i}:not(:last-child) {{\n"
            f"  color: var(--bs-btn-hover-color, rgba(13, 110, 253, 0.{i % 10}));\n"
            f'  background-image: url("data:image/svg+xml,%3csvg xmlns=%27http://www.w3.org/2000/svg%27/%3e");\n'
            f"  transition: color .15s ease-in-out, background-color .15s ease-in-out;\n}}\n"
            f"@media (min-width: {576 + i}px) {{\n  .col-sm-{i} {{\n    flex: 0 0 auto;\n"
            f"    width: {i % 100}%;\n  }}\n}}\n"
        )
        i += 1
    return "".join(parts)


def load_inputs() -> dict[str, tuple[str, str]]:
    """``{name: (text, origin)}``: the kit's files, else npm's bootstrap, else a generated sheet."""
    found: dict[str, tuple[str, str]] = {}
    for folder in (KIT / "inputs", Path.cwd() / "inputs"):
        for name in ("bootstrap.css", "bootstrap_x10.css"):
            path = folder / name
            if name not in found and path.is_file():
                found[name] = (path.read_text("utf-8"), "anchors kit")
    if "bootstrap.css" not in found:
        text = _from_npm()
        found["bootstrap.css"] = (
            (text, f"npm bootstrap@{BOOTSTRAP}") if text else (_generated(), "generated")
        )
    if "bootstrap_x10.css" not in found:
        text, origin = found["bootstrap.css"]
        found["bootstrap_x10.css"] = (text * 10, origin + " x10")
    return found


def main() -> None:
    impl = f"mfe css_scoper (python {platform.python_version()})"
    cache = ScopedCSSCache(maxsize=4)
    for name, (css, origin) in load_inputs().items():
        nbytes = len(css.encode())
        big = nbytes > 1_000_000
        out = scope_css(css, PREFIX)
        check = {
            "origin": origin,
            "out_bytes": len(out.encode()),
            "prefixed_selectors": out.count(PREFIX),
        }
        emit(
            {
                "bench": "css_prefix",
                "impl": f"{impl} scope_css",
                "input": name,
                **bench(partial(scope_css, css, PREFIX), nbytes, big=big),
                "check": check,
            }
        )
        based = scope_css(css, PREFIX, base_url=BASE_URL)
        emit(
            {
                "bench": "css_prefix",
                "impl": f"{impl} scope_css + base_url",
                "input": name,
                **bench(partial(scope_css, css, PREFIX, base_url=BASE_URL), nbytes, big=big),
                "check": {"out_bytes": len(based.encode())},
            }
        )
        cache.scope(css, PREFIX)
        emit(
            {
                "bench": "css_prefix",
                "impl": f"{impl} ScopedCSSCache hit",
                "input": name,
                **bench(partial(cache.scope, css, PREFIX), nbytes, big=big),
                "check": {
                    "hits_are_identical": cache.scope(css, PREFIX) is cache.scope(css, PREFIX)
                },
            }
        )


if __name__ == "__main__":
    main()
