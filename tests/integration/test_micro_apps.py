"""The qiankun layer end to end: HTML entries over real loopback HTTP, mounted into the page."""

from __future__ import annotations

import gc
import logging
import textwrap
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from orchestrator import AppStatus, ContainerNotFoundError, LifecycleError, Orchestrator
from orchestrator.micro_apps import snake_case, wrapper_id
from orchestrator.testing import LoopbackServer, Reply

SHELL = """<!DOCTYPE html><html><head><title>shell</title></head>
<body><h1 id="shell-title">Shell</h1><nav id="nav"></nav><main id="main"></main></body></html>"""


def page(
    name: str,
    *,
    body: str = '<div id="root"></div>',
    script: str | None = None,
    head: str = '<link rel="stylesheet" href="style.css">',
    extra: str = "",
) -> str:
    """An app's index.html whose Python entry renders its name into #root."""
    if script is None:
        script = f"""
            def bootstrap(props):
                window.bootstrapped = window.get("bootstrapped", 0) + 1

            def mount(props):
                root = props["container"].cssselect("#root")[0]
                root.text = "{name} mounted"
                window.mounts = window.get("mounts", 0) + 1
                window.owner = "{name}"

            def unmount(props):
                window.unmounts = window.get("unmounts", 0) + 1
            """
    code = textwrap.dedent(script)
    return (
        f"<!DOCTYPE html><html><head>{head}</head><body>{body}"
        f'<script type="text/python" entry>{code}</script>{extra}</body></html>'
    )


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        for name in ("alpha", "beta"):
            running.route(f"/{name}/index.html", Reply(body=page(name)))
            running.route(
                f"/{name}/style.css",
                Reply(
                    body=f"h1 {{ color: {'red' if name == 'alpha' else 'blue'} }}\n"
                    f".logo {{ background: url(img/logo.png) }}",
                    content_type="text/css",
                ),
            )
        yield running


def apps(server: LoopbackServer, **extra: Any) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "entry": server.url_for(f"/{name}/index.html"),
            "container": "#main",
            "active_rule": f"/{name}",
            **extra,
        }
        for name in ("alpha", "beta")
    ]


@pytest.fixture
async def tab(server: LoopbackServer) -> Any:
    orchestrator = Orchestrator(SHELL)
    yield orchestrator
    await orchestrator.aclose()


async def test_snake_case_and_wrapper_id_follow_lodash() -> None:
    cases = {
        "react16": "react_16",
        "REACT16": "react_16",
        "myApp": "my_app",
        "my-app": "my_app",
        "vue3App": "vue_3_app",
        "react16_1": "react_16_1",
        "XMLHttpApp": "xml_http_app",
        "app.v2": "app_v_2",
        "中文应用": "中文应用",
    }
    assert {name: snake_case(name) for name in cases} == cases
    assert wrapper_id("REACT16") == "__qiankun_microapp_wrapper_for_react_16__"


async def test_composition_by_route(tab: Orchestrator, server: LoopbackServer) -> None:
    tab.register_micro_apps(apps(server))
    assert await tab.start(prefetch=False) == []
    assert await tab.navigate("/alpha") == ["alpha"]
    wrapper = tab.document.query_selector("#main > div")
    assert wrapper is not None
    assert wrapper.get("id") == "__qiankun_microapp_wrapper_for_alpha__"
    assert wrapper.get("data-name") == "alpha"
    assert tab.document.query_selector("#root").text == "alpha mounted"
    assert wrapper.find("qiankun-head") is not None

    assert await tab.navigate("/beta") == ["beta"]
    assert tab.get_app_status("alpha") is AppStatus.NOT_MOUNTED
    assert tab.document.query_selector("#root").text == "beta mounted"
    assert "alpha" not in tab.document.html

    assert await tab.navigate("/") == []
    assert len(tab.document.query_selector("#main")) == 0
    # entries were fetched once, however often the apps mounted
    await tab.navigate("/alpha")
    assert server.count("/alpha/index.html") == 1
    assert server.count("/alpha/style.css") == 1


