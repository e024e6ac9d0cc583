"""The Garfish layer as a unit: entries served by ``EntryLoader(fetch=...)``, no sockets.

Hook order, provider lookup, before_load cancelling, raising plugins, cache and routing. The
end-to-end twin over real HTTP with apps/counter_garfish is tests/integration/test_garfish_app.py.
"""

from __future__ import annotations

import asyncio
import logging
import textwrap
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from engine_support import until

from orchestrator import AppStatus, EntryLoader, Orchestrator
from orchestrator.errors import OrchestratorError, UntrustedOriginError
from orchestrator.garfish import (
    APP_HOOKS,
    GLOBAL_HOOKS,
    DomGetterError,
    Garfish,
    GarfishApp,
    GarfishError,
    ProviderError,
)

SHELL = '<!DOCTYPE html><html><head></head><body><main id="app"></main></body></html>'
ORIGIN = "http://127.0.0.1:9"  # never dialled: the fetch hook answers
LOG = "orchestrator.garfish"

PROVIDER = """
runs = window.get("runs", 0) + 1
window.runs = runs

def provider(info, props):
    def render(render_info):
        dom = render_info["dom"]
        dom.set("data-rendered", str(render_info["app_render_info"]["is_mount"]))
        dom.set("data-basename", render_info["basename"])
        window.renders = window.get("renders", 0) + 1

    def destroy(destroy_info):
        window.destroys = window.get("destroys", 0) + 1

    return {"render": render, "destroy": destroy}
"""


def page(script: str) -> str:
    return (
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="style.css"></head>'
        '<body><div class="root">hello</div>'
        f'<script type="text/python" entry>{textwrap.dedent(script)}</script></body></html>'
    )


