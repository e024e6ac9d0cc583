"""single-spa's pathToActiveWhen table (path-to-active-when.spec.js), re-derived; sanitising."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator.activity import (
    PathActivity,
    path_to_active_when,
    route_of,
    sanitize_active_when,
)
from orchestrator.navigation import Location

A = "http://app.com"

PREFIX_CASES: list[tuple[str, str, bool]] = [
    ("/pathname", "/pathname", True),
    ("/pathname", "/pathname?query-string=1", True),
    ("/pathname", "/pathname#url-fragment", True),
    ("/pathname", "/pathname/", True),
    ("/pathname", "/pathname/?query-string=1", True),
    ("/pathname", "/pathname/anything/everything", True),
    ("/pathname", "/pathnameExtraShouldNotMatch", False),
    ("/pathname", "/pathnameExtraShouldNotMatch?query-string=1", False),
    ("/pathname/", "/pathname/", True),
    ("/pathname/", "/pathname/?query-string=1", True),
    ("/pathname/", "/pathname/#url-fragment", True),
    ("/pathname/", "/pathname/extra", True),
    ("/pathname/", "/pathname", False),
    ("/pathname/", "/pathname?query-string=1", False),
    ("/pathname/:dynamic/", "/pathname/123/", True),
    ("/pathname/:dynamic/", "/pathname/123/extra", True),
    ("/pathname/:dynamic/", "/pathname/123/extra?query-string=1", True),
    ("/pathname/:dynamic/", "/pathname/123", False),
    ("/pathname/:dynamic/", "/pathname/123?query-string=1", False),
    ("/#/pathname", "/#/pathname", True),
    ("/#/pathname", "/#/pathname?query-string=1", True),
    ("/#/pathname", "/#/pathname/", True),
    ("/#/pathname", "/#/pathname/anything/everything", True),
    ("/#/pathname", "/#/pathname/anything/everything#fragment", True),
    ("/#/pathname", "?query-string=1/#/pathname/anything/everything", True),
    ("/#/pathname", "?query-string=1#/pathname/anything/everything", True),
    ("/#/pathname", "/#/other", False),
    ("/#/pathname/:dynamic/notDynamic", "/#/pathname/1/notDynamic", True),
    ("/#/pathname/:dynamic/notDynamic", "/#/pathname/1/notDynamic/", True),
    ("/#/pathname/:dynamic/notDynamic", "/#/pathname/1/notDynamicExtra", False),
    ("/#/pathname/:dynamic/notDynamic", "/#/pathname//notDynamic/anything/everything", False),
    ("/pathname/:dynamic/notDynamic", "/pathname/1/notDynamic", True),
    ("/pathname/:dynamic/notDynamic", "/pathname/1/notDynamic/anything/everything", True),
    ("/pathname/:dynamic/notDynamic", "/pathname//notDynamic", False),
    ("", "", True),
    ("", "/", True),
    ("", "/anything/everything", True),
    ("/", "", True),
    ("/", "/", True),
    ("/", "/anything/everything", True),
    ("/:dynamic/:dynamic", "/1/1", True),
    ("/:dynamic/:dynamic", "/1/1/", True),
    ("/:dynamic/:dynamic", "/1//", False),
    ("/:dynamic/:dynamic", "/1/", False),
    ("/:dynamic/:dynamic", "/1", False),
    ("/:dynamic/:dynamic/anything/everything", "/1/1/anything/everything", True),
    ("/pathname#/subpath/:dynamic", "/pathname#/subpath/1/with/other/things", True),
    ("/pathname#/subpath/:dynamic", "/#/subpath/1/with/other/things", False),
    ("/#/subpath/:dynamic", "/#/subpath/1/with/other/things", True),
    ("/#/subpath/:dynamic", "/#/subpath/1", True),
    ("/#/subpath/:dynamic", "/subpath/1/with/other/things", False),
    ("#/subpath/:dynamic", "#/subpath/1/with/other/things", True),
    ("#/subpath/:dynamic", "#/subpath/1", True),
    ("#/subpath/:dynamic", "/#/subpath/1", True),
    ("pathname", "/pathname", True),
    ("pathname", "/pathname/bleus", True),
    (":dynamic/:dynamic", "/1/1", True),
    (":dynamic/:dynamic", "/1/1/more", True),
]

EXACT_CASES: list[tuple[str, str, bool]] = [
    ("/pathname", "/pathname", True),
    ("/pathname", "/pathname/", True),
    ("/pathname", "/pathname/?query", True),
    ("/pathname", "/pathname#hash", True),
    ("/pathname", "/pathname/#hash", True),
    ("/pathname", "/pathname/?query#hash", True),
    ("/pathname", "/pathname/more", False),
    (":dynamic", "/1", True),
    (":dynamic", "/1/", True),
    (":dynamic", "/1/more", False),
    (":dynamic/:dynamic", "/1/1", True),
    (":dynamic/:dynamic", "/1/1/", True),
    (":dynamic/:dynamic", "/1/1/more", False),
    ("/user/:id/settings", "/user/1/settings", True),
    ("/user/:id/settings", "/user/1/settings/", True),
    ("/user/:id/settings", "/user/1/settings/account", False),
    ("/user/:id/almost", "/user/1/almostt", False),
    ("/:id", "/123", True),
    ("/:id", "/abc", True),
    ("/:id", "/123/", True),
    ("/:id", "/abc/", True),
    ("/:id", "/123/more", False),
    ("/:id", "/abc/more", False),
]


@pytest.mark.parametrize(("path", "url", "expected"), PREFIX_CASES)
def test_prefix_rules(path: str, url: str, expected: bool) -> None:
    assert path_to_active_when(path)(A + url) is expected


@pytest.mark.parametrize(("path", "url", "expected"), EXACT_CASES)
def test_exact_rules(path: str, url: str, expected: bool) -> None:
    assert path_to_active_when(path, exact_match=True)(A + url) is expected


@pytest.mark.parametrize(("path", "url", "expected"), PREFIX_CASES)
def test_location_objects_match_like_urls(path: str, url: str, expected: bool) -> None:
    full = A + url
    only_href = SimpleNamespace(href=full)
    assert path_to_active_when(path)(only_href) is expected


def test_case_insensitive() -> None:
    active = path_to_active_when("/PathName/:id/Edit")
    assert active(A + "/pathname/7/edit")
    assert active(A + "/PATHNAME/7/EDIT/more")


def test_regex_metacharacters_are_literal() -> None:
    active = path_to_active_when("/a.b+(c)")
    assert active(A + "/a.b+(c)")
    assert not active(A + "/aXbb(c)")
    assert not active(A + "/a.bbc")


def test_route_of_drops_query_everywhere() -> None:
    assert route_of("http://app.com/x?q=1#/h?y=2") == "/x#/h"
    assert route_of("http://app.com") == "/"
    assert route_of(SimpleNamespace(href="http://x", pathname="/p", hash="#/h?z")) == "/p#/h"


def test_path_activity_is_compiled_once_and_described() -> None:
    active = path_to_active_when("/a/:b", exact_match=True)
    assert isinstance(active, PathActivity)
    assert active.pattern.pattern == "^/a/[^/]+/?$"
    assert repr(active) == "PathActivity('/a/:b', exact_match=True)"


def test_path_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="path must be a string, got int"):
        path_to_active_when(3)  # type: ignore[arg-type]


def test_sanitize_string_callable_and_mixed_list() -> None:
    by_path = sanitize_active_when("/app1")
    assert by_path(Location(A + "/app1/x")) and not by_path(Location(A + "/app2"))

    seen: list[object] = []

    def predicate(location: object) -> object:
        seen.append(location)
        return "truthy" if str(location).endswith("/fn") else 0

    by_fn = sanitize_active_when(predicate)
    assert by_fn(Location(A + "/fn")) is True
    assert by_fn(Location(A + "/no")) is False

    mixed = sanitize_active_when(["/app1", predicate])
    assert mixed(Location(A + "/app1")) is True
    assert mixed(Location(A + "/fn")) is True
    assert mixed(Location(A + "/other")) is False


def test_sanitize_short_circuits_in_order() -> None:
    calls: list[str] = []

    def first(_: object) -> bool:
        calls.append("first")
        return True

    def second(_: object) -> bool:
        calls.append("second")
        return True

    assert sanitize_active_when([first, second])(Location(A + "/")) is True
    assert calls == ["first"]


def test_empty_list_is_never_active() -> None:
    assert sanitize_active_when([])(Location(A + "/")) is False


def test_predicate_errors_propagate() -> None:
    def broken(_: object) -> bool:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        sanitize_active_when(["/x", broken])(Location(A + "/y"))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (5, "active_when must be a string, a callable or a list of them, got int"),
        (None, "active_when must be a string, a callable or a list of them, got None"),
        ({"/a": 1}, "got dict"),
        (
            ["/a", 3.5],
            r"active_when\[1\] must be a string, a callable or a list of them, got float",
        ),
        ([["/a"]], r"active_when\[0\] .* got list"),
    ],
)
def test_sanitize_rejects_bad_input(bad: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        sanitize_active_when(bad)  # type: ignore[arg-type]


# --- properties ---------------------------------------------------------------------------------

_segment = st.text(alphabet="abcXYZ019-_.~", min_size=1, max_size=6).filter(
    lambda s: s not in {".", ".."}  # dot segments are resolved away by every URL parser
)
_segments = st.lists(_segment, min_size=1, max_size=4)


@given(_segments, _segment)
def test_prefix_paths_match_themselves_and_deeper_urls(segments: list[str], extra: str) -> None:
    path = "/" + "/".join(segments)
    active = path_to_active_when(path)
    assert active(A + path)
    assert active(A + path + "/")
    assert active(A + path + "/" + extra + "?q=1#h")
    assert active(A + path.upper())
    assert not active(A + path + "~" + extra)  # a longer last segment is another path


@given(_segments, _segment)
def test_exact_paths_refuse_deeper_urls(segments: list[str], extra: str) -> None:
    path = "/" + "/".join(segments)
    exact = path_to_active_when(path, exact_match=True)
    assert exact(A + path) and exact(A + path + "/?q") and exact(A + path + "#h")
    assert not exact(A + path + "/" + extra)


@given(_segments, st.integers(min_value=0, max_value=3), _segment)
def test_a_param_matches_any_one_segment(segments: list[str], at: int, value: str) -> None:
    at %= len(segments)
    pattern = "/" + "/".join(":p" if i == at else s for i, s in enumerate(segments))
    url = "/" + "/".join(value if i == at else s for i, s in enumerate(segments))
    assert path_to_active_when(pattern, exact_match=True)(A + url)
    emptied = "/" + "/".join("" if i == at else s for i, s in enumerate(segments))
    assert not path_to_active_when(pattern, exact_match=True)(A + emptied)


@given(
    st.lists(_segment, max_size=3),
    st.text(alphabet="ab=&", max_size=4),
    st.one_of(st.none(), st.text(alphabet="/ab?=", max_size=6)),
)
def test_route_is_the_same_for_strings_and_locations(
    segments: list[str], query: str, fragment: str | None
) -> None:
    url = A + "/" + "/".join(segments) + ("?" + query if query else "")
    if fragment is not None:
        url += "#" + fragment
    location = Location(url)
    assert route_of(url) == location.route == route_of(SimpleNamespace(href=url))
