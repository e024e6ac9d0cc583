"""Pages of code-free apps replayed by entry version, over real HTTP on 127.0.0.1.

A page whose apps ran no Python is composed once per set of entry versions; later requests get
the same bytes without an orchestrator, and a redeployed app (a new version) is composed again.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import lxml.html
import pytest

from orchestrator.asgi import ComposeApp
from orchestrator.config import AppConfig, ComposeConfig
from orchestrator.serve import LoopbackASGIServer
from orchestrator.testing import LoopbackServer, RecordedRequest, Reply

SHELL = (
    "<!doctype html><html><head><title>shop</title></head><body>"
    '<div id="header"></div><main id="content"></main></body></html>'
)


@dataclass
class Apps:
    """Two code-free apps (header, content) and one with Python (greeter), on one server."""

    server: LoopbackServer
    cache_control: str
    bodies: dict[str, str] = field(default_factory=dict)

    def entry(self, name: str) -> str:
        return self.server.url_for(f"/{name}/")

    def reply(self, request: RecordedRequest) -> Reply:
        name = request.path.strip("/").split("/")[0]
        headers = {"cache-control": self.cache_control}
        if request.path.endswith("main.py"):
            return Reply(body=_GREETER_PY, content_type="text/x-python", headers=headers)
        if request.path.endswith("style.css"):
            return Reply(
                body=f".{name} {{ color: red; }}", content_type="text/css", headers=headers
            )
        return Reply(body=self.bodies[name], headers=headers)


def _page(name: str, text: str) -> str:
    return (
        f'<html><head><link rel="stylesheet" href="style.css"></head>'
        f'<body><p class="{name}">{text}</p></body></html>'
    )


_GREETER = (
    '<html><body><p id="hello">hello</p>'
    '<script type="text/python" src="main.py" entry></script></body></html>'
)
_GREETER_PY = """
def bootstrap(props):
    pass

def mount(props):
    props["container"].cssselect("#hello")[0].text = "hello from python"

def unmount(props):
    pass
