"""Entries that misbehave over real loopback HTTP: the app that owns the entry ends in LOAD_ERROR
with an error naming the URL and the cause, other apps keep routing, a retry after recovery
mounts it, and nothing broken is left in the loader's caches."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from reliability_support import (
    SHELL,
    ErrorRecorder,
    entry_page,
    micro_app,
    root_text,
    serve_app,
    within,
)

from orchestrator import AppStatus, EntryLoader, EntryLoadError, Orchestrator
from orchestrator.testing import LoopbackServer, Reply

RETRY_WINDOW = 0.21
LOADER_TIMEOUT = 0.4
LOADER_MAX_BYTES = 1_000_000
PADDED_PAGE = entry_page("bad").replace("<body>", "<body>" + "<p>padding</p>" * 400)


@dataclass(frozen=True)
class Fault:
    reply: Reply
    reason: str  # what the user-facing message must say about the cause


FAULTS: dict[str, Fault] = {
    "404": Fault(Reply(404, body="gone"), "HTTP status 404 Not Found"),
    "500": Fault(Reply(500, body="boom"), "HTTP status 500 Internal Server Error"),
    "503": Fault(Reply(503), "HTTP status 503 Service Unavailable"),
    "hang-before-headers": Fault(Reply(delay=5.0), f"timed out after {LOADER_TIMEOUT:g} s"),
    "trickled-body": Fault(
        Reply(body_size=100_000, chunk_size=64, chunk_delay=0.05),
        f"timed out after {LOADER_TIMEOUT:g} s",
    ),
    "reset-mid-body": Fault(Reply(body=PADDED_PAGE, reset_after=300), "ReadError"),
    "garbage-not-http": Fault(
        Reply(raw=b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), "RemoteProtocolError"
    ),
    "garbage-binary-body": Fault(
        Reply(body=bytes(range(256)) * 8, content_type="application/octet-stream"),
        "not HTML (application/octet-stream)",
    ),
    "garbage-undecodable-html": Fault(
        Reply(body=b"<html><body>\xff\xfe\xfa broken</body></html>"),
        "undecodable as utf-8",
    ),
    "50MB-declared": Fault(Reply(body_size=50_000_000), "body too large"),
    "50MB-undeclared": Fault(Reply(body_size=50_000_000, content_length=False), "body too large"),
}


@pytest.fixture
async def loader() -> AsyncIterator[EntryLoader]:
    async with EntryLoader(timeout=LOADER_TIMEOUT, max_bytes=LOADER_MAX_BYTES) as shared:
        yield shared


@dataclass
class Tab:
    orchestrator: Orchestrator
    errors: ErrorRecorder
    sink: list[Any]


async def open_tab(server: LoopbackServer, loader: EntryLoader) -> Tab:
    """A shell with ``good`` always mounted in #side, and ``bad``/``peer`` routed into #main."""
    sink: list[Any] = []
    orchestrator = Orchestrator(SHELL, loader=loader)
    errors = ErrorRecorder()
    orchestrator.add_error_handler(errors)
    orchestrator.register_micro_apps(
        [
            micro_app(server, "good", sink, container="#side", rule="/"),
            micro_app(server, "bad", sink, container="#main", rule="/bad"),
            micro_app(server, "peer", sink, container="#main", rule="/peer"),
        ]
    )
    assert await within(5, orchestrator.start(prefetch=False, singular=False)) == ["good"]
    return Tab(orchestrator, errors, sink)


@pytest.fixture
def server(loopback_server: Any) -> LoopbackServer:
    running: LoopbackServer = loopback_server()
    serve_app(running, "good")
    serve_app(running, "peer")
    return running


