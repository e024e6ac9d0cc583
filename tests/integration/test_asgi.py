"""ComposeApp over real HTTP on 127.0.0.1: sessions, cookies, status codes, caching headers.

The first half drives ComposeApp with a small stand-in orchestrator so the session machinery is
pinned on its own; the second half composes the sample apps with the real orchestrator.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import lxml.html
import pytest

from orchestrator.asgi import ComposeApp
from orchestrator.config import AppConfig, ComposeConfig, load_config
from orchestrator.serve import LoopbackASGIServer, find_demo_config, serve_app_dirs
from orchestrator.testing import LoopbackServer, Reply

# --- a stand-in orchestrator: routes by path prefix, records what happened to it ---------------


@dataclass
class _Doc:
    owner: FakeOrchestrator

    @property
    def html(self) -> str:
        o = self.owner
        return f"<html><body><p id='who'>{o.serial}</p><p id='path'>{o.path}</p></body></html>"


@dataclass
class FakeOrchestrator:
    serial: int
    path: str
    routes: dict[str, str]
    broken: set[str]
    closed: bool = False
    navigations: list[str] = field(default_factory=list)
    handlers: list[Callable[[BaseException], Any]] = field(default_factory=list)

    @property
    def document(self) -> _Doc:
        return _Doc(self)

    def check_activity_functions(self, url: str, /) -> list[str]:
        path = urlsplit(url).path
        return [name for name, prefix in self.routes.items() if path.startswith(prefix)]

    async def navigate(self, url: str, /) -> list[str]:
        await asyncio.sleep(0.01)
        for name in self.broken:  # a LOAD_ERROR app is retried, and fails again, on each reroute
            error = _BrokenEntry(name, f"http://127.0.0.1:9/{name}/")
            for handler in self.handlers:
                handler(error)
        self.navigations.append(url)
        self.path = urlsplit(url).path
        return self.get_mounted_apps()

    def get_mounted_apps(self) -> list[str]:
        active = self.check_activity_functions("http://x" + self.path)
        return [name for name in active if name not in self.broken]

    def get_app_status(self, name: str, /) -> str | None:
        return "LOAD_ERROR" if name in self.broken else "MOUNTED"

    def add_error_handler(self, handler: Callable[[BaseException], Any], /) -> None:
        self.handlers.append(handler)

    async def aclose(self) -> None:
        self.closed = True


class _BrokenEntry(Exception):
    def __init__(self, app_name: str, url: str) -> None:
        super().__init__(f"could not load {url}: 503 Service Unavailable")
        self.app_name = app_name
        self.url = url


@dataclass
class FakeFactory:
    routes: dict[str, str] = field(
        default_factory=lambda: {"header": "/", "catalog": "/catalog", "profile": "/profile"}
    )
    broken: set[str] = field(default_factory=set)
    made: list[FakeOrchestrator] = field(default_factory=list)

    async def __call__(self, loader: Any, url: str) -> FakeOrchestrator:
        orch = FakeOrchestrator(len(self.made), urlsplit(url).path, self.routes, self.broken)
        self.made.append(orch)
        return orch


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[ComposeApp], Any]]:
    servers: list[LoopbackASGIServer] = []

    async def start(app: ComposeApp) -> str:
        server = LoopbackASGIServer(app, lifespan="on")
        await server.start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        await server.stop()


_NO_LOADER: Any = object()  # the stand-in factory never fetches


def _app(factory: FakeFactory, **options: Any) -> ComposeApp:
    options.setdefault("loader", _NO_LOADER)
    return ComposeApp(factory, layout_apps=["header"], shell_routes=["/"], **options)


async def test_each_request_gets_an_orchestrator_of_its_own_closed_after_it(serve: Any) -> None:
    factory = FakeFactory()
    url = await serve(_app(factory, secret_key="k"))
    async with httpx.AsyncClient(base_url=url) as alice:
        first = await alice.get("/catalog")
        assert first.status_code == 200
        assert "set-cookie" not in first.headers  # an anonymous view starts no session
        again = await alice.get("/profile")
        assert "<p id='who'>1</p>" in again.text and "<p id='path'>/profile</p>" in again.text
    assert len(factory.made) == 2
    for _ in range(100):
        if all(o.closed for o in factory.made):
            break
        await asyncio.sleep(0.01)
    assert all(o.closed for o in factory.made)
    assert factory.made[0].navigations == []  # built at its URL, never moved


async def test_nothing_of_the_session_is_in_the_url_and_pages_are_not_shared(serve: Any) -> None:
    factory = FakeFactory()
    url = await serve(_app(factory))
    async with httpx.AsyncClient(base_url=url, follow_redirects=False) as client:
        response = await client.get("/catalog")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["vary"] == "Cookie"
    assert response.headers["content-type"].startswith("text/html")
    assert "set-cookie" not in response.headers
    assert str(response.url).endswith("/catalog")


async def test_forged_or_foreign_cookie_gets_a_new_session(serve: Any) -> None:
    factory = FakeFactory()
    app = _app(factory, secret_key=b"server-secret")
    url = await serve(app)
    forged = ComposeApp(factory, secret_key=b"another-secret").sign("stolen-id")
    async with httpx.AsyncClient(base_url=url) as client:
        for value in (forged, "stolen-id", "stolen-id.AAAA", ""):
            client.cookies.clear()
            client.cookies.set("mfe_session", value)
            response = await client.get("/catalog")
            assert response.status_code == 200
            assert "stolen-id" not in response.headers.get("set-cookie", "")
            assert "stolen-id" not in app.sessions  # type: ignore[operator]
    assert len(factory.made) == 4


async def test_status_codes_404_502_and_shell_route(serve: Any) -> None:
    factory = FakeFactory(broken={"catalog"})
    url = await serve(_app(factory))
    async with httpx.AsyncClient(base_url=url) as client:
        missing = await client.get("/nowhere")
        assert missing.status_code == 404
        assert "/nowhere" in missing.text
        assert missing.headers["cache-control"] == "private, no-store"
        broken = await client.get("/catalog")
        assert broken.status_code == 502
        assert "catalog" in broken.text and "http://127.0.0.1:9/catalog/" not in broken.text
        assert "503 Service Unavailable" not in broken.text
        home = await client.get("/")
        assert home.status_code == 200
        fine = await client.get("/profile")
        assert fine.status_code == 200
        posted = await client.post("/catalog")
        assert posted.status_code == 405
        assert posted.headers["allow"] == "GET, HEAD"


async def test_a_broken_app_with_another_routed_app_mounted_is_not_a_502(serve: Any) -> None:
    factory = FakeFactory(
        routes={"header": "/", "catalog": "/shop", "deals": "/shop"}, broken={"catalog"}
    )
    url = await serve(_app(factory))
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/shop")
    assert response.status_code == 200


async def test_concurrent_requests_of_one_client_each_see_their_own_path(serve: Any) -> None:
    factory = FakeFactory()
    url = await serve(_app(factory))
    async with httpx.AsyncClient(base_url=url) as client:
        paths = [f"/catalog/{i}" for i in range(8)]
        responses = await asyncio.gather(*(client.get(p) for p in paths))
    assert len(factory.made) == 8
    for path, response in zip(paths, responses, strict=True):
        assert f"<p id='path'>{path}</p>" in response.text


async def test_lifespan_shutdown_closes_every_orchestrator() -> None:
    factory = FakeFactory()
    app = _app(factory)
    server = LoopbackASGIServer(app, lifespan="on")
    await server.start()
    async with (
        httpx.AsyncClient(base_url=server.url) as a,
        httpx.AsyncClient(base_url=server.url) as b,
    ):
        await a.get("/catalog")
        await b.get("/profile")
    await server.stop()
    assert [o.closed for o in factory.made] == [True, True]


def test_compose_app_needs_a_config_or_a_factory() -> None:
    with pytest.raises(TypeError, match="ComposeConfig or an async factory"):
        ComposeApp("apps.toml")  # type: ignore[arg-type]


async def test_head_gets_headers_without_a_body(serve: Any) -> None:
    url = await serve(_app(FakeFactory()))
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.head("/catalog")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["cache-control"] == "private, no-store"


async def test_mounts_under_a_prefix_in_another_asgi_app() -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Mount, Route

    factory = FakeFactory()

    async def health(request: Any) -> PlainTextResponse:
        return PlainTextResponse("ok")

    outer = Starlette(routes=[Route("/health", health), Mount("/shop", app=_app(factory))])
    async with (
        LoopbackASGIServer(outer) as server,
        httpx.AsyncClient(base_url=server.url) as client,
    ):
        assert (await client.get("/health")).text == "ok"
        response = await client.get("/shop/catalog?page=2")
        assert response.status_code == 200
        assert "<p id='path'>/catalog</p>" in response.text
        assert (await client.get("/shop/nowhere")).status_code == 404
    assert factory.made[0].path == "/catalog"


# --- the real orchestrator composing the sample apps -------------------------------------------


@pytest.fixture
async def demo() -> AsyncIterator[tuple[str, ComposeApp]]:
    config = load_config(find_demo_config())
    async with serve_app_dirs(config) as served:
        app = ComposeApp(served, stream=False)
        async with LoopbackASGIServer(app, lifespan="on") as server:
            yield server.url, app


def _doc(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text[:2000]
    return lxml.html.fromstring(response.text)


def _text(doc: Any, selector: str) -> str:
    found = doc.cssselect(selector)
    assert found, f"{selector} not in the page"
    return str(found[0].text_content()).strip()


async def test_demo_pages_are_composed_per_route_and_per_session(
    demo: tuple[str, ComposeApp],
) -> None:
    url, app = demo
    async with httpx.AsyncClient(base_url=url) as alice, httpx.AsyncClient(base_url=url) as bob:
        catalog = _doc(await alice.get("/catalog"))
        assert len(catalog.cssselect('#catalog div[data-qiankun="catalog"] li.product')) == 5
        prices = [p.text for p in catalog.cssselect("#catalog li.product .product-price")]
        assert prices == ["€89.00", "€35.50", "€249.00", "€129.90", "€59.00"]
        assert catalog.cssselect('#header div[data-qiankun="header"] nav')
        assert catalog.cssselect("#profile *") == [] and catalog.cssselect("#clock *") == []
        scoped = " ".join(style.text or "" for style in catalog.cssselect("#catalog style"))
        assert 'div[data-qiankun="catalog"] h1' in scoped
        assert _text(catalog, "#header-user") == "Not signed in"
        assert _text(catalog, "#shell-title") == "mfe-orchestrator demo shell"

        login = _doc(await alice.get("/login?user=alice"))
        assert _text(login, "#header-user") == "Signed in as alice"
        profile = _doc(await alice.get("/profile"))
        assert _text(profile, "#header-user") == "Signed in as alice"
        assert _text(profile, "#profile-status").startswith("Signed in as alice")
        assert _text(profile, "#profile-credit").startswith("Store credit: €25.00")
        assert profile.cssselect("#catalog *") == []

        strangers_profile = _doc(await bob.get("/profile"))
        assert _text(strangers_profile, "#header-user") == "Not signed in"

        signed_in_cookie = alice.cookies.get("mfe_session")
        logout = _doc(await alice.get("/logout"))  # sign-out through global state
        assert _text(logout, "#header-user") == "Not signed in"
        assert _text(logout, "#profile-status") == "Nobody is signed in."
        assert _text(_doc(await alice.get("/catalog")), "#header-user") == "Not signed in"
        assert alice.cookies.get("mfe_session") != signed_in_cookie  # the id rotated
        _doc(await alice.get("/login?user=alice"))  # and back in, for what follows

        clock = _doc(await alice.get("/clock"))
        scripts = clock.cssselect('#clock div[data-qiankun="clock"] script')
        assert any("clock" in (s.get("src") or "") + (s.text or "") for s in scripts)
        assert _text(clock, "#clock-time") == "--:--:--"

        home = _doc(await alice.get("/"))
        assert home.cssselect("#header nav") and home.cssselect("#counter *") == []
        assert len(home.cssselect("#catalog li.product")) == 3  # the featured tiles
        assert _text(home, "#profile-status").startswith("Signed in as alice")
        assert _text(home, "#clock-time") == "--:--:--"
        missing = await alice.get("/nope")
        assert missing.status_code == 404 and "set-cookie" not in missing.headers
        assert _text(lxml.html.fromstring(missing.text), "#header-user") == "Signed in as alice"
    assert len(app.sessions) == 1  # type: ignore[arg-type]  # only alice's state diverged


async def test_the_demo_home_page_shows_several_apps(demo: tuple[str, ComposeApp]) -> None:
    url, _ = demo
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/")
    home = _doc(response)
    shown = sorted(
        name
        for name in ("catalog", "profile", "clock", "counter")
        if home.cssselect(f'#{name} [data-qiankun="{name}"], #{name} [data-garfish-app]')
    )
    assert shown == ["catalog", "clock", "profile"]
    assert "each card below is a separate micro-app" in _text(home, ".shell-intro")
    assert _text(home, "#catalog-title") == "Featured"
    assert _text(home, "#profile-status") == "Nobody is signed in."
    assert "set-cookie" not in response.headers  # an anonymous view starts no session


async def test_a_product_page_shows_that_product_and_its_price(
    demo: tuple[str, ComposeApp],
) -> None:
    url, _ = demo
    async with httpx.AsyncClient(base_url=url) as client:
        catalog = _doc(await client.get("/catalog"))
        links = [a.get("href") for a in catalog.cssselect("#catalog li.product a.product-link")]
        assert links == [f"/product/{n}" for n in range(1, 6)]
        product = _doc(await client.get(links[1]))
        missing = _doc(await client.get("/product/42"))  # the route exists; the product not
    assert product.cssselect("#product-detail")[0].get("data-product") == "2"
    assert _text(product, "#product-detail .product-title") == "Wireless mouse"
    assert _text(product, "#product-detail .product-price") == "€35.50"
    assert _text(product, "#catalog-prices-by").startswith("Prices by widgets 1.0.0")
    assert product.cssselect("#catalog-list li") == [] and product.cssselect("#profile *") == []
    assert _text(missing, ".product-missing").startswith("No such product: 42.")
    assert missing.cssselect(".product-title") == []


async def test_an_unknown_path_is_a_404_in_the_shell_with_its_header(
    demo: tuple[str, ComposeApp],
) -> None:
    url, app = demo
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/no/such/<page>")
        head = await client.head("/no/such/page")
    assert response.status_code == 404 and head.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "set-cookie" not in response.headers and len(app.sessions) == 0  # type: ignore[arg-type]
    page = lxml.html.fromstring(response.text)
    assert page.cssselect('#header div[data-qiankun="header"] nav')  # the layout app
    assert _text(page, "#header-user") == "Not signed in"
    assert _text(page, "main .not-found h1") == "404 Not Found"
    assert _text(page, "main .not-found h2") == "There is no page at /no/such/<page>."
    assert page.cssselect("footer") and page.cssselect("#shell-title") == []
    assert page.cssselect("#catalog") == []
    # DESIGN §5: nothing of the app servers is named outside the header's own markup
    for header in page.cssselect("#header"):
        header.getparent().remove(header)
    assert "127.0.0.1" not in lxml.html.tostring(page, encoding="unicode")
    assert "<page>" not in response.text and "&lt;page&gt;" in response.text  # escaped


async def test_without_not_found_a_404_is_the_bare_page(tmp_path: Path) -> None:
    with LoopbackServer() as upstream:
        (tmp_path / "shell.html").write_text(
            "<html><body><div id='header'></div><main data-mfe-not-found></main></body></html>"
        )
        config = tmp_path / "site.toml"
        config.write_text(
            f"""shell = "shell.html"
