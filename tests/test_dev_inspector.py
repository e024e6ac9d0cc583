"""``mfe dev``'s parts without servers: where the reload client goes in a page, what it is told,
the inspector's records, and which app a changed file belongs to."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from orchestrator.config import AppConfig
from orchestrator.dev import AppWatcher, Inspector, InspectorStatus
from orchestrator.dev._assets import INSPECTOR_CHANNEL, inspector_page, reload_script
from orchestrator.dev._dev_app import inject
from orchestrator.dev._inspector import FailureLogHandler, current_trace
from orchestrator.status import AppStatus

TAG = b"<script>x</script>"


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (b"<html><head><title>t</title></head><body></body></html>", b"<title>t</title>" + TAG),
        (b"<html><HEAD></HEAD ><body>", b"<HEAD>" + TAG + b"</HEAD >"),
        (b"<body class='x'><p>hi</p>", b"<body class='x'>" + TAG + b"<p>hi</p>"),
        (b"<p>a fragment</p>", b"<p>a fragment</p>" + TAG),
    ],
)
def test_the_client_goes_before_head_end_else_after_body(page: bytes, expected: bytes) -> None:
    injected = inject(page, TAG)
    assert expected in injected
    assert injected.count(TAG) == 1
    assert len(injected) == len(page) + len(TAG)


def test_the_client_config_cannot_close_its_script_element() -> None:
    script = reload_script("ws://127.0.0.1:16322/", ["</script><b>", "catalog"])
    assert script.count("</script>") == 1 and script.endswith("</script>")
    config = script[script.rindex("})(") + 3 : -len(");</script>")]
    assert json.loads(config) == {
        "broker": "ws://127.0.0.1:16322/",
        "apps": ["</script><b>", "catalog"],
    }


def test_the_inspector_page_listens_on_its_own_channel() -> None:
    page = inspector_page("ws://127.0.0.1:1/")
    assert json.dumps(INSPECTOR_CHANNEL) in page
    assert "inspector.json" in page and "onReload" in page


def _apps(*names: str) -> list[AppConfig]:
    return [
        AppConfig(name, f"#{name}", ("/",), entry=f"http://127.0.0.1:{9000 + i}/")
        for i, name in enumerate(names)
    ]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_request_trace_spans_each_apps_loading_and_ends_in_the_app_table() -> None:
    clock = Clock()
    changes: list[int] = []
    inspector = Inspector(
        _apps("header", "catalog", "clock"),
        clock=clock,
        wall=lambda: 1_700_000_000.0,
        on_change=lambda: changes.append(1),
    )
    token = inspector.begin("/catalog", ["header", "catalog"])
    trace = current_trace()
    assert trace is not None and trace.path == "/catalog"
    clock.now = 100.010
    inspector.loading(trace, "catalog", 100.002)  # the entry: 2 ms → 10 ms
    clock.now = 100.030
    inspector.loading(trace, "catalog", 100.020)  # its script: the span grows to 30 ms
    inspector.loading(trace, "nope", 100.0)  # not active here: ignored
    inspector.first_byte(trace, 200, "rid1")
    clock.now = 100.050
    inspector.finish(trace, token, 200)
    assert current_trace() is None
    assert changes == [1]
    snap = inspector.snapshot()
    request = snap["requests"][0]
    assert (request["path"], request["status"], request["request_id"]) == ("/catalog", 200, "rid1")
    assert request["total_ms"] == pytest.approx(50.0)
    spans = {s["name"]: s for s in request["apps"]}
    assert spans["catalog"]["start_ms"] == pytest.approx(2.0)
    assert spans["catalog"]["load_ms"] == pytest.approx(28.0)
    assert spans["header"]["load_ms"] is None
    apps = {a["name"]: a for a in snap["apps"]}
    assert apps["catalog"]["status"] == InspectorStatus.READY
    assert apps["catalog"]["last_load_ms"] == pytest.approx(28.0)
    assert apps["clock"]["status"] == InspectorStatus.IDLE
    inspector.app_changed("catalog")
    assert inspector.snapshot()["apps"][1]["changes"] == 1
    assert changes == [1, 1]


def test_mounting_to_mounted_is_the_apps_mount_time() -> None:
    clock = Clock()
    inspector = Inspector(_apps("catalog", "clock"), clock=clock, wall=lambda: 5.0)
    token = inspector.begin("/catalog", ["catalog"])
    trace = current_trace()
    assert trace is not None
    clock.now = 100.004
    inspector.status_changed(trace, "catalog", AppStatus.MOUNTING)
    clock.now = 100.010
    inspector.status_changed(trace, "catalog", AppStatus.MOUNTED)
    inspector.status_changed(trace, "clock", AppStatus.MOUNTING)  # not on this page
    inspector.finish(trace, token, 200)
    snap = inspector.snapshot()
    (span,) = snap["requests"][0]["apps"]
    assert span["mount_start_ms"] == pytest.approx(4.0)
    assert span["mount_ms"] == pytest.approx(6.0)
    apps = {a["name"]: a for a in snap["apps"]}
    assert apps["catalog"]["last_mount_ms"] == pytest.approx(6.0)
    assert apps["catalog"]["last_mounted_at"] == 5.0
    assert apps["clock"]["last_mount_ms"] is None
    assert apps["catalog"]["version"] is None and apps["catalog"]["health"] == ""  # no loader


def test_a_mounted_without_mounting_leaves_no_mount_time() -> None:
    inspector = Inspector(_apps("a"))
    token = inspector.begin("/", ["a"])
    trace = current_trace()
    assert trace is not None
    inspector.status_changed(trace, "a", AppStatus.MOUNTED)
    inspector.finish(trace, token, 200)
    assert inspector.snapshot()["requests"][0]["apps"][0]["mount_ms"] is None


def test_only_the_last_requests_are_kept_newest_first() -> None:
    inspector = Inspector(_apps("a"), keep=3)
    for number in range(5):
        token = inspector.begin(f"/{number}", ["a"])
        trace = current_trace()
        assert trace is not None
        inspector.finish(trace, token, 200)
    assert [r["path"] for r in inspector.snapshot()["requests"]] == ["/4", "/3", "/2"]


def test_a_failed_slot_record_marks_the_app_fallen_back_in_its_own_request_only() -> None:
    inspector = Inspector(_apps("catalog", "clock"))
    handler = FailureLogHandler(inspector)
    log = logging.getLogger("test.dev.asgi")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.error("app %s at %s failed (request %s): %s", "catalog", "http://x/", "r", "boom")
        token = inspector.begin("/", ["catalog", "clock"])
        trace = current_trace()
        assert trace is not None
        log.warning(
            "app %s at %s timed out after %.3g s (status %s, request %s)",
            "catalog",
            "http://x/",
            1.0,
            "LOADING",
            "r",
        )
        log.error("starting the page for %s failed (request %s): %r", "catalog", "r", "x")
        log.error("app %s at %s failed", "unknown", "http://y/")
        inspector.finish(trace, token, 200)
    finally:
        log.removeHandler(handler)
    spans = {s["name"]: s for s in inspector.snapshot()["requests"][0]["apps"]}
    assert spans["catalog"]["fell_back"] and spans["catalog"]["status"] == "timed out"
    assert "timed out after 1 s" in spans["catalog"]["error"]
    assert not spans["clock"]["fell_back"] and spans["clock"]["status"] == "ready"


async def test_a_changed_path_belongs_to_the_deepest_app_folder(tmp_path: Path) -> None:
    (tmp_path / "shop" / "cart").mkdir(parents=True)

    async def ignore(name: str, paths: tuple[Path, ...]) -> None:
        pass

    watcher = AppWatcher({"shop": tmp_path / "shop", "cart": tmp_path / "shop" / "cart"}, ignore)
    assert watcher.app_of(tmp_path / "shop" / "index.html") == "shop"
    assert watcher.app_of(tmp_path / "shop" / "cart" / "main.py") == "cart"
    assert watcher.app_of(tmp_path / "elsewhere.py") is None
