"""css_scoper by example.

qiankun's scoped-CSS scenarios (reference §7.1 C1-C17), and each of its known bugs fixed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

import css_scoper._scope
from css_scoper import app_prefix, scope_css

P = app_prefix("react15")


@pytest.fixture(autouse=True, scope="module")
def _scoper_errors_fail_the_test() -> Iterator[None]:
    """``scope_css`` swallows internal errors (a page must still mount); here they must fail."""

    def fail(message: str, *args: object) -> None:
        raise AssertionError(message % args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(css_scoper._scope._log, "exception", fail)
        yield


def scoped(css: str, **kwargs: str) -> str:
    return scope_css(css, P, **kwargs)


def loose(css: str) -> str:
    """Whitespace-insensitive form, as qiankun's own tests compare."""
    return re.sub(r"\s*([{};:,>+~])\s*", r"\1", " ".join(css.split()))


def test_app_prefix_is_the_wrapper_selector() -> None:
    assert app_prefix("react15") == 'div[data-qiankun="react15"]'
    assert app_prefix('we"ird\\') == 'div[data-qiankun="we\\"ird\\\\"]'


# --- qiankun's scenarios -----------------------------------------------------------------------


def test_c1_plain_rule_is_prefixed() -> None:
    css = ".react15-main {display: flex; flex-direction: column; align-items: center;}"
    assert (
        scoped(css)
        == f"{P} .react15-main {{display: flex; flex-direction: column; align-items: center;}}"
    )


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        ("html {font-size: 14px;}", f"{P} {{font-size: 14px;}}"),
        ("body {font-family: sans-serif;}", f"{P} {{font-family: sans-serif;}}"),
        (":root {--gray: #eee}", f"{P} {{--gray: #eee}}"),
        ("HTML {a: b}", f"{P} {{a: b}}"),
        (":ROOT {a: b}", f"{P} {{a: b}}"),
    ],
)
def test_c2_root_selectors_become_the_prefix(css: str, expected: str) -> None:
    assert scoped(css) == expected


def test_c3_root_inside_not_stays_and_rule_is_prefixed() -> None:
    # qiankun writes `svg:not(PFX)`, which matches every svg of the page outside the wrapper.
    assert (
        scoped("svg:not(:root) {overflow: hidden;}") == f"{P} svg:not(:root) {{overflow: hidden;}}"
    )


@pytest.mark.parametrize("root", ["html", "body"])
def test_c4_root_with_sibling_combinator(root: str) -> None:
    assert scoped(f"{root} + div {{display: none;}}") == f"{P} + div {{display: none;}}"


def test_c5_multi_line_selector_list() -> None:
    css = (
        '[type="reset"],\n[type="submit"],\nbutton,\nhtml [type="button"] '
        "{-webkit-appearance: button;}"
    )
    assert scoped(css) == (
        f'{P} [type="reset"],\n{P} [type="submit"],\n{P} button,\n{P} [type="button"] '
        "{-webkit-appearance: button;}"
    )


@pytest.mark.parametrize(
    "selector",
    [".ant-card-body", ".ant-card_body", ".body", "#body", "#ant-card-body", "#ant-card__body"],
)
def test_c6_words_containing_body_are_not_roots(selector: str) -> None:
    assert scoped(f"{selector} {{color: red}}") == f"{P} {selector} {{color: red}}"


@pytest.mark.parametrize("selector", ["html > body", "html body", "html>body", "html\n  body"])
def test_c7_leading_html_body_run_collapses(selector: str) -> None:
    assert scoped(f"{selector} {{margin: 0}}") == f"{P} {{margin: 0}}"


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        ("html,body {margin: 0}", f"{P} {{margin: 0}}"),
        ("html, body {margin: 0}", f"{P} {{margin: 0}}"),
        ("body,html,div {margin: 0}", f"{P},{P} div {{margin: 0}}"),
        ("a,body,html,div {margin: 0}", f"{P} a,{P},{P} div {{margin: 0}}"),
    ],
)
def test_c8_root_lists_dedupe(css: str, expected: str) -> None:
    assert scoped(css) == expected