"""


@pytest.fixture(params=["public, max-age=3600", "no-store"])
async def apps(request: pytest.FixtureRequest) -> AsyncIterator[Apps]:
    with LoopbackServer() as server:
        found = Apps(server, request.param)
        found.bodies = {
            "header": _page("header", "header v1"),
            "content": _page("content", "content v1"),
            "greeter": _GREETER,
        }
        for name in found.bodies:
            server.route(f"/{name}/", handler=found.reply)
            server.route(f"/{name}/style.css", handler=found.reply)
        server.route("/greeter/main.py", handler=found.reply)
        yield found


def _config(apps: Apps, content: str = "content") -> ComposeConfig:
    return ComposeConfig(
        shell_html=SHELL,
        apps=(
            AppConfig("header", "#header", ("/",), entry=apps.entry("header"), layout=True),
            AppConfig(content, "#content", ("/shop",), entry=apps.entry(content)),
        ),
        options={"prefetch": False, "script_mode": "passthrough"},
    )


@contextlib.asynccontextmanager
async def _client(composer: ComposeApp) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        LoopbackASGIServer(composer, lifespan="on") as served,
        httpx.AsyncClient(base_url=served.url) as client,
    ):
        yield client


async def test_a_code_free_page_is_composed_once_and_replayed_byte_for_byte(apps: Apps) -> None:
    composer = ComposeApp(_config(apps))
    async with _client(composer) as client:
        first = await client.get("/shop")
        assert first.status_code == 200
        assert "content v1" in first.text and "header v1" in first.text
        assert ".content" in first.text  # the stylesheet inlined, scoped
        hits = composer.replay.hits
        entries = apps.server.count("/content/")
        later = [await client.get(f"/shop?visit={i}") for i in range(5)]
        assert composer.replay.hits == hits + 5
        assert all(r.status_code == 200 and r.content == first.content for r in later)
        assert all(r.headers["cache-control"] == "private, no-store" for r in later)
        assert all("set-cookie" not in r.headers for r in later)  # no session for a viewer
        refetched = apps.server.count("/content/") - entries
        if apps.cache_control == "no-store":
            assert refetched == 5  # asked each time, as Tailor would: the body hashed, not parsed
        else:
            assert refetched == 0
        assert apps.server.count("/content/style.css") == 1  # pinned to the entry's version


async def test_a_redeployed_app_is_composed_again(apps: Apps) -> None:
    composer = ComposeApp(_config(apps))
    async with _client(composer) as client:
        assert "content v1" in (await client.get("/shop")).text
        assert "content v1" in (await client.get("/shop")).text
        apps.bodies["content"] = _page("content", "content v2")
        if apps.cache_control != "no-store":
            composer._shared_loader().pages.records[apps.entry("content")].fresh_until = 0
        page = await client.get("/shop")
        assert "content v2" in page.text and "content v1" not in page.text
        assert "content v2" in (await client.get("/shop")).text
        assert len(composer.replay) == 2  # one page per set of versions


async def test_pages_of_apps_that_run_python_are_composed_every_time(apps: Apps) -> None:
    composer = ComposeApp(_config(apps, content="greeter"))
    async with _client(composer) as client:
        pages = [await client.get("/shop") for _ in range(3)]
        assert all("hello from python" in page.text for page in pages)
        assert composer.replay.hits == 0 and len(composer.replay) == 0


async def test_replay_off_composes_every_request(apps: Apps) -> None:
    composer = ComposeApp(_config(apps), replay_bytes=0)
    async with _client(composer) as client:
        pages = [await client.get("/shop") for _ in range(3)]
        assert len({p.content for p in pages}) == 1
        assert composer.replay.hits == 0 and len(composer.replay) == 0


async def test_a_page_with_a_fallback_is_not_kept(apps: Apps) -> None:
    config = _config(apps)
    broken = AppConfig(
        "content",
        "#content",
        ("/shop",),
        entry=apps.server.url_for("/missing/"),
        fallback="<p>later</p>",
    )
    config = ComposeConfig(shell_html=SHELL, apps=(config.apps[0], broken), options=config.options)
    composer = ComposeApp(config)
    async with _client(composer) as client:
        for _ in range(2):
            page = await client.get("/shop")
            assert page.status_code == 200 and "<p>later</p>" in page.text
        assert len(composer.replay) == 0 and composer.replay.hits == 0


async def test_page_started_is_sent_for_each_composed_page_and_not_for_a_replayed_one(
    apps: Apps,
) -> None:
    composer = ComposeApp(_config(apps))
    seen: list[tuple[str, str]] = []

    def started(sender: ComposeApp, *, orchestrator: object, url: str, request_id: str) -> None:
        assert sender is composer and hasattr(orchestrator, "register_micro_apps")
        seen.append((url, request_id))

    composer.page_started.connect(started, sender=composer)
    async with _client(composer) as client:
        assert seen == [("http://localhost/", "warm-up")]  # the lifespan's warm-up page
        first = await client.get("/shop")
        assert seen[1:] == [("http://localhost/shop", first.headers["x-request-id"])]
        await client.get("/shop")  # replayed: no orchestrator made
        assert len(seen) == 2


async def test_a_shell_styled_404_of_code_free_apps_is_replayed_with_each_path(
    apps: Apps,
) -> None:
    # a crawler's ever new paths share one kept page: no orchestrator per 404
    shell = SHELL.replace(
        '<main id="content"></main>', '<main id="content" data-mfe-not-found></main>'
    )
    config = dataclasses.replace(
        _config(apps), shell_html=shell, not_found_html="<p id='gone'>Nothing at {{path}}</p>"
    )
    composer = ComposeApp(config)
    composed: list[str] = []
    composer.page_started.connect(lambda sender, **kw: composed.append(kw["url"]), weak=False)
    async with _client(composer) as client:
        before = len(composed)
        pages = [await client.get(path) for path in ("/gone", "/old/<b>", "/gone?x=1", "/x")]
        assert [page.status_code for page in pages] == [404] * 4
        gone = [lxml.html.fromstring(page.text).cssselect("#gone")[0].text for page in pages]
        assert gone == [
            "Nothing at /gone",
            "Nothing at /old/<b>",
            "Nothing at /gone",
            "Nothing at /x",
        ]
        assert "<b>" not in pages[1].text  # the path is escaped, as when composed
        assert all("header v1" in page.text for page in pages)  # the layout app, mounted
        assert len(composed) - before == 1  # composed once, then replayed
        assert all("set-cookie" not in page.headers for page in pages)
        apps.bodies["header"] = _page("header", "header v2")
        if apps.cache_control != "no-store":
            composer._shared_loader().pages.records[apps.entry("header")].fresh_until = 0
        again = await client.get("/elsewhere")
        assert again.status_code == 404 and "header v2" in again.text  # a new version: anew
        assert "Nothing at /elsewhere" in again.text


def test_kept_pages_are_bounded_in_bytes_least_recently_used_first_out() -> None:
    from orchestrator.asgi._replay import PageReplay

    replay = PageReplay(max_bytes=10)
    a, b, c = (PageReplay.key([n], ["v1"], "") for n in "abc")
    replay.put(a, b"aaaa")
    replay.put(b, b"bbbb")
    assert replay.get(a) == b"aaaa"  # a is now the most recently used
    replay.put(c, b"cccc")  # 12 bytes > 10: b goes
    assert replay.get(b) is None and replay.get(a) == b"aaaa" and replay.get(c) == b"cccc"
    assert replay.size_bytes == 8
    replay.put(a, b"x" * 11)  # larger than the whole budget: not kept, the old page stays
    assert replay.get(a) == b"aaaa"
