"""Live deployments over real HTTP on 127.0.0.1: apps served by ``AppServer`` change while a
composer runs, and the loader revalidates, long-polls, re-resolves and hot-updates."""

from __future__ import annotations

import asyncio
import itertools
import logging
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchestrator import Orchestrator
from orchestrator.asgi import ComposeApp
from orchestrator.config import AppConfig, ComposeConfig
from orchestrator.html_entry import EntryLoader
from orchestrator.html_entry.live import Health, LiveOptions
from orchestrator.publish import AppServer
from orchestrator.serve import LoopbackASGIServer

SHELL = '<!DOCTYPE html><html><head></head><body><main id="main"></main></body></html>'


def app_page(version: str, *, interval: bool = False) -> str:
    """A catalog entry whose template, stylesheet and Python all name ``version``."""
    ticking = (
        """
            def tick():
                props["ticks"].append(VERSION)
                if VERSION == "v2" and props["ticks"].count("v2") >= 5:
                    props["v2_ticking"].set()

            window.set_interval(tick, 2)
        """
        if interval
        else ""
    )
    script = textwrap.dedent(
        f"""
        VERSION = "{version}"

        def bootstrap(props):
            pass

        def mount(props):
            props["container"].cssselect("#root")[0].text = "catalog " + VERSION
            seen = props.get("seen_state")
            if seen is not None:
                props["on_global_state_change"](
                    lambda state, prev: seen.append((VERSION, state["user"])),
                    True,
                )
{textwrap.indent(textwrap.dedent(ticking), " " * 12)}
        def unmount(props):
            pass
        """
    )
    return (
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="style.css"></head>'
        f'<body><div id="root" data-version="{version}"></div>'
        f'<script type="text/python" entry>{script}</script></body></html>'
    )


def deploy(directory: Path, version: str, *, interval: bool = False) -> None:
    (directory / "index.html").write_text(app_page(version, interval=interval))
    (directory / "style.css").write_text(f".{version} {{ color: red }}\n")