@pytest.mark.parametrize("combinator", ["+", "~"])
def test_c9_html_sibling_body(combinator: str) -> None:
    assert scoped(f"html {combinator} body {{a: b}}") == f"{P} {combinator} {P} {{a: b}}"


def test_c10_supports_and_media_are_recursed() -> None:
    assert scoped("@supports (display: grid) {div{margin: 1cm;}}") == (
        f"@supports (display: grid) {{{P} div{{margin: 1cm;}}}}"
    )
    assert scoped("@media screen and (max-width: 300px) {div{margin: 1cm;}}") == (
        f"@media screen and (max-width: 300px) {{{P} div{{margin: 1cm;}}}}"
    )


@pytest.mark.parametrize(
    "css",
    [
        "@keyframes move {from {top: 0px;}to {top: 200px;}}",
        "@-webkit-keyframes move {0% {top: 0} 100% {top: 1px}}",
        '@font-face {font-family: "Open Sans"; src: url(open-sans.woff2) format("woff2");}',
        '@import url("theme.css") screen;',
        "@import 'theme.css' layer(base) supports(display: grid);",
        "@page :first {margin: 1in; @top-left {content: 'x'}}",
        "@property --x {syntax: '<length>'; inherits: false; initial-value: 0px;}",
        "@counter-style thumbs {system: cyclic; symbols: '👍'; suffix: ' ';}",
        "@font-feature-values Font One {@styleset {nice-style: 12;}}",
        '@charset "utf-8";',
        '@namespace svg url("http://www.w3.org/2000/svg");',
        "@layer reset, base, components;",
        "@font-palette-values --x {font-family: Bixa; override-colors: 0 red;}",
    ],
)
def test_c11_other_at_rules_are_left_as_they_are(css: str) -> None:
    assert scoped(css) == css


@pytest.mark.parametrize(
    "css",
    [
        ".a {color: red}",
        "html body.dark .x, :root {--c: 1}",
        "[dir=rtl] body, div body > p {a: b}",
        "@media print {body {a: b} .x .y {c: d}}",
        "@scope (.card) to (.content) {img {a: b}}",
        "@scope {p {a: b}}",
        "html + body, html ~ div {a: b}",
    ],
)
def test_c12_scoping_again_changes_nothing(css: str) -> None:
    once = scoped(css)
    assert scoped(once) == once


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("body > div", f"{P} > div"),
        ("tbody td", f"{P} tbody td"),
        ("body.dark .x", f"{P}.dark .x"),
        ("html[data-theme=dark] .x", f"{P}[data-theme=dark] .x"),
        ("html[lang=en] .x", f"{P}[lang=en] .x"),
        ("*", f"{P} *"),
        ("::selection", f"{P} ::selection"),
        ("body:hover", f"{P}:hover"),
        (":root.dark .x", f"{P}.dark .x"),
        ("*:root", P),
        ("html:not(.js) .no-js", f"{P}:not(.js) .no-js"),
        ("html[lang=en] body.dark .x", f"{P}[lang=en].dark .x"),
        ("html > body > main", f"{P} > main"),
        ("body::before", f"{P}::before"),
    ],
)
def test_c13_root_compounds_keep_what_is_attached(selector: str, expected: str) -> None:
    assert scoped(f"{selector} {{color: red}}") == f"{expected} {{color: red}}"


def test_c14_comments_and_consecutive_rules() -> None:
    # qiankun re-serializes through the CSSOM and loses comments; we copy them.
    assert scoped("/* c */ .a {color: red} /* c2 */") == f"/* c */ {P} .a {{color: red}} /* c2 */"
    assert (
        scoped(".x {color: red} .y {color: blue}")
        == f"{P} .x {{color: red}} {P} .y {{color: blue}}"
    )


def test_c15_media_with_body() -> None:
    css = "@media screen and (max-width: 300px) {div {margin: 1px} body {margin: 0}}"
    assert (
        scoped(css)
        == f"@media screen and (max-width: 300px) {{{P} div {{margin: 1px}} {P} {{margin: 0}}}}"
    )


def test_c17_root_and_class() -> None:
    assert scoped(":root, .x {--c: red}") == f"{P}, {P} .x {{--c: red}}"


# --- qiankun's known bugs (C16), each fixed ------------------------------------------------------


