"""EntryLoader: fetching over real HTTP, limits, failures, caches, integrity and trust."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from orchestrator.errors import EntryLoadError, EntrySyntaxError, IntegrityError
from orchestrator.html_entry import EntryLoader, import_entry
from orchestrator.testing import LoopbackServer, RecordedRequest, Reply

_paths = itertools.count()
PAGE = (
    '<html><head><link rel="stylesheet" href="app.css"></head>'
    '<body><div id="root"></div><script src="vendor.js"></script>'
    '<script src="main.py" type="text/python"></script></body></html>'
)


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def fresh(prefix: str = "e") -> str:
    return f"/{prefix}{next(_paths)}"


def serve_app(server: LoopbackServer, page: str = PAGE) -> str:
    """Routes for an app directory; returns its index URL."""
    root = fresh("app")
    server.route(f"{root}/index.html", Reply(body=page))
    server.route(f"{root}/app.css", Reply(body=".a{color:red}", content_type="text/css"))
    server.route(f"{root}/vendor.js", Reply(body="var v=1;", content_type="text/javascript"))
    server.route(f"{root}/main.py", Reply(body="x = 1\n", content_type="text/x-python"))
    return server.url_for(f"{root}/index.html")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_imports_and_fetches_assets_in_order(server: LoopbackServer) -> None:
    url = serve_app(server)
    async with EntryLoader() as loader:
        entry = await loader.import_entry(url)
        assert entry.url == url and entry.asset_public_path == url.rsplit("/", 1)[0] + "/"
        assert await entry.get_external_scripts() == ["var v=1;", "x = 1\n"]
        assert await entry.get_external_style_sheets() == [".a{color:red}"]
        assert entry.entry_script is not None and entry.entry_script.is_python


async def test_reimport_does_not_refetch_or_reparse(server: LoopbackServer) -> None:
    url = serve_app(server)
    path = url.removeprefix(server.url.rstrip("/"))
    async with EntryLoader() as loader:
        first = await loader.import_entry(url)
        await first.get_external_scripts()
        again = await loader.import_entry(url)
        await again.get_external_scripts()
        assert again is first  # same parsed result, not a re-parse
        assert server.count(path) == 1
        assert server.count(path.replace("index.html", "vendor.js")) == 1
        loader.clear()
        await loader.import_entry(url)
        assert server.count(path) == 2


async def test_concurrent_imports_share_one_fetch(server: LoopbackServer) -> None:
    path = fresh() + "/index.html"
    server.route(path, Reply(body="<p>x</p>", delay=0.2))
    async with EntryLoader() as loader:
        results = await asyncio.gather(
            *(loader.import_entry(server.url_for(path)) for _ in range(8))
        )
        texts = await asyncio.gather(*(loader.fetch_text(server.url_for(path)) for _ in range(4)))
    assert all(r is results[0] for r in results)
    assert texts == ["<p>x</p>"] * 4
    assert server.count(path) == 2  # one for the entry, one for the asset cache


async def test_a_failure_is_not_cached(server: LoopbackServer) -> None:
    path = fresh() + "/index.html"
    server.route(path, Reply(503, body="busy"), Reply(body="<p>up</p>"))
    async with EntryLoader() as loader:
        with pytest.raises(EntryLoadError, match="HTTP status 503 Service Unavailable") as caught:
            await loader.import_entry(server.url_for(path))
        assert caught.value.url == server.url_for(path)
        entry = await loader.import_entry(server.url_for(path))
    assert "<p>up</p>" in entry.template
    assert server.count(path) == 2


async def test_not_found_names_url_and_status(server: LoopbackServer) -> None:
    url = server.url_for(fresh() + "/missing.html")
    with pytest.raises(EntryLoadError) as caught:
        await import_entry(url)
    assert caught.value.url == url and "404" in caught.value.reason and url in str(caught.value)


async def test_refused_connection() -> None:
    url = f"http://127.0.0.1:{closed_port()}/index.html"
    with pytest.raises(EntryLoadError, match="connection failed") as caught:
        await import_entry(url)
    assert caught.value.url == url


async def test_slow_headers_and_trickled_body_time_out(server: LoopbackServer) -> None:
    slow = fresh() + "/slow.html"
    trickle = fresh() + "/trickle.html"
    server.route(slow, Reply(body="<p>late</p>", delay=2))
    server.route(trickle, Reply(body="<p>" + "x" * 100 + "</p>", chunk_size=5, chunk_delay=0.05))
    async with EntryLoader(timeout=0.3) as loader:
        started = time.perf_counter()
        with pytest.raises(EntryLoadError, match=r"timed out after 0\.3 s"):
            await loader.import_entry(server.url_for(slow))
        with pytest.raises(EntryLoadError, match="timed out"):
            await loader.import_entry(
                server.url_for(trickle)
            )  # each chunk is on time, the total is not
        assert time.perf_counter() - started < 1.5


async def test_oversized_body_is_refused_without_buffering(server: LoopbackServer) -> None:
    declared = fresh() + "/declared.html"
    undeclared = fresh() + "/undeclared.html"
    server.route(declared, Reply(body_size=500_000_000, body=b"<p>"))
    server.route(undeclared, Reply(body_size=500_000_000, body=b"<p>", content_length=False))
    async with EntryLoader(max_bytes=100_000) as loader:
        started = time.perf_counter()
        with pytest.raises(EntryLoadError, match="500000000 bytes > max_bytes 100000"):
            await loader.import_entry(server.url_for(declared))
        with pytest.raises(EntryLoadError, match="over max_bytes 100000"):
            await loader.import_entry(server.url_for(undeclared))
        assert time.perf_counter() - started < 2  # it stopped reading: 500 MB would take longer


async def test_connection_reset_and_garbage(server: LoopbackServer) -> None:
    reset = fresh() + "/reset.html"
    garbage = fresh() + "/garbage.html"
    server.route(reset, Reply(body="<p>" + "x" * 50_000, reset_after=1000))
    server.route(garbage, Reply(raw=b"\x00\x01garbage\r\n\r\n"))
    async with EntryLoader() as loader:
        for path in (reset, garbage):
            with pytest.raises(EntryLoadError) as caught:
                await loader.import_entry(server.url_for(path))
            assert caught.value.url == server.url_for(path)


@pytest.mark.parametrize(
    ("content_type", "body", "reason"),
    [
        ("application/json", b'{"a": 1}', r"not HTML \(application/json\)"),
        ("image/png", b"\x89PNG\r\n", "not HTML"),
        (None, b"\x00\x01\x02binary", "not HTML"),
        ("text/html; charset=utf-8", b"<p>\xff\xfe broken</p>", "undecodable as utf-8 at byte 3"),
        ("text/html; charset=nope", b"<p>x</p>", "unknown charset 'nope'"),
    ],
)
async def test_bodies_that_are_not_usable_html(
    server: LoopbackServer, content_type: str | None, body: bytes, reason: str
) -> None:
    path = fresh() + "/index.html"
    server.route(path, Reply(body=body, content_type=content_type))
    with pytest.raises(EntryLoadError, match=reason):
        await import_entry(server.url_for(path))


async def test_charset_from_header_or_meta(server: LoopbackServer) -> None:
    text = "<p>中文 – ok</p>"
    by_header = fresh() + "/h.html"
    by_meta = fresh() + "/m.html"
    plain = fresh() + "/plain.html"
    server.route(
        by_header, Reply(body=text.encode("gbk", "replace"), content_type="text/html; charset=GBK")
    )
    server.route(
        by_meta,
        Reply(body=('<meta charset="gb18030">' + text).encode("gb18030"), content_type="text/html"),
    )
    server.route(plain, Reply(body=text.encode("utf-8"), content_type="text/plain"))
    async with EntryLoader() as loader:
        assert "中文" in (await loader.import_entry(server.url_for(by_header))).template
        assert "中文 – ok" in (await loader.import_entry(server.url_for(by_meta))).template
        assert "中文 – ok" in (await loader.import_entry(server.url_for(plain))).template


async def test_asset_failures_name_the_asset(server: LoopbackServer) -> None:
    url = serve_app(server, PAGE.replace("vendor.js", "gone.js"))
    entry = await import_entry(url)  # the entry's loader is closed; assets use a short-lived one
    with pytest.raises(EntryLoadError) as caught:
        await entry.get_external_scripts()
    assert caught.value.url.endswith("/gone.js") and "404" in caught.value.reason
    assert await entry.get_external_style_sheets() == [".a{color:red}"]


def sri(body: bytes, algorithm: str = "sha384") -> str:
    digest = hashlib.new(algorithm, body).digest()
    return f"{algorithm}-{base64.b64encode(digest).decode()}"


async def test_subresource_integrity(server: LoopbackServer) -> None:
    good = sri(b"var v=1;")
    strongest_wrong = f"{sri(b'var v=1;', 'sha256')} {sri(b'other', 'sha512')}"
    page = (
        f'<script src="vendor.js" integrity="{good} sha256-bogus"></script>'
        f'<link rel="stylesheet" href="app.css" integrity="md5-ignored">'
    )
    url = serve_app(server, page)
    async with EntryLoader() as loader:
        entry = await loader.import_entry(url)
        assert await entry.get_external_scripts() == ["var v=1;"]
        assert await entry.get_external_style_sheets() == [".a{color:red}"]  # unknown algorithm
        vendor = entry.scripts[0].src
        assert vendor is not None
        with pytest.raises(IntegrityError, match="integrity mismatch: sha512") as caught:
            await loader.fetch_text(vendor, integrity=strongest_wrong)
        assert caught.value.url == vendor and isinstance(caught.value, EntryLoadError)


async def test_custom_fetch_hook_replaces_http(server: LoopbackServer) -> None:
    seen: list[str] = []

    async def fetch(url: str) -> httpx.Response | str | bytes:
        seen.append(url)
        if url.endswith(".html"):
            return '<link rel=stylesheet href="s.css"><script src="a.js"></script>'
        if url.endswith(".css"):
            return httpx.Response(200, text="p{}", headers={"content-type": "text/css"})
        return httpx.Response(404)

    async with EntryLoader(fetch=fetch) as loader:
        entry = await loader.import_entry("http://apps.example/x/index.html")
        assert await entry.get_external_style_sheets() == ["p{}"]
        with pytest.raises(EntryLoadError, match="HTTP status 404"):
            await entry.get_external_scripts()
    assert seen == [
        "http://apps.example/x/index.html",
        "http://apps.example/x/s.css",
        "http://apps.example/x/a.js",
    ]


async def test_given_client_is_used_and_left_open(server: LoopbackServer) -> None:
    url = serve_app(server)
    seen: list[str] = []

    async def record(request: httpx.Request) -> None:
        seen.append(str(request.url))

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as client:
        async with EntryLoader(client) as loader:
            await loader.import_entry(url)
        assert seen == [url] and not client.is_closed
    async with EntryLoader() as own:
        await own.import_entry(url)
        created = own.client
    assert created.is_closed and own.closed


async def test_bad_entries_and_arguments() -> None:
    async with EntryLoader() as loader:
        with pytest.raises(ValueError, match="empty"):
            await loader.import_entry("")
        with pytest.raises(EntryLoadError, match="absolute http"):
            await loader.import_entry("/relative/index.html")
        with pytest.raises(TypeError, match="scripts"):
            await loader.import_entry({"html": "<p>x</p>"})
        with pytest.raises(TypeError, match="list of strings"):
            await loader.import_entry({"scripts": "a.js"})
        with pytest.raises(TypeError):
            await loader.import_entry(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout"):
        EntryLoader(timeout=0)
    with pytest.raises(ValueError, match="max_bytes"):
        EntryLoader(max_bytes=0)


def test_trusted_origins() -> None:
    default = EntryLoader()
    for url in (
        "http://127.0.0.1:8000/a",
        "https://127.5.5.5/x",
        "http://localhost:1/",
        "http://[::1]:9/i.html",
        "http://app.localhost/",
    ):
        assert default.is_trusted(url), url
    for url in ("http://example.com/", "http://10.0.0.1/", "file:///etc/passwd", "nonsense"):
        assert not default.is_trusted(url), url
    listed = EntryLoader(trusted_origins=["https://apps.example.com", "http://x.test:8080"])
    assert listed.is_trusted("https://apps.example.com/app/index.html")
    assert listed.is_trusted("https://APPS.example.com:443/")
    assert not listed.is_trusted("http://apps.example.com/")
    assert not listed.is_trusted("https://apps.example.com:8443/")
    assert listed.is_trusted("http://x.test:8080/")
    assert not listed.is_trusted("http://127.0.0.1/")
    assert EntryLoader(trusted_origins=["*"]).is_trusted("https://anything.example/")


def test_code_cache_is_a_bounded_lru() -> None:
    loader = EntryLoader(cache_size=2)
    codes = {name: compile("x = 1", name, "exec") for name in ("a", "b", "c")}
    for name, code in codes.items():
        loader.code_cache[(name, "x = 1")] = code
    assert list(loader.code_cache) == [("b", "x = 1"), ("c", "x = 1")]
    assert loader.code_cache[("b", "x = 1")] is codes["b"]
    loader.code_cache[("a", "x = 1")] = codes["a"]
    assert ("c", "x = 1") not in loader.code_cache  # "b" was used more recently
    loader.clear()
    assert len(loader.code_cache) == 0


def test_scoped_css_is_cached() -> None:
    loader = EntryLoader()
    first = loader.scoped_css(".a{color:red}", 'div[data-qiankun="x"]')
    assert 'div[data-qiankun="x"]' in first and ".a" in first
    assert loader.scoped_css(".a{color:red}", 'div[data-qiankun="x"]') is first


async def test_handler_routes_see_each_request(server: LoopbackServer) -> None:
    path = fresh() + "/index.html"
    agents: list[str] = []

    def handler(request: RecordedRequest) -> Reply:
        agents.append(request.headers.get("user-agent", ""))
        return Reply(body="<p>ok</p>")

    server.route(path, handler=handler)
    await import_entry(server.url_for(path))
    assert len(agents) == 1 and agents[0].startswith("mfe-orchestrator/")


async def test_a_page_that_fails_to_extract_is_fetched_again(server: LoopbackServer) -> None:
    path = fresh() + "/index.html"
    broken = '<script src="a.js" entry></script><script src="b.js" entry></script>'
    server.route(path, Reply(body=broken), Reply(body='<script src="a.js" entry></script>'))
    async with EntryLoader() as loader:
        with pytest.raises(EntrySyntaxError, match="two scripts are marked as entry"):
            await loader.import_entry(server.url_for(path))
        entry = await loader.import_entry(server.url_for(path))
    assert entry.entry_script is not None and entry.entry_script.src == server.url_for(
        path.replace("index.html", "a.js")
    )
    assert server.count(path) == 2


async def test_a_failing_asset_makes_the_next_import_fetch_the_page_again(
    server: LoopbackServer,
) -> None:
    """A redeploy between the entry and its assets: v1's stylesheet is gone, the page now names
    v2's. The retry must not reuse the stale v1 page."""
    root = fresh("redeploy")
    v1 = '<link rel="stylesheet" href="v1.css"><p>v1</p>'
    v2 = '<link rel="stylesheet" href="v2.css"><p>v2</p>'
    server.route(f"{root}/index.html", Reply(body=v1), Reply(body=v2))
    server.route(f"{root}/v1.css", Reply(404))
    server.route(f"{root}/v2.css", Reply(body=".v2{}", content_type="text/css"))
    url = server.url_for(f"{root}/index.html")
    async with EntryLoader() as loader:
        first = await loader.import_entry(url)
        with pytest.raises(EntryLoadError, match="404"):
            await first.get_external_style_sheets()
        second = await loader.import_entry(url)
        assert second is not first
        assert await second.get_external_style_sheets() == [".v2{}"]
        assert await loader.import_entry(url) is second  # a success stays cached
    assert server.count(f"{root}/index.html") == 2