async def test_external_styles_inlined_with_absolute_urls(
    tab: Orchestrator, server: LoopbackServer
) -> None:
    tab.register_micro_apps(apps(server))
    await tab.start(prefetch=False)
    await tab.navigate("/alpha")
    html = tab.document.html
    assert "<link" not in html.split('id="main"')[1]
    assert f"url({server.url_for('/alpha/img/logo.png')})" in html
    assert "h1 { color: red }" in html  # unscoped without experimental_style_isolation


async def test_experimental_style_isolation_scopes_every_style(
    tab: Orchestrator, server: LoopbackServer
) -> None:
    tab.register_micro_apps(apps(server))
    await tab.start(prefetch=False, sandbox={"experimental_style_isolation": True})
    await tab.navigate("/alpha")
    wrapper = tab.document.query_selector('div[data-qiankun="alpha"]')
    assert wrapper is not None
    styles = [style.text or "" for style in wrapper.iter("style")]
    assert any('div[data-qiankun="alpha"] h1' in text for text in styles)
    assert all(
        "h1 { color" not in text.replace('div[data-qiankun="alpha"] h1', "") for text in styles
    )
    assert tab.document.query_selector("#shell-title").text == "Shell"


async def test_window_isolation_between_apps_and_from_the_shell(
    tab: Orchestrator, server: LoopbackServer
) -> None:
    tab.window.shell_value = "shell"
    both = apps(server)
    both[0].update(container="#nav", active_rule="/")
    both[1].update(active_rule="/")
    tab.register_micro_apps(both)
    assert await tab.start(prefetch=False, singular=False) == ["alpha", "beta"]
    # each app wrote owner/mounts to its own proxy: the shell's window saw none of it
    assert list(tab.window.keys()) == ["shell_value"]
    assert tab.window.shell_value == "shell"
    texts = [root.text for root in tab.document.query_selector_all("#root")]
    assert texts == ["alpha mounted", "beta mounted"]


async def test_hooks_run_in_qiankun_order_with_engine_flags(
    tab: Orchestrator, server: LoopbackServer
) -> None:
    calls: list[tuple[str, Any]] = []

    def hook(phase: str) -> Callable[[dict[str, Any], Any], None]:
        def record(app: dict[str, Any], window: Any) -> None:
            calls.append((phase, window.get("__POWERED_BY_QIANKUN__")))
            assert app["name"] == "alpha"

        return record

    async def async_after_mount(app: dict[str, Any], window: Any) -> None:
        calls.append(("after_mount_async", window["__INJECTED_PUBLIC_PATH_BY_QIANKUN__"]))

    tab.register_micro_apps(
        apps(server)[:1],
        hooks={
            "before_load": hook("before_load"),
            "before_mount": [hook("before_mount")],
            "after_mount": [hook("after_mount"), async_after_mount],
            "before_unmount": hook("before_unmount"),
            "after_unmount": hook("after_unmount"),
        },
    )
    await tab.start(prefetch=False)
    await tab.navigate("/alpha")
    await tab.navigate("/")
    assert calls == [
        ("before_load", True),
        ("before_mount", True),
        ("after_mount", True),
        ("after_mount_async", server.url_for("/alpha/")),
        ("before_unmount", None),
        ("after_unmount", None),
    ]
    assert "__POWERED_BY_QIANKUN__" not in tab.window