@pytest.mark.parametrize("name", list(FAULTS))
async def test_entry_fault_is_contained_and_recovers(
    name: str, server: LoopbackServer, loader: EntryLoader
) -> None:
    fault = FAULTS[name]
    bad_url = serve_app(server, "bad", fault.reply, Reply(body=entry_page("bad")))
    tab = await open_tab(server, loader)
    tab_o = tab.orchestrator

    # the fault: bad ends in LOAD_ERROR, the user is told which URL failed and why
    assert await within(5, tab_o.navigate("/bad")) == ["good"]
    assert tab_o.get_app_status("bad") is AppStatus.LOAD_ERROR
    [error] = tab.errors.for_app("bad")
    assert error.status == "LOADING_SOURCE_CODE"
    assert str(error).startswith("application 'bad' died in status LOADING_SOURCE_CODE: ")
    assert bad_url in str(error)
    assert fault.reason in str(error)
    cause = error.__cause__
    assert isinstance(cause, EntryLoadError)
    assert cause.url == bad_url
    assert tab_o.document.query_selector("#main > div") is None  # nothing half-rendered

    # the other apps keep working
    assert tab_o.get_app_status("good") is AppStatus.MOUNTED
    assert root_text(tab_o, "#side") == "good mounted"
    assert await within(5, tab_o.navigate("/peer")) == ["good", "peer"]
    assert root_text(tab_o, "#main") == "peer mounted"
    assert tab_o.get_app_status("bad") is AppStatus.LOAD_ERROR
    assert [e.app_name for e in tab.errors.errors] == ["bad"]

    # the entry recovered: after the retry window the next reroute loads and mounts it
    await asyncio.sleep(RETRY_WINDOW)
    assert await within(5, tab_o.navigate("/bad")) == ["good", "bad"]
    assert root_text(tab_o, "#main") == "bad mounted"
    assert server.count("/bad/index.html") == 2  # the failure was not cached

    # what is cached now is the good version: a second tab on the same loader mounts it at once
    second = await open_tab(server, loader)
    assert await within(5, second.orchestrator.navigate("/bad")) == ["good", "bad"]
    assert server.count("/bad/index.html") == 2
    assert second.errors.errors == []
    await second.orchestrator.aclose()
    await tab_o.aclose()


async def test_retry_waits_for_the_retry_window(
    server: LoopbackServer, loader: EntryLoader
) -> None:
    serve_app(server, "bad", Reply(503), Reply(503), Reply(body=entry_page("bad")))
    tab = await open_tab(server, loader)
    orchestrator = tab.orchestrator
    await orchestrator.navigate("/bad")
    await orchestrator.navigate("/")
    assert await orchestrator.navigate("/bad") == ["good"]  # within 200 ms: not fetched again
    assert server.count("/bad/index.html") == 1
    await asyncio.sleep(RETRY_WINDOW)
    assert await orchestrator.navigate("/bad") == ["good"]  # second 503
    assert orchestrator.get_app_status("bad") is AppStatus.LOAD_ERROR
    await asyncio.sleep(RETRY_WINDOW)
    assert await orchestrator.navigate("/bad") == ["good", "bad"]
    assert server.count("/bad/index.html") == 3
    assert [e.app_name for e in tab.errors.errors] == ["bad", "bad"]
    await orchestrator.aclose()


@pytest.mark.parametrize("asset", ["style.css", "main.py"])
async def test_missing_asset_fails_the_load_and_recovers(
    asset: str, server: LoopbackServer, loader: EntryLoader
) -> None:
    page = entry_page("bad").replace(
        '<div id="root"></div>',
        '<div id="root"></div><script type="text/python" src="main.py"></script>',
    )
    serve_app(server, "bad", Reply(body=page))
    server.route("/bad/main.py", Reply(body="window.extra = 1", content_type="text/x-python"))
    healthy = Reply(
        body=stylesheet_or_script(asset),
        content_type="text/css" if asset.endswith(".css") else "text/x-python",
    )
    server.route(f"/bad/{asset}", Reply(404), healthy)
    tab = await open_tab(server, loader)
    orchestrator = tab.orchestrator
    assert await orchestrator.navigate("/bad") == ["good"]
    assert orchestrator.get_app_status("bad") is AppStatus.LOAD_ERROR
    [error] = tab.errors.for_app("bad")
    assert server.url_for(f"/bad/{asset}") in str(error)
    assert "HTTP status 404" in str(error)
    assert orchestrator.document.query_selector("#main > div") is None
    assert await orchestrator.navigate("/peer") == ["good", "peer"]

    await asyncio.sleep(RETRY_WINDOW)
    assert await orchestrator.navigate("/bad") == ["good", "bad"]
    assert root_text(orchestrator, "#main") == "bad mounted"
    assert server.count(f"/bad/{asset}") == 2
    await orchestrator.aclose()