async def test_reset_connection_reason_is_never_empty(server: LoopbackServer) -> None:
    path = fresh() + "/reset.html"
    server.route(path, Reply(body="<p>" + "x" * 20_000, reset_after=300))
    with pytest.raises(EntryLoadError) as caught:
        await import_entry(server.url_for(path))
    reason = caught.value.reason
    assert reason.startswith("connection broken: ") and not reason.rstrip().endswith(":")


async def test_a_fetch_hook_needs_no_http_client_and_its_failures_name_the_url() -> None:
    from orchestrator import EntryLoader, EntryLoadError, import_entry

    async def hook(url: str) -> str:
        if url.endswith("broken.html"):
            raise RuntimeError("backend down")
        if url.endswith("surrogate.html"):
            return "<p>\ud800</p>"
        return "<p>hello</p>"

    async with EntryLoader(fetch=hook) as loader:
        imported = await import_entry("http://apps.test/ok.html", loader=loader)
        assert "hello" in imported.template
        assert loader._client is None  # no HTTP client (and no CA bundle) was ever built
        for name, reason in (("broken", "backend down"), ("surrogate", "not valid Unicode")):
            url = f"http://apps.test/{name}.html"
            with pytest.raises(EntryLoadError) as caught:
                await import_entry(url, loader=loader)
            assert caught.value.url == url
            assert reason in str(caught.value)


