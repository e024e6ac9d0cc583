"""One origin: apps' files served by the composer at ``/_mfe/<app>/<path>``, and composed pages
naming them so (no app-server URL reaches the visitor), over real HTTP on 127.0.0.1."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from lxml import etree

from orchestrator.asgi import ComposeApp
from orchestrator.config import AppConfig, ComposeConfig
from orchestrator.serve import LoopbackASGIServer
from orchestrator.testing import LoopbackServer, Reply

SHELL = (
    "<!doctype html><html><head><title>shop</title></head><body>"
    '<main id="content"></main></body></html>'
)
PAGE = (
    '<html><head><link rel="stylesheet" href="css/style.css">'
    '<link rel="icon" href="icon.png"></head><body>'
    '<img id="logo" src="img/logo.png" srcset="img/logo.png 1x, /img/logo@2x.png 2x">'
    '<video id="clip" poster="poster.jpg"></video>'
    '<div id="banner" style="background: url(img/bg.png)"></div>'
    '<a id="route" href="/product/3">a shell route</a>'
    '<a id="doc" href="docs/guide.pdf">the guide</a>'
    '<a id="away" href="https://example.org/x">elsewhere</a>'
    '<script src="app.js"></script>'
    '<script type="text/python" src="main.py" entry></script>'
    "</body></html>"
)
CSS = ".card { background: url(../img/card.png); }\n@font-face { src: url(icons.woff2); }"
PYTHON = "def bootstrap(props): pass\ndef mount(props): pass\ndef unmount(props): pass\n"


@pytest.fixture
def upstream() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        server.route("/catalog/", Reply(body=PAGE))
        server.route("/catalog/css/style.css", Reply(body=CSS, content_type="text/css"))
        server.route("/catalog/main.py", Reply(body=PYTHON, content_type="text/x-python"))
        server.route(
            "/catalog/img/logo.png",
            Reply(body=b"\x89PNG-logo", content_type="image/png", headers={"etag": '"v1"'}),
        )
        yield server


def _config(upstream: LoopbackServer) -> ComposeConfig:
    return ComposeConfig(
        shell_html=SHELL,
        apps=(
            AppConfig("catalog", "#content", ("/catalog",), entry=upstream.url_for("/catalog/")),
        ),
        options={"prefetch": False},
    )


@contextlib.asynccontextmanager
async def _client(composer: ComposeApp) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        LoopbackASGIServer(composer, lifespan="on") as served,
        httpx.AsyncClient(base_url=served.url) as client,
    ):
        yield client


async def test_a_composed_page_names_no_app_server(upstream: LoopbackServer) -> None:
    async with _client(ComposeApp(_config(upstream))) as client:
        page = await client.get("/catalog")
    assert page.status_code == 200
    host = upstream.url.split("//", 1)[1].rstrip("/")
    assert host not in page.text  # not in attributes, inlined CSS, nor placeholder comments
    assert "<!--   script /_mfe/catalog/catalog/main.py replaced" in page.text
    assert "/* /_mfe/catalog/catalog/css/style.css */" in page.text
    assert "url(/_mfe/catalog/catalog/img/card.png)" in page.text
    assert "url(/_mfe/catalog/catalog/css/icons.woff2)" in page.text


async def test_relative_urls_of_the_template_are_rebased_and_shell_routes_kept(
    upstream: LoopbackServer,
) -> None:
    async with _client(ComposeApp(_config(upstream))) as client:
        text = (await client.get("/catalog")).text
    expect = {
        "logo": 'src="/_mfe/catalog/catalog/img/logo.png"',
        "srcset": (
            'srcset="/_mfe/catalog/catalog/img/logo.png 1x, /_mfe/catalog/img/logo@2x.png 2x"'
        ),
        "poster": 'poster="/_mfe/catalog/catalog/poster.jpg"',
        "style": "url(/_mfe/catalog/catalog/img/bg.png)",
        "route": 'href="/product/3"',
        "doc": 'href="/_mfe/catalog/catalog/docs/guide.pdf"',
        "away": 'href="https://example.org/x"',
        "script": 'src="/_mfe/catalog/catalog/app.js"',
    }
    missing = {key: value for key, value in expect.items() if value not in text}
    assert not missing


async def test_the_proxy_streams_files_with_validators_both_ways(
    upstream: LoopbackServer,
) -> None:
    async with _client(ComposeApp(_config(upstream))) as client:
        first = await client.get(
            "/_mfe/catalog/catalog/img/logo.png", headers={"cookie": "mfe_session=secret"}
        )
        assert first.status_code == 200
        assert first.content == b"\x89PNG-logo"
        assert first.headers["content-type"] == "image/png"
        assert first.headers["etag"] == '"v1"'
        assert first.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in first.headers["content-security-policy"]
        asked = [r for r in upstream.requests if r.path == "/catalog/img/logo.png"]
        assert "cookie" not in asked[-1].headers  # the visitor's cookies stay here
        await client.get("/_mfe/catalog/catalog/img/logo.png", headers={"if-none-match": '"v1"'})
        asked = [r for r in upstream.requests if r.path == "/catalog/img/logo.png"]
        assert asked[-1].headers.get("if-none-match") == '"v1"'  # passed on to the app


async def test_the_proxy_is_no_open_proxy_and_sends_no_python(upstream: LoopbackServer) -> None:
    async with _client(ComposeApp(_config(upstream))) as client:
        refused = {
            "python by name": "/_mfe/catalog/catalog/main.py",
            "unknown app": "/_mfe/nobody/catalog/",
            "no path": "/_mfe/catalog",
            "climbing out": "/_mfe/catalog/%2e%2e/%2e%2e/etc/passwd",
            "another host": "/_mfe/catalog//evil.example/x",
        }
        statuses = {}
        for label, path in refused.items():
            reply = await client.get(path)
            statuses[label] = reply.status_code
            assert "PYTHON" not in reply.text and "bootstrap" not in reply.text
    assert statuses["python by name"] == 404
    assert statuses["unknown app"] == 404
    assert statuses["no path"] == 404
    assert statuses["climbing out"] == 404
    # the double slash stays a path on the app's origin: asked of the app server, never elsewhere
    assert statuses["another host"] == 404
    assert "//evil.example/x" in [r.target for r in upstream.requests]  # sent to the app


async def test_python_by_content_type_is_refused(upstream: LoopbackServer) -> None:
    upstream.route("/catalog/tool", Reply(body=PYTHON, content_type="text/x-python"))
    async with _client(ComposeApp(_config(upstream))) as client:
        reply = await client.get("/_mfe/catalog/catalog/tool")
    assert reply.status_code == 404 and "bootstrap" not in reply.text


async def test_redirects_stay_on_the_app_origin(upstream: LoopbackServer) -> None:
    upstream.route("/catalog/old.png", Reply(status=301, headers={"location": "img/logo.png"}))
    upstream.route(
        "/catalog/out.png", Reply(status=302, headers={"location": "http://10.0.0.9/x.png"})
    )
    async with _client(ComposeApp(_config(upstream))) as client:
        moved = await client.get("/_mfe/catalog/catalog/old.png")
        out = await client.get("/_mfe/catalog/catalog/out.png")
    assert moved.status_code == 301
    assert moved.headers["location"] == "/_mfe/catalog/catalog/img/logo.png"
    assert out.status_code == 502 and "10.0.0.9" not in out.text
    assert "location" not in out.headers


async def test_a_file_over_max_bytes_is_refused(upstream: LoopbackServer) -> None:
    upstream.route("/catalog/big.bin", Reply(body_size=3_000_000, content_type="video/mp4"))
    composer = ComposeApp(_config(upstream))
    assert composer.assets is not None
    composer.assets.max_bytes = 1_000_000
    async with _client(composer) as client:
        reply = await client.get("/_mfe/catalog/catalog/big.bin")
    assert reply.status_code == 502


async def test_under_a_root_path_pages_name_the_proxy_below_it(upstream: LoopbackServer) -> None:
    composer = ComposeApp(_config(upstream))

    async def mounted(scope, receive, send):  # type: ignore[no-untyped-def]
        scope = dict(scope)
        if scope["type"] == "http":
            scope["root_path"] = "/shop"
            scope["path"] = "/shop" + scope["path"]
        await composer(scope, receive, send)

    async with (
        LoopbackASGIServer(mounted, lifespan="on") as served,
        httpx.AsyncClient(base_url=served.url) as client,
    ):
        page = await client.get("/catalog")
        logo = await client.get("/_mfe/catalog/catalog/img/logo.png")
    assert re.search(r'src="/shop/_mfe/catalog/catalog/img/logo\.png"', page.text)
    assert logo.status_code == 200


async def test_asset_proxy_false_keeps_app_urls(upstream: LoopbackServer) -> None:
    async with _client(ComposeApp(_config(upstream), asset_proxy=False)) as client:
        page = await client.get("/catalog")
        proxied = await client.get("/_mfe/catalog/catalog/img/logo.png")
    assert upstream.url_for("/catalog/app.js") in page.text
    assert proxied.status_code == 404


async def test_a_garfish_container_is_rebased_too() -> None:
    from orchestrator._rebase import Rebase
    from orchestrator.garfish._container import build_container
    from orchestrator.html_entry import EntryLoader

    async def fetch(url: str) -> str:
        return '<div><img src="img/a.png"><a href="/home">home</a></div>'

    async with EntryLoader(fetch=fetch) as loader:
        imported = await loader.import_entry("http://10.1.2.3:9000/counter/")
    rebase = Rebase.for_app("/_mfe/", "counter", imported.requested_url, imported.base_url)
    container = build_container("counter", 1, imported, [], rebase)
    html = etree.tostring(container.element, encoding="unicode")
    assert 'src="/_mfe/counter/counter/img/a.png"' in html
    assert 'href="/home"' in html and "10.1.2.3" not in html


async def test_the_route_matcher_never_warns_that_it_was_not_started(
    upstream: LoopbackServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """ComposeApp's one never-started orchestrator only matches routes: single-spa's "start()
    has not been called" warning would be noise in every ``mfe serve`` log."""
    import asyncio

    from orchestrator.micro_apps import Orchestrator

    monkeypatch.setattr(Orchestrator, "start_warning_delay", 0.01)
    async with _client(ComposeApp(_config(upstream))) as client:
        assert (await client.get("/catalog")).status_code == 200
        await asyncio.sleep(0.2)
    assert "has not been called" not in caplog.text