class Site:
    """A fetch hook holding pages by URL, counting what was asked."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.asked: list[str] = []

    def add(self, name: str, script: str = PROVIDER) -> str:
        self.pages[f"{ORIGIN}/{name}/index.html"] = page(script)
        self.pages[f"{ORIGIN}/{name}/style.css"] = f".{name} {{ color: red }}"
        return f"{ORIGIN}/{name}/index.html"

    async def __call__(self, url: str) -> str:
        self.asked.append(url)
        return self.pages[url]


@pytest.fixture
def site() -> Site:
    return Site()


@pytest.fixture
async def tab(site: Site) -> AsyncIterator[Orchestrator]:
    loader = EntryLoader(fetch=site, trusted_origins=[ORIGIN])
    async with loader, Orchestrator(SHELL, url="http://localhost/", loader=loader) as orch:
        yield orch


def recorder(name: str, log: list[tuple[Any, ...]], **overrides: Any) -> dict[str, Any]:
    """A plugin recording every hook it hears as ``(plugin, hook, cache-mode flag or None)``."""

    def hook(hook_name: str) -> Callable[..., Any]:
        def listen(*args: Any) -> Any:
            flag = args[2] if hook_name in _CACHE_FLAG_HOOKS else None
            log.append((name, hook_name, flag))
            return overrides.get(hook_name)

        return listen

    return {
        "name": name,
        **{hook_name: hook(hook_name) for hook_name in (*GLOBAL_HOOKS, *APP_HOOKS)},
    }


_CACHE_FLAG_HOOKS = {"before_mount", "after_mount", "before_unmount", "after_unmount"}


def hooks_of(log: list[tuple[Any, ...]], who: str) -> list[tuple[str, Any]]:
    return [(hook, flag) for name, hook, flag in log if name == who]


# -- hook order -------------------------------------------------------------------------------


async def test_run_calls_bootstrap_and_register_hooks_in_order(
    tab: Orchestrator, site: Site
) -> None:
    log: list[tuple[Any, ...]] = []
    garfish = Garfish(tab)
    garfish.run(
        {
            "apps": [{"name": "one", "entry": site.add("one")}],
            "plugins": [recorder("p", log)],
            "before_bootstrap": lambda options: log.append(("options", "before_bootstrap", None)),
        }
    )
    assert hooks_of(log, "p") == [
        ("before_bootstrap", None),
        ("before_register_app", None),
        ("register_app", None),
        ("bootstrap", None),
    ]
    # the options' own global hooks come after every plugin (Garfish's global-lifecycle)
    assert log[:2] == [("p", "before_bootstrap", None), ("options", "before_bootstrap", None)]
    assert garfish.running


async def test_load_mount_unmount_call_hooks_in_garfishs_code_order(
    tab: Orchestrator, site: Site
) -> None:
    log: list[tuple[Any, ...]] = []
    garfish = Garfish(tab)
    garfish.run(
        {
            "apps": [{"name": "one", "entry": site.add("one"), "dom_getter": "#app"}],
            "plugins": [recorder("first", log), recorder("second", log)],
            "before_load": lambda info: log.append(("options", "before_load", None)),
            "before_mount": lambda info, app, cache: log.append(("options", "before_mount", cache)),
        }
    )
    log.clear()
    app = await garfish.load_app("one")
    assert isinstance(app, GarfishApp)
    assert await app.mount() is True
    assert await app.unmount() is True
    expected = [
        ("before_load", None),
        ("after_load", None),
        ("before_mount", False),  # first, before the container or the scripts (not the docs')
        ("before_eval", None),
        ("after_eval", None),
        ("after_mount", False),
        ("before_unmount", False),
        ("after_unmount", False),
    ]
    assert hooks_of(log, "first") == expected
    assert hooks_of(log, "second") == expected
    # global hooks: plugins, then the options; app hooks: the options (the app's own) first
    assert [entry[0] for entry in log if entry[1] == "before_load"] == [
        "first",
        "second",
        "options",
    ]
    assert [entry[0] for entry in log if entry[1] == "before_mount"] == [
        "options",
        "first",
        "second",
    ]


async def test_an_apps_own_hooks_run_before_the_plugins(tab: Orchestrator, site: Site) -> None:
    log: list[str] = []
    garfish = Garfish(tab)
    garfish.run(
        {
            "plugins": [{"name": "p", "after_mount": lambda *a: log.append("plugin")}],
            "after_mount": lambda *a: log.append("options"),
        }
    )
    garfish.register_app(
        {
            "name": "one",
            "entry": site.add("one"),
            "after_mount": lambda *a: log.append("app"),
        }
    )
    app = await garfish.load_app("one")
    assert app is not None and await app.mount()
    # the app's hook replaces the options' in its own slot; the options' one runs last
    assert log == ["app", "plugin", "options"]


async def test_hide_and_show_call_the_mount_hooks_in_cache_mode(
    tab: Orchestrator, site: Site
) -> None:
    log: list[tuple[Any, ...]] = []
    garfish = Garfish(tab)
    garfish.run({"plugins": [recorder("p", log)], "dom_getter": "#app"})
    app = await garfish.load_app("one", {"entry": site.add("one"), "cache": True})
    assert app is not None and await app.mount()
    container = app.container
    assert container is not None and container.element.getparent() is not None
    log.clear()
    assert await app.hide() is True
    assert container.element.getparent() is None
    assert await app.hide() is False  # already hidden
    assert await app.show() is True
    assert app.container is container and container.element.getparent() is not None
    assert hooks_of(log, "p") == [
        ("before_unmount", True),
        ("after_unmount", True),
        ("before_mount", True),
        ("after_mount", True),
    ]
    assert container.root.get("data-rendered") == "False"  # render with is_mount False
    assert app.global_object["runs"] == 1  # scripts are not run again on show


async def test_show_before_mount_does_nothing(tab: Orchestrator, site: Site) -> None:
    garfish = Garfish(tab)
    app = await garfish.load_app("one", {"entry": site.add("one")})
    assert app is not None
    assert await app.show() is False
    assert await app.unmount() is False


# -- before_load cancelling, raising plugins --------------------------------------------------


async def test_before_load_returning_false_cancels_the_load(
    tab: Orchestrator, site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    log: list[tuple[Any, ...]] = []
    garfish = Garfish(tab)
    garfish.run(
        {
            "plugins": [
                recorder("stopper", log, before_load=False),
                recorder("after", log),
            ]
        }
    )
    garfish.register_app({"name": "one", "entry": site.add("one")})
    log.clear()
    with caplog.at_level(logging.WARNING, LOG):
        assert await garfish.load_app("one") is None
    assert hooks_of(log, "stopper") == [("before_load", None)]
    assert hooks_of(log, "after") == []  # stopped before the next listener, no after_load
    assert site.asked == []
    assert "[Garfish warning]: Load one application is terminated by beforeLoad." in caplog.text


async def test_a_raising_plugin_hook_is_logged_with_its_name_and_the_app_continues(
    tab: Orchestrator, site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*args: Any) -> None:
        raise RuntimeError("plugin bug")

    log: list[tuple[Any, ...]] = []
    garfish = Garfish(tab)
    garfish.run(
        {
            "plugins": [
                {"name": "broken", "before_load": boom, "before_mount": boom, "after_mount": boom},
                recorder("ok", log),
            ],
            "dom_getter": "#app",
        }
    )
    with caplog.at_level(logging.ERROR, LOG):
        app = await garfish.load_app("one", {"entry": site.add("one")})
        assert app is not None
        assert await app.mount() is True
    assert app.mounted and app.root_element.get("data-rendered") == "True"
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert messages == [
        "Garfish plugin 'broken': hook before_load raised",
        "Garfish plugin 'broken': hook before_mount raised",
        "Garfish plugin 'broken': hook after_mount raised",
    ]
    assert ("before_load", None) in hooks_of(log, "ok")
    assert ("after_mount", False) in hooks_of(log, "ok")


# -- provider lookup ------------------------------------------------------------------------


async def _mount(
    tab: Orchestrator, site: Site, script: str, name: str = "one", **options: Any
) -> GarfishApp:
    garfish = Garfish(tab)
    app = await garfish.load_app(
        name, {"entry": site.add(name, script), "dom_getter": "#app", **options}
    )
    assert app is not None
    assert await app.mount() is True
    return app


async def test_provider_function_is_called_with_garfishs_arguments(
    tab: Orchestrator, site: Site
) -> None:
    script = """
    def provider(info, props):
        window.seen = (sorted(info), info["basename"], info["color"], dict(props))
        return {"render": lambda i: None, "destroy": lambda i: None}
    """
    app = await _mount(tab, site, script, props={"color": "red"}, basename="/base")
    keys, basename, color, props = app.global_object["seen"]
    assert keys == ["basename", "color", "dom"]
    assert (basename, color, props) == ("/base", "red", {"color": "red"})


async def test_provider_may_be_a_dict_an_object_or_async(tab: Orchestrator, site: Site) -> None:
    as_dict = """
    def _render(info):
        info["dom"].set("by", "dict")

    provider = {"render": _render, "destroy": lambda info: None}
    """
    as_object = """
    class _Provider:
        def render(self, info):
            info["dom"].set("by", "object")

        def destroy(self, info):
            pass

    provider = _Provider()
    """
    as_async = """
    async def provider(info):
        async def render(info):
            info["dom"].set("by", "async")

        return {"render": render, "destroy": lambda info: None}
    """
    for script, by in ((as_dict, "dict"), (as_object, "object"), (as_async, "async")):
        app = await _mount(tab, site, script, name=by)
        assert app.root_element.get("by") == by
        await app.unmount()


async def test_garfish_exports_provider_wins_over_the_module_level_one(
    tab: Orchestrator, site: Site
) -> None:
    script = """
    def _render(which):
        def render(info):
            info["dom"].set("by", which)
        return render

    provider = {"render": _render("module"), "destroy": lambda info: None}
    window.__GARFISH_EXPORTS__.provider = {"render": _render("custom"), "destroy": lambda i: None}
    """
    app = await _mount(tab, site, script)
    assert app.root_element.get("by") == "custom"


async def test_register_provider_within_the_async_timeout(tab: Orchestrator, site: Site) -> None:
    script = """
    import asyncio

    def _later():
        window.__GARFISH_EXPORTS__.register_provider(
            {"render": lambda info: info["dom"].set("by", "registered"), "destroy": lambda i: None}
        )

    asyncio.get_running_loop().call_soon(_later)
    """
    app = await _mount(tab, site, script, async_provider_timeout=5)
    assert app.root_element.get("by") == "registered"


@pytest.mark.parametrize(
    ("script", "assertion"),
    [
        ("x = 1", '"provider" is "undefined".'),
        ("provider = 42", '"render" is required in provider.'),
        ("def provider(info):\n    return {}", '"render" is required in provider.'),
        (
            "def provider(info):\n    return {'render': lambda i: None}",
            '"destroy" is required in provider.',
        ),
        ("def provider(info):\n    return None", '"provider" is "undefined".'),
    ],
)
async def test_a_bad_provider_raises_garfishs_assertion_naming_the_app(
    tab: Orchestrator, site: Site, script: str, assertion: str
) -> None:
    garfish = Garfish(tab)
    app = await garfish.load_app(
        "bad", {"entry": site.add("bad", script), "async_provider_timeout": 0}
    )
    assert app is not None
    with pytest.raises(ProviderError) as caught:
        await app.mount()  # the default error_mount_app rethrows, as Garfish's
    error = caught.value
    assert isinstance(error, OrchestratorError)
    assert error.app_name == "bad" and error.assertion == assertion
    assert str(error) == f"application 'bad': {assertion}"
    assert not app.mounted and app.container is not None
    assert app.container.element.getparent() is None  # the failed mount removed its container


async def test_a_non_callable_provider_warns_invalid_module_content(
    tab: Orchestrator, site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    garfish = Garfish(tab)
    app = await garfish.load_app("bad", {"entry": site.add("bad", "provider = 'text'")})
    assert app is not None
    with caplog.at_level(logging.WARNING, LOG), pytest.raises(ProviderError):
        await app.mount()
    assert (
        "Invalid module content: bad, you should return both render and destroy functions "
        "in provider function." in caplog.text
    )


async def test_error_mount_app_that_does_not_raise_makes_mount_return_false(
    tab: Orchestrator, site: Site
) -> None:
    seen: list[tuple[str, str]] = []
    garfish = Garfish(tab)
    garfish.run(
        {
            "plugins": [
                {"name": "p", "error_mount_app": lambda e, info: seen.append(("plugin", info.name))}
            ],
            "error_mount_app": lambda e, info: seen.append(("options", type(e).__name__)),
        }
    )
    app = await garfish.load_app(
        "bad", {"entry": site.add("bad", "x = 1"), "async_provider_timeout": 0}
    )
    assert app is not None
    assert await app.mount() is False
    assert seen == [("options", "ProviderError"), ("plugin", "bad")]


async def test_no_check_provider_skips_the_checks(tab: Orchestrator, site: Site) -> None:
    app = await _mount(tab, site, "x = 1", async_provider_timeout=0, no_check_provider=True)
    assert app.mounted and app.provider is None


# -- loading ----------------------------------------------------------------------------------


async def test_load_app_errors(tab: Orchestrator, site: Site) -> None:
    garfish = Garfish(tab)
    with pytest.raises(GarfishError, match=r"^Miss appName\.$"):
        await garfish.load_app("")
    with pytest.raises(GarfishError) as caught:
        await garfish.load_app("ghost")
    assert caught.value.app_name == "ghost"
    assert caught.value.assertion == (
        'Can\'t load unexpected child app "ghost", Please provide the entry parameters or '
        "registered in advance of the app."
    )


async def test_a_failed_load_reaches_plugins_then_the_default_rethrows(
    tab: Orchestrator, site: Site
) -> None:
    seen: list[str] = []
    garfish = Garfish(tab)
    garfish.run(
        {"plugins": [{"name": "p", "error_load_app": lambda e, info: seen.append(info.name)}]}
    )
    site.pages["http://far.example/index.html"] = page(PROVIDER)
    with pytest.raises(UntrustedOriginError) as caught:
        await garfish.load_app("far", {"entry": "http://far.example/index.html"})
    assert seen == ["far"]  # plugins first, the options' (default: rethrow) last
    assert caught.value.app_name == "far"


async def test_concurrent_loads_share_one_load_and_cache_is_per_call(
    tab: Orchestrator, site: Site
) -> None:
    garfish = Garfish(tab)
    entry = site.add("one")
    first, second = await asyncio.gather(
        garfish.load_app("one", {"entry": entry}), garfish.load_app("one", {"entry": entry})
    )
    assert first is second and first is not None
    third = await garfish.load_app("one", {"entry": entry})
    assert third is not first  # by hand, not cached unless asked
    cached = await garfish.load_app("one", {"entry": entry, "cache": True})
    assert await garfish.load_app("one", {"entry": entry, "cache": True}) is cached
    assert site.asked.count(entry) == 1  # the loader's caches still hold the entry


def test_plugin_and_option_checks() -> None:
    async def scenario() -> None:
        async with Orchestrator() as orch:
            garfish = Garfish(orch)
            with pytest.raises(GarfishError, match=r"The plugin must have a name\."):
                garfish.use_plugin({"before_load": lambda info: None})
            with pytest.raises(TypeError, match="unknown hook"):
                garfish.use_plugin({"name": "p", "beforeLoad": lambda info: None})
            with pytest.raises(TypeError, match="unknown option"):
                garfish.run({"appz": []})
            with pytest.raises(GarfishError, match=r"Miss app\.name\."):
                garfish.register_app({"entry": "http://127.0.0.1/"})
            with pytest.raises(GarfishError, match="application entry is not url"):
                garfish.register_app({"name": "x"})
            garfish.run({})
            with pytest.raises(
                GarfishError, match=r"Cannot register plugin after Garfish is started\."
            ):
                garfish.use_plugin({"name": "late"})

    asyncio.run(scenario())


# -- channel ----------------------------------------------------------------------------------


async def test_channel_on_once_off_emit(tab: Orchestrator) -> None:
    channel = Garfish(tab).channel
    heard: list[tuple[str, Any]] = []

    class Listener:
        def hear(self, value: Any) -> None:
            heard.append(("bound", value))

    listener = Listener()
    channel.on("e", lambda value: heard.append(("on", value)))
    channel.once("e", lambda value: heard.append(("once", value)))
    channel.on("e", listener.hear)
    assert channel.emit("e", 1) is True
    channel.off("e", listener.hear)  # == comparison: a fresh bound method is removed
    assert channel.emit("e", 2) is True
    assert channel.emit("nobody", 3) is False
    assert heard == [("on", 1), ("once", 1), ("bound", 1), ("on", 2)]


async def test_channel_async_and_raising_listeners(
    tab: Orchestrator, caplog: pytest.LogCaptureFixture
) -> None:
    channel = Garfish(tab).channel
    done = asyncio.Event()
    heard: list[Any] = []

    async def later(value: Any) -> None:
        heard.append(value)
        done.set()

    def broken(value: Any) -> None:
        raise RuntimeError("listener bug")

    channel.on("e", broken)
    channel.on("e", later)
    with caplog.at_level(logging.ERROR):
        channel.emit("e", "x")
        await asyncio.wait_for(done.wait(), 5)
    assert heard == ["x"]
    assert "listener bug" in caplog.text
    error = ValueError("unhandled")
    with pytest.raises(ValueError, match="unhandled"):
        channel.emit("error", error)


async def test_apps_reach_the_channel_as_window_garfish(tab: Orchestrator, site: Site) -> None:
    script = """
    def provider(info):
        def render(info):
            window.Garfish.channel.emit("rendered", info["app_name"])
        return {"render": render, "destroy": lambda i: None}
    """
    garfish = Garfish(tab)
    heard: list[str] = []
    garfish.channel.on("rendered", heard.append)
    app = await garfish.load_app("one", {"entry": site.add("one", script)})
    assert app is not None and await app.mount()
    assert heard == ["one"]


# -- protect_variable and insulation_variable -------------------------------------------------


async def test_protect_and_insulation_variables(tab: Orchestrator, site: Site) -> None:
    tab.window["shared"] = "host"
    tab.window["secret"] = "host secret"
    tab.window["plain"] = "host plain"
    script = (
        PROVIDER
        + """
