"""The headless page: parse a shell, compose apps into it, serialise it (JSON lines on stdout).

Inputs are the anchors' ``app_index.html`` and ``large_page.html`` (regenerated with the anchors'
own generator, or approximated, when absent). Run: ``python bench_dom.py``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import sys
from collections.abc import Callable
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

from _timing import time_box

from orchestrator.dom import Document, set_inner_html

RUNS = max(3, int(os.environ.get("ANCHOR_RUNS", "5")))
RUN_SECONDS = float(os.environ.get("ANCHOR_RUN_SECONDS", "0.4"))
ANCHORS = Path(__file__).resolve().parents[3] / "shared" / "anchors"
INPUTS = ANCHORS / "inputs"
LARGE_PAGE_CHUNKS = 293


def _ops_per_s(fn: Callable[[], object], seconds: float) -> float:
    calls, elapsed = time_box(fn, seconds)
    return calls / elapsed


def _generated_page(chunks: int) -> str | None:
    generator = ANCHORS / "gen_inputs.py"
    if not generator.exists():
        return None
    spec = importlib.util.spec_from_file_location("_anchor_gen_inputs", generator)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    page: str = module.page(chunks)
    return page


def _read(name: str) -> str:
    path = INPUTS / name
    if path.exists():
        return path.read_text(encoding="utf-8")
    chunks = 2 if name == "app_index.html" else LARGE_PAGE_CHUNKS
    generated = _generated_page(chunks)
    if generated is not None:
        return generated
    body = "".join(
        f'<section data-i="{i}"><p class="lead">Row {i} &euro; <a href="/x?a=1&amp;b={i}">x</a></p>'
        "<table><tr><td>1</td><td>2</td></tr></table></section>\n"
        for i in range(chunks * 5)
    )
    return (
        "<!DOCTYPE html><html><head><title>t</title><style>body > .x { color: red }</style>"
        f"</head><body>{body}<script>if (a < b && c > d) {{}}</script></body></html>"
    )


def _emit(
    bench: str, name: str, text: str, fn: Callable[[], object], check: dict[str, Any]
) -> None:
    size = len(text.encode("utf-8"))
    _ops_per_s(fn, 0.2)
    runs = [_ops_per_s(fn, RUN_SECONDS) for _ in range(RUNS)]
    median = statistics.median(runs)
    row = {
        "bench": bench,
        "impl": f"mfe-orchestrator dom.Document (lxml {version('lxml')})",
        "input": name,
        "runs": len(runs),
        "ops_per_s_runs": [float(f"{x:.5g}") for x in runs],
        "ops_per_s": float(f"{median:.5g}"),
        "ms_per_op": float(f"{1000 / median:.5g}"),
        "ops_per_s_best": float(f"{max(runs):.5g}"),
        "bytes": size,
        "mb_per_s": float(f"{size * median / 1e6:.5g}"),
        "check": check,
    }
    sys.stdout.write(json.dumps(row) + "\n")
    sys.stdout.flush()


def main() -> None:
    for name in ("app_index.html", "large_page.html"):
        text = _read(name)
        _emit("dom_parse", name, text, partial(Document, text), {})
        document = Document(text)
        html = document.html
        _emit(
            "dom_serialize",
            name,
            text,
            partial(getattr, document, "html"),
            {"out_bytes": len(html.encode()), "script_kept": "window.__ORDERS_BOOT__" in html},
        )

    template = _read("app_index.html")
    apps = 10

    def compose() -> str:
        page = Document(
            '<!DOCTYPE html><html><head></head><body><main id="c"></main></body></html>'
        )
        container = page.get_element_by_id("c")
        assert container is not None
        for i in range(apps):
            wrapper = page.create_element(
                "div", {"id": f"__qiankun_microapp_wrapper_for_app_{i}__"}
            )
            set_inner_html(wrapper, template)
            container.append(wrapper)
        return page.html

    composed = compose()
    _emit(
        "dom_compose",
        f"app_index.html x{apps}",
        template,
        compose,
        {
            "apps": apps,
            "out_bytes": len(composed.encode()),
            "wrappers": composed.count("wrapper_for"),
        },
    )


if __name__ == "__main__":
    main()