def test_fixed_descendant_body_keeps_its_space() -> None:
    assert scoped("div body {a: b}") == f"div {P} {{a: b}}"  # qiankun: `divPFX`


def test_fixed_attribute_then_body_keeps_its_space() -> None:
    # qiankun issue #2227: `[dir="rtl"]PFX,PFX ul`
    assert scoped('[dir="rtl"] body, ul {margin: 0}') == f'[dir="rtl"] {P}, {P} ul {{margin: 0}}'
    assert scoped("[dir=rtl] body {a: b}") == f"[dir=rtl] {P} {{a: b}}"


def test_fixed_attribute_values_are_not_rewritten() -> None:
    assert scoped("a[href*=body] {a: b}") == f"{P} a[href*=body] {{a: b}}"  # qiankun: a[href*PFX]
    assert scoped('a[href$="html"], a[title=":root"] {a: b}') == (
        f'{P} a[href$="html"], {P} a[title=":root"] {{a: b}}'
    )


def test_fixed_longer_names_are_not_roots() -> None:
    assert scoped("htmlx {a: b}") == f"{P} htmlx {{a: b}}"  # qiankun: PFXx
    assert (
        scoped("body-text, x-html, :rooted {a: b}")
        == f"{P} body-text, {P} x-html, {P} :rooted {{a: b}}"
    )


@pytest.mark.parametrize(
    "selector",
    [
        ":is(.a, .b) .c",
        ":where(.a, .b) .c",
        "a:not(.a, .b)",
        "section:has(> h1, + p)",
        '[data-x="a,b"]',
        "[title='x, y, z']",
        '[data-x="{"]',
        ":nth-child(2n + 1 of .a, .b)",
    ],
)
def test_fixed_lists_split_only_at_top_level_commas(selector: str) -> None:
    assert scoped(f"{selector}, .z {{a: b}}") == f"{P} {selector}, {P} .z {{a: b}}"


def test_fixed_declarations_are_never_rewritten() -> None:
    css = "html {background: url(body.png); content: 'html body :root'; --x: body}"
    assert (
        scoped(css) == f"{P} {{background: url(body.png); content: 'html body :root'; --x: body}}"
    )


def test_roots_inside_functional_pseudo_classes_stay() -> None:
    assert scoped(":is(html, body) .x {a: b}") == f"{P} :is(html, body) .x {{a: b}}"
    assert scoped(":where(:root) .x {a: b}") == f"{P} :where(:root) .x {{a: b}}"


def test_several_roots_in_one_selector() -> None:
    assert scoped("body .a body .b {a: b}") == f"{P} .a {P} .b {{a: b}}"
    assert scoped(".x html > .y {a: b}") == f".x {P} > .y {{a: b}}"


def test_already_prefixed_selectors_are_not_doubled() -> None:
    assert scoped(f"{P} .a, {P}.dark, .b {{a: b}}") == f"{P} .a, {P}.dark, {P} .b {{a: b}}"
    assert scope_css(".app-header, .app .x {a: b}", ".app") == ".app .app-header, .app .x {a: b}"


# --- at-rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prelude"),
    [
        "@media (min-width: 768px)",
        "@supports not (display: grid)",
        "@container sidebar (min-width: 400px)",
        "@layer components",
        "@layer",
        "@document url-prefix(http://x/)",
        "@-moz-document url-prefix()",
        "@starting-style",
    ],
)
def test_grouping_rules_are_recursed(prelude: str) -> None:
    css = f"{prelude} {{ .a {{color: red}} body {{margin: 0}} }}"
    assert scoped(css) == f"{prelude} {{ {P} .a {{color: red}} {P} {{margin: 0}} }}"


def test_grouping_rules_nest() -> None:
    css = "@layer base { @media print { @supports (x: y) { .a {b: c} } } .d {e: f} }"
    assert scoped(css) == (
        f"@layer base {{ @media print {{ @supports (x: y) {{ {P} .a {{b: c}} }} }} "
        f"{P} .d {{e: f}} }}"
    )


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        (
            "@scope (.card) to (.content) { img {a: b} }",
            f"@scope ({P} .card) to (.content) {{ img {{a: b}} }}",
        ),
        ("@scope (.a, :root) { p {a: b} }", f"@scope ({P} .a, {P}) {{ p {{a: b}} }}"),
        ("@scope { p {a: b} }", f"@scope ({P}) {{ p {{a: b}} }}"),
        ("@scope to (.x) { p {a: b} }", f"@scope ({P}) to (.x) {{ p {{a: b}} }}"),
    ],
)
def test_scope_root_is_scoped_and_inner_rules_stay_relative(css: str, expected: str) -> None:
    assert scoped(css) == expected