class Recorder:
    """ASGI middleware that records each request's path and status (and can be told to fail)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen: list[tuple[str, int]] = []
        self.fail_manifest = False
        self.arrived: asyncio.Event = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if self.fail_manifest and path == "/manifest.json":
            self.seen.append((path, 500))
            self.arrived.set()
            await send({"type": "http.response.start", "status": 500, "headers": []})
            await send({"type": "http.response.body", "body": b"down"})
            return

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.seen.append((path, message["status"]))
                self.arrived.set()
            await send(message)

        await self.app(scope, receive, record)

    def statuses(self, path: str) -> list[int]:
        return [status for seen, status in self.seen if seen == path]


Served = tuple[AppServer, Recorder, str]


@pytest.fixture
async def catalog(tmp_path: Path) -> AsyncIterator[Served]:
    deploy(tmp_path, "v1", interval=True)
    app = AppServer(tmp_path, name="catalog", hold=5.0)
    recorder = Recorder(app)
    async with LoopbackASGIServer(recorder, lifespan="off") as server:
        yield app, recorder, server.url + "index.html"
        await app.aclose()


FAST = LiveOptions(
    poll_interval=0.0,
    first_timeout=2.0,
    long_poll=5.0,
    backoff_base=0.02,
    backoff_cap=0.16,
    resolve_threshold=0.05,
    resolve_max=0.3,
)


def signal_event(loader: EntryLoader, signal: str, when: Callable[..., bool]) -> asyncio.Event:
    """An event set when ``loader`` sends ``signal`` with arguments that satisfy ``when``."""
    event = asyncio.Event()

    def receiver(sender: Any, **kwargs: Any) -> None:
        if when(**kwargs):
            event.set()

    loader.events.signal(signal).connect(receiver, weak=False)
    return event


async def test_unchanged_entry_costs_a_304_and_no_reparse(catalog: Served) -> None:
    _, recorder, url = catalog
    async with EntryLoader() as loader:
        first = await loader.import_entry(url)
        assert (await first.get_external_style_sheets())[0].startswith(".v1")
        again = await loader.import_entry(url)  # no-cache: asked again, answered 304
        assert again is first  # the same parse: a hash of the body, not a re-parse
        assert recorder.statuses("/index.html") == [200, 304]
        assert loader.pages.revalidations == 1
        assert loader.entry_version(url) is not None
        assert loader.entry_version(url).startswith("1:")  # type: ignore[union-attr]


async def _answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    """One whole ASGI response (for the hand-written app servers below)."""
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def test_a_304_sends_the_validators_and_updates_the_stored_headers() -> None:
    # RFC 9111 4.3.4: the 304's headers (a new max-age, a new x-mfe-version) replace the stored
    # ones, and the page is the same parse; Last-Modified alone is sent back as If-Modified-Since
    asked: list[dict[str, str]] = []
    answers = {"validator": ("etag", '"v1"'), "max_age": 0, "version": "1"}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        asked.append(headers)
        name, value = answers["validator"]  # type: ignore[misc]
        sent = headers.get("if-none-match" if name == "etag" else "if-modified-since")
        common = [
            (name.encode(), value.encode()),
            (b"cache-control", f"max-age={answers['max_age']}".encode()),
            (b"x-mfe-version", str(answers["version"]).encode()),
        ]
        if sent == value:
            await _answer(send, 304, common, b"")
            return
        body = b"<html><body><p>page</p></body></html>"
        await _answer(send, 200, [(b"content-type", b"text/html"), *common], body)

    async with LoopbackASGIServer(app, lifespan="off") as server, EntryLoader() as loader:
        url = server.url + "index.html"
        first = await loader.import_entry(url)
        assert "if-none-match" not in asked[-1]
        assert await loader.import_entry(url) is first  # stale at once: asked, answered 304
        assert asked[-1]["if-none-match"] == '"v1"' and asked[-1]["cache-control"] == "no-cache"
        answers["max_age"] = 60
        assert await loader.import_entry(url) is first  # a 304 that makes it fresh for 60 s
        count = len(asked)
        assert await loader.import_entry(url) is first
        assert len(asked) == count  # fresh now: not asked at all
        assert loader.pages.peek(url).headers["cache-control"] == "max-age=60"  # type: ignore[union-attr]

    answers.update(validator=("last-modified", "Wed, 02 Dec 2026 10:00:00 GMT"), max_age=0)
    async with LoopbackASGIServer(app, lifespan="off") as server, EntryLoader() as loader:
        url = server.url + "index.html"
        first = await loader.import_entry(url)
        assert await loader.import_entry(url) is first
        assert asked[-1]["if-modified-since"] == "Wed, 02 Dec 2026 10:00:00 GMT"
        assert "if-none-match" not in asked[-1]


async def test_a_304_from_where_a_redirect_now_ends_is_asked_again_in_full(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # our validators are for the page we kept; a 304 for another URL cannot be about our copy
    moved = {"to": None}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        if scope["path"] == "/index.html" and moved["to"]:
            await _answer(send, 302, [(b"location", str(moved["to"]).encode())], b"")
            return
        common = [(b"etag", b'"same"'), (b"cache-control", b"no-cache")]
        if headers.get("if-none-match") == '"same"':  # a careless server: 304 to any match
            await _answer(send, 304, common, b"")
            return
        body = f"<html><body><p>{scope['path']}</p></body></html>".encode()
        await _answer(send, 200, [(b"content-type", b"text/html"), *common], body)

    async with LoopbackASGIServer(app, lifespan="off") as server, EntryLoader() as loader:
        url = server.url + "index.html"
        first = await loader.import_entry(url)
        assert "<p>/index.html</p>" in first.template
        moved["to"] = server.url + "v2/index.html"
        with caplog.at_level(logging.WARNING, logger="orchestrator.html_entry"):
            moved_page = await loader.import_entry(url)
        assert "<p>/v2/index.html</p>" in moved_page.template  # the new page, not our old copy
        assert "a 304 for a copy we do not have" in caplog.text


async def test_fresh_entry_is_not_asked_again_and_expiry_sees_the_deploy(tmp_path: Path) -> None:
    deploy(tmp_path, "v1")
    app = AppServer(tmp_path, name="catalog", max_age=1)
    recorder = Recorder(app)
    async with LoopbackASGIServer(recorder, lifespan="off") as server, EntryLoader() as loader:
        url = server.url + "index.html"
        first = await loader.import_entry(url)
        deploy(tmp_path, "v2")
        assert await loader.import_entry(url) is first  # within max-age: no request at all
        assert recorder.statuses("/index.html") == [200]
        record = loader.pages.peek(url)
        assert record is not None
        assert record.fresh_until - time.monotonic() <= 1.0
        await asyncio.sleep(max(record.fresh_until - time.monotonic(), 0) + 0.01)  # max-age=1
        assert loader.pages.fresh(url) is None
        second = await loader.import_entry(url)  # one request after expiry sees v2
        assert second is not first
        assert 'data-version="v2"' in second.template
        assert recorder.statuses("/index.html") == [200, 200]


async def test_long_poll_sees_a_redeploy_and_the_session_remounts_it(
    catalog: Served, tmp_path: Path
) -> None:
    app, recorder, url = catalog
    ticks: list[str] = []
    seen_state: list[tuple[str, str]] = []
    v2_ticking = asyncio.Event()
    async with EntryLoader(live=FAST) as loader:
        orchestrator = Orchestrator(SHELL, url="http://shell.test/catalog", loader=loader)
        state = orchestrator.init_global_state({"user": "ann"})
        orchestrator.register_micro_apps(
            [
                {
                    "name": "catalog",
                    "entry": url,
                    "container": "#main",
                    "active_rule": "/catalog",
                    "props": {"ticks": ticks, "v2_ticking": v2_ticking, "seen_state": seen_state},
                }
            ]
        )
        await orchestrator.start()
        assert "catalog v1" in orchestrator.document.html
        old_version = loader.entry_version(url)
        assert loader.users(url, old_version) == 1
        known = signal_event(loader, "manifest", lambda url, manifest: True)
        loader.watch()  # every entry announcing x-mfe-manifest: 1
        assert loader.watching(url)
        async with asyncio.timeout(2):
            await known.wait()  # the first download: what is known now
        updated = signal_event(loader, "entry-updated", lambda url, old, new: old != new)
        state.set_global_state({"user": "bob"})
        deploy(tmp_path, "v2", interval=True)
        app.bump()
        async with asyncio.timeout(2):  # within 2 s of the change, by the long-poll
            await updated.wait()
        assert "catalog v1" in orchestrator.document.html  # nothing changes under a session
        await orchestrator.navigate("/catalog?next")  # ... until its next navigation
        assert "catalog v2" in orchestrator.document.html
        assert ".v2" in orchestrator.document.html and ".v1" not in orchestrator.document.html
        assert seen_state[-1] == ("v2", "bob")  # global state kept across the remount
        assert loader.users(url, old_version) == 0  # the old version's last user is done
        assert loader.users(url, loader.entry_version(url)) == 1
        v1_ticks = ticks.count("v1")
        async with asyncio.timeout(2):
            await v2_ticking.wait()  # v2's interval ticked five times; v1's never again
        assert ticks.count("v1") == v1_ticks
        await orchestrator.aclose()
    assert recorder.statuses("/manifest.json")  # it was polled over HTTP


async def test_requests_across_a_swap_see_one_version_each(catalog: Served, tmp_path: Path) -> None:
    app, _, url = catalog
    async with EntryLoader(live=FAST) as loader:
        loader.watch(url)

        async def compose(index: int) -> str:
            orchestrator = Orchestrator(SHELL, url="http://shell.test/catalog", loader=loader)
            orchestrator.register_micro_apps(
                [
                    {
                        "name": "catalog",
                        "entry": url,
                        "container": "#main",
                        "active_rule": "/catalog",
                        "props": {"ticks": [], "v2_ticking": asyncio.Event()},
                    }
                ]
            )
            try:
                await orchestrator.start()
                return str(orchestrator.document.html)
            finally:
                await orchestrator.aclose()

        assert "catalog v1" in await compose(-1)
        updated = signal_event(loader, "entry-updated", lambda url, old, new: True)
        pages: list[str] = []
        for batch in range(20):
            if batch == 10:
                deploy(tmp_path, "v2", interval=True)
                app.bump()
            pages += await asyncio.gather(*(compose(batch * 10 + i) for i in range(10)))
        async with asyncio.timeout(2):
            await updated.wait()
        pages.append(await compose(200))
    assert len(pages) == 201
    for html in pages:
        version = "v2" if "catalog v2" in html else "v1"
        other = "v1" if version == "v2" else "v2"
        assert f"catalog {version}" in html
        assert f'data-version="{version}"' in html and f".{version} " in html
        assert f"catalog {other}" not in html and f".{other} " not in html
    assert "catalog v2" in pages[-1]


async def test_manifest_errors_back_off_exponentially_and_mark_the_app_unstable(
    catalog: Served,
) -> None:
    _, recorder, url = catalog
    recorder.fail_manifest = True
    async with EntryLoader(live=FAST) as loader:
        await loader.import_entry(url)
        settled = signal_event(loader, "health-change", lambda url, old, new: new == "stable")
        async with asyncio.timeout(2):
            await settled.wait()
        unhealthy = signal_event(loader, "health-change", lambda url, old, new: new == "unhealthy")
        loader.watch(url)
        loop = asyncio.get_running_loop()
        times: list[float] = []
        async with asyncio.timeout(5):
            while len(times) < 7:
                recorder.arrived.clear()
                await recorder.arrived.wait()
                if recorder.seen[-1] == ("/manifest.json", 500):
                    times.append(loop.time())
        assert loader.health(url) in (Health.UNSTABLE, Health.UNHEALTHY)
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        for failures, gap in enumerate(gaps, start=1):
            assert gap >= FAST.backoff(failures) * 0.9  # 0.02, 0.04, 0.08, then capped at 0.16
        assert FAST.backoff(6) == FAST.backoff_cap
        async with asyncio.timeout(2):
            await unhealthy.wait()  # unstable for resolve_max: unhealthy
        served = await loader.import_entry(url)  # the running version keeps serving
        assert 'data-version="v1"' in served.template


async def test_the_first_manifest_download_times_out(tmp_path: Path) -> None:
    deploy(tmp_path, "v1")
    release = asyncio.Event()
    polls: list[float] = []
    second_poll = asyncio.Event()

    async def stalled(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/manifest.json":
            polls.append(asyncio.get_running_loop().time())
            if len(polls) >= 2:
                second_poll.set()
            await release.wait()  # never answers the poll
            return
        await AppServer(tmp_path, name="catalog")(scope, receive, send)

    options = LiveOptions(first_timeout=0.2, backoff_base=0.05, backoff_cap=0.05)
    async with LoopbackASGIServer(stalled, lifespan="off") as server:
        async with EntryLoader(live=options) as loader:
            url = server.url + "index.html"
            await loader.import_entry(url)
            loader.watch(url, name="catalog")
            async with asyncio.timeout(3):
                await second_poll.wait()
            assert polls[1] - polls[0] >= 0.2  # the first gave up after its timeout
            assert loader.health(url) is Health.UNSTABLE
        release.set()


async def test_x_mfe_version_re_resolves_at_most_four_times(tmp_path: Path) -> None:
    deploy(tmp_path, "v1")
    files = AppServer(tmp_path, name="catalog")
    requests = 0

    async def flapping(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal requests
        if scope["type"] != "http":
            return
        if scope["path"] == "/index.html":
            requests += 1

            async def versioned(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = [(k, v) for k, v in message["headers"] if k != b"x-mfe-version"]
                    headers.append((b"x-mfe-version", str(requests).encode()))
                    message = {**message, "headers": headers}
                await send(message)

            await files(scope, receive, versioned)
            return
        await files(scope, receive, send)

    server = LoopbackASGIServer(flapping, lifespan="off")
    async with server, EntryLoader(live=FAST) as loader:
        url = server.url + "index.html"
        first = await loader.import_entry(url)
        assert requests == 1
        again = await loader.import_entry(url)  # each answer names another version
        assert requests == 2 + 4  # the request, then at most retries=4 re-resolves
        assert again is first  # the last good version is served
        assert loader.health(url) is Health.UNSTABLE


async def test_an_update_that_fails_to_load_keeps_the_old_version(
    catalog: Served, tmp_path: Path
) -> None:
    _, _, url = catalog
    async with EntryLoader(live=FAST) as loader:
        first = await loader.import_entry(url)
        two = '<script type="text/python" entry>pass</script>'
        broken = f"<html><body>v2{two}{two}</body></html>"  # two entry scripts: malformed
        (tmp_path / "index.html").write_text(broken)  # a deploy that cannot be loaded
        served = await loader.import_entry(url)
        assert served is first
        assert loader.health(url) is Health.UNSTABLE
        deploy(tmp_path, "v2")
        fixed = await loader.import_entry(url)
        assert 'data-version="v2"' in fixed.template


async def test_health_goes_from_instantiated_to_stable(catalog: Served) -> None:
    _, _, url = catalog
    async with EntryLoader(live=FAST) as loader:
        states: list[str] = []
        stable = signal_event(loader, "health-change", lambda url, old, new: new == "stable")
        loader.events.signal("health-change").connect(
            lambda sender, url, old, new: states.append(str(new)), weak=False
        )
        assert loader.health(url) is Health.INSTANTIATED
        await loader.import_entry(url)
        assert loader.health(url) is Health.UNSTABLE  # a fresh version: unstable for a while
        async with asyncio.timeout(2):
            await stable.wait()
        assert states == ["initializing", "unstable", "stable"]


async def test_a_composer_session_shows_the_redeployed_app_on_its_next_request(
    tmp_path: Path,
) -> None:
    """``ComposeApp`` with sessions: the same visitor sees v1, then v2 after the deploy."""
    (tmp_path / "index.html").write_text('<p id="ver">catalog v1</p>')
    app = AppServer(tmp_path, name="catalog", hold=5.0)
    async with (
        LoopbackASGIServer(app, lifespan="off") as catalog_server,
        EntryLoader(live=FAST) as loader,
    ):
        config = ComposeConfig(
            shell_html="<html><body><div id='catalog'></div></body></html>",
            apps=(
                AppConfig(
                    name="catalog",
                    container="#catalog",
                    active_rule=("/catalog",),
                    entry=catalog_server.url + "index.html",
                ),
            ),
            options={"prefetch": False},
            shell_routes=("/",),
        )
        composer = ComposeApp(config, loader=loader, secret_key="k")
        async with (
            LoopbackASGIServer(composer, lifespan="on") as shell,
            httpx.AsyncClient(base_url=shell.url) as visitor,
        ):
            first = await visitor.get("/catalog")
            assert "catalog v1" in first.text
            known = signal_event(loader, "manifest", lambda url, manifest: True)
            loader.watch()
            async with asyncio.timeout(2):
                await known.wait()
            updated = signal_event(loader, "entry-updated", lambda url, old, new: True)
            (tmp_path / "index.html").write_text('<p id="ver">catalog v2</p>')
            app.bump()
            async with asyncio.timeout(2):
                await updated.wait()
            second = await visitor.get("/catalog")
            assert "catalog v2" in second.text and "catalog v1" not in second.text
            # sessions are lazy (an anonymous view keeps none): every request builds its tab
            # from the shared loader, which now hands out v2
        await app.aclose()


async def test_a_session_keeps_its_app_when_the_redeploy_does_not_load(
    catalog: Served, tmp_path: Path
) -> None:
    app, _, url = catalog
    async with EntryLoader(live=FAST) as loader:
        orchestrator = Orchestrator(SHELL, url="http://shell.test/catalog", loader=loader)
        orchestrator.register_micro_apps(
            [
                {
                    "name": "catalog",
                    "entry": url,
                    "container": "#main",
                    "active_rule": "/catalog",
                    "props": {"ticks": [], "v2_ticking": asyncio.Event()},
                }
            ]
        )
        await orchestrator.start()
        version = loader.entry_version(url)
        known = signal_event(loader, "manifest", lambda url, manifest: True)
        loader.watch(url)
        async with asyncio.timeout(2):
            await known.wait()
        updated = signal_event(loader, "entry-updated", lambda url, old, new: True)
        two = '<script type="text/python" entry>pass</script>'
        (tmp_path / "index.html").write_text(f"<html><body>broken{two}{two}</body></html>")
        app.bump()
        async with asyncio.timeout(2):
            await updated.wait()  # a new page arrived ...
        await orchestrator.navigate("/catalog?next")  # ... but it does not load
        assert "catalog v1" in orchestrator.document.html
        assert loader.entry_version(url) == version
        assert loader.health(url) is Health.UNSTABLE
        await orchestrator.aclose()


async def test_an_asset_of_another_version_marks_its_entry_stale(tmp_path: Path) -> None:
    deploy(tmp_path, "v1")
    app = AppServer(tmp_path, name="catalog", max_age=3600)
    recorder = Recorder(app)
    async with LoopbackASGIServer(recorder, lifespan="off") as server, EntryLoader() as loader:
        url = server.url + "index.html"
        imported = await loader.import_entry(url)
        app.bump()  # every response now says another x-mfe-version
        await imported.get_external_style_sheets()  # first fetch of the stylesheet
        record = loader.pages.peek(url)
        assert record is not None and record.stale  # Podium's podlet-version rule
        await loader.import_entry(url)  # fresh by max-age, yet asked again
        assert len(recorder.statuses("/index.html")) >= 2
        assert not loader.pages.peek(url).stale  # type: ignore[union-attr]


async def test_a_composer_with_its_own_loader_long_polls_what_mfe_serve_serves(
    tmp_path: Path,
) -> None:
    """``mfe serve`` makes its loader itself: it watches manifests, so a redeploy shows within
    2 s though the page is fresh for a minute; ``watch=False`` waits for the minute."""
    (tmp_path / "index.html").write_text('<p id="ver">catalog v1</p>')
    app = AppServer(tmp_path, name="catalog", max_age=60, hold=5.0)
    recorder = Recorder(app)
    async with LoopbackASGIServer(recorder, lifespan="off") as catalog_server:
        config = ComposeConfig(
            shell_html="<html><body><div id='catalog'></div></body></html>",
            apps=(
                AppConfig(
                    name="catalog",
                    container="#catalog",
                    active_rule=("/catalog",),
                    entry=catalog_server.url + "index.html",
                ),
            ),
            options={"prefetch": False},
            shell_routes=("/",),
        )
        watching, still = ComposeApp(config, secret_key="k"), ComposeApp(config, watch=False)
        async with (
            LoopbackASGIServer(watching, lifespan="on") as shell,
            LoopbackASGIServer(still, lifespan="on") as other,
            httpx.AsyncClient() as visitor,
        ):
            for base in (shell.url, other.url):
                assert "catalog v1" in (await visitor.get(base + "catalog")).text
            for _ in range(100):  # the watcher's first download of the manifest (2 s at most)
                if recorder.statuses("/manifest.json"):
                    break
                await asyncio.sleep(0.02)
            (tmp_path / "index.html").write_text('<p id="ver">catalog v2</p>')
            app.bump()
            bumped = time.monotonic()
            for _ in range(40):  # within 2 s of the change, by the long-poll
                if "catalog v2" in (await visitor.get(shell.url + "catalog")).text:
                    break
                await asyncio.sleep(0.05)
            assert time.monotonic() - bumped < 2.0
            assert "catalog v2" in (await visitor.get(shell.url + "catalog")).text
            assert "catalog v1" in (await visitor.get(other.url + "catalog")).text
        await watching.aclose()
        await still.aclose()
        await app.aclose()