window.shared = "from app"
window.own = "app only"
window.seen = (window.get("secret"), "secret" in window, window.plain)
"""
    )
    app = await _mount(
        tab, site, script, protect_variable=["shared"], insulation_variable=["secret"]
    )
    assert tab.window["shared"] == "from app"  # protected: written to the real window
    assert "own" not in tab.window  # the rest stays in the app's overlay
    assert app.global_object["seen"] == (None, False, "host plain")
    await app.unmount()
    assert tab.window["shared"] == "from app"  # and kept there after the unmount


async def test_unmount_resets_the_sandbox_but_hide_keeps_it(tab: Orchestrator, site: Site) -> None:
    garfish = Garfish(tab)
    entry = site.add("one")
    app = await garfish.load_app("one", {"entry": entry, "dom_getter": "#app", "cache": True})
    assert app is not None and await app.mount()
    ticks: list[int] = []
    app.global_object.set_interval(lambda: ticks.append(1), 1000)
    assert app.sandbox is not None and app.sandbox.timer_count == 1
    await app.hide()
    assert app.sandbox.timer_count == 1  # Garfish keeps timers running while hidden
    await app.show()
    first = app.sandbox
    await app.unmount()
    assert first.closed and first.timer_count == 0
    assert app.sandbox is not first and app.sandbox is not None
    assert await app.mount()
    assert app.global_object["runs"] == 1  # a fresh context: the scripts ran again from 0


# -- router-activated apps --------------------------------------------------------------------


async def test_routed_apps_are_cached_hidden_and_shown(tab: Orchestrator, site: Site) -> None:
    log: list[tuple[Any, ...]] = []
    garfish = Garfish(tab)
    garfish.run(
        {
            "basename": "/demo",
            "dom_getter": "#app",
            "plugins": [recorder("p", log)],
            "apps": [
                {"name": "one", "entry": site.add("one"), "active_when": "/one"},
                {"name": "two", "entry": site.add("two"), "active_when": "/two"},
            ],
        }
    )
    assert tab.get_app_names() == ["one", "two"]
    await tab.start()
    assert tab.get_mounted_apps() == []
    assert await tab.navigate("/demo/one/page") == ["one"]
    one = garfish.apps["one"]
    assert one.root_element.get("data-basename") == "/demo/one"
    assert await tab.navigate("/one") == []  # outside the basename
    assert one.mounted and not one.display  # hidden, not unmounted (cache by default)
    log.clear()
    assert await tab.navigate("/demo/one") == ["one"]
    assert garfish.apps["one"] is one and one.display
    assert hooks_of(log, "p") == [
        ("before_load", None),  # the router loads on every activation; the cache answers
        ("after_load", None),
        ("before_mount", True),
        ("after_mount", True),
    ]
    assert one.global_object["runs"] == 1
    assert await tab.navigate("/demo/two") == ["two"]
    assert tab.get_app_status("one") is AppStatus.NOT_MOUNTED


async def test_a_routed_app_with_cache_false_unmounts(tab: Orchestrator, site: Site) -> None:
    garfish = Garfish(tab)
    garfish.run(
        {
            "dom_getter": "#app",
            "apps": [
                {"name": "one", "entry": site.add("one"), "active_when": "/one", "cache": False}
            ],
        }
    )
    await tab.start()
    await tab.navigate("/one")
    first = garfish.apps["one"]
    await tab.navigate("/")
    assert not first.mounted
    await tab.navigate("/one")
    assert garfish.apps["one"] is not first


async def test_routed_function_rule_gets_the_shortest_accepted_root(
    tab: Orchestrator, site: Site
) -> None:
    garfish = Garfish(tab)
    garfish.run(
        {
            "dom_getter": "#app",
            "apps": [
                {
                    "name": "fn",
                    "entry": site.add("fn"),
                    "active_when": lambda path: path.startswith("/fn"),
                }
            ],
        }
    )
    await tab.start()
    assert await tab.navigate("/fn/deep/page") == ["fn"]
    assert garfish.apps["fn"].root_element.get("data-basename") == "/fn"


async def test_a_cancelled_routed_load_mounts_nothing(tab: Orchestrator, site: Site) -> None:
    garfish = Garfish(tab)
    garfish.run(
        {
            "dom_getter": "#app",
            "before_load": lambda info: False,
            "apps": [{"name": "one", "entry": site.add("one"), "active_when": "/one"}],
        }
    )
    await tab.start()
    await tab.navigate("/one")
    assert "one" not in garfish.apps
    assert site.asked == []


# -- the layer --------------------------------------------------------------------------------


async def test_closing_the_tab_frees_the_apps(site: Site) -> None:
    loader = EntryLoader(fetch=site, trusted_origins=[ORIGIN])
    async with loader:
        orch = Orchestrator(SHELL, loader=loader)
        garfish = Garfish(orch)
        app = await garfish.load_app("one", {"entry": site.add("one"), "cache": True})
        assert app is not None and await app.mount()
        app.global_object.set_interval(lambda: None, 1000)
        sandbox = app.sandbox
        assert sandbox is not None and sandbox.timer_count == 1
        await orch.aclose()
        assert sandbox.closed and sandbox.timer_count == 0
        assert garfish.cache_apps == {}


def test_public_surface() -> None:
    import orchestrator.garfish as garfish

    # the exact names are pinned with every package's in tests/test_public_api.py
    assert issubclass(garfish.GarfishError, OrchestratorError)


# -- more failure paths -----------------------------------------------------------------------


async def test_a_raising_script_reaches_error_exec_code_then_error_mount_app(
    tab: Orchestrator, site: Site
) -> None:
    log: list[tuple[Any, ...]] = []
    seen: list[Any] = []
    garfish = Garfish(tab)
    garfish.run(
        {
            "plugins": [recorder("p", log)],
            "error_mount_app": lambda error, info: seen.append(error),
        }
    )
    app = await garfish.load_app("one", {"entry": site.add("one", "raise ValueError('oops')")})
    assert app is not None
    log.clear()
    assert await app.mount() is False
    assert [hook for hook, _ in hooks_of(log, "p")] == [
        "before_mount",
        "before_eval",
        "error_exec_code",
        "error_mount_app",
    ]
    assert len(seen) == 1 and "oops" in str(seen[0])


async def test_a_dom_getter_that_finds_nothing_fails_the_mount(
    tab: Orchestrator, site: Site
) -> None:
    garfish = Garfish(tab)
    app = await garfish.load_app("one", {"entry": site.add("one"), "dom_getter": "#missing"})
    assert app is not None
    with pytest.raises(DomGetterError) as caught:
        await app.mount()
    assert caught.value.app_name == "one"
    assert caught.value.assertion == "Invalid domGetter: #missing"


async def test_the_default_dom_getter_is_a_detached_div(tab: Orchestrator, site: Site) -> None:
    garfish = Garfish(tab)
    app = await garfish.load_app("one", {"entry": site.add("one")})
    assert app is not None and await app.mount()
    assert app.container is not None
    parent = app.container.element.getparent()
    assert parent is not None and parent.tag == "div" and parent.getparent() is None
    assert "garfish_app_for_one" not in tab.document.html


async def test_before_load_may_supply_the_entry(tab: Orchestrator, site: Site) -> None:
    entry = site.add("late")

    def supply(info: Any) -> None:
        info.entry = entry

    garfish = Garfish(tab)
    garfish.run({"plugins": [{"name": "resolver", "before_load": supply}]})
    app = await garfish.load_app("late")
    assert app is not None and app.app_info.entry == entry


async def test_a_routed_app_with_a_bad_provider_is_broken_for_the_engine(
    tab: Orchestrator, site: Site
) -> None:
    errors: list[Any] = []
    tab.add_error_handler(errors.append)
    garfish = Garfish(tab)
    garfish.run(
        {
            "async_provider_timeout": 0,
            "apps": [{"name": "bad", "entry": site.add("bad", "x = 1"), "active_when": "/bad"}],
        }
    )
    await tab.start()
    await tab.navigate("/bad")
    assert tab.get_app_status("bad") is AppStatus.SKIP_BECAUSE_BROKEN
    assert len(errors) == 1 and isinstance(errors[0].__cause__, ProviderError)


async def test_plugin_forms_repeats_and_removal(
    tab: Orchestrator, site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[str] = []
    garfish = Garfish(tab)

    def make(context: Garfish) -> dict[str, Any]:
        assert context is garfish  # Garfish's usePlugin(fn) calls fn(garfish)
        return {"name": "made", "before_load": lambda info: heard.append("made")}

    garfish.use_plugin(make)
    garfish.use_plugin({"name": "gone", "before_load": lambda info: heard.append("gone")})
    with caplog.at_level(logging.WARNING, LOG):
        garfish.use_plugin({"name": "made", "before_load": lambda info: heard.append("again")})
        garfish.run({})
        garfish.run({})
    assert "[Garfish warning]: Please do not register the plugin repeatedly." in caplog.text
    assert "Cannot run Garfish repeatedly." in caplog.text
    assert list(garfish.plugins) == ["browser-vm", "made", "gone"]
    garfish.remove_plugin("gone")
    with pytest.raises(GarfishError, match='plugin "nope" is not registered'):
        garfish.remove_plugin("nope")
    await garfish.load_app("one", {"entry": site.add("one")})
    assert heard == ["made"]


async def test_register_app_skips_a_name_already_registered(
    tab: Orchestrator, site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    garfish = Garfish(tab)
    first = site.add("one")
    with caplog.at_level(logging.WARNING, LOG):
        garfish.register_app({"name": "one", "entry": first})
        garfish.register_app([{"name": "one", "entry": site.add("other")}])
    assert garfish.app_infos["one"]["entry"] == first
    assert '[Garfish warning]: The "one" app is already registered.' in caplog.text


async def test_a_routed_load_failure_swallowed_by_error_load_app_is_retried_next_time(
    tab: Orchestrator, site: Site
) -> None:
    failures: list[str] = []
    garfish = Garfish(tab)
    entry = f"{ORIGIN}/later/index.html"
    garfish.run(
        {
            "dom_getter": "#app",
            "error_load_app": lambda error, info: failures.append(info.name),
            "apps": [{"name": "later", "entry": entry, "active_when": "/later"}],
        }
    )
    await tab.start()
    await tab.navigate("/later")  # the page is not there yet: the load fails, nothing mounts
    assert failures == ["later"] and "later" not in garfish.apps
    site.add("later")
    await tab.navigate("/")
    await tab.navigate("/later")  # Garfish's router loads again on the next activation
    assert garfish.apps["later"].mounted
    assert tab.get_app_status("later") is AppStatus.MOUNTED


async def test_a_hidden_apps_timers_are_paused_and_resume_on_show(
    tab: Orchestrator, site: Site
) -> None:
    """Garfish leaves a cached app's timers running while hidden; ours hold them (DESIGN §10)."""
    ticking = PROVIDER + textwrap.dedent(
        """
        window.ticks = 0

        def tick():
            window.ticks = window.ticks + 1

        window.set_interval(tick, 5)
        """
    )
    garfish = Garfish(tab)
    garfish.run({"dom_getter": "#app"})
    app = await garfish.load_app("one", {"entry": site.add("one", ticking), "cache": True})
    assert app is not None and await app.mount()
    window = app.global_object
    await until(lambda: window["ticks"] >= 2, turns=100_000)
    assert await app.hide()
    frozen = window["ticks"]
    await asyncio.sleep(0.1)  # twenty periods of the interval
    assert window["ticks"] == frozen
    assert await app.show()
    await until(lambda: window["ticks"] >= frozen + 2, turns=100_000)