def test_nested_rules_stay_relative_to_their_parent() -> None:
    block = (
        "{ color: red; & .title { font-weight: bold } .x & { a: b } &:hover { c: d }"
        " @media (width > 1px) { color: blue; .y { e: f } } body & { g: h } }"
    )
    assert scoped(f".card {block}") == f"{P} .card {block}"


def test_declarations_are_copied_byte_for_byte() -> None:
    block = (
        '{ content: "}"; --json: {"a": [1, 2]}; background: url(data:x,{}) ;'
        " /* } */ quotes: '{' '}'; grid-template-areas: \"a b\" \"c d\"; x: \\} ; y: a(b[c{d}]) }"
    )
    out = scoped(f".a {block} .b {{c: d}}")
    assert out == f"{P} .a {block} {P} .b {{c: d}}"


def test_top_level_cdo_cdc_are_skipped_like_a_browser() -> None:
    assert scoped("<!-- .a {b: c} -->") == f"<!-- {P} .a {{b: c}} -->"


def test_whitespace_and_layout_are_preserved() -> None:
    css = "\n\n.a,\n.b\n{\n  color: red;\n}\n\n\n@media print {\n  .c { d: e }\n}\n"
    assert scoped(css) == (
        f"\n\n{P} .a,\n{P} .b\n{{\n  color: red;\n}}\n\n\n"
        f"@media print {{\n  {P} .c {{ d: e }}\n}}\n"
    )


# --- base_url ------------------------------------------------------------------------------------

BASE = "https://cdn.example.com/app/css/main.css"


@pytest.mark.parametrize(
    ("declaration", "expected"),
    [
        (
            "background: url(img/a.png)",
            "background: url(https://cdn.example.com/app/css/img/a.png)",
        ),
        (
            'background: url("../img/a.png")',
            'background: url("https://cdn.example.com/app/img/a.png")',
        ),
        ("background: url( '/a.png' )", "background: url( 'https://cdn.example.com/a.png' )"),
        ("background: URL(a.png)", "background: URL(https://cdn.example.com/app/css/a.png)"),
        (
            "background: url(data:image/png;base64,AAAA)",
            "background: url(data:image/png;base64,AAAA)",
        ),
        ("background: url(http://other.org/a.png)", "background: url(http://other.org/a.png)"),
        ("filter: url(#blur)", "filter: url(#blur)"),
        ('content: "url(a.png)"', 'content: "url(a.png)"'),
        ("mask: --my-url(a.png)", "mask: --my-url(a.png)"),
        (
            "background: image-set(url(a.png) 1x)",
            "background: image-set(url(https://cdn.example.com/app/css/a.png) 1x)",
        ),
    ],
)
def test_base_url_makes_relative_urls_absolute(declaration: str, expected: str) -> None:
    assert scoped(f".a {{{declaration}}}", base_url=BASE) == f"{P} .a {{{expected}}}"


def test_base_url_in_font_face_import_and_media() -> None:
    css = (
        "@import 'reset.css';\n@import url(theme.css) screen;\n"
        "@font-face { font-family: X; src: url(../fonts/x.woff2) format('woff2'); }\n"
        "@media print { .a { background: url(p.png) } }\n"
        "/* url(c.png) */\n"
        '@namespace x url("ns");\n'
    )
    assert scoped(css, base_url=BASE) == (
        "@import 'https://cdn.example.com/app/css/reset.css';\n"
        "@import url(https://cdn.example.com/app/css/theme.css) screen;\n"
        "@font-face { font-family: X; "
        "src: url(https://cdn.example.com/app/fonts/x.woff2) format('woff2'); }\n"
        f"@media print {{ {P} .a {{ background: url(https://cdn.example.com/app/css/p.png) }} }}\n"
        "/* url(c.png) */\n"
        '@namespace x url("ns");\n'
    )


