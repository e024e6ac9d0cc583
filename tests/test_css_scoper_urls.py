"""`css_scoper.rewrite_urls`: the URL rewriting of `scope_css(..., base_url=...)`, selectors kept.

The wrapper inlines stylesheets it does not scope (no isolation, or shadow DOM) and still needs
their relative URLs made absolute; it used the private `css_scoper._urls` for that.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import css_scoper._scope
from css_scoper import app_prefix, rewrite_urls, scope_css

BASE = "https://cdn.example.com/app/css/main.css"
P = app_prefix("app")


@pytest.fixture(autouse=True, scope="module")
def _scoper_errors_fail_the_test() -> Iterator[None]:
    def fail(message: str, *args: object) -> None:
        raise AssertionError(message % args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(css_scoper._scope._log, "exception", fail)
        yield


def test_relative_urls_become_absolute_and_selectors_stay() -> None:
    css = (
        "@import 'reset.css';\n@import url(theme.css) screen;\n"
        "html body .a { background: url(../img/a.png) }\n"
        "@font-face { src: url(x.woff2) }\n"
        "@media print { .b { background: url('p.png') } }\n"
        "@scope (.card) { .c { mask: url(m.svg#x) } }\n"
        '/* url(c.png) */ .d { content: "url(s.png)" }\n'
        '@namespace x url("ns");\n'
    )
    assert rewrite_urls(css, BASE) == (
        "@import 'https://cdn.example.com/app/css/reset.css';\n"
        "@import url(https://cdn.example.com/app/css/theme.css) screen;\n"
        "html body .a { background: url(https://cdn.example.com/app/img/a.png) }\n"
        "@font-face { src: url(https://cdn.example.com/app/css/x.woff2) }\n"
        "@media print { .b { background: url('https://cdn.example.com/app/css/p.png') } }\n"
        "@scope (.card) { .c { mask: url(https://cdn.example.com/app/css/m.svg#x) } }\n"
        '/* url(c.png) */ .d { content: "url(s.png)" }\n'
        '@namespace x url("ns");\n'
    )


def test_escaped_at_rule_names_are_read_as_browsers_read_them() -> None:
    css = "@\\69mport 'a.css'; @n\\61mespace url(ns); .x { b: url(i.png) }"
    assert rewrite_urls(css, BASE) == (
        "@\\69mport 'https://cdn.example.com/app/css/a.css'; @n\\61mespace url(ns); "
        ".x { b: url(https://cdn.example.com/app/css/i.png) }"
    )


@pytest.mark.parametrize("control", ["\x01", "\x08", "\x0b", "\x0e", "\x1f", "\x7f"])
def test_a_bad_url_stays_a_bad_url(control: str) -> None:
    """Found by atheris: a non-printable character makes `url(...)` a bad url; quoting it as a
    resolved URL made a string, and a `{` inside it no longer opened a block."""
    css = f"a {{ b: url({control}{{) }}"
    assert rewrite_urls(css, BASE) == css
    assert scope_css(css, P, base_url=BASE) == f"{P} {css}"


def test_a_name_ending_in_url_after_a_nul_is_no_url() -> None:
    """NUL is a name character (U+FFFD): `\\x00url(x)` is a function, its argument no URL."""
    css = "a{b:\x00url(x.png) url(y.png)}"
    assert rewrite_urls(css, "http://h/a b/") == 'a{b:\x00url(x.png) url("http://h/a b/y.png")}'


def test_an_empty_base_changes_nothing() -> None:
    assert rewrite_urls(".a { b: url(x.png) }", "") == ".a { b: url(x.png) }"


def test_bad_arguments_are_clear_errors() -> None:
    with pytest.raises(TypeError, match="css must be str"):
        rewrite_urls(b".a{}", BASE)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="base_url must be str"):
        rewrite_urls(".a{}", None)  # type: ignore[arg-type]


_SHEET = st.lists(
    st.sampled_from(
        [
            ".a{b:url(x.png)}", "body{c:url('../y.png')}", "@import 'i.css';", "@media x{",
            "}", "@scope (.s){.t{u:url(v.svg)}}", '@namespace n url("ns");', "/* url(c) */",
            "html,body{}", '"url(q)"', "{", ";", "url(", "\\", "@n\\61mespace url(w);",
        ]
    ),
    max_size=12,
).map("".join)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_SHEET)
def test_same_urls_as_scope_css_with_a_base(css: str) -> None:
    """Scoping the rewritten text is scoping with `base_url`: the two share one walk."""
    assert scope_css(rewrite_urls(css, BASE), P) == scope_css(css, P, base_url=BASE)