[options]
prefetch = false
[[apps]]
name = "header"
entry = "{upstream.url_for("/header/")}"
container = "#header"
active_rule = "/"
layout = true
"""
        )
        upstream.route("/header/", Reply(body="<nav id='nav'>header</nav>"))
        app = ComposeApp(load_config(config), stream=False)
        async with (
            LoopbackASGIServer(app, lifespan="on") as server,
            httpx.AsyncClient(base_url=server.url) as client,
        ):
            response = await client.get("/nowhere")
        assert response.status_code == 404
        assert "No micro-app and no shell route answers /nowhere." in response.text
        assert "id='nav'" not in response.text and 'id="nav"' not in response.text
        assert upstream.count("/header/") == 0  # no page was composed for it


def _one_app_config(entry: str) -> ComposeConfig:
    shell = (
        "<html><body><h1>Shell</h1><div id='header'></div><div id='catalog'></div></body></html>"
    )
    return ComposeConfig(
        shell_html=shell,
        apps=(
            AppConfig(name="catalog", container="#catalog", active_rule=("/catalog",), entry=entry),
        ),
        options={"prefetch": False},
        shell_routes=("/",),
    )


async def test_502_names_the_failing_app_and_recovers_when_the_entry_does() -> None:
    with LoopbackServer() as upstream:
        entry = upstream.url_for("/catalog/")
        upstream.route("/catalog/", Reply(503, body="down"), Reply(200, body="<p id='ok'>up</p>"))
        app = ComposeApp(_one_app_config(entry), stream=False)
        async with (
            LoopbackASGIServer(app, lifespan="on") as server,
            httpx.AsyncClient(base_url=server.url) as client,
        ):
            failed = await client.get("/catalog")
            assert failed.status_code == 502
            assert failed.headers["cache-control"] == "private, no-store"
            assert "catalog" in failed.text and entry not in failed.text
            home = await client.get("/")
            assert home.status_code == 200 and "Shell" in home.text
            await asyncio.sleep(0.25)  # a LOAD_ERROR app is retried by a reroute 200 ms later
            again = await client.get("/catalog")
            assert again.status_code == 200, again.text
            assert 'id="ok"' in again.text


def test_root_path_is_stripped_only_at_a_segment_boundary() -> None:
    from orchestrator.asgi._app import _route_path

    assert _route_path({"path": "/app/alpha", "root_path": "/app"}) == "/alpha"
    assert _route_path({"path": "/app", "root_path": "/app"}) == "/"
    assert _route_path({"path": "/application/alpha", "root_path": "/app"}) == "/application/alpha"


async def test_a_user_factory_taking_on_error_gets_the_cause_into_the_502() -> None:
    from orchestrator import Orchestrator

    with LoopbackServer() as server:
        server.route("/alpha/index.html", Reply(500, body="boom"))

        async def factory(loader: Any, url: str, on_error: Any = None) -> Any:
            tab = Orchestrator('<body><div id="main"></div></body>', url=url, loader=loader)
            tab.add_error_handler(on_error)
            entry = server.url_for("/alpha/index.html")
            tab.register_micro_apps(
                [{"name": "alpha", "entry": entry, "container": "#main", "active_rule": "/alpha"}]
            )
            await tab.start(prefetch=False)
            return tab

        app = ComposeApp(factory)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/alpha")
        await app.aclose()
        assert response.status_code == 502
        assert "alpha" in response.text and "HTTP status 500" not in response.text


async def test_a_factory_taking_state_gets_the_sessions_global_state() -> None:
    from orchestrator import Orchestrator

    seen: list[Any] = []

    async def factory(loader: Any, url: str, state: Any = None) -> Any:
        seen.append(state)
        tab = Orchestrator("<html><body><p>hi</p></body></html>", url=url)
        tab.init_global_state(state or {"user": ""})
        if "/login" in url:
            tab.init_global_state({"user": "alice"})
        await tab.start()
        return tab

    app = ComposeApp(
        factory,
        loader=object(),  # type: ignore[arg-type]
        secret_key="k",
        shell_routes=["/", "/login"],
        global_state={"user": ""},
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert "set-cookie" not in (await client.get("/")).headers
        assert "set-cookie" in (await client.get("/login")).headers
        await client.get("/")
    await app.aclose()
    assert seen == [None, None, {"user": "alice"}]


async def test_the_demo_formats_prices_through_the_widgets_remote(
    demo: tuple[str, ComposeApp],
) -> None:
    """``[[remotes]]`` in demo.toml: the remote is built, served and shared by every page."""
    url, _ = demo
    async with httpx.AsyncClient(base_url=url) as client:
        catalog = await client.get("/catalog")
        profile = await client.get("/profile")
    assert "Prices by widgets 1.0.0 (money 1.0.0, shared singleton)" in catalog.text
    assert "Store credit: €25.00" in profile.text


def _not_found_config(entry: str, shell: str) -> ComposeConfig:
    return ComposeConfig(
        shell_html=shell,
        apps=(
            AppConfig(
                name="header", container="#header", active_rule=("/",), entry=entry, layout=True
            ),
        ),
        options={"prefetch": False},
        not_found_html="<p id='gone'>Nothing at {{path}}</p>",
    )


async def test_a_404_keeps_its_message_when_the_layout_app_fails() -> None:
    shell = "<html><body><div id='header'></div><main data-mfe-not-found>x</main></body></html>"
    with LoopbackServer() as upstream:
        entry = upstream.url_for("/header/")
        upstream.route("/header/", Reply(503, body="down"))
        app = ComposeApp(_not_found_config(entry, shell), stream=False)
        async with (
            LoopbackASGIServer(app, lifespan="on") as server,
            httpx.AsyncClient(base_url=server.url) as client,
        ):
            response = await client.get("/gone")
    assert response.status_code == 404
    page = lxml.html.fromstring(response.text)
    assert _text(page, "main #gone") == "Nothing at /gone"
    assert entry not in response.text and "503" not in response.text  # DESIGN §5


async def test_a_hand_made_config_whose_shell_has_no_mark_gets_the_bare_404() -> None:
    shell = "<html><body><div id='header'></div><main></main></body></html>"
    with LoopbackServer() as upstream:
        entry = upstream.url_for("/header/")
        upstream.route("/header/", Reply(body="<nav>header</nav>"))
        app = ComposeApp(_not_found_config(entry, shell), stream=False)
        async with (
            LoopbackASGIServer(app, lifespan="on") as server,
            httpx.AsyncClient(base_url=server.url) as client,
        ):
            response = await client.get("/gone")
    assert response.status_code == 404
    assert "No micro-app and no shell route answers /gone." in response.text
