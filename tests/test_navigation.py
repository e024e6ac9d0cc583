"""Location and History of a headless tab: synchronous URL changes, browser-like events."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from orchestrator.activity import path_to_active_when
from orchestrator.navigation import History, Location, NavigationResult, normalize_url
from sandbox import Event


class Recorder:
    """An on_change that records events and returns whatever the test asks for."""

    def __init__(self, returns: Any = None) -> None:
        self.events: list[Any] = []
        self.returns = returns

    def __call__(self, event: Event) -> Any:
        self.events.append(event)
        return self.returns(event) if callable(self.returns) else self.returns

    def kinds(self) -> list[str]:
        return [event.type for event in self.events]


def tab(url: str = "http://localhost/", returns: Any = None) -> tuple[Location, History, Recorder]:
    location = Location(url)
    recorder = Recorder(returns)
    return location, History(location, recorder), recorder


# --- Location -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "href"),
    [
        ("http://localhost", "http://localhost/"),
        ("HTTP://LocalHost:80/a", "http://localhost/a"),
        ("https://x.org:443/", "https://x.org/"),
        ("http://x.org:8080", "http://x.org:8080/"),
        ("http://a/b/../c/./d", "http://a/c/d"),
        ("http://a/a b?q=x y#f g", "http://a/a%20b?q=x%20y#f%20g"),
        ("http://a/é", "http://a/%C3%A9"),
        ("http://a/x?", "http://a/x?"),
        ("http://a/x#", "http://a/x#"),
        ("  http://a/x  ", "http://a/x"),
    ],
)
def test_urls_are_normalised_like_a_browser(given: str, href: str) -> None:
    assert Location(given).href == href
    assert normalize_url(given) == href


def test_location_parts() -> None:
    location = Location("https://User:pw@Example.com:8443/a/b?x=1&y=2#/route?z")
    assert location.protocol == "https:"
    assert location.hostname == "example.com"
    assert location.port == "8443"
    assert location.host == "example.com:8443"
    assert location.origin == "https://example.com:8443"
    assert location.pathname == "/a/b"
    assert location.search == "?x=1&y=2"
    assert location.hash == "#/route?z"
    assert str(location) == location.href


def test_empty_query_and_fragment_are_empty_strings() -> None:
    location = Location("http://a/x?#")
    assert (location.search, location.hash) == ("", "")


def test_ipv6_host() -> None:
    location = Location("http://[::1]:8000/p")
    assert location.hostname == "::1"
    assert location.host == "[::1]:8000"
    assert location.origin == "http://[::1]:8000"


def test_default_location_and_bad_urls() -> None:
    assert Location().href == "http://localhost/"
    with pytest.raises(ValueError, match="not an absolute URL: '/relative'"):
        Location("/relative")
    with pytest.raises(ValueError, match="invalid host or port"):
        Location("http://a:99999/")


@pytest.mark.parametrize(
    ("relative", "absolute"),
    [
        ("/x", "http://a.com/x"),
        ("y", "http://a.com/dir/y"),
        ("../z", "http://a.com/z"),
        ("?q=1", "http://a.com/dir/page?q=1"),
        ("#h", "http://a.com/dir/page?s#h"),
        ("//b.com/p", "http://b.com/p"),
        ("https://c.com", "https://c.com/"),
        ("", "http://a.com/dir/page?s"),
    ],
)
def test_resolve(relative: str, absolute: str) -> None:
    assert Location("http://a.com/dir/page?s#frag").resolve(relative) == absolute


def test_unbound_location_just_changes() -> None:
    location = Location("http://a/x")
    result = location.assign("/y")
    assert location.href == "http://a/y"
    assert result.events == ()
    location.hash = "k"
    assert location.href == "http://a/y#k"


def test_location_is_cheap_for_activity_functions() -> None:
    location = Location("http://a.com/app1/page?x=1#/in-hash?q")
    assert path_to_active_when("/app1")(location)
    assert not path_to_active_when("/app2")(location)
    assert path_to_active_when("/app1/page#/in-hash", exact_match=True)(location)


# --- push_state / replace_state --------------------------------------------------------------


def test_push_state_changes_url_synchronously_then_reports_one_synthetic_popstate() -> None:
    location, history, recorder = tab("http://localhost/a")
    seen_url: list[str] = []
    recorder.returns = lambda event: seen_url.append(location.href)
    history.push_state({"n": 1}, "", "/b?x=1")
    assert location.href == "http://localhost/b?x=1"
    assert seen_url == ["http://localhost/b?x=1"]
    [event] = recorder.events
    assert event.type == "popstate"
    assert event.state == {"n": 1}
    assert event.single_spa is True
    assert event.single_spa_trigger == "pushState"
    assert event.old_url == "http://localhost/a"
    assert event.new_url == "http://localhost/b?x=1"
    assert history.length == 2
    assert history.state == {"n": 1}


def test_push_state_to_same_url_still_reports() -> None:
    _, history, recorder = tab("http://localhost/a")
    history.push_state(None)
    history.push_state("s", "", "/a")
    assert recorder.kinds() == ["popstate", "popstate"]
    assert recorder.events[1].old_url == recorder.events[1].new_url
    assert history.length == 3


def test_replace_state_keeps_length() -> None:
    location, history, recorder = tab("http://localhost/a")
    history.replace_state("r", "", "/c")
    assert (location.href, history.length, history.state) == ("http://localhost/c", 1, "r")
    assert recorder.events[0].single_spa_trigger == "replaceState"


def test_push_state_truncates_forward_entries() -> None:
    location, history, _ = tab("http://localhost/1")
    history.push_state(2, "", "/2")
    history.push_state(3, "", "/3")
    history.back()
    history.back()
    assert location.pathname == "/1"
    history.push_state("x", "", "/x")
    assert history.length == 2
    assert history.forward().events == ()
    assert location.pathname == "/x"


def test_cross_origin_push_state_is_refused_and_changes_nothing() -> None:
    location, history, recorder = tab("http://localhost/a")
    with pytest.raises(
        ValueError, match=r"'http://evil\.com/x' cannot be created in a document with"
    ):
        history.push_state(None, "", "http://evil.com/x")
    with pytest.raises(ValueError, match="replaceState"):
        history.replace_state(None, "", "https://localhost/a")
    with pytest.raises(ValueError, match="stays on its origin 'http://localhost'"):
        history.assign("http://localhost:81/")
    with pytest.raises(ValueError, match=r"cannot replace 'https://x\.org/'"):
        location.replace("https://x.org")
    assert location.href == "http://localhost/a"
    assert history.length == 1
    assert recorder.events == []


# --- back / forward / go ---------------------------------------------------------------------


def test_back_and_forward_report_popstate_with_the_entry_state() -> None:
    location, history, recorder = tab("http://localhost/a")
    history.push_state({"page": "b"}, "", "/b")
    recorder.events.clear()
    history.back()
    assert location.href == "http://localhost/a"
    assert history.state is None
    [event] = recorder.events
    assert (event.type, event.state, event.old_url, event.new_url) == (
        "popstate",
        None,
        "http://localhost/b",
        "http://localhost/a",
    )
    assert not hasattr(event, "single_spa")
    history.forward()
    assert location.pathname == "/b"
    assert recorder.events[-1].state == {"page": "b"}


def test_traversal_across_fragments_adds_hashchange() -> None:
    location, history, recorder = tab("http://localhost/a")
    history.push_state(None, "", "/a#one")
    history.push_state(None, "", "/b#one")
    recorder.events.clear()
    history.back()
    assert recorder.kinds() == ["popstate"]
    history.back()
    assert recorder.kinds() == ["popstate", "popstate", "hashchange"]
    hashchange = recorder.events[-1]
    assert (hashchange.old_url, hashchange.new_url) == (
        "http://localhost/a#one",
        "http://localhost/a",
    )
    assert location.hash == ""


@pytest.mark.parametrize("delta", [0, -1, 1, 5, -5])
def test_go_out_of_range_is_a_noop(delta: int) -> None:
    location, history, recorder = tab("http://localhost/a")
    result = history.go(delta)
    assert result.events == ()
    assert result.done
    assert location.pathname == "/a"
    assert recorder.events == []


def test_go_jumps_several_entries() -> None:
    location, history, _ = tab("http://localhost/0")
    for i in range(1, 5):
        history.push_state(i, "", f"/{i}")
    history.go(-3)
    assert (location.pathname, history.state, history.index) == ("/1", 1, 1)
    history.go(2)
    assert location.pathname == "/3"


# --- assign / location setters ------------------------------------------------------------------


def test_assign_other_path_is_one_popstate_and_a_new_entry() -> None:
    location, history, recorder = tab("http://localhost/a#x")
    history.assign("/b")
    assert recorder.kinds() == ["popstate"]
    assert recorder.events[0].state is None
    assert history.length == 2
    location.replace("/c")
    assert history.length == 2
    assert location.pathname == "/c"


def test_fragment_only_change_is_popstate_then_hashchange() -> None:
    location, history, recorder = tab("http://localhost/a?q=1")
    location.hash = "#/route"
    assert location.href == "http://localhost/a?q=1#/route"
    assert recorder.kinds() == ["popstate", "hashchange"]
    assert recorder.events[1].old_url == "http://localhost/a?q=1"
    assert recorder.events[1].new_url == "http://localhost/a?q=1#/route"
    assert history.length == 2


def test_setting_the_same_hash_does_nothing() -> None:
    location, history, recorder = tab("http://localhost/a#h")
    location.hash = "h"
    location.hash = "#h"
    assert recorder.events == []
    assert history.length == 1


def test_assign_to_current_url_replaces_the_entry() -> None:
    location, history, recorder = tab("http://localhost/a")
    location.assign("/a")
    assert history.length == 1
    assert recorder.kinds() == ["popstate"]


def test_removing_the_fragment_is_not_a_hashchange() -> None:
    location, _, recorder = tab("http://localhost/a#h")
    location.href = "/a"
    assert recorder.kinds() == ["popstate"]
    assert location.href == "http://localhost/a"


def test_search_and_pathname_setters_navigate() -> None:
    location, _, recorder = tab("http://localhost/a?x=1#h")
    location.search = "y=2"
    assert location.href == "http://localhost/a?y=2#h"
    location.pathname = "b/c"
    assert location.href == "http://localhost/b/c?y=2#h"
    location.search = ""
    assert location.href == "http://localhost/b/c#h"
    assert recorder.kinds() == ["popstate"] * 3


# --- NavigationResult -------------------------------------------------------------------------


def test_result_without_on_change_or_awaitable_is_done() -> None:
    location = Location("http://localhost/")
    history = History(location)
    result = history.push_state(None, "", "/x")
    assert result.done
    assert [event.type for event in result.events] == ["popstate"]
    _, history2, _ = tab(returns=42)
    assert history2.push_state(None, "", "/y").done


async def test_awaiting_resolves_to_the_last_awaitable_and_runs_all() -> None:
    order: list[str] = []

    async def work(event: Any) -> str:
        await asyncio.sleep(0)
        order.append(event.type)
        return f"done {event.type}"

    location, _, _ = tab("http://localhost/a", returns=work)
    assert await location.assign("#h") == "done hashchange"
    assert order == ["popstate", "hashchange"]


async def test_work_happens_without_awaiting() -> None:
    finished = asyncio.Event()

    async def work(_: Event) -> None:
        finished.set()

    _, history, _ = tab(returns=work)
    result = history.push_state(None, "", "/x")
    done_at_once = result.done
    assert not done_at_once
    await asyncio.wait_for(finished.wait(), 1)
    await asyncio.sleep(0)
    assert result.done
    assert await result is None


async def test_futures_returned_by_on_change_are_awaited() -> None:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()
    _, history, _ = tab(returns=future)
    result = history.back()
    assert await result is None
    result = history.push_state(None, "", "/f")
    loop.call_soon(future.set_result, "mounted")
    assert await result == "mounted"
    assert await result == "mounted"


def test_navigation_before_the_loop_starts_runs_when_awaited() -> None:
    ran: list[str] = []

    async def work(event: Any) -> str:
        ran.append(event.new_url)
        return "rerouted"

    location, history, _ = tab(returns=work)
    location.href = "/early"
    result = history.push_state(None, "", "/later")
    assert location.pathname == "/later"
    assert ran == []
    assert isinstance(result, NavigationResult)
    assert asyncio.run(_await(result)) == "rerouted"
    assert ran == ["http://localhost/later"]


async def _await(result: NavigationResult) -> Any:
    return await result


async def test_errors_reach_the_awaiting_caller() -> None:
    async def broken(_: Event) -> None:
        raise RuntimeError("reroute failed")

    _, history, _ = tab(returns=broken)
    with pytest.raises(RuntimeError, match="reroute failed"):
        await history.push_state(None, "", "/x")


def test_on_change_is_settable_later() -> None:
    location = Location("http://localhost/")
    history = History(location)
    history.push_state(None, "", "/quiet")
    recorder = Recorder()
    history.on_change = recorder
    history.back()
    assert recorder.kinds() == ["popstate"]
    assert "History length=2 index=0" in repr(history)


@pytest.mark.parametrize(
    ("url", "route"),
    [
        ("http://a.com", "/"),
        ("http://a.com/x/y?q=1", "/x/y"),
        ("http://a.com/x#/h?z=2", "/x#/h"),
        ("http://a.com/?q=1/#/p", "/#/p"),
        ("http://a.com/p#", "/p#"),
    ],
)
def test_route_is_what_path_rules_match(url: str, route: str) -> None:
    assert Location(url).route == route


def test_resolve_keeps_an_empty_fragment_like_a_browser() -> None:
    location = Location("http://a.com/x?q#old")
    assert location.resolve("#") == "http://a.com/x?q#"
    assert location.resolve("/y#") == "http://a.com/y#"


def test_a_dropped_result_without_a_loop_leaves_no_unawaited_coroutine() -> None:
    import gc
    import warnings

    async def work(_: Event) -> None:
        raise AssertionError("never started: no loop and nobody awaited")

    location, _, _ = tab(returns=work)
    gc.collect()  # what earlier tests left is theirs: only this navigation's garbage is checked
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        location.href = "/dropped"
        gc.collect()
    assert location.pathname == "/dropped"


def test_session_history_is_bounded_like_a_browser() -> None:
    from orchestrator.navigation import History, Location

    history = History(Location("http://localhost/"), max_length=3)
    for n in range(10):
        history.push_state(n, "", f"/page{n}")
    assert history.length == 3
    assert history.state == 9
    history.back()
    history.back()
    assert history.state == 7
    assert history.location.pathname == "/page7"
    history.back()  # the older entries are gone
    assert history.location.pathname == "/page7"


def test_location_and_importer_normalise_urls_the_same_way() -> None:
    from orchestrator._urls import normalize_url as importer_normalize

    for url in ("http://a.com/#`x", "http://A.com:80/a/../b c?q=é#f g", "https://h/%7e?x=<y>"):
        assert Location(url).href == importer_normalize(url)
    assert Location("http://a.com/#`x").hash == "#%60x"  # WHATWG encodes ` in fragments


def test_location_and_importer_share_one_resolver() -> None:
    """``?`` keeps an empty query, as browsers do (``new URL("?", base)``); both halves agree."""
    from orchestrator._urls import resolve_url

    here = Location("http://localhost/shop/list?page=2#top")
    assert here.resolve("?") == "http://localhost/shop/list?"
    assert here.resolve("") == "http://localhost/shop/list?page=2"
    for ref in ("?", "", "#x", "../a b", "//other.test/x", "\\\\evil", "?q=1#f", "./c;d"):
        assert here.resolve(ref) == resolve_url(here.href, ref), ref
