"""`escape_for_style_element`: inlined CSS can never end its `<style>` element (issue 12, item 4).

A fetched stylesheet holding `</style>` (in a string, a comment, a selector, a `url()`) ended the
inlined element, and the markup after it ran on the shell's origin. The escaped text has no `</`
anywhere, and tinycss2 reads the same tokens from it as from the original.
"""

from __future__ import annotations

import pytest
import tinycss2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tinycss2 import ast

from css_scoper import app_prefix, escape_for_style_element, scope_css

ATTACK = "</style><p id=x>"


def tokens(css: str) -> list[object]:
    """What a CSS parser reads: token types and values, comments left out, nested blocks too.

    A delim `<` and an identifier `<` compare equal: the one change made (before a `/`)."""
    return _normal(tinycss2.parse_component_value_list(css, skip_comments=True))


def _normal(nodes: list[ast.Node]) -> list[object]:
    out: list[object] = []
    for node in nodes:
        kind = node.type
        if kind in ("literal", "ident") and node.value == "<":
            out.append(("<",))
        elif kind == "function":
            out.append((kind, node.lower_name, _normal(node.arguments)))
        elif kind in ("() block", "[] block", "{} block"):
            out.append((kind, _normal(node.content)))
        elif kind in ("number", "percentage"):
            out.append((kind, node.value, node.is_integer))
        elif kind == "dimension":
            out.append((kind, node.value, node.unit))
        elif kind == "error":
            out.append((kind, node.kind))
        else:
            out.append((kind, node.value))
    return out


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        ('.a{content:"</style><p id=x>"}', '.a{content:"\\3c /style>\\3c p id=x>"}'),
        (".a{content:'</STYLE >'}", ".a{content:'\\3c /STYLE >'}"),
        ('.a{content:"\\</style>"}', '.a{content:"\\3c /style>"}'),
        ("/* </style><p id=x> */ .a{}", "/* \\3c /style>\\3c p id=x> */ .a{}"),
        ("/* unclosed </style>", "/* unclosed \\3c /style>"),
        (".a{b:url(</style><p id=x>)}", ".a{b:url(\\3c /style>\\3c p id=x>)}"),
        (".a{b:URL( </style> )}", ".a{b:URL( \\3c /style> )}"),
        (".a{b:u\\72 l(a</style>)}", ".a{b:u\\72 l(a\\3c /style>)}"),
        (".a{b:url('</style>')}", ".a{b:url('\\3c /style>')}"),
        (".a</style><p id=x>{}", ".a/**/\\3c /style><p id=x>{}"),
        (".a\\</style>{}", ".a\\3c /style>{}"),
        (".a{width:1\\</style>}", ".a{width:1\\3c /style>}"),
        ('"bad string </style>\n.a{}', '"bad string \\3c /style>\n.a{}'),
    ],
)
def test_every_way_to_spell_an_end_tag_is_escaped(css: str, expected: str) -> None:
    out = escape_for_style_element(css)
    assert out == expected
    assert "</" not in out
    assert tokens(out) == tokens(css)


@pytest.mark.parametrize(
    "css",
    [
        "@media (width < 600px) { .a {b: c} }",
        "@media (400px <= width <= 700px) { .a {b: c} }",
        "@container (inline-size<30em) { .a {b: c} }",
        "<!-- .a {b: c} -->",
        ".a {b: c}",
        "",
    ],
)
def test_a_bare_delim_that_css_needs_stays(css: str) -> None:
    """An escape would make the delim an identifier and break the query: it stays, harmless."""
    assert escape_for_style_element(css) == css


def test_comments_right_after_a_delim_go_so_no_slash_follows_it() -> None:
    css = "@media (width </* narrow */ 600px) { .a {b: c} }"
    out = escape_for_style_element(css)
    assert out == "@media (width < 600px) { .a {b: c} }"
    assert tokens(out) == tokens(css)


def test_a_delim_before_comments_and_a_cdo_becomes_an_identifier() -> None:
    """Dropping the comment would make `<!--` (one CDO token): the identifier keeps two."""
    css = "a </**/!-- b"
    out = escape_for_style_element(css)
    assert "</" not in out and tokens(out) == tokens(css)


def test_the_identifier_does_not_join_the_name_before_it() -> None:
    """`a</b` is `a`, `<`, `/`, `b`; a bare `a\\3c ` would be one identifier `a<`."""
    out = escape_for_style_element("a</b")
    assert out == "a/**/\\3c /b"
    assert tokens(out) == tokens("a</b")


def test_a_nul_continues_a_name_so_nul_url_is_no_url_token() -> None:
    """Found by atheris: CSS reads NUL as U+FFFD, a name character, so `\\x00url(` is a function
    whose `<` delims stay (escaping them made `@<` an at-keyword)."""
    css = "\x00url(/@<<)"
    out = escape_for_style_element(css)
    assert out == css and tokens(out) == tokens(css)


def test_scoped_css_can_be_escaped_after_scoping() -> None:
    prefix = app_prefix("app")
    css = '.a::after {content: "</style>"} /* </style> */ .b {background: url(x</style>.png)}'
    out = escape_for_style_element(scope_css(css, prefix))
    assert "</" not in out
    assert out.count(prefix) == 2
    assert tokens(out) == tokens(scope_css(css, prefix))


def test_bad_argument_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="must be str"):
        escape_for_style_element(b"a{}")  # type: ignore[arg-type]


# --- properties -----------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "<", "/", "</", "</style>", "<!--", "-->", "/*", "*/", '"', "'", "\\", "\\<", "\\3c",
        "url(", "u\\72 l(", ")", "(", "{", "}", ";", ":", " ", "\n", "a", "1", "-", "#", "@",
        "style", "p id=x>", ">", "=", "e", ",", "*",
    ]
)  # fmt: skip
_SOUP = st.lists(_PIECES, max_size=40).map("".join)
_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=80)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_SOUP, _TEXT))
def test_no_end_tag_and_the_same_tokens(css: str) -> None:
    out = escape_for_style_element(css)
    assert "</" not in out
    assert tokens(out) == tokens(css), (css, out)
    assert escape_for_style_element(out) == out
