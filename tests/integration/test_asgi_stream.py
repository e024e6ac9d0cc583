"""Streaming with deadlines and fallbacks (Tailor's model) over real HTTP on 127.0.0.1.

The shell up to the first slot goes out at once, slots follow in document order as their apps are
ready, a slow app's slot holds its fallback after its ``timeout``, the first ``primary`` app sets
the status, and a hanging app costs its own slot's timeout, never the page or the next request.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from orchestrator.asgi import ComposeApp
from orchestrator.config import AppConfig, ComposeConfig
from orchestrator.serve import LoopbackASGIServer
from orchestrator.testing import LoopbackServer, Reply

_SHELL = (
    "<!doctype html><html><head><title>Shop</title></head><body>"
    "<header id='header'></header><main id='content'></main><footer id='footer'></footer>"
    "</body></html>"
)
_HANGING_APP = """<html><body><div id="hang">never</div>
<script type="text/python">
import asyncio
import dataclasses

async def bootstrap(props):
    pass

async def mount(props):
    await asyncio.Event().wait()

async def unmount(props):
    pass
</script></body></html>"""
_REDIRECTING_APP = """<html><body><p>moving</p>
<script type="text/python">
async def bootstrap(props):
    pass

async def mount(props):
    props["orchestrator"].history.replace_state(None, "", "TARGET")

async def unmount(props):
    pass
