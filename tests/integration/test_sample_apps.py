"""The sample apps in apps/ and the demo config: each app served on its own, its scripts, the TOML.

Composition of the apps by the orchestrator is checked at the end, over real loopback servers.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import lxml.html
import pytest
import tinycss2

from orchestrator.config import ConfigError, load_config
from orchestrator.serve import LoopbackASGIServer, find_demo_config, static_app

ROOT = Path(__file__).resolve().parents[2]
APPS = ROOT / "apps"
ROUTED = ("catalog", "profile", "clock")


def _colour_of(css: str, selector: str) -> str | None:
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "qualified-rule" and tinycss2.serialize(rule.prelude).strip() == selector:
            for decl in tinycss2.parse_declaration_list(rule.content, skip_whitespace=True):
                if decl.type == "declaration" and decl.lower_name == "color":
                    return str(tinycss2.serialize(decl.value)).strip()
    return None


@pytest.mark.parametrize("name", ["header", *ROUTED])
async def test_each_app_is_servable_on_its_own(name: str) -> None:
    async with (
        LoopbackASGIServer(static_app(APPS / name)) as server,
        httpx.AsyncClient(base_url=server.url) as client,
    ):
        page = await client.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        doc = lxml.html.fromstring(page.text)
        links = [link.get("href") for link in doc.iter("link")]
        scripts = [script.get("src") for script in doc.iter("script") if script.get("src")]
        assert "style.css" in links
        for asset in [*links, *scripts]:
            response = await client.get(f"/{asset}")
            assert response.status_code == 200, asset
            assert response.headers["access-control-allow-origin"] == "*"
        assert doc.cssselect("h1") and doc.cssselect(".card")


def test_header_and_routed_apps_style_h1_and_card_differently() -> None:
    names = ["header", "counter_garfish", *ROUTED]
    assert sorted(names) == sorted(p.name for p in APPS.iterdir() if (p / "index.html").is_file())
    h1 = {name: _colour_of((APPS / name / "style.css").read_text(), "h1") for name in names}
    cards = {name: (APPS / name / "style.css").read_text() for name in names}
    assert all(h1.values()), h1
    assert len(set(h1.values())) == len(h1), "every app gives h1 its own colour"
    assert all(".card" in css for css in cards.values())


def test_clock_is_a_static_app_with_browser_javascript() -> None:
    doc = lxml.html.parse(str(APPS / "clock" / "index.html")).getroot()
    scripts = list(doc.iter("script"))
    assert [s.get("src") for s in scripts] == ["clock.js"]
    assert all(s.get("type") in (None, "text/javascript") for s in scripts)
    assert "setInterval" in (APPS / "clock" / "clock.js").read_text()


# --- the Python scripts of the apps, run against their own templates --------------------------


def _container(name: str) -> Any:
    template = (APPS / name / "index.html").read_text()
    body = lxml.html.fromstring(template).find("body")
    assert body is not None
    wrapper = lxml.html.fragment_fromstring("<div></div>")
    for child in list(body):
        wrapper.append(child)
    return wrapper


class _GlobalState:
    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self.listeners: list[Any] = []

    def on_change(self, callback: Any, fire_immediately: bool = False) -> None:
        self.listeners.append(callback)
        if fire_immediately:
            callback(dict(self.state), dict(self.state))

    def set(self, update: dict[str, Any]) -> bool:
        prev = dict(self.state)
        self.state.update(update)
        for listener in self.listeners:
            listener(dict(self.state), prev)
        return True


class _Signal:
    def __init__(self) -> None:
        self.receivers: list[Any] = []

    def connect(self, receiver: Any, sender: Any = None, weak: bool = True) -> Any:
        self.receivers.append(receiver)
        return receiver

    def disconnect(self, receiver: Any) -> None:
        self.receivers.remove(receiver)


def _props(name: str, path: str, search: str, state: _GlobalState) -> dict[str, Any]:
    routing = _Signal()
    orchestrator = SimpleNamespace(
        location=SimpleNamespace(pathname=path, search=search),
        events=SimpleNamespace(signal=lambda _name: routing),
        routing=routing,
    )
    return {
        "name": name,
        "container": _container(name),
        "orchestrator": orchestrator,
        "set_global_state": state.set,
        "on_global_state_change": state.on_change,
    }


def test_catalog_renders_its_products_on_mount_and_clears_on_unmount() -> None:
    app = runpy.run_path(str(APPS / "catalog" / "main.py"))
    props = _props("catalog", "/catalog", "", _GlobalState({"user": ""}))
    app["bootstrap"](props)
    app["mount"](props)
    items = props["container"].cssselect("#catalog-list li.product")
    assert len(items) == len(app["PRODUCTS"]) == 5
    (link,) = items[0].cssselect("a.product-link")
    assert (link.text, link.get("href")) == ("Mechanical keyboard", "/product/1")
    hrefs = [a.get("href") for a in props["container"].cssselect("#catalog-list li a")]
    assert hrefs == [f"/product/{n}" for n in range(1, 6)]
    app["unmount"](props)
    assert props["container"].cssselect("#catalog-list li") == []
    assert props["orchestrator"].routing.receivers == []


def _mounted_catalog(path: str) -> tuple[dict[str, Any], Any]:
    app = runpy.run_path(str(APPS / "catalog" / "main.py"))
    props = _props("catalog", path, "", _GlobalState({"user": ""}))
    app["mount"](props)
    return props, props["container"]


def test_catalog_shows_the_featured_tiles_on_the_home_page() -> None:
    _, container = _mounted_catalog("/")
    titles = [a.text for a in container.cssselect("#catalog-list li a.product-link")]
    assert titles == ["Mechanical keyboard", "Wireless mouse", "27-inch monitor"]
    assert container.cssselect("#catalog-title")[0].text == "Featured"
    (more,) = container.cssselect("#catalog-more a")
    assert more.get("href") == "/catalog"


def test_catalog_shows_one_product_on_its_page_by_pathname() -> None:
    _, container = _mounted_catalog("/product/2")
    assert container.cssselect("#catalog-list li") == []
    (detail,) = container.cssselect("#product-detail")
    assert detail.get("data-product") == "2"
    assert detail.cssselect(".product-title")[0].text == "Wireless mouse"
    assert detail.cssselect(".product-price")[0].text == "€35.50"
    assert container.cssselect(".catalog-intro")[0].get("hidden") == "hidden"


def test_catalog_says_no_such_product_for_an_unknown_id() -> None:
    _, container = _mounted_catalog("/product/42")
    (missing,) = container.cssselect("#product-detail .product-missing")
    assert missing.text_content().startswith("No such product: 42.")
    assert missing.get("role") == "alert"
    assert missing.cssselect("a")[0].get("href") == "/catalog"
    assert container.cssselect(".product-title") == []


def test_catalog_follows_a_navigation_while_it_stays_mounted() -> None:
    props, container = _mounted_catalog("/")
    orchestrator = props["orchestrator"]
    orchestrator.location.pathname = "/catalog"
    for receiver in list(orchestrator.routing.receivers):
        receiver(orchestrator, detail=None)
    assert len(container.cssselect("#catalog-list li")) == 5
    assert container.cssselect("#catalog-more a") == []
    assert container.cssselect(".catalog-intro")[0].text == "Everything in the store today."


def test_login_route_signs_the_user_in_and_the_header_follows() -> None:
    state = _GlobalState({"user": ""})
    header = runpy.run_path(str(APPS / "header" / "main.py"))
    profile = runpy.run_path(str(APPS / "profile" / "main.py"))
    header_props = _props("header", "/login", "?user=alice", state)
    header["mount"](header_props)
    user_line = header_props["container"].cssselect("#header-user")[0]
    assert user_line.text == "Not signed in"

    profile_props = _props("profile", "/login", "?user=alice", state)
    profile["mount"](profile_props)
    assert state.state == {"user": "alice"}
    assert user_line.text == "Signed in as alice"
    status = profile_props["container"].cssselect("#profile-status")[0]
    assert status.text.startswith("Signed in as alice")
    (hint,) = profile_props["container"].cssselect("#profile-hint a")
    assert (hint.get("href"), hint.text) == ("/logout", "/logout")  # signed in: how to leave

    # a later navigation to /login?user=bob while profile stays mounted signs bob in
    orchestrator = profile_props["orchestrator"]
    orchestrator.location.search = "?user=bob"
    for receiver in list(orchestrator.routing.receivers):
        receiver(orchestrator, detail=None)
    assert user_line.text == "Signed in as bob"
    profile["unmount"](profile_props)
    assert orchestrator.routing.receivers == []


def test_profile_route_alone_does_not_change_the_user() -> None:
    state = _GlobalState({"user": ""})
    profile = runpy.run_path(str(APPS / "profile" / "main.py"))
    props = _props("profile", "/profile", "?user=mallory", state)
    profile["mount"](props)
    assert state.state == {"user": ""}
    assert props["container"].cssselect("#profile-status")[0].text == "Nobody is signed in."
    assert props["container"].cssselect("#profile-hint a")[0].get("href") == "/login?user=alice"


# --- the demo config ---------------------------------------------------------------------------


def test_demo_config_describes_the_five_apps() -> None:
    config = load_config(find_demo_config())
    assert [app.name for app in config.apps] == ["header", "catalog", "profile", "clock", "counter"]
    assert [app.kind for app in config.apps].count("garfish") == 1  # counter: a provider
    assert config.layout_apps == frozenset({"header"})
    assert config.shell_routes == ("/",)
    assert all(app.dir is not None and app.entry is None for app in config.apps)
    assert dict(config.options)["sandbox"] == {"experimental_style_isolation": True}
    header, catalog, profile, clock, counter = config.apps
    assert profile.active_rule == ("/profile", "/login", "/logout")
    assert catalog.active_rule == ("/catalog", "/product/:id")
    assert clock.active_rule == ("/clock",)
    # the home page shows catalog, profile and clock: "/" matched exactly, not as a prefix
    assert [app.name for app in config.apps if app.exact_rule == ("/",)] == [
        "catalog",
        "profile",
        "clock",
    ]
    assert header.exact_rule == counter.exact_rule == ()
    served = config.with_entries({"profile": "http://127.0.0.1:1234/"})
    rules = served.apps[2].registration()["active_rule"]
    assert isinstance(rules, list) and rules[:3] == ["/profile", "/login", "/logout"]
    assert served.apps[2].registration()["entry"] == "http://127.0.0.1:1234/"
    with pytest.raises(ConfigError, match="app 'catalog'"):
        served.apps[1].registration()
    assert config.not_found_html is not None and "{{path}}" in config.not_found_html
    assert "data-mfe-not-found" in config.shell_html


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("apps = []", "key 'shell'"),
        ('shell = "missing.html"\n[[apps]]\nname="a"', "key 'shell': cannot read"),
        ('shell = "s.html"', "key 'apps': needs at least one"),
        (
            'shell = "s.html"\n[[apps]]\nname = "a"\ncontainer = "#a"\nactive_rule = "/a"',
            "app 'a', key 'entry': give exactly one",
        ),
        (
            'shell = "s.html"\n[[apps]]\nname = "a"\nentry = "ftp://x/"\ncontainer = "#a"\n'
            'active_rule = "/a"',
            "app 'a', key 'entry': must be an http",
        ),
        (
            'shell = "s.html"\n[[apps]]\nname = "a"\nentry = "http://x/"\ncontainer = "#a"\n'
            "active_rule = 3",
            "app 'a', key 'active_rule'",
        ),
        (
            'shell = "s.html"\n[[apps]]\nname = "a"\nentry = "http://x/"\ncontainer = "#a"\n'
            'active_rule = "/a"\ncolour = "red"',
            "app 'a', key 'colour': unknown key",
        ),
        (
            'shell = "s.html"\n[[apps]]\nname = "a"\ndir = "nowhere"\ncontainer = "#a"\n'
            'active_rule = "/a"',
            "app 'a', key 'dir'",
        ),
        (
            'shell = "s.html"\n'
            + '[[apps]]\nname = "a"\nentry = "http://x/"\ncontainer = "#a"\nactive_rule = "/a"\n'
            * 2,
            "app 'a', key 'name': is used by two apps",
        ),
        ('shell = "s.html"\nshell_routes = ["home"]', "key 'shell_routes'"),
        ("shell = [", "not valid TOML"),
    ],
)
def test_config_errors_name_the_file_the_key_and_the_app(
    tmp_path: Path, body: str, message: str
) -> None:
    (tmp_path / "s.html").write_text("<html><body></body></html>")
    path = tmp_path / "compose.toml"
    path.write_text(body)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)
