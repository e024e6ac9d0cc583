"""css_scoper against tinycss2 as the oracle.

Same rules, same declarations, every selector scoped once.

The oracle parses input and output with tinycss2 and checks, rule by rule, that nothing but the
selectors changed, and that each selector became what a token-level model of the rules expects.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import tinycss2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tinycss2 import ast

import css_scoper._scope
from css_scoper import app_prefix, scope_css

P = app_prefix("app")


@pytest.fixture(autouse=True, scope="module")
def _scoper_errors_fail_the_test() -> Iterator[None]:
    """``scope_css`` swallows internal errors (a page must still mount); here they must fail."""

    def fail(message: str, *args: object) -> None:
        raise AssertionError(message % args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(css_scoper._scope._log, "exception", fail)
        yield


GROUPING = {
    "media",
    "supports",
    "container",
    "layer",
    "document",
    "-moz-document",
    "starting-style",
}
ROOTS = {"html", "body"}


# --- the oracle ----------------------------------------------------------------------------------


def _rules(css: str) -> list[ast.Node]:
    return [
        r
        for r in tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)
        if r.type != "error"
    ]


def _inner_rules(content: list[ast.Node]) -> list[ast.Node]:
    return [
        r
        for r in tinycss2.parse_rule_list(content, skip_whitespace=True, skip_comments=True)
        if r.type != "error"
    ]


def _split(tokens: list[ast.Node]) -> list[list[ast.Node]]:
    items: list[list[ast.Node]] = [[]]
    for tok in tokens:
        if tok.type == "literal" and tok.value == ",":
            items.append([])
        else:
            items[-1].append(tok)
    return items


def _normal(text: str) -> str:
    text = " ".join(text.split())
    return re.sub(r" ?([>+~,]) ?", r"\1", text)


def _is_root_compound(tokens: list[ast.Node]) -> bool:
    for i, tok in enumerate(tokens):
        namespaced = len(tokens) > 1 and tokens[1].type == "literal" and tokens[1].value == "|"
        if i == 0 and tok.type == "ident" and tok.lower_value in ROOTS and not namespaced:
            return True
        if (
            tok.type == "literal"
            and tok.value == ":"
            and i + 1 < len(tokens)
            and tokens[i + 1].type == "ident"
            and tokens[i + 1].lower_value == "root"
            and not (i > 0 and tokens[i - 1].type == "literal" and tokens[i - 1].value == ":")
        ):
            return True
    return False


def _remainder(tokens: list[ast.Node]) -> str:
    kept: list[ast.Node] = []
    skip = 0
    for i, tok in enumerate(tokens):
        if skip:
            skip -= 1
            continue
        if i == 0 and ((tok.type == "ident") or (tok.type == "literal" and tok.value == "*")):
            continue
        if tok.type == "literal" and tok.value == ":" and i + 1 < len(tokens):
            nxt = tokens[i + 1]
            if nxt.type == "ident" and nxt.lower_value == "root":
                prev = tokens[i - 1] if i else None
                if not (prev is not None and prev.type == "literal" and prev.value == ":"):
                    skip = 1
                    continue
        kept.append(tok)
    return str(tinycss2.serialize(kept))


def expected_selector(tokens: list[ast.Node], prefix: str = P) -> str:
    """A token-level model of the scoping rules for one complex selector (the oracle's side)."""
    parts: list[tuple[str, list[ast.Node] | str]] = []
    pending = ""
    for tok in tokens:
        if tok.type in ("whitespace", "comment"):
            pending = pending or " "
        elif tok.type == "literal" and tok.value in (">", "+", "~"):
            pending = tok.value
        else:
            if parts and parts[-1][0] == "compound" and not pending:
                compound = parts[-1][1]
                assert isinstance(compound, list)
                compound.append(tok)
                continue
            if parts:
                parts.append(("join", pending))
            parts.append(("compound", [tok]))
            pending = ""
    compounds = [c for kind, c in parts if kind == "compound"]
    text = str(tinycss2.serialize(tokens)).strip()
    if text.startswith(prefix):
        return text
    if not any(_is_root_compound(c) for c in compounds if isinstance(c, list)):
        return prefix + " " + text
    out: list[str] = []
    index = 0
    first = parts[0][1]
    assert isinstance(first, list)
    if _is_root_compound(first):
        merged = prefix + _remainder(first)
        index = 1
        while index + 1 < len(parts):
            join, nxt = parts[index][1], parts[index + 1][1]
            assert isinstance(nxt, list)
            if join not in (" ", ">") or not _is_root_compound(nxt):
                break
            merged += _remainder(nxt)
            index += 2
        out.append(merged)
    for kind, value in parts[index:]:
        if kind == "join":
            assert isinstance(value, str)
            out.append(f" {value} " if value != " " else " ")
        else:
            assert isinstance(value, list)
            out.append(
                prefix + _remainder(value)
                if _is_root_compound(value)
                else tinycss2.serialize(value)
            )
    return "".join(out).strip()


def _without_comments(tokens: list[ast.Node]) -> list[ast.Node]:
    """A prelude as the selector parser sees it: comments are no tokens (`:/**/root` is `:root`)."""
    return [tok for tok in tokens if tok.type != "comment"]


def _selectors(prelude: list[ast.Node]) -> list[str]:
    """The selectors of a scoped prelude; duplicates "may be dropped" (DESIGN), so they are."""
    items = [_normal(tinycss2.serialize(item)) for item in _split(_without_comments(prelude))]
    return list(dict.fromkeys(items))


def _expected_list(prelude: list[ast.Node]) -> list[str]:
    seen: list[str] = []
    for item in _split(_without_comments(prelude)):
        expected = _normal(expected_selector(item))
        if expected not in seen:
            seen.append(expected)
    return seen


def assert_same_rules(source: list[ast.Node], scoped: list[ast.Node], where: str = "") -> int:
    """Walk both rule lists in step; returns how many style rules were checked."""
    assert [r.type for r in source] == [r.type for r in scoped], where
    checked = 0
    for a, b in zip(source, scoped, strict=True):
        if a.type == "qualified-rule":
            assert tinycss2.serialize(b.content) == tinycss2.serialize(a.content), where
            assert _selectors(b.prelude) == _expected_list(a.prelude), (
                where,
                tinycss2.serialize(a.prelude),
            )
            checked += 1
        elif a.type == "at-rule":
            at = f"{where}@{a.lower_at_keyword}"
            assert b.lower_at_keyword == a.lower_at_keyword, at
            if a.lower_at_keyword == "scope":
                assert b.content is not None and a.content is not None
                assert tinycss2.serialize(b.content) == tinycss2.serialize(a.content), at
                continue
            assert tinycss2.serialize(b.prelude) == tinycss2.serialize(a.prelude), at
            if a.lower_at_keyword in GROUPING and a.content is not None:
                assert b.content is not None
                checked += assert_same_rules(_inner_rules(a.content), _inner_rules(b.content), at)
            else:
                assert (a.content is None) == (b.content is None), at
                if a.content is not None and b.content is not None:
                    assert tinycss2.serialize(b.content) == tinycss2.serialize(a.content), at
    return checked


def check(css: str) -> int:
    return assert_same_rules(_rules(css), _rules(scope_css(css, P)))


# --- real stylesheets --------------------------------------------------------------------------

MODERN = r"""
@charset "utf-8";
@import url("reset.css") layer(reset);
@namespace svg url(http://www.w3.org/2000/svg);
@layer reset, base;
:root, [data-theme=light] { --bg: #fff; --font: "Inter", system-ui; }
html { -webkit-text-size-adjust: 100%; }
html, body { margin: 0; }
body.dark .card, html[lang=ar] .x { direction: rtl; }
*, *::before, *::after { box-sizing: border-box; }
[dir="rtl"] body .menu, a[href*=body], a[href$=".html"] { float: right; }
:is(h1, h2, h3):where(.title, .heading) > small { font-size: 60%; }
section:has(> img, + figure) :not(.a, .b) { gap: 1rem; }
input[type="checkbox" i]:checked + label::after { content: "\2713 {,}"; }
.grid { grid-template-areas: "a b" "c d"; background: url(data:image/svg+xml,{x}) no-repeat; }
svg|a, *|b { color: red; }
.a\:hover\:bg-red:hover, .w-1\/2 { width: 50%; }
.nest { color: red; & .child { color: blue; } &:hover { color: green; } .x & { a: b; }
  @media (width > 10px) { c: d; } }
@media (min-width: 768px) and (max-width: 1024px) {
  body { font-size: 18px; } .col-md { flex: 1 0 0%; } }
@supports (display: grid) and (not (display: inline-grid)) { .g { display: grid; } }
@container card (min-width: 400px) { .card-body { padding: 2rem; } }
@layer base { html { color: black; } @media print { .no-print { display: none; } } }
@scope (.card) to (.content) { img { border: 1px solid; } }
@keyframes spin { from { transform: rotate(0deg); } to { transform: rotate(360deg); } }
@font-face { font-family: "X"; src: url(x.woff2) format("woff2"), url('x.woff') format("woff"); }
@page :first { margin: 1in; }
@property --angle { syntax: "<angle>"; inherits: false; initial-value: 0deg; }
@counter-style thumbs { system: cyclic; symbols: "👍"; suffix: " "; }
@font-feature-values Font One { @styleset { nice-style: 12; } }
/* a comment with { braces } and "quotes" */
.after-comment { color: /* inline */ red; }
@media print { @supports (x: y) { :root { --p: 1; } .p body .q { r: s; } } }
"""


def _framework_sheets() -> Iterator[Path]:
    """Bootstrap's CSS when a copy is at hand (the anchors kit): extra cases, never a skip."""
    anchors = Path(__file__).resolve().parents[2] / "shared" / "anchors"
    for path in (
        anchors / "inputs" / "bootstrap.css",
        anchors / "node_modules" / "bootstrap" / "dist" / "css" / "bootstrap.rtl.min.css",
    ):
        if path.is_file():
            yield path


def test_modern_stylesheet_against_the_oracle() -> None:
    assert check(MODERN) == 22


def test_framework_stylesheets_against_the_oracle() -> None:
    for path in _framework_sheets():
        css = path.read_text("utf-8")
        assert check(css) > 0, path


def test_oracle_notices_a_wrong_scoping() -> None:
    """The oracle itself must be able to fail: feed it a broken 'scoped' output."""
    source = _rules(".a, .b {c: d} @media x {.e {f: g}}")
    wrong_selector = _rules(f"{P} .a, .b {{c: d}} @media x {{{P} .e {{f: g}}}}")
    wrong_declaration = _rules(f"{P} .a, {P} .b {{c: e}} @media x {{{P} .e {{f: g}}}}")
    for wrong in (wrong_selector, wrong_declaration):
        try:
            assert_same_rules(source, wrong)
        except AssertionError:
            continue
        raise AssertionError("the oracle accepted a wrong output")


# --- hypothesis --------------------------------------------------------------------------------

_ident = st.from_regex(r"[a-z][a-z0-9-]{0,6}", fullmatch=True).filter(
    lambda s: s not in ROOTS and not s.startswith("--")
)
_string = st.builds(
    lambda body, q: f"{q}{body}{q}",
    st.text(alphabet="ab ,{}();:/*html", max_size=8),
    st.sampled_from(['"', "'"]),
)
_simple = st.one_of(
    _ident.map(lambda s: "." + s),
    _ident.map(lambda s: "#" + s),
    st.builds(lambda n, v: f"[{n}={v}]", _ident, st.one_of(_ident, _string)),
    st.sampled_from([":hover", ":first-child", "::before", ":nth-child(2n + 1)", ":focus-visible"]),
    st.builds(lambda a, b: f":is({a}, {b})", _ident, _ident.map(lambda s: "." + s)),
    st.builds(lambda a: f":not(.{a}, :root)", _ident),
)
_compound = st.builds(
    lambda t, rest: t + "".join(rest),
    st.one_of(st.just(""), _ident, st.just("*")),
    st.lists(_simple, max_size=3),
).filter(bool)
_root_compound = st.builds(
    lambda t, rest: t + "".join(rest),
    st.sampled_from(["html", "body", ":root", "HTML", "*:root"]),
    st.lists(_simple, max_size=2),
)
_combinator = st.sampled_from([" ", " > ", " + ", " ~ ", ">", "\n  "])


@st.composite
def _selector(draw: st.DrawFn, roots: bool) -> str:
    kinds = st.one_of(_compound, _root_compound) if roots else _compound
    parts = [draw(kinds)]
    for _ in range(draw(st.integers(0, 3))):
        parts.append(draw(_combinator))
        parts.append(draw(kinds))
    return "".join(parts)


_value = st.one_of(
    _ident,
    _string,
    st.sampled_from(
        [
            "url(body.png)",
            'url("a{b}.png")',
            "var(--x, calc(1px + 2%))",
            "html body :root",
            "{a: b}",
            "/* } */ 1",
        ]
    ),
)
_declarations = st.lists(st.builds(lambda n, v: f"{n}: {v}", _ident, _value), max_size=4).map(
    lambda ds: "{" + "; ".join(ds) + "}"
)


@st.composite
def _stylesheet(draw: st.DrawFn, roots: bool) -> str:
    def rule() -> str:
        selectors = draw(st.lists(_selector(roots), min_size=1, max_size=3))
        return ",\n".join(selectors) + " " + draw(_declarations)

    items: list[str] = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["rule", "rule", "media", "layer", "keyframes", "comment"]))
        if kind == "rule":
            items.append(rule())
        elif kind == "media":
            items.append("@media (min-width: 1px) { " + " ".join(rule() for _ in range(2)) + " }")
        elif kind == "layer":
            items.append("@layer x { @supports (a: b) { " + rule() + " } }")
        elif kind == "keyframes":
            items.append("@keyframes k { from { a: b } 50% { c: d } }")
        else:
            items.append("/* html { a: b } */")
    return "\n".join(items)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_any_text_returns_a_string(css: str) -> None:
    assert isinstance(scope_css(css, P), str)
    assert isinstance(scope_css(css, P, base_url="http://h/x/"), str)