</script></body></html>"""


def _app(name: str, container: str, rule: str, entry: str, **policy: Any) -> AppConfig:
    return AppConfig(name=name, container=container, active_rule=(rule,), entry=entry, **policy)


def _config(upstream: LoopbackServer, **content: Any) -> ComposeConfig:
    apps = (
        _app("header", "#header", "/", upstream.url_for("/header/"), layout=True),
        _app("content", "#content", "/content", upstream.url_for("/content/"), **content),
        _app("footer", "#footer", "/", upstream.url_for("/footer/"), layout=True),
    )
    return ComposeConfig(shell_html=_SHELL, apps=apps, options={"prefetch": False})


@pytest.fixture
def upstream() -> Any:
    with LoopbackServer() as server:
        server.route("/header/", Reply(body="<nav id='nav'>header</nav>"))
        server.route("/footer/", Reply(body="<small id='legal'>footer</small>"))
        yield server


@pytest.fixture
async def serve() -> AsyncIterator[Any]:
    servers: list[LoopbackASGIServer] = []

    async def start(app: ComposeApp) -> str:
        server = LoopbackASGIServer(app, lifespan="on")
        await server.start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        await server.stop()


async def _timed_get(url: str, *, warm: bool = True) -> tuple[httpx.Response, float, float, bytes]:
    """The response, seconds to its first body byte and to its end, and the body (timed on a
    connection already open, so the figure is the server's, not the client's set-up)."""
    async with httpx.AsyncClient(timeout=30) as client:
        if warm:
            await client.get(url.rsplit("/", 1)[0] + "/")
        started = time.perf_counter()
        async with client.stream("GET", url) as response:
            first = None
            body = b""
            async for chunk in response.aiter_raw():
                if chunk and first is None:
                    first = time.perf_counter() - started
                body += chunk
            total = time.perf_counter() - started
    assert first is not None
    return response, first, total, body


async def test_first_byte_comes_at_once_while_the_routed_app_takes_2_s(
    upstream: LoopbackServer, serve: Any
) -> None:
    upstream.route("/content/", Reply(body="<article id='slow'>content</article>", delay=2.0))
    url = await serve(ComposeApp(_config(upstream, timeout=5.0)))
    response, first, total, body = await _timed_get(url + "content")
    assert response.status_code == 200
    assert first < 0.1, f"first body byte after {first * 1000:.0f} ms"
    assert total >= 1.9
    page = body.decode()
    assert page.index("<title>Shop</title>") < page.index('id="nav"') < page.index("slow")
    assert page.index("slow") < page.index('id="legal"')
    assert page.rstrip().endswith("</html>")


async def test_a_timed_out_app_gets_its_fallback_and_the_others_are_intact(
    upstream: LoopbackServer, serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    upstream.route("/content/", Reply(body="<article>late</article>", delay=3.0))
    caplog.set_level(logging.WARNING, logger="orchestrator.asgi")
    fallback = "<p id='fallback'>Content is resting</p>"
    url = await serve(ComposeApp(_config(upstream, timeout=0.3, fallback=fallback)))
    response, _first, total, body = await _timed_get(url + "content")
    assert response.status_code == 200
    assert total < 1.5, f"the page took {total:.2f} s"
    page = body.decode()
    assert fallback in page and "late" not in page
    assert 'id="nav"' in page and 'id="legal"' in page
    request_id = response.headers["x-request-id"]
    lines = [r.getMessage() for r in caplog.records if request_id in r.getMessage()]
    assert len(lines) == 1, lines  # logged once, with the app and its URL
    assert "content" in lines[0] and upstream.url_for("/content/") in lines[0]


async def test_a_fallback_url_is_fetched_once_and_cached(
    upstream: LoopbackServer, serve: Any
) -> None:
    upstream.route("/content/", Reply(status=503, body="down"))
    upstream.route("/fallback.html", Reply(body="<p id='fb'>from the fallback URL</p>"))
    config = _config(upstream, fallback=upstream.url_for("/fallback.html"))
    url = await serve(ComposeApp(config))
    async with httpx.AsyncClient(base_url=url) as client:
        for _ in range(3):
            response = await client.get("/content")
            assert response.status_code == 200
            assert "from the fallback URL" in response.text
    assert upstream.count("/fallback.html") == 1


async def test_a_hanging_app_costs_its_timeout_not_every_request(
    upstream: LoopbackServer, serve: Any
) -> None:
    upstream.route("/content/", Reply(body=_HANGING_APP))
    app = ComposeApp(_config(upstream, timeout=0.4, fallback="<p id='fb'>later</p>"))
    url = await serve(app)
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        pages = await asyncio.gather(*(client.get("/content") for _ in range(5)))
        home = await client.get("/")
    elapsed = time.perf_counter() - started
    assert [p.status_code for p in pages] == [200] * 5
    assert all('id="fb"' in p.text or "id='fb'" in p.text for p in pages)
    assert home.status_code == 200 and "header" in home.text
    assert elapsed < 2.5, f"{elapsed:.2f} s for 5 concurrent pages and a home page"
    closing = time.perf_counter()
    await app.aclose()
    assert time.perf_counter() - closing < 3.0


async def test_a_failing_primary_gives_500_with_the_shell_and_a_readable_message(
    upstream: LoopbackServer, serve: Any
) -> None:
    upstream.route("/content/", Reply(status=500, body="Traceback (most recent call last)"))
    url = await serve(ComposeApp(_config(upstream, primary=True)))
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/content")
    assert response.status_code == 500
    assert "<title>Shop</title>" in response.text and 'id="nav"' in response.text
    assert "content could not be shown" in response.text
    assert response.headers["x-request-id"] in response.text
    assert "Traceback" not in response.text and "127.0.0.1" not in response.text


async def test_a_slow_primary_holds_the_first_byte_and_a_timed_out_one_gives_500(
    upstream: LoopbackServer, serve: Any
) -> None:
    upstream.route("/content/", Reply(body="<article id='main'>main</article>", delay=0.3))
    url = await serve(ComposeApp(_config(upstream, primary=True)))
    response, first, _total, body = await _timed_get(url + "content")
    assert response.status_code == 200 and first >= 0.25 and b'id="main"' in body

    upstream.route("/content/", Reply(body="<article>late</article>", delay=3.0))
    url = await serve(ComposeApp(_config(upstream, primary=True, timeout=0.2)))
    response, _first, total, body = await _timed_get(url + "content")
    assert response.status_code == 500 and total < 1.5


@pytest.mark.parametrize(
    ("target", "status", "location"),
    [
        ("/content/moved", 302, "/content/moved"),
        ("/a b?q=\u00e9", 302, "/a%20b?q=%C3%A9"),
        ("//evil.example/x", 500, None),  # History refuses another origin: the primary failed
    ],
)
async def test_a_primary_redirect_is_a_302_with_location_on_this_origin(
    upstream: LoopbackServer, serve: Any, target: str, status: int, location: str | None
) -> None:
    upstream.route("/content/", Reply(body=_REDIRECTING_APP.replace("TARGET", target)))
    url = await serve(ComposeApp(_config(upstream, primary=True)))
    async with httpx.AsyncClient(base_url=url, follow_redirects=False) as client:
        response = await client.get("/content")
    assert response.status_code == status
    assert response.headers.get("location") == location


async def test_the_request_deadline_bounds_every_slot(upstream: LoopbackServer, serve: Any) -> None:
    upstream.route("/content/", Reply(body="<article>late</article>", delay=3.0))
    url = await serve(ComposeApp(_config(upstream, timeout=10.0), deadline=0.3))
    _response, _first, total, body = await _timed_get(url + "content")
    assert total < 1.5 and b"late" not in body and b'id="nav"' in body


async def test_the_whole_page_path_keeps_fallbacks_and_timeouts_too(
    upstream: LoopbackServer, serve: Any
) -> None:
    upstream.route("/content/", Reply(body="<article>late</article>", delay=3.0))
    config = _config(upstream, timeout=0.3, fallback="<p id='fb'>resting</p>")
    url = await serve(ComposeApp(config, stream=False))
    async with httpx.AsyncClient(base_url=url) as client:
        started = time.perf_counter()
        response = await client.get("/content")
    assert time.perf_counter() - started < 1.5
    assert response.status_code == 200 and "resting" in response.text
    assert "content-length" in response.headers


async def test_a_shell_of_tailor_fragment_tags_streams_in_order_with_fallbacks(
    upstream: LoopbackServer, serve: Any
) -> None:
    upstream.route("/content/", Reply(body="<article id='main'>content</article>", delay=0.2))
    upstream.route("/footer/", Reply(body="<small>late</small>", delay=3.0))
    upstream.route("/fallback.html", Reply(body="<small id='fb'>footer fallback</small>"))
    shell = (
        "<html><body>"
        f'<fragment id="header" src="{upstream.url_for("/header/")}"></fragment>'
        f'<fragment id="content" src="{upstream.url_for("/content/")}" primary></fragment>'
        f'<fragment id="footer" src="{upstream.url_for("/footer/")}" timeout="300" '
        f'fallback-src="{upstream.url_for("/fallback.html")}"></fragment>'
        "</body></html>"
    )
    config = ComposeConfig(shell_html=shell, apps=(), options={"prefetch": False})
    url = await serve(ComposeApp(config))
    response, first, total, body = await _timed_get(url, warm=False)
    page = body.decode()
    assert response.status_code == 200
    assert first >= 0.15  # the first byte waited for the primary fragment
    assert total < 1.5
    assert page.index('id="nav"') < page.index('id="main"') < page.index("footer fallback")
    assert "late" not in page and "<fragment" not in page

    upstream.route("/content/", Reply(status=503, body="down"))
    fresh = await serve(ComposeApp(config))  # a loader of its own: the good entry is not cached
    async with httpx.AsyncClient(base_url=fresh) as client:
        failed = await client.get("/")
    assert failed.status_code == 500 and 'id="nav"' in failed.text


def test_a_location_stays_on_this_origin_and_below_the_mount_point() -> None:
    from orchestrator.asgi._app import _moved_to

    asked = "http://localhost/content"
    assert _moved_to(asked, asked) is None
    assert _moved_to(asked, "http://localhost//evil.example/x") == "/evil.example/x"
    assert _moved_to(asked, "http://localhost/done?a=1", "/shop/") == "/shop/done?a=1"


async def test_head_of_a_streamed_page_has_its_headers_and_no_body(
    upstream: LoopbackServer, serve: Any
) -> None:
    upstream.route("/content/", Reply(body="<article>content</article>"))
    url = await serve(ComposeApp(_config(upstream)))
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.head("/content")
    assert response.status_code == 200 and response.content == b""
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["content-type"] == "text/html; charset=utf-8"


async def test_trusted_origins_of_the_config_reach_the_loader(
    upstream: LoopbackServer, serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    upstream.route("/content/", Reply(body=_REDIRECTING_APP.replace("TARGET", "/moved")))
    base = _config(upstream, fallback="<p id='fb'>no code from there</p>")
    config = dataclasses.replace(base, trusted_origins=("https://apps.example",))
    caplog.set_level(logging.ERROR, logger="orchestrator.asgi")
    url = await serve(ComposeApp(config))
    async with httpx.AsyncClient(base_url=url, follow_redirects=False) as client:
        response = await client.get("/content")
    assert response.status_code == 200 and "no code from there" in response.text
    assert any("trusted" in r.getMessage() for r in caplog.records)


_NO_STORE = {"cache-control": "no-store"}


async def test_a_replayed_page_still_streams_when_its_app_turns_slow(
    upstream: LoopbackServer, serve: Any
) -> None:
    """A no-store page is replayed after one refetch of each entry; an app that has turned slow
    must not hold the shell back (nor add its wait to the app's own timeout)."""
    fast = Reply(body="<article id='quick'>content</article>", headers=_NO_STORE)
    slow = dataclasses.replace(fast, delay=2.0)
    upstream.route("/content/", fast)
    url = await serve(ComposeApp(_config(upstream, timeout=5.0)))
    for _ in range(2):  # composed, then kept: the next pages are replayed
        response, first, _total, body = await _timed_get(url + "content", warm=False)
        assert response.status_code == 200 and b"quick" in body
    assert upstream.count("/content/") == 2  # no-store: asked again for the second page
    upstream.route("/content/", slow)
    response, first, total, body = await _timed_get(url + "content")
    assert response.status_code == 200 and b"quick" in body
    assert first < 0.1, f"first body byte after {first * 1000:.0f} ms"
    assert total >= 1.9


async def test_a_replayed_apps_hang_costs_only_its_timeout(
    upstream: LoopbackServer, serve: Any
) -> None:
    fast = Reply(body="<article id='quick'>content</article>", headers=_NO_STORE)
    upstream.route("/content/", fast)
    config = _config(upstream, timeout=0.3, fallback="<p id='fb'>resting</p>")
    url = await serve(ComposeApp(config))
    for _ in range(2):
        response, _first, _total, body = await _timed_get(url + "content", warm=False)
        assert b"quick" in body
    upstream.route("/content/", dataclasses.replace(fast, delay=30.0))
    response, _first, total, body = await _timed_get(url + "content")
    assert response.status_code == 200 and b"resting" in body and b"header" in body
    assert total < 1.5, f"the page took {total:.2f} s"