def stylesheet_or_script(asset: str) -> str:
    return ".bad-title { color: red }" if asset.endswith(".css") else "window.extra = 2"


async def test_hanging_asset_times_out_without_blocking_other_apps(
    server: LoopbackServer, loader: EntryLoader
) -> None:
    serve_app(server, "bad")
    server.route("/bad/style.css", Reply(delay=5.0), Reply(body="p{}", content_type="text/css"))
    tab = await open_tab(server, loader)
    orchestrator = tab.orchestrator
    started = asyncio.get_running_loop().time()
    assert await within(5, orchestrator.navigate("/bad")) == ["good"]
    assert asyncio.get_running_loop().time() - started < LOADER_TIMEOUT + 1.0
    assert "timed out" in str(tab.errors.for_app("bad")[0])
    assert await orchestrator.navigate("/peer") == ["good", "peer"]
    await asyncio.sleep(RETRY_WINDOW)
    assert await orchestrator.navigate("/bad") == ["good", "bad"]
    await orchestrator.aclose()


async def test_entry_that_changes_between_fetches_is_used_whole(
    server: LoopbackServer, loader: EntryLoader
) -> None:
    """Two versions of an entry: each load uses one version's template, scripts and styles,
    never a mix; the cached version stays until the app is unloaded and the cache cleared."""
    v1 = entry_page("bad").replace("bad mounted", "v1 mounted").replace("style.css", "v1.css")
    v2 = entry_page("bad").replace("bad mounted", "v2 mounted").replace("style.css", "v2.css")
    serve_app(server, "bad", Reply(body=v1), Reply(body=v2))
    server.route("/bad/v1.css", Reply(body=".v1 { color: red }", content_type="text/css"))
    server.route("/bad/v2.css", Reply(body=".v2 { color: blue }", content_type="text/css"))
    tab = await open_tab(server, loader)
    orchestrator = tab.orchestrator
    assert await orchestrator.navigate("/bad") == ["good", "bad"]
    assert root_text(orchestrator, "#main") == "v1 mounted"
    assert ".v1 {" in orchestrator.document.html and ".v2" not in orchestrator.document.html
    await orchestrator.navigate("/")
    assert await orchestrator.navigate("/bad") == ["good", "bad"]
    assert root_text(orchestrator, "#main") == "v1 mounted"
    assert server.count("/bad/index.html") == 1

    await orchestrator.navigate("/")
    await orchestrator.unload_application("bad")
    loader.clear()
    assert await orchestrator.navigate("/bad") == ["good", "bad"]
    assert root_text(orchestrator, "#main") == "v2 mounted"
    html = orchestrator.document.html
    assert ".v2 {" in html and ".v1" not in html
    assert server.count("/bad/v1.css") == 1 and server.count("/bad/v2.css") == 1
    await orchestrator.aclose()


async def test_redeploy_between_entry_and_asset_recovers_on_retry(
    server: LoopbackServer, loader: EntryLoader
) -> None:
    """The entry is fetched (v1), then the site is redeployed: v1's stylesheet is gone and the
    entry now names v2's. A retry must fetch the entry again, not reuse the stale v1 page
    (found by this suite; fixed in the loader)."""
    v1 = entry_page("bad").replace("style.css", "v1.css")
    v2 = entry_page("bad").replace("style.css", "v2.css")
    serve_app(server, "bad", Reply(body=v1), Reply(body=v2))
    server.route("/bad/v1.css", Reply(404))
    server.route("/bad/v2.css", Reply(body=".v2 { color: blue }", content_type="text/css"))
    tab = await open_tab(server, loader)
    orchestrator = tab.orchestrator
    assert await orchestrator.navigate("/bad") == ["good"]
    assert orchestrator.get_app_status("bad") is AppStatus.LOAD_ERROR
    await asyncio.sleep(RETRY_WINDOW)
    try:
        assert await orchestrator.navigate("/bad") == ["good", "bad"]
        assert server.count("/bad/index.html") == 2
    finally:
        await orchestrator.aclose()