async def test_integrity_is_checked_for_each_metadata_on_a_cached_asset() -> None:
    import base64
    import hashlib

    from orchestrator import EntryLoader, IntegrityError
    from orchestrator.testing import LoopbackServer, Reply

    body = b"h1 { color: red }"
    good = "sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    bad = "sha256-" + base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    with LoopbackServer() as server:
        server.route("/a.css", Reply(body=body, content_type="text/css"))
        url = server.url_for("/a.css")
        async with EntryLoader() as loader:
            assert await loader.fetch_text(url, integrity=good) == body.decode()
            assert loader.cached_text(url, integrity=good) == body.decode()
            with pytest.raises(IntegrityError):
                loader.cached_text(url, integrity=bad)
            with pytest.raises(IntegrityError):
                await loader.fetch_text(url, integrity=bad)
        assert server.count("/a.css") == 1


async def test_an_app_servers_cookie_is_never_sent_back(server: LoopbackServer) -> None:
    # the composer fetches for every visitor: a cookie one app server sets must not come back
    # on later requests, to it or to another app (the loader's requests keep no cookie jar)
    path = fresh() + "/index.html"
    cookies: list[str | None] = []

    def handler(request: RecordedRequest) -> Reply:
        cookies.append(request.headers.get("cookie"))
        return Reply(
            body='<link rel="stylesheet" href="s.css"><p>ok</p>',
            headers={"set-cookie": "sid=secret; Path=/", "cache-control": "no-cache"},
        )

    def style(request: RecordedRequest) -> Reply:
        cookies.append(request.headers.get("cookie"))
        return Reply(body="p{}", content_type="text/css")

    server.route(path, handler=handler)
    server.route(path.replace("index.html", "s.css"), handler=style)
    async with EntryLoader() as loader:
        entry = await loader.import_entry(server.url_for(path))
        await entry.get_external_style_sheets()
        await loader.import_entry(server.url_for(path))  # asked again (no-cache)
    assert cookies == [None, None, None]