_CSSISH = st.text(alphabet=" \n{}()[];:,.#>+~*\"'\\/@!-_=abhtmlodyrt0<", max_size=120)


@settings(max_examples=1500, deadline=None)
@given(_CSSISH)
def test_css_like_noise_returns_a_string(css: str) -> None:
    assert isinstance(scope_css(css, P), str)
    assert isinstance(scope_css(css, P, base_url="http://h/x/"), str)


_FRAGMENTS = st.lists(
    st.sampled_from(
        [
            "url(",
            "@scope",
            "@media x",
            "@import",
            "@namespace",
            "@keyframes k",
            "{",
            "}",
            "(",
            ")",
            "[",
            "]",
            '"',
            "'",
            "/*",
            "*/",
            "\\",
            "\n",
            " ",
            ",",
            ";",
            ":",
            ">",
            "+",
            "html",
            "body",
            ":root",
            ".a",
            "a.png",
            "<!--",
            "-->",
            "to",
            "&",
            "|",
            "--x:",
            "\x00",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_FRAGMENTS)
def test_css_fragment_noise_returns_a_string(css: str) -> None:
    out = scope_css(css, P)
    assert isinstance(out, str)
    assert isinstance(scope_css(css, P, base_url="http://h/x/"), str)


@settings(max_examples=80, deadline=None)
@given(_stylesheet(roots=False))
def test_every_style_rule_is_scoped_exactly_once(css: str) -> None:
    out = scope_css(css, P)
    assert_same_rules(_rules(css), _rules(out))
    for rule in _walk(_rules(out)):
        for item in _split(rule.prelude):
            text = tinycss2.serialize(item).strip()
            assert text.startswith(P + " ") and text.count(P) == 1, text


@settings(max_examples=80, deadline=None)
@given(_stylesheet(roots=True))
def test_root_compounds_follow_the_model(css: str) -> None:
    assert_same_rules(_rules(css), _rules(scope_css(css, P)))


@settings(max_examples=40, deadline=None)
@given(_stylesheet(roots=True))
def test_scoping_is_idempotent(css: str) -> None:
    once = scope_css(css, P)
    assert scope_css(once, P) == once


@settings(max_examples=40, deadline=None)
@given(_stylesheet(roots=True))
def test_base_url_changes_only_urls(css: str) -> None:
    plain = scope_css(css, P)
    based = scope_css(css, P, base_url="https://h.example/a/b.css")
    assert re.sub(r"url\((['\"]?)https://h\.example/a/", r"url(\1", based) == plain


def _walk(rules: list[ast.Node]) -> Iterator[ast.QualifiedRule]:
    for rule in rules:
        if rule.type == "qualified-rule":
            yield rule
        elif rule.type == "at-rule" and rule.lower_at_keyword in GROUPING and rule.content:
            yield from _walk(_inner_rules(rule.content))


# --- comments and escapes everywhere ----------------------------------------------------------
# The same stylesheets spelled as an attacker (or a minifier) may spell them: comments before,
# inside and between selectors and around at-rule names, and names written with CSS escapes.
# Browsers read through both (checked in Chromium), and so must the scoper; tinycss2 decodes
# escapes and the oracle drops comments from preludes, so it reads them as a browser does.
# Spellings are drawn from tables built once (one draw per word keeps generation fast, and
# each table starts with the plain form, which is what Hypothesis shrinks towards).

_HEX = frozenset("0123456789abcdefABCDEF")
_COMMENTS = ["/**/", "/* c */", "/* html, body {} */", "/*\n legacy */", "/* \\ */", "/* * / , */"]
_SPACES = [" ", "\n", "\t", "  ", " \n  "]


def spell(word: str, rnd: random.Random, fold: bool = True) -> str:
    """`word` with some characters written as CSS escapes (and, if `fold`, in another case)."""
    out: list[str] = []
    for index, char in enumerate(word):
        kind = rnd.choice(["raw", "raw", "hex", "char", "case"])
        after = word[index + 1] if index + 1 < len(word) else None
        if kind == "char" and char not in _HEX:
            out.append("\\" + char)
        elif kind in ("hex", "char"):
            digits = format(ord(char), rnd.choice(["x", "X"]))
            digits = digits.rjust(rnd.randint(len(digits), 6), "0")
            # the escape ends at a non-hex character; at the end of the word what follows is
            # unknown, so there a whitespace (which the escape takes) always ends it
            needs_end = after is None or (len(digits) < 6 and after in _HEX)
            end = rnd.choice([" ", "\t", "\n"]) if needs_end or rnd.random() < 0.5 else ""
            out.append("\\" + digits + end)
        elif kind == "case" and fold:
            out.append(char.swapcase())
        else:
            out.append(char)
    return "".join(out)


def gap(rnd: random.Random, need_space: bool = False) -> str:
    """Whitespace and comments in any mix; with `need_space`, at least one whitespace."""
    pieces = [rnd.choice(rnd.choice([_COMMENTS, _SPACES])) for _ in range(rnd.randint(0, 3))]
    if need_space and not any(p.isspace() for p in pieces):
        pieces.insert(rnd.randint(0, len(pieces)), rnd.choice(_SPACES))
    return "".join(pieces)


def _table(plain: str, make: Callable[[random.Random], str], size: int = 40) -> list[str]:
    return list(dict.fromkeys([plain] + [make(random.Random(seed)) for seed in range(size)]))


def _spellings(word: str, fold: bool = True) -> st.SearchStrategy[str]:
    return st.sampled_from(_table(word, lambda rnd: spell(word, rnd, fold)))


_GAP = st.sampled_from(_table("", gap))
_SPACED_GAP = st.sampled_from(_table(" ", lambda rnd: gap(rnd, need_space=True)))
_INNER = st.sampled_from(["", "/**/", "/* c */"])  # `./**/x` is `.x`, `:/**/root` is `:root`
_NAME = st.one_of(*(_spellings(w, fold=False) for w in ["a", "btn", "card-1", "x_y", "dark"]))
_TYPE = st.one_of(*(_spellings(w) for w in ["h1", "div", "span", "a"]))
_HTML, _BODY, _ROOT = _spellings("html"), _spellings("body"), _spellings("root")
_noisy_simple = st.one_of(
    st.builds(lambda inner, name: "." + inner + name, _INNER, _NAME),
    _NAME.map(lambda name: "#" + name),
    st.builds(lambda n, v: f"[{n}={v}]", _ident, st.one_of(_ident, _string)),
    st.builds(lambda inner, p: ":" + inner + p, _INNER, _spellings("hover")),
    st.builds(lambda n, g: f":not(.{n}, {g}:root)", _ident, _GAP),
)


# a comment may sit between simple selectors, never before a type selector (`a/**/b` is two
# type selectors in one compound: invalid, dropped by browsers)
_GLUE = st.sampled_from(["", "", "/**/"])
_HEAD = st.one_of(
    st.just(""),
    _TYPE,
    _HTML,
    _BODY,
    st.builds(lambda inner, r: ":" + inner + r, _INNER, _ROOT),
    st.builds(lambda glue, r: "*" + glue + ":" + r, _GLUE, _ROOT),
)
_SIMPLES = st.lists(_noisy_simple, min_size=1, max_size=2)


def _join_compound(head: str, glue: str, simples: list[str], count: int) -> str:
    kept = simples[: max(count, 0 if head else 1)]  # a compound is never empty
    return head + "".join(glue + simple for simple in kept)


_noisy_compound = st.builds(_join_compound, _HEAD, _GLUE, _SIMPLES, st.integers(0, 2))
_noisy_combinator = st.one_of(
    _SPACED_GAP,
    st.builds(lambda a, c, b: a + c + b, _GAP, st.sampled_from([">", "+", "~"]), _GAP),
)


@st.composite
def _noisy_selector(draw: st.DrawFn) -> str:
    parts = [draw(_noisy_compound)]
    for _ in range(draw(st.integers(0, 3))):
        parts.append(draw(_noisy_combinator))
        parts.append(draw(_noisy_compound))
    return draw(_GAP) + "".join(parts) + draw(_GAP)


_AT_NAMES = {
    name: _spellings(name)
    for name in ["media", "supports", "container", "layer", "starting-style", "scope", "keyframes"]
}
_noisy_value = st.one_of(
    _value,
    st.sampled_from(
        [
            '"\\"}"',
            "'\\'{'",
            "\\7b  body",
            "a\\{b",
            "url(a\\)b.png)",
            "x/**/y",
            '"/*"',
            "\\",
            "u\\72 l(a(b)",
            "\\75rl(x{y)",
            "U\\52L(}",
            "#url(a)",
            "\\61 url(a)",
        ]
    ),
)
_noisy_declarations = st.lists(
    st.builds(lambda n, v: f"{n}: {v}", _ident, _noisy_value), max_size=3
).map(lambda ds: "{" + "; ".join(ds) + "}")


_NOISY_LIST = st.lists(_noisy_selector(), min_size=1, max_size=3)
_NOISY_KINDS = st.sampled_from(
    ["rule", "rule", "media", "supports", "layer", "scope", "keyframes", "decoy"]
)
_DECOYS = st.sampled_from(["m\\edia", "l\\ayer", "me/**/dia", "\\212a eyframes"])


@st.composite
def _noisy_stylesheet(draw: st.DrawFn) -> str:
    def rule() -> str:
        return ",".join(draw(_NOISY_LIST)) + draw(_noisy_declarations)

    def at(name: str, prelude: str, body: str) -> str:
        keyword = "@" + draw(_AT_NAMES[name])
        space = draw(_SPACED_GAP if prelude else _GAP)
        return keyword + space + prelude + draw(_GAP) + "{" + draw(_GAP) + body + draw(_GAP) + "}"

    items: list[str] = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(_NOISY_KINDS)
        if kind == "rule":
            items.append(rule())
        elif kind == "media":
            items.append(at("media", "screen", rule() + draw(_GAP) + rule()))
        elif kind == "supports":
            items.append(at("supports", "(a: b)", at("container", "(min-width: 1px)", rule())))
        elif kind == "layer":
            items.append(at("layer", "x", at("starting-style", "", rule())))
        elif kind == "scope":
            items.append(at("scope", "(.card) to (.end)", rule()))
        elif kind == "keyframes":
            items.append(at("keyframes", "k", "from { a: b } 50% { c: d }"))
        else:  # names that look like grouping rules but are not: browsers drop them whole
            name = draw(_DECOYS)
            items.append("@" + name + " x { " + rule() + " }")
    return draw(_GAP).join(items)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_noisy_stylesheet())
def test_comments_and_escapes_everywhere_follow_the_model(css: str) -> None:
    assert_same_rules(_rules(css), _rules(scope_css(css, P)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_noisy_stylesheet())
def test_comments_and_escapes_everywhere_leave_no_rule_unscoped(css: str) -> None:
    """Every style rule the browser would see at the page's level starts with the prefix."""
    out = scope_css(css, P)
    for rule in _walk(_rules(out)):
        for item in _split(_without_comments(rule.prelude)):
            text = tinycss2.serialize(item)
            # at the start (`P .x`, `P.dark .x`) or where a root was (`#a P#b`, `.a + P`)
            assert P in text, (css, text)
    assert scope_css(out, P) == out


def test_the_noisy_generator_writes_what_it_should() -> None:
    """The generator really puts comments and escapes where they used to hide rules."""
    seen = {"leading comment": False, "escaped at-rule": False, "escaped root": False}

    @settings(max_examples=80, deadline=None, database=None)
    @given(_noisy_stylesheet())
    def sample(css: str) -> None:
        if re.search(r",(?:/\*[^*]*\*/)+\s*\S", css):
            seen["leading comment"] = True
        if re.search(r"@\w*\\[0-9a-fA-F]", css):
            seen["escaped at-rule"] = True
        if re.search(r"b\\?o?\\[0-9a-fA-F]+\s?dy|:\\?r\\", css):
            seen["escaped root"] = True

    sample()
    assert all(seen.values()), seen