def test_base_url_quotes_a_result_that_needs_it() -> None:
    out = scoped(".a {b: url(x.png)}", base_url="http://h/a b/")
    assert out == f'{P} .a {{b: url("http://h/a b/x.png")}}'


def test_without_base_url_urls_are_untouched() -> None:
    css = ".a {b: url(x.png)} @import 'y.css';"
    assert scoped(css) == f"{P} .a {{b: url(x.png)}} @import 'y.css';"


# --- broken input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "css",
    [
        "",
        "{",
        "}",
        "}}}} .a {b: c}",
        ".a {",
        ".a {b: c",
        '.a[title="x] {b: c}',
        ".a /* never closed {b: c}",
        "@",
        "@;",
        "@media",
        "@media screen {",
        "@media screen { .a { b: c",
        "@scope (",
        "@scope (.a",
        "url(",
        ".a { b: url(x",
        "a; b {c: d}",
        ".a,, .b {c: d}",
        ".a, {c: d}",
        "> .a {c: d}",
        "\x00 {a: b}",
        "\ud800 {a: b}",
        "(" * 5000 + "{",
        "@media a {" * 3000,
        "[" * 3000,
        "\\",
        "a\\",
        '.a { b: "\\',
        "@import",
        "@import url(",
        "<!--",
        "-->",
    ],
)
def test_broken_input_never_raises(css: str) -> None:
    out = scope_css(css, P)
    assert isinstance(out, str)
    assert isinstance(scope_css(css, P, base_url=BASE), str)


def test_what_a_browser_drops_stays_dropped() -> None:
    # invalid selector lists stay invalid, so the rule is still dropped, not turned into a valid one
    assert scoped(".a,, .b {c: d}") == f"{P} .a,, {P} .b {{c: d}}"
    assert scoped(".a, {c: d}") == f"{P} .a, {{c: d}}"
    assert scoped("> .a {c: d}") == "> .a {c: d}"


def test_unclosed_block_at_the_end_is_still_scoped() -> None:
    # browsers close open blocks at the end of the sheet, so the rule applies: it must be scoped
    assert scoped("@media print { .a { b: c") == f"@media print {{ {P} .a {{ b: c"


def test_junk_inside_a_group_does_not_swallow_the_next_rule() -> None:
    assert scoped("@media print { a; .b {c: d} }") == f"@media print {{ a; {P} .b {{c: d}} }}"


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="prefix"):
        scope_css(".a {}", "  ")
    with pytest.raises(TypeError, match="css must be str"):
        scope_css(b".a {}", P)  # type: ignore[arg-type]


def test_loose_helper_compares_like_qiankun() -> None:
    assert loose(scoped("body , html { a : b }")) == loose(f"{P} {{a: b}}")


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        # `svg:root` never matches in an HTML page: it must not become the wrapper itself
        ("svg:root{fill:red}", 'div[data-qiankun="x"] svg:root{fill:red}'),
        # a malformed compound stays malformed (a browser drops the rule), never the bare prefix
        ("-:root{color:red}", 'div[data-qiankun="x"] -:root{color:red}'),
        ("html:root{color:red}", 'div[data-qiankun="x"]{color:red}'),
    ],
)
def test_root_only_on_compounds_that_could_match_html(css: str, expected: str) -> None:
    assert scope_css(css, 'div[data-qiankun="x"]') == expected


def test_a_hex_escape_takes_the_newline_after_it_inside_a_string() -> None:
    """`\\4` then a newline is one escape (CSS Syntax §4.3.7): the string goes on, and the rule
    after it is a real rule a browser applies, so it must be scoped (found by atheris)."""
    import tinycss2

    css = '.a{content:"x\\4\n"}\n.b{color:red}'
    scoped = scope_css(css, "P")
    assert scoped == 'P .a{content:"x\\4\n"}\nP .b{color:red}'
    preludes = [
        tinycss2.serialize(rule.prelude).strip()
        for rule in tinycss2.parse_stylesheet(scoped, skip_whitespace=True)
    ]
    assert preludes == ["P .a", "P .b"]