@pytest.mark.parametrize("content_length", [True, False], ids=["declared", "undeclared"])
async def test_50mb_entry_is_refused_without_buffering(
    content_length: bool, loopback_server: Any
) -> None:
    server: LoopbackServer = loopback_server()
    size = 50_000_000
    server.route("/huge.html", Reply(body_size=size, content_length=content_length))
    url = server.url_for("/huge.html")
    gc.collect()
    tracemalloc.start()
    try:
        async with EntryLoader(max_bytes=2_000_000) as limited:
            with pytest.raises(EntryLoadError) as caught:
                await limited.import_entry(url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.url == url
    assert "body too large" in caught.value.reason
    assert "max_bytes 2000000" in caught.value.reason
    assert peak < 8_000_000, f"peak {peak} bytes while refusing a {size}-byte body"


async def test_50mb_entry_with_default_limit_is_refused_from_its_header(
    loopback_server: Any,
) -> None:
    server: LoopbackServer = loopback_server()
    server.route("/huge.html", Reply(body_size=50_000_000))
    tracemalloc.start()
    try:
        async with EntryLoader() as default:
            with pytest.raises(EntryLoadError, match="50000000 bytes > max_bytes 20000000"):
                await default.import_entry(server.url_for("/huge.html"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


async def test_reset_connection_is_described(loopback_server: Any) -> None:
    """Found by this suite: a reset was reported as 'ReadError: ' with no cause."""
    server: LoopbackServer = loopback_server()
    server.route("/reset.html", Reply(body=PADDED_PAGE, reset_after=300))
    async with EntryLoader() as fresh:
        with pytest.raises(EntryLoadError) as caught:
            await fresh.import_entry(server.url_for("/reset.html"))
    assert not caught.value.reason.rstrip().endswith(":"), caught.value.reason


async def test_load_micro_app_failure_is_not_cached(server: LoopbackServer) -> None:
    """A manually loaded app whose entry fails rejects its promises with the entry's error (its
    status stays LOADING_SOURCE_CODE, as single-spa parcels); loading it again fetches again."""
    bad_url = serve_app(server, "bad", Reply(503), Reply(body=entry_page("bad")))
    config = {"name": "bad", "entry": bad_url, "container": "#main", "props": {"sink": []}}
    async with Orchestrator(SHELL) as orchestrator:
        first = await orchestrator.load_micro_app(config)
        for promise in (first.load_promise, first.mount_promise):
            with pytest.raises(EntryLoadError, match="HTTP status 503") as caught:
                await within(5, promise)
            assert caught.value.url == bad_url
        assert first.get_status() is AppStatus.LOADING_SOURCE_CODE
        assert orchestrator.document.query_selector("#main > div") is None
        second = await orchestrator.load_micro_app(config)
        await within(5, second.mount_promise)
        assert second.get_status() is AppStatus.MOUNTED
        assert root_text(orchestrator, "#main") == "bad mounted"
        assert server.count("/bad/index.html") == 2


@pytest.mark.parametrize("fault", ["503", "hang-before-headers"])
async def test_prefetch_of_a_broken_entry_blocks_nothing(
    fault: str, server: LoopbackServer, loader: EntryLoader
) -> None:
    serve_app(server, "bad", FAULTS[fault].reply, Reply(body=entry_page("bad")))
    async with Orchestrator(SHELL, loader=loader) as orchestrator:
        errors = ErrorRecorder()
        orchestrator.add_error_handler(errors)
        orchestrator.register_micro_apps(
            [
                micro_app(server, "good", [], container="#side", rule="/"),
                micro_app(server, "bad", [], container="#main", rule="/bad"),
            ]
        )
        assert await within(2, orchestrator.start(prefetch="all", singular=False)) == ["good"]
        await asyncio.sleep(LOADER_TIMEOUT + 0.1)  # the prefetch has failed by now
        assert await within(5, orchestrator.navigate("/bad")) == ["good", "bad"]
        assert errors.errors == []
        assert server.count("/bad/index.html") == 2  # the failed prefetch was not cached
