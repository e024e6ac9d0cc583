"""Users who misbehave: hostile or malformed URLs, wrong argument types, navigations fired from
inside an app's own lifecycle. The tab either follows (and mounts what is active) or refuses with
a ``ValueError``/``TypeError`` leaving URL and history untouched; either way it keeps routing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from orchestrator import AppStatus, Orchestrator

HOSTILE_URLS = [
    "http://evil.test/",
    "//evil.test/a",
    "javascript:alert(1)",
    "data:text/html,<h1>hi</h1>",
    "file:///etc/passwd",
    "mailto:someone@example.com",
    "http://localhost:8080/a",
    "/%zz",
    "/%00/a",
    "/\x00",
    "/a" * 5_000,
    "/a?" + "q=" + "x" * 100_000,
    "#" * 1_000,
    "/a/../../../..",
    "/A",
    "  /a  ",
    "/a?%",
    "/\ud800",
    "/é/ü?ß=✓#☃",
    "",
]


async def _noop(props: Any) -> None:
    return None


@pytest.fixture
async def tab() -> AsyncIterator[Orchestrator]:
    async with Orchestrator() as orchestrator:
        for name, rule in (("a", "/a"), ("b", "/b"), ("root", "/")):
            orchestrator.register_application(name, {"mount": _noop, "unmount": _noop}, rule)
        await orchestrator.start()
        yield orchestrator


@pytest.mark.parametrize("url", HOSTILE_URLS, ids=lambda url: repr(url)[:30])
async def test_hostile_urls_are_followed_or_refused_cleanly(tab: Orchestrator, url: str) -> None:
    await tab.navigate("/b")
    href, length = tab.location.href, tab.history.length
    try:
        async with asyncio.timeout(3):
            mounted = await tab.navigate(url)
    except (ValueError, TypeError):
        assert (tab.location.href, tab.history.length) == (href, length)
        assert tab.get_mounted_apps() == ["b", "root"]
    else:
        assert mounted == tab.get_mounted_apps() == tab.check_activity_functions()
    assert await tab.navigate("/a") == ["a", "root"]
    assert await tab.history.back() in (["b", "root"], ["root"], ["a", "root"])


@pytest.mark.parametrize("url", [None, b"/a", 42, ["/a"], object()])
async def test_non_string_urls_raise_type_error(tab: Orchestrator, url: Any) -> None:
    href = tab.location.href
    with pytest.raises(TypeError, match="URL string"):
        await tab.navigate(url)
    assert tab.location.href == href
    assert await tab.navigate("/a") == ["a", "root"]


@pytest.mark.parametrize("name", ["", None, 3])
async def test_bad_registrations_leave_the_running_tab_alone(tab: Orchestrator, name: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        tab.register_application(name, {"mount": _noop, "unmount": _noop}, "/c")
    with pytest.raises(ValueError, match="already an app registered"):
        tab.register_application("a", {"mount": _noop, "unmount": _noop}, "/c")
    assert tab.get_app_names() == ["a", "b", "root"]
    assert await tab.navigate("/a") == ["a", "root"]


async def test_backslash_is_a_path_separator(tab: Orchestrator) -> None:
    """WHATWG URL parsing, as browsers: '\\' is '/' in http(s) URLs (found by this suite)."""
    assert await tab.navigate("\\a") == ["a", "root"]


async def test_navigation_fired_from_a_lifecycle_is_followed(tab: Orchestrator) -> None:
    """single-spa's navigateToUrl inside mount: the redirect is queued behind this reroute."""

    async def redirect(props: dict[str, Any]) -> None:
        props["orchestrator"].history.push_state(None, "", "/b")

    tab.register_application("gate", {"mount": redirect, "unmount": _noop}, "/gate")
    async with asyncio.timeout(3):
        await tab.navigate("/gate")
        await asyncio.sleep(0.01)
        assert await tab.trigger_app_change() == ["b", "root"]
    assert tab.location.pathname == "/b"


async def test_awaiting_navigate_inside_mount_does_not_wedge(tab: Orchestrator) -> None:
    """Awaiting navigate() inside a lifecycle used to wait for the reroute waiting for that
    lifecycle (found by this suite)."""

    async def redirect(props: dict[str, Any]) -> None:
        await props["orchestrator"].navigate("/b")

    tab.register_application("gate", {"mount": redirect, "unmount": _noop}, "/gate")
    async with asyncio.timeout(1):
        await tab.navigate("/gate")
    assert tab.get_app_status("gate") is not AppStatus.MOUNTING