async def test_global_state_both_ways(tab: Orchestrator, server: LoopbackServer) -> None:
    script = """
        seen = []

        def bootstrap(props):
            pass

        def mount(props):
            props["on_global_state_change"](lambda state, prev: seen.append(state), True)
            window.seen = seen
            props["set_global_state"]({"user": "from-app", "unknown": 1})

        def unmount(props):
            pass
        """
    server.route("/stateful/index.html", Reply(body=page("stateful", script=script, head="")))
    shell_seen: list[dict[str, Any]] = []
    actions = tab.init_global_state({"user": None})
    actions.on_global_state_change(lambda state, prev: shell_seen.append(state))
    tab.register_micro_apps(
        [
            {
                "name": "stateful",
                "entry": server.url_for("/stateful/index.html"),
                "container": "#main",
                "active_rule": "/s",
            }
        ]
    )
    await tab.start(prefetch=False)
    await tab.navigate("/s")
    assert shell_seen == [{"user": "from-app"}]  # the unknown key was rejected
    assert actions.set_global_state({"user": "from-shell"}) is True
    assert tab.global_state is not None
    seen = tab.global_state.state
    assert seen == {"user": "from-shell"}
    await tab.navigate("/")
    # the app's listener went away with its unmount
    assert actions.set_global_state({"user": "again"}) is True
    assert "stateful" not in tab.global_state.listener_ids()


