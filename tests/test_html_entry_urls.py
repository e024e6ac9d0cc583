"""URL resolution as a browser does it, and the public path of an entry."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator._urls import UrlResolver, default_public_path, normalize_url, resolve_url

# (base, reference, what Node 20's WHATWG ``new URL(reference, base).href`` gives)
WHATWG_CASES = [
    ("http://a.com/x/", "../../../a.js", "http://a.com/a.js"),
    ("http://a.com/x/", "//b.com/c.js", "http://b.com/c.js"),
    ("http://a.com/x/", "  /p.js\n", "http://a.com/p.js"),
    ("http://a.com/x/", "a\\b.js", "http://a.com/x/a/b.js"),
    ("http://a.com/x/", "é.js", "http://a.com/x/%C3%A9.js"),
    ("http://a.com/x/", "a b.js?q=1 2#h h", "http://a.com/x/a%20b.js?q=1%202#h%20h"),
    ("http://a.com/x/", "http://B.COM:80/x", "http://b.com/x"),
    ("https://a.com:443/x/", "?q", "https://a.com/x/?q"),
    ("http://a.com/x/", "#f", "http://a.com/x/#f"),
    ("http://a.com/x/", "https://münchen.de/a", "https://xn--mnchen-3ya.de/a"),
    ("http://a.com/x/", 'a.js?x="y"<>', "http://a.com/x/a.js?x=%22y%22%3C%3E"),
    ("http://a.com/x/index.html", ".", "http://a.com/x/"),
    ("http://a.com/x/", "/%zz/%41.js", "http://a.com/%zz/%41.js"),
    ("http://a.com/x/", "x{y}`z^|.js", "http://a.com/x/x%7By%7D%60z^|.js"),
    ("http://a.com/x/", "", "http://a.com/x/"),
    ("http://a.com/x/y.html?z#w", "", "http://a.com/x/y.html?z"),
    ("http://a.com/x/", "./a/./b/../c.js", "http://a.com/x/a/c.js"),
    ("http://a.com", "a.js", "http://a.com/a.js"),
    ("http://a.com/x/", "http:foo.js", "http://a.com/x/foo.js"),
    ("http://a.com/x/", "HTTP://a.com/UP", "http://a.com/UP"),
    ("http://a.com/x/", "a\tb\nc.js", "http://a.com/x/abc.js"),
    ("http://a.com/x/", "/a.js?é=\xa0", "http://a.com/a.js?%C3%A9=%C2%A0"),
    ("http://a.com/x/", "https://a.com:8443/x?", "https://a.com:8443/x?"),
    ("http://user:pw@a.com/x/", "y.js", "http://user:pw@a.com/x/y.js"),
]


@pytest.mark.parametrize(("base", "ref", "expected"), WHATWG_CASES)
def test_resolution_matches_whatwg(base: str, ref: str, expected: str) -> None:
    assert resolve_url(base, ref) == expected


@pytest.mark.parametrize(
    ("entry", "public_path"),
    [
        ("http://test.com/a/b/c/index.html", "http://test.com/a/b/c/"),
        ("http://test.com/index.html", "http://test.com/"),
        ("http://kuitos.me/index.html?test=2", "http://kuitos.me/"),
        ("http://kuitos.me/test/vm/", "http://kuitos.me/test/vm/"),
        ("http://a.com/app", "http://a.com/"),
        ("http://a.com/x/index.html#/route", "http://a.com/x/"),
        ("HTTP://A.COM:80/x/i.html", "http://a.com/x/"),
        ("http://a.com", "http://a.com/"),
    ],
)
def test_default_public_path(entry: str, public_path: str) -> None:
    assert default_public_path(entry) == public_path


_url_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=30
)


@given(ref=_url_text)
def test_resolved_urls_are_ascii_absolute_and_stable(ref: str) -> None:
    resolved = resolve_url("http://a.com/x/", ref)
    assert resolved.isascii()
    assert " " not in resolved and "\n" not in resolved and "\t" not in resolved
    assert (
        resolved.split("://", 1)[0] in ("http", "https", "ws", "wss", "ftp", "file")
        or ":" in resolved
    )
    assert normalize_url(resolved) == resolved


_url_like = st.text(alphabet="abc./:?#%-_~@!$&'()*+,;= \\é", max_size=16)


@given(
    ref=st.one_of(
        _url_like,
        st.builds(
            lambda p, r: p + r, st.sampled_from(["./", "/", "http://x.y/", "//h/"]), _url_like
        ),
    ),
    base=st.sampled_from(["http://a.com/x/", "https://a.com:8443/x/y.html?q#f", "http://a.com"]),
)
def test_fast_resolver_agrees_with_the_full_algorithm(ref: str, base: str) -> None:
    assert UrlResolver(base)(ref) == resolve_url(base, ref)
