"""DESIGN.md §5 as an attacker tries it, against real servers on 127.0.0.1 (issue 12).

Two loopback servers stand for two origins: ``good`` is trusted (listed exactly in
``trusted_origins``), ``evil`` is not. Each test fails on the code before the trust boundary
was enforced, and names the class of attack it pins.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import textwrap
import tracemalloc
import zlib
from collections.abc import Iterator
from typing import Any

import lxml.html
import pytest

from orchestrator import (
    AppStatus,
    EntryLoader,
    EntryLoadError,
    Orchestrator,
    UntrustedOriginError,
    import_entry,
)
from orchestrator.html_entry._trust import AddressClass, AssetRules, classify
from orchestrator.testing import LoopbackServer, Reply

SHELL = (
    '<!DOCTYPE html><html><head></head><body><p id="shell-p">shell</p>'
    '<main id="main"></main></body></html>'
)
PYTHON_APP = textwrap.dedent(
    """
    def bootstrap(props):
        pass

    def mount(props):
        window.ran = True

    def unmount(props):
        pass
    """
)


def python_entry(src: str | None = None) -> str:
    script = (
        f'<script type="text/python" src="{src}" entry></script>'
        if src is not None
        else f'<script type="text/python" entry>{PYTHON_APP}</script>'
    )
    return f"<!DOCTYPE html><html><head></head><body><div>app</div>{script}</body></html>"


@pytest.fixture
def good() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def evil() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server


def origin(server: LoopbackServer) -> str:
    return server.url.rstrip("/")


async def load_one(
    entry_url: str, *, trusted: list[str], **loader_options: Any
) -> tuple[Orchestrator, list[Exception]]:
    loader = EntryLoader(trusted_origins=trusted, **loader_options)
    tab = Orchestrator(SHELL, url="http://localhost/app", loader=loader)
    errors: list[Exception] = []
    tab.add_error_handler(errors.append)
    tab.register_micro_apps(
        [{"name": "app", "entry": entry_url, "container": "#main", "active_rule": "/app"}]
    )
    await tab.start(prefetch=False)
    return tab, errors


async def close(tab: Orchestrator) -> None:
    loader = tab.loader
    await tab.aclose()
    await loader.aclose()


# -- critical: untrusted Python after a redirect ---------------------------------------------


async def test_a_trusted_entry_redirecting_to_an_untrusted_origin_runs_no_python(
    good: LoopbackServer, evil: LoopbackServer
) -> None:
    evil.route("/index.html", Reply(body=python_entry()))
    good.route("/app/", Reply(302, headers={"location": evil.url_for("/index.html")}))
    tab, errors = await load_one(good.url_for("/app/"), trusted=[origin(good)])
    try:
        assert tab.get_app_status("app") is AppStatus.LOAD_ERROR
        cause = errors[0].__cause__
        assert isinstance(cause, UntrustedOriginError)
        assert cause.url == evil.url_for("/index.html")  # the final URL is what is judged
        assert "ran" not in tab.window
    finally:
        await close(tab)


async def test_a_trusted_python_src_redirecting_to_an_untrusted_origin_is_never_fetched(
    good: LoopbackServer, evil: LoopbackServer
) -> None:
    evil.route("/main.py", Reply(body=PYTHON_APP, content_type="text/x-python"))
    good.route("/main.py", Reply(302, headers={"location": evil.url_for("/main.py")}))
    good.route("/index.html", Reply(body=python_entry(good.url_for("/main.py"))))
    tab, errors = await load_one(good.url_for("/index.html"), trusted=[origin(good)])
    try:
        assert tab.get_app_status("app") is AppStatus.LOAD_ERROR
        cause = errors[0].__cause__
        assert isinstance(cause, UntrustedOriginError)
        assert "redirected from" in str(cause)
        assert evil.count("/main.py") == 0  # the untrusted hop is refused before it is asked
    finally:
        await close(tab)


# -- high: an untrusted entry runs Python by listing trusted src scripts ------------------


async def test_an_untrusted_entry_cannot_run_a_trusted_origins_script(
    good: LoopbackServer, evil: LoopbackServer
) -> None:
    good.route("/main.py", Reply(body=PYTHON_APP, content_type="text/x-python"))
    evil.route("/index.html", Reply(body=python_entry(good.url_for("/main.py"))))
    tab, errors = await load_one(evil.url_for("/index.html"), trusted=[origin(good)])
    try:
        assert tab.get_app_status("app") is AppStatus.LOAD_ERROR
        cause = errors[0].__cause__
        assert isinstance(cause, UntrustedOriginError)
        assert cause.url == evil.url_for("/index.html") and cause.app_name == "app"
        assert good.count("/main.py") == 0
    finally:
        await close(tab)


# -- high: SSRF through stylesheets --------------------------------------------------------


async def test_an_entry_cannot_make_the_composer_fetch_another_origin(
    good: LoopbackServer, evil: LoopbackServer
) -> None:
    """The 'internal' server is another origin: its page never reaches the composed page."""
    good.route("/admin", Reply(body="p { content: 'SECRET' }", content_type="text/css"))
    page = f'<html><head><link rel="stylesheet" href="{good.url_for("/admin")}"></head></html>'
    evil.route("/index.html", Reply(body=page))
    async with EntryLoader() as loader:
        imported = await import_entry(evil.url_for("/index.html"), loader=loader)
        with pytest.raises(EntryLoadError, match="entry's origin or from asset_origins"):
            await imported.get_external_style_sheets()
    assert good.count("/admin") == 0


async def test_an_entry_joining_another_entrys_fetch_of_an_asset_is_still_checked(
    good: LoopbackServer, evil: LoopbackServer
) -> None:
    """Concurrent callers share one fetch: the one that did not make it passes its own rules."""
    good.route(
        "/admin.css", Reply(body="p { content: 'SECRET' }", content_type="text/css", delay=0.3)
    )
    admin, entry = good.url_for("/admin.css"), good.url_for("/index.html")
    async with EntryLoader() as loader:
        own = asyncio.ensure_future(loader.fetch_text(admin, entry_url=entry, kind="style"))
        await asyncio.sleep(0.1)  # its request is out: the next caller joins it
        joined = loader.fetch_text(admin, entry_url=evil.url_for("/index.html"), kind="style")
        with pytest.raises(EntryLoadError, match="entry's origin or from asset_origins"):
            await joined
        assert "SECRET" in await own
    assert good.count("/admin.css") == 1


async def test_a_same_origin_stylesheet_redirecting_elsewhere_is_refused_at_the_hop(
    good: LoopbackServer, evil: LoopbackServer
) -> None:
    good.route("/admin", Reply(body="p { content: 'SECRET' }", content_type="text/css"))
    evil.route("/s.css", Reply(302, headers={"location": good.url_for("/admin")}))
    evil.route("/index.html", Reply(body='<link rel="stylesheet" href="s.css">'))
    async with EntryLoader() as loader:
        imported = await import_entry(evil.url_for("/index.html"), loader=loader)
        with pytest.raises(EntryLoadError, match="redirected from"):
            await imported.get_external_style_sheets()
    assert good.count("/admin") == 0


async def test_asset_origins_allow_a_cdn_explicitly(
    good: LoopbackServer, evil: LoopbackServer
) -> None:
    good.route("/lib.css", Reply(body=".lib { color: red }", content_type="text/css"))
    evil.route(
        "/index.html", Reply(body=f'<link rel="stylesheet" href="{good.url_for("/lib.css")}">')
    )
    async with EntryLoader(asset_origins=[origin(good)]) as loader:
        imported = await import_entry(evil.url_for("/index.html"), loader=loader)
        assert await imported.get_external_style_sheets() == [".lib { color: red }"]


async def test_a_stylesheet_must_be_served_as_css(evil: LoopbackServer) -> None:
    evil.route("/admin.css", Reply(body="<h1>admin</h1>", content_type="text/html"))
    evil.route("/index.html", Reply(body='<link rel="stylesheet" href="admin.css">'))
    async with EntryLoader() as loader:
        imported = await import_entry(evil.url_for("/index.html"), loader=loader)
        with pytest.raises(EntryLoadError, match="is not CSS"):
            await imported.get_external_style_sheets()


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1", AddressClass.LOOPBACK),
        ("::1", AddressClass.LOOPBACK),
        ("0.0.0.0", AddressClass.LOOPBACK),
        ("10.0.0.8", AddressClass.PRIVATE),
        ("192.168.1.20", AddressClass.PRIVATE),
        ("fc00::1", AddressClass.PRIVATE),
        ("169.254.169.254", AddressClass.FORBIDDEN),
        ("fd00:ec2::254", AddressClass.FORBIDDEN),
        ("fe80::1", AddressClass.FORBIDDEN),
        ("::ffff:169.254.169.254", AddressClass.FORBIDDEN),
        ("93.184.216.34", AddressClass.PUBLIC),
    ],
)
def test_address_classes(address: str, expected: AddressClass) -> None:
    assert classify(address) is expected


async def test_a_public_entry_reaches_no_inner_address_unless_listed() -> None:
    """DNS decides: a name that resolves inside the network is refused for a public entry."""
    dns = {
        "shop.example": ["93.184.216.34"],
        "cdn.example": ["93.184.216.35"],
        "rebound.example": ["127.0.0.1"],
        "intranet.example": ["10.0.0.8"],
        "metadata.example": ["169.254.169.254"],
    }

    async def resolve(host: str) -> list[str]:
        return dns[host]

    rules = AssetRules(["*"], resolve=resolve)
    entry = "https://shop.example/index.html"
    await rules.check("https://cdn.example/a.css", entry)
    for host in ("rebound.example", "intranet.example", "metadata.example"):
        with pytest.raises(EntryLoadError, match="resolves to a"):
            await rules.check(f"https://{host}/a.css", entry)
    # an intranet entry may use intranet assets, never the metadata service
    await rules.check("https://intranet.example/a.css", "https://intranet.example/")
    with pytest.raises(EntryLoadError, match="forbidden"):
        await rules.check("https://metadata.example/", "https://intranet.example/")
    # listing an origin exactly is the explicit way in
    listed = AssetRules(["https://intranet.example"], resolve=resolve)
    await listed.check("https://intranet.example/a.css", entry)


# -- high: decompression bombs ------------------------------------------------------------


async def test_two_content_encodings_are_refused(evil: LoopbackServer) -> None:
    bomb = gzip.compress(gzip.compress(b"\0" * 10_000_000))
    evil.route(
        "/index.html",
        Reply(body=bomb, headers={"content-encoding": "gzip, gzip"}, content_type="text/html"),
    )
    async with EntryLoader(max_bytes=1_000_000) as loader:
        with pytest.raises(EntryLoadError, match="more than one Content-Encoding"):
            await loader.fetch_entry_html(evil.url_for("/index.html"))


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
async def test_a_compressed_bomb_costs_no_more_than_max_bytes(
    evil: LoopbackServer, coding: str
) -> None:
    raw = b"<p>" + b"\0" * 200_000_000
    body = gzip.compress(raw, 9) if coding == "gzip" else zlib.compress(raw, 9)
    evil.route(
        "/index.html",
        Reply(body=body, headers={"content-encoding": coding}, content_type="text/html"),
    )
    del raw
    async with EntryLoader(max_bytes=1_000_000) as loader:
        tracemalloc.start()
        try:
            with pytest.raises(EntryLoadError, match="over max_bytes"):
                await loader.fetch_entry_html(evil.url_for("/index.html"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8_000_000, f"peak {peak / 1e6:.1f} MB for a 1 MB limit"


async def test_a_gzip_page_within_the_limit_still_loads(evil: LoopbackServer) -> None:
    page = "<html><body><p>compressed</p></body></html>"
    evil.route(
        "/index.html",
        Reply(
            body=gzip.compress(page.encode()),
            headers={"content-encoding": "gzip"},
            content_type="text/html",
        ),
    )
    async with EntryLoader() as loader:
        assert await loader.fetch_entry_html(evil.url_for("/index.html")) == page


# -- medium: </style> in a stylesheet, a second <base> -------------------------------------


@pytest.mark.parametrize(
    "sandbox",
    [
        True,
        {"experimental_style_isolation": True},
        {"strict_style_isolation": True},
    ],
)
@pytest.mark.parametrize("script_mode", ["passthrough", "drop"])
async def test_an_inlined_stylesheet_cannot_close_its_style_element(
    evil: LoopbackServer, sandbox: Any, script_mode: str
) -> None:
    css = (
        'p::after { content: "</style><img id=injected-1 src=x>" }\n'
        "/* </style><img id=injected-2 src=x> */\n"
        ".a</style><img id=injected-3 src=x> { color: red }\n"
    )
    evil.route("/s.css", Reply(body=css, content_type="text/css"))
    evil.route("/index.html", Reply(body='<link rel="stylesheet" href="s.css"><div>app</div>'))
    async with (
        EntryLoader(trusted_origins=[]) as loader,
        Orchestrator(SHELL, url="http://localhost/app", loader=loader) as tab,
    ):
        tab.register_micro_apps(
            [{"name": "app", "entry": evil.url_for("/index.html"), "container": "#main",
              "active_rule": "/app"}]
        )  # fmt: skip
        await tab.start(prefetch=False, sandbox=sandbox, script_mode=script_mode)
        assert tab.get_mounted_apps() == ["app"]
        page = tab.document.html
    assert "</style><img" not in page
    reparsed = lxml.html.document_fromstring(page)
    assert reparsed.xpath("//img") == []  # what a browser would build: no injected element
    assert "\\3c /style" in page  # the text is still there, as a CSS escape


async def test_utf7_and_codec_names_are_not_charsets(evil: LoopbackServer) -> None:
    evil.route(
        "/s.css",
        Reply(body="+ADw-/style+AD4-", content_type="text/css; charset=utf-7"),
    )
    evil.route("/b.css", Reply(body="cCB7fQ==", content_type="text/css; charset=base64"))
    evil.route(
        "/index.html",
        Reply(body='<link rel="stylesheet" href="s.css"><link rel="stylesheet" href="b.css">'),
    )
    async with EntryLoader() as loader:
        imported = await import_entry(evil.url_for("/index.html"), loader=loader)
        for href, label in (("/s.css", "utf-7"), ("/b.css", "base64")):
            with pytest.raises(EntryLoadError, match=f"unknown charset '{label}'"):
                await loader.fetch_text(evil.url_for(href), entry_url=imported.url, kind="style")


async def test_every_base_element_is_removed(evil: LoopbackServer) -> None:
    page = (
        '<html><head><base href="/assets/"><base href="https://attacker.example/"></head>'
        '<body><a href="x">x</a><base href="https://attacker.example/2/"></body></html>'
    )
    evil.route("/index.html", Reply(body=page))
    async with EntryLoader() as loader:
        imported = await import_entry(evil.url_for("/index.html"), loader=loader)
    assert "<base" not in imported.template
    assert imported.base_url == evil.url_for("/assets/")  # the first one still counts


# -- low: budgets -------------------------------------------------------------------------


async def test_an_entry_listing_2000_stylesheets_costs_one_request(evil: LoopbackServer) -> None:
    links = "".join(f'<link rel="stylesheet" href="s{i}.css">' for i in range(2000))
    evil.route("/index.html", Reply(body=f"<html><head>{links}</head></html>"))
    async with EntryLoader() as loader:
        with pytest.raises(EntryLoadError, match="over max_assets 100"):
            await import_entry(evil.url_for("/index.html"), loader=loader)
    assert len(evil.requests) == 1


async def test_the_asset_cache_is_bounded_in_bytes(evil: LoopbackServer) -> None:
    for i in range(8):
        evil.route(f"/s{i}.css", Reply(body="a" * 400_000, content_type="text/css"))
    entry = evil.url_for("/index.html")
    async with EntryLoader(max_cache_bytes=2_000_000) as loader:
        for i in range(8):
            await loader.fetch_text(evil.url_for(f"/s{i}.css"), entry_url=entry, kind="style")
        kept = [i for i in range(8) if loader.has_cached(evil.url_for(f"/s{i}.css"))]
    assert kept == [6, 7]  # 800 KB each (body and text): the oldest went first


# -- medium: @import ---------------------------------------------------------------------


async def test_imported_sheets_are_inlined_scoped_or_dropped(
    evil: LoopbackServer, good: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    evil.route(
        "/s.css",
        Reply(
            body=(
                '@import url("base.css") screen;\n'
                f'@import "{good.url_for("/other.css")}";\n'
                "@import 'missing.css';\n.own { color: blue }"
            ),
            content_type="text/css",
        ),
    )
    evil.route("/base.css", Reply(body="p { color: green }", content_type="text/css"))
    evil.route("/missing.css", Reply(404))
    good.route("/other.css", Reply(body="p { color: red }", content_type="text/css"))
    evil.route("/index.html", Reply(body='<link rel="stylesheet" href="s.css"><div>app</div>'))
    caplog.set_level(logging.WARNING, "orchestrator")
    async with (
        EntryLoader(trusted_origins=[]) as loader,
        Orchestrator(SHELL, url="http://localhost/app", loader=loader) as tab,
    ):
        tab.register_micro_apps(
            [{"name": "app", "entry": evil.url_for("/index.html"), "container": "#main",
              "active_rule": "/app"}]
        )  # fmt: skip
        await tab.start(prefetch=False, sandbox={"experimental_style_isolation": True})
        page = tab.document.html
    assert "@import" not in page
    assert '@media screen {\ndiv[data-qiankun="app"] p { color: green }' in page
    assert "color: red" not in page  # another origin: dropped, never fetched
    assert good.count("/other.css") == 0
    dropped = [r.getMessage() for r in caplog.records if "@import" in r.getMessage()]
    assert any("missing.css" in m and "'app'" in m for m in dropped)
    assert any("other.css" in m for m in dropped)


# -- low-medium: CPU work off the loop ---------------------------------------------------


async def test_scoping_a_large_stylesheet_does_not_stall_the_loop(evil: LoopbackServer) -> None:
    rule = "html body .card > .title, :root .x:hover { color: red; background: url(i.png) }\n"
    css = rule * (2_000_000 // len(rule))
    evil.route("/big.css", Reply(body=css, content_type="text/css"))
    evil.route("/index.html", Reply(body='<link rel="stylesheet" href="big.css"><div>app</div>'))
    gaps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while not stop.is_set():
            await asyncio.sleep(0.005)
            now = loop.time()
            gaps.append(now - last)
            last = now

    async with (
        EntryLoader(trusted_origins=[]) as loader,
        Orchestrator(SHELL, url="http://localhost/app", loader=loader) as tab,
    ):
        tab.register_micro_apps(
            [{"name": "app", "entry": evil.url_for("/index.html"), "container": "#main",
              "active_rule": "/app"}]
        )  # fmt: skip
        ticking = asyncio.create_task(ticker())
        await tab.start(prefetch=False, sandbox={"experimental_style_isolation": True})
        stop.set()
        await ticking
        assert tab.get_mounted_apps() == ["app"]
    # the scoping itself took far longer than this; the loop kept turning meanwhile
    assert max(gaps) < 0.5, f"longest stall {max(gaps) * 1000:.0f} ms"