async def test_broken_entry_next_to_working_ones(
    tab: Orchestrator, server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.route("/broken/index.html", Reply(500))
    errors: list[Exception] = []
    tab.add_error_handler(errors.append)
    tab.register_micro_apps(
        [
            {
                "name": "broken",
                "entry": server.url_for("/broken/index.html"),
                "container": "#nav",
                "active_rule": "/",
            },
            *apps(server),
        ]
    )
    await tab.start(prefetch=False, singular=False)
    assert await tab.navigate("/alpha") == ["alpha"]
    assert tab.get_app_status("broken") is AppStatus.LOAD_ERROR
    assert len(errors) == 1
    assert isinstance(errors[0], LifecycleError)
    assert errors[0].app_name == "broken"
    assert "500" in str(errors[0])
    assert tab.document.query_selector("#root").text == "alpha mounted"


async def test_missing_container_is_a_clear_mount_error(
    tab: Orchestrator, server: LoopbackServer
) -> None:
    errors: list[Exception] = []
    tab.add_error_handler(errors.append)
    tab.register_micro_apps([{**apps(server)[0], "container": "#nowhere"}])
    await tab.start(prefetch=False)
    assert await tab.navigate("/alpha") == []
    assert tab.get_app_status("alpha") is AppStatus.SKIP_BECAUSE_BROKEN
    assert "Target container with #nowhere not existed while alpha mounting" in str(errors[0])
    assert isinstance(errors[0].__cause__, ContainerNotFoundError)


async def test_static_app_mounts_template_and_carries_javascript(
    tab: Orchestrator, server: LoopbackServer
) -> None:
    server.route(
        "/static/index.html",
        Reply(
            body='<html><head><style>p{color:green}</style></head><body><p class="t">static</p>'
            '<script src="clock.js"></script><script>window.inline = 1</script></body></html>'
        ),
    )
    entry = {"name": "static", "entry": server.url_for("/static/index.html"), "container": "#main"}
    tab.register_micro_apps([{**entry, "active_rule": "/static"}])
    await tab.start(prefetch=False, sandbox={"experimental_style_isolation": True})
    assert await tab.navigate("/static") == ["static"]
    wrapper = tab.document.query_selector('div[data-qiankun="static"]')
    assert wrapper is not None
    assert [s.get("src") for s in wrapper.iter("script")] == [
        server.url_for("/static/clock.js"),
        None,
    ]
    assert 'div[data-qiankun="static"] p' in tab.document.html
    assert tab.document.query_selector("p.t").text == "static"


async def test_script_mode_drop_emits_no_javascript(
    tab: Orchestrator, server: LoopbackServer
) -> None:
    server.route("/js/index.html", Reply(body='<body><p>x</p><script src="a.js"></script></body>'))
    tab.register_micro_apps(
        [
            {
                "name": "js",
                "entry": server.url_for("/js/index.html"),
                "container": "#main",
                "active_rule": "/",
            }
        ]
    )
    await tab.start(prefetch=False, script_mode="drop")
    assert "<script" not in tab.document.html


async def test_untrusted_origin_refuses_python_scripts(server: LoopbackServer) -> None:
    errors: list[Exception] = []
    async with Orchestrator(SHELL, trusted_origins=["https://apps.example.com"]) as tab:
        tab.add_error_handler(errors.append)
        tab.register_micro_apps(apps(server)[:1])
        await tab.start(prefetch=False)
        await tab.navigate("/alpha")
        assert tab.get_app_status("alpha") is AppStatus.LOAD_ERROR
        assert "trusted origins" in str(errors[0])
        assert "mounts" not in tab.window


async def test_integrity_mismatch_fails_the_load(tab: Orchestrator, server: LoopbackServer) -> None:
    server.route(
        "/sri/index.html",
        Reply(
            body=page(
                "sri",
                head='<link rel="stylesheet" href="/alpha/style.css" '
                'integrity="sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=">',
            )
        ),
    )
    errors: list[Exception] = []
    tab.add_error_handler(errors.append)
    tab.register_micro_apps(
        [
            {
                "name": "sri",
                "entry": server.url_for("/sri/index.html"),
                "container": "#main",
                "active_rule": "/",
            }
        ]
    )
    await tab.start(prefetch=False)
    assert tab.get_app_status("sri") is AppStatus.LOAD_ERROR
    assert "integrity" in str(errors[0]).lower()


async def test_loose_sandbox_writes_through_and_restores(
    tab: Orchestrator, server: LoopbackServer
) -> None:
    tab.register_micro_apps(apps(server)[:1])
    await tab.start(prefetch=False, sandbox={"loose": True})
    await tab.navigate("/alpha")
    assert tab.window.owner == "alpha"
    await tab.navigate("/")
    assert "owner" not in tab.window


async def test_no_sandbox_runs_on_the_window(tab: Orchestrator, server: LoopbackServer) -> None:
    tab.register_micro_apps(apps(server)[:1])
    await tab.start(prefetch=False, sandbox=False)
    await tab.navigate("/alpha")
    await tab.navigate("/")
    assert tab.window.owner == "alpha"  # nothing isolates or restores without a sandbox


async def test_start_rejects_unknown_options(tab: Orchestrator) -> None:
    with pytest.raises(TypeError, match="'prefech'"):
        await tab.start(prefech=True)
    with pytest.raises(ValueError, match="'strict'"):
        await tab.start(sandbox={"strict": True})


async def test_register_micro_apps_validates_and_skips_duplicates(
    tab: Orchestrator, server: LoopbackServer
) -> None:
    with pytest.raises(TypeError, match="'entry'"):
        tab.register_micro_apps([{"name": "x", "container": "#main", "active_rule": "/"}])
    with pytest.raises(ValueError, match="'activeRule'"):
        tab.register_micro_apps(
            [{"name": "x", "entry": "http://127.0.0.1/", "container": "#m", "activeRule": "/"}]
        )
    tab.register_micro_apps(apps(server))
    tab.register_micro_apps(apps(server))  # qiankun: first registration wins, no error
    assert tab.get_app_names() == ["alpha", "beta"]


async def test_singular_never_deadlocks_with_two_active_apps(
    tab: Orchestrator, server: LoopbackServer
) -> None:
    both = apps(server)
    both[0].update(container="#nav", active_rule="/")
    tab.register_micro_apps(both)
    await tab.start(prefetch=False, singular=True)
    assert await tab.navigate("/beta") == ["alpha", "beta"]
    assert await tab.navigate("/") == ["alpha"]
    assert await tab.navigate("/beta") == ["alpha", "beta"]


async def test_load_micro_app_is_cached_per_name_and_container(
    tab: Orchestrator, server: LoopbackServer
) -> None:
    config = {"name": "alpha", "entry": server.url_for("/alpha/index.html"), "container": "#main"}
    first = await tab.load_micro_app(config)
    await first.mount_promise
    assert first.get_status() is AppStatus.MOUNTED
    assert tab.document.query_selector("#root").text == "alpha mounted"
    await first.unmount()
    await first.unmount_promise
    assert len(tab.document.query_selector("#main")) == 0

    second = await tab.load_micro_app(config)
    await second.mount_promise
    assert server.count("/alpha/index.html") == 1
    assert tab.document.query_selector("#root").text == "alpha mounted"
    assert second.name == first.name == "alpha"  # the cached instance, scripts not re-run
    assert tab.window.get("mounts") is None
    await second.unload()
    third = await tab.load_micro_app(config)
    await third.mount_promise
    assert third.name == "alpha_1"  # a fresh instance after unload
    await third.unload()


async def test_prefetch_all_warms_the_caches(tab: Orchestrator, server: LoopbackServer) -> None:
    tab.register_micro_apps(apps(server))
    await tab.start(prefetch="all")
    for _ in range(50):
        if server.count("/beta/style.css"):
            break
        await __import__("asyncio").sleep(0.01)
    assert server.count("/alpha/index.html") == 1
    assert server.count("/beta/style.css") == 1
    assert tab.get_app_status("beta") is AppStatus.NOT_LOADED  # nothing ran


async def test_prefetch_apps_and_effects(tab: Orchestrator, server: LoopbackServer) -> None:
    await tab.prefetch_apps([{"name": "beta", "entry": server.url_for("/beta/index.html")}])
    assert server.count("/beta/style.css") == 1
    first_mounted: list[str] = []
    tab.run_after_first_mounted(lambda: first_mounted.append("yes"))
    tab.set_default_mount_app("/beta")
    tab.register_micro_apps(apps(server))
    await tab.start(prefetch=False)
    for _ in range(100):
        if tab.get_mounted_apps():
            break
        await __import__("asyncio").sleep(0.01)
    assert tab.get_mounted_apps() == ["beta"]
    assert tab.location.pathname == "/beta"
    assert first_mounted == ["yes"]


async def test_global_uncaught_error_handler_sees_lifecycle_errors(
    tab: Orchestrator, server: LoopbackServer
) -> None:
    script = """
        def bootstrap(props): pass
        def mount(props): raise RuntimeError("mount exploded")
        def unmount(props): pass
        """
    server.route("/boom/index.html", Reply(body=page("boom", script=script, head="")))
    seen: list[Any] = []
    tab.add_global_uncaught_error_handler(seen.append)
    tab.register_micro_apps(
        [
            {
                "name": "boom",
                "entry": server.url_for("/boom/index.html"),
                "container": "#main",
                "active_rule": "/",
            }
        ]
    )
    await tab.start(prefetch=False)
    assert tab.get_app_status("boom") is AppStatus.SKIP_BECAUSE_BROKEN
    assert len(seen) == 1
    assert "mount exploded" in str(seen[0].error)
    assert tab.remove_global_uncaught_error_handler(seen.append) is True


async def test_many_mount_cycles_keep_memory_flat_and_window_unchanged(
    tab: Orchestrator, server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    tab.window.shell_value = 1
    tab.register_micro_apps(apps(server))
    await tab.start(prefetch=False)
    before_keys = list(tab.window.keys())

    async def cycle() -> None:
        await tab.navigate("/alpha")
        await tab.navigate("/beta")

    for _ in range(50):
        await cycle()
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    for _ in range(500):  # 1,000 mounts and 1,000 unmounts
        await cycle()
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - baseline
    tracemalloc.stop()
    await tab.navigate("/")
    assert list(tab.window.keys()) == before_keys
    assert grown < 512 * 1024, f"memory grew by {grown} bytes over 1,000 cycles"


async def test_plain_start_prefetches_the_other_apps_after_the_first_mount(
    tab: Orchestrator, server: LoopbackServer
) -> None:
    import asyncio

    tab.register_micro_apps(apps(server))
    await tab.navigate("/alpha")
    await tab.start()  # qiankun's defaults: prefetch=True, singular=True, sandbox=True
    for _ in range(100):
        if server.count("/beta/style.css"):
            break
        await asyncio.sleep(0.01)
    assert tab.get_mounted_apps() == ["alpha"]
    assert server.count("/beta/index.html") == 1
    assert server.count("/beta/style.css") == 1
    assert tab.get_app_status("beta") is AppStatus.NOT_LOADED


async def test_two_quick_loads_of_one_app_share_the_load_and_take_turns(
    tab: Orchestrator, server: LoopbackServer
) -> None:
    import asyncio

    config = {"name": "alpha", "entry": server.url_for("/alpha/index.html"), "container": "#main"}
    first = await tab.load_micro_app(config)
    second = await tab.load_micro_app(config)  # before the first has even loaded
    await first.mount_promise
    await asyncio.sleep(0.05)
    assert first.get_status() is AppStatus.MOUNTED
    assert second.get_status() is not AppStatus.MOUNTED  # waits for the first to unmount
    await first.unmount()
    await second.mount_promise
    assert second.name == first.name == "alpha"  # one load, one instance
    assert server.count("/alpha/index.html") == 1
    assert tab.document.query_selector("#root").text == "alpha mounted"
    await second.unmount()


async def test_apps_loaded_before_start_take_starts_options(
    server: LoopbackServer,
) -> None:
    async with Orchestrator(SHELL, url="http://localhost/alpha") as tab:
        tab.register_micro_apps(apps(server))
        await tab.trigger_app_change()  # before start: loads with the defaults
        assert tab.get_app_status("alpha") is AppStatus.NOT_BOOTSTRAPPED
        await tab.start(prefetch=False, sandbox={"experimental_style_isolation": True})
        assert tab.get_mounted_apps() == ["alpha"]
        assert tab.document.query_selector('div[data-qiankun="alpha"]') is not None
        assert 'div[data-qiankun="alpha"] h1' in tab.document.html
        assert server.count("/alpha/index.html") == 1  # reloaded from the cache


async def test_an_unregistered_app_can_be_registered_again(
    tab: Orchestrator, server: LoopbackServer
) -> None:
    tab.register_micro_apps(apps(server)[:1])
    await tab.start(prefetch=False)
    assert await tab.navigate("/alpha") == ["alpha"]
    await tab.unregister_application("alpha")
    assert tab.get_app_names() == []
    assert len(tab.document.query_selector("#main")) == 0
    tab.register_micro_apps(apps(server)[:1])
    assert await tab.trigger_app_change() == ["alpha"]
    assert tab.document.query_selector("#root").text == "alpha mounted"


async def test_a_custom_fetch_keeps_the_loaders_limits(server: LoopbackServer) -> None:
    from orchestrator import EntryLoader

    async def fetch(url: str) -> str:
        return "<p>" + "x" * 5_000 + "</p>"

    errors: list[Exception] = []
    async with EntryLoader(max_bytes=1_000) as limited, Orchestrator(SHELL, loader=limited) as tab:
        tab.add_error_handler(errors.append)
        tab.register_micro_apps(
            [
                {
                    "name": "big",
                    "entry": "http://apps.test/",
                    "container": "#main",
                    "active_rule": "/",
                }
            ]
        )
        await tab.start(prefetch=False, fetch=fetch)
        assert tab.get_app_status("big") is AppStatus.LOAD_ERROR
        assert "max_bytes 1000" in str(errors[0])


async def test_the_apps_loader_callback_shows_loading_around_load_and_mount(
    tab: Orchestrator, server: LoopbackServer
) -> None:
    seen: list[tuple[bool, Any]] = []

    def loading(flag: bool) -> None:
        seen.append((flag, tab.get_app_status("alpha")))

    tab.register_micro_apps([{**apps(server)[0], "loader": loading}])
    await tab.start(prefetch=False)
    await tab.navigate("/alpha")
    assert seen == [
        (True, AppStatus.LOADING_SOURCE_CODE),
        (True, AppStatus.MOUNTING),
        (False, AppStatus.MOUNTING),
    ]
