"""css_scoper reads comments and escapes as a browser does (issue 12, item 5).

Each case here was an escape from scoping confirmed in Chromium: a selector-list item that starts
with a comment was copied through unscoped, and an at-rule whose name is spelled with an escape
(`@m\\65 dia`) was taken for an unknown at-rule and copied through, while browsers decode it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import css_scoper._scope
from css_scoper import app_prefix, scope_css
from css_scoper._scanner import name_value

P = app_prefix("app")


@pytest.fixture(autouse=True, scope="module")
def _scoper_errors_fail_the_test() -> Iterator[None]:
    """``scope_css`` swallows internal errors (a page must still mount); here they must fail."""

    def fail(message: str, *args: object) -> None:
        raise AssertionError(message % args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(css_scoper._scope._log, "exception", fail)
        yield


# --- comments before a selector ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        (".btn,\n/* legacy */\nh1 {a: b}", f"{P} .btn,\n{P} /* legacy */\nh1 {{a: b}}"),
        ("/* c */ .x {a: b}", f"/* c */ {P} .x {{a: b}}"),
        (".a, /* c */ .x {a: b}", f"{P} .a, {P} /* c */ .x {{a: b}}"),
        (".a,/**/h1, /**/ /**/h2 {a: b}", f"{P} .a,{P} /**/h1, {P} /**/ /**/h2 {{a: b}}"),
        ("/**/html .x {a: b}", f"/**/{P} .x {{a: b}}"),
        ("/* c */ body {a: b}", f"/* c */ {P} {{a: b}}"),
        (".a, /* c */ body.dark .x {a: b}", f"{P} .a, /* c */ {P}.dark .x {{a: b}}"),
        ("/* c */\n:root {--v: 1}", f"/* c */\n{P} {{--v: 1}}"),
        ("/**/html /**/ body .x {a: b}", f"/**/{P} .x {{a: b}}"),
        ("@media x { .a, /* c */ .b {a: b} }", f"@media x {{ {P} .a, {P} /* c */ .b {{a: b}} }}"),
    ],
)
def test_a_comment_before_a_selector_does_not_hide_it(css: str, expected: str) -> None:
    assert scope_css(css, P) == expected


def test_a_comment_before_a_leading_combinator_stays_dropped() -> None:
    """`> .x` is invalid at the top level (browsers drop it), with or without a comment."""
    assert scope_css("/* c */ > .x {a: b}", P) == "/* c */ > .x {a: b}"


@pytest.mark.parametrize("css", ["/* c */ .x {a: b}", "/**/html .x {a: b}", "/* c */ body {a: b}"])
def test_scoping_a_commented_selector_again_changes_nothing(css: str) -> None:
    once = scope_css(css, P)
    assert scope_css(once, P) == once


# --- escaped at-rule names --------------------------------------------------------------------


@pytest.mark.parametrize(
    "keyword",
    [
        "@m\\65 dia",
        "@m\\65\tdia",
        "@\\media",
        "@\\6d edia",
        "@\\00006d edia",
        "@\\4d EDIA",
        "@MEDIA",
        "@med\\ia",
    ],
)
def test_an_escaped_media_keyword_is_media(keyword: str) -> None:
    css = f"{keyword} screen {{ .x {{a: b}} body {{c: d}} }}"
    assert scope_css(css, P) == f"{keyword} screen {{ {P} .x {{a: b}} {P} {{c: d}} }}"


@pytest.mark.parametrize(
    ("keyword", "prelude"),
    [
        ("@supp\\orts", "(display: grid)"),
        ("@\\73 upports", "(display: grid)"),
        ("@cont\\61iner", "(min-width: 1px)"),
        ("@l\\61yer", "base"),
        ("@\\layer", "base"),
        ("@st\\61 rting-style", ""),
        ("@-moz-docum\\65 nt", "url-prefix()"),
    ],
)
def test_other_escaped_grouping_rules_are_recursed(keyword: str, prelude: str) -> None:
    css = f"{keyword} {prelude} {{ .x {{a: b}} }}"
    assert scope_css(css, P) == f"{keyword} {prelude} {{ {P} .x {{a: b}} }}"


def test_an_escaped_scope_rule_gets_its_root_scoped() -> None:
    css = "@sc\\ope (.card) to (.end) { .t {a: b} }"
    assert scope_css(css, P) == f"@sc\\ope ({P} .card) to (.end) {{ .t {{a: b}} }}"


def test_an_escaped_import_is_import() -> None:
    """With `base_url`, its string URL is made absolute as for a plain `@import`."""
    css = '@\\69mport "reset.css" screen;\n.a {b: c}'
    out = scope_css(css, P, base_url="http://cdn.test/app/main.css")
    assert out == f'@\\69mport "http://cdn.test/app/reset.css" screen;\n{P} .a {{b: c}}'


def test_an_escaped_namespace_is_namespace() -> None:
    """Its URL is a name, not a resource: it stays as written."""
    css = "@n\\61mespace svg url(svg.xml);\n.a {b: c}"
    out = scope_css(css, P, base_url="http://cdn.test/app/")
    assert out == f"@n\\61mespace svg url(svg.xml);\n{P} .a {{b: c}}"


@pytest.mark.parametrize(
    "css",
    [
        "@\\212a eyframes k { from {a: b} }",
        "@m\\65 dia2 x { .y {} }",
        "@m\\edia x { .y {} }",
        "@l\\ayer x { .y {} }",
    ],
)
def test_names_that_only_look_alike_are_not_folded(css: str) -> None:
    """Only ASCII letters fold (`\\212a` is the Kelvin sign, not `k`), and `\\e`, `\\a` are hex
    escapes (`@m\\edia` is `@m\u00edia`): unknown at-rules, copied, and dropped by browsers."""
    assert scope_css(css, P) == css


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("m\\65 dia", "media"),
        ("\\media", "media"),
        ("\\6d edia", "media"),
        ("\\6D\r\nedia", "media"),
        ("MeDiA", "media"),
        ("\\0", "\ufffd"),
        ("\\110000", "\ufffd"),
        ("\\d800", "\ufffd"),
        ("a\\", "a\ufffd"),
        ("\u212aeyframes", "\u212aeyframes"),
    ],
)
def test_name_value_decodes_like_css_syntax(text: str, value: str) -> None:
    assert name_value(text) == value


# --- escapes and comments inside root compounds -----------------------------------------------


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("b\\ody .x", f"{P} .x"),
        ("\\62 ody.dark .x", f"{P}.dark .x"),
        ("h\\74ml > body .x", f"{P} .x"),
        ("BOD\\59  .x", f"{P} .x"),
        (":\\root .x", f"{P} .x"),
        (":r\\6f ot .x", f"{P} .x"),
        (":/**/root .x", f"{P} .x"),
        ("html/**/.dark .x", f"{P}/**/.dark .x"),
        ("html./**/dark .x", f"{P}./**/dark .x"),
        ("*/**/:/**/root .x", f"{P}/**/ .x"),
        ("[dir=rtl] b\\ody .x", f"[dir=rtl] {P} .x"),
    ],
)
def test_escaped_and_commented_roots_become_the_prefix(selector: str, expected: str) -> None:
    assert scope_css(f"{selector} {{a: b}}", P) == f"{expected} {{a: b}}"


@pytest.mark.parametrize("selector", ["\\62 odyx", "b\\6f dy-x", ".b\\6f dy", "#\\68tml"])
def test_escaped_words_that_are_not_roots_are_prefixed(selector: str) -> None:
    assert scope_css(f"{selector} {{a: b}}", P) == f"{P} {selector} {{a: b}}"


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        (':root"a{b}}\n:root", /* c */\n:not(body) {a: b}', None),
        ("html\\\nbody.x {a: b}", f"html\\\n{P}.x {{a: b}}"),
    ],
)
def test_root_compounds_with_strings_or_stray_backslashes_are_not_merged(
    css: str, expected: str | None
) -> None:
    """Found by atheris: merging `:root"...` and `:root"...` (two bad strings, each ended by
    its newline) made one good string, and the comma inside it started a new selector; a
    stray backslash merged with what follows would start an escape."""
    assert scope_css(css, P) == (expected or f"{P} {css}")


def test_a_name_after_the_first_simple_selector_is_no_root_compound() -> None:
    """Found by atheris: `*\\.\\61 :root` (a type selector after `*`) is invalid; it is not a root
    compound, so it is prefixed as it stands (and scoping again changes nothing)."""
    css = "*\\.\\61 :/**/root > a {b: c}"
    once = scope_css(css, P)
    assert once == f"{P} {css}"
    assert scope_css(once, P) == once


def test_a_bad_url_ends_at_its_first_parenthesis_in_a_selector_list() -> None:
    """Found by atheris: `url(z()` is one (bad) url token, so the comma after it is a top-level
    one and the selector after it is scoped on its own."""
    assert scope_css("a url(z(), h1 {b: c}", P) == f"{P} a url(z(), {P} h1 {{b: c}}"


@pytest.mark.parametrize(
    "function",
    ["u\\72 l(", "\\75rl(", "U\\52L(", "\\000075\\000072\\00006c(", "u\\rl(", "u\\72\r\nl("],
)
def test_an_escaped_url_function_is_a_url_token(function: str) -> None:
    """Browsers decode the name: `u\\72 l(a(b)` is a (bad) url token ending at the first `)`,
    so the block ends at the next `}` and the rule after it is a rule of the page."""
    css = f".a {{b: {function}a(b)}}\nh1 {{color: red}}"
    assert scope_css(css, P) == f"{P} .a {{b: {function}a(b)}}\n{P} h1 {{color: red}}"


@pytest.mark.parametrize("function", ["xurl(", "#url(", "\\61 url(", "\\\\url(", "1url("])
def test_names_ending_in_url_are_no_url_token(function: str) -> None:
    """`(` opens a block there, which a `}` does not close (Chromium agrees)."""
    css = f".a {{b: {function}a(b)}}\nh1 {{color: red}}"
    assert scope_css(css, P) == f"{P} {css}"
