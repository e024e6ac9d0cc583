"""Make CSS text safe to inline in an HTML `<style>` element without changing what it means.

A `<style>` element's text ends at the first `</style` (any case), wherever it sits in the CSS:
inside a string, a comment, a selector or a `url()`. So no `</` may be left in the text. Each
`<` is written as the escape `\\3c ` where CSS reads escapes (strings, `url()` tokens,
identifiers) and replaced in comments (which mean nothing). A bare `<` outside them is a delim
token, which no escape can spell (an escape makes an identifier): `(width < 600px)` and the
`<!--` a stylesheet may start with must stay as they are, so such a `<` stays unless a `/`
follows it, where it is no CSS anyone writes and becomes an identifier instead.
"""

from __future__ import annotations

import re

from css_scoper._scanner import ESCAPE, IDENT, IDENT_ESCAPE, NAME_CHARS, STRING, name_value

_LT = "\\3c "  # the whitespace ends the escape, whatever follows
_NEXT = re.compile(
    rf"(?P<comment>/\*[\s\S]*?(?:\*/|\Z))"
    rf"|(?P<string>{STRING})"
    # a function name, only where an identifier can start (not in a number's unit, a hash or
    # an at-keyword): `url(` opens a url token, whose argument is raw text
    rf"|(?<![{NAME_CHARS}\\#@])(?P<ident>{IDENT})(?P<paren>\()"
    # an escape, with the rest of the name it is in (an identifier, a unit, a hash)
    rf"|(?P<escape>{IDENT_ESCAPE}(?:[{NAME_CHARS}]|{IDENT_ESCAPE})*+|{ESCAPE})"
    r"|<"
)
_IDENT_HERE = re.compile(rf"(?P<ident>{IDENT})(?P<paren>\()?")
_ESCAPE_OR_LT = re.compile(rf"{ESCAPE}|<")
# an unquoted url token's rest: up to its `)`; comments and quotes are plain characters here
_URL_REST = re.compile(rf"[ \t\n\r\f]*+(?![\"'])(?:[^)\\]|{ESCAPE})*(?:\)|\Z)")
_COMMENTS = re.compile(r"(?:/\*[\s\S]*?(?:\*/|\Z))*")


def _escape_lt(text: str) -> str:
    """`text` (a string, url or identifier) with each `<` and each `\\<` written as `\\3c `."""
    if "<" not in text:
        return text
    return _ESCAPE_OR_LT.sub(lambda m: _LT if m.group(0) in ("<", "\\<") else m.group(0), text)


def _identifier(css: str, match: re.Match[str], out: list[str]) -> int:
    """Copy an identifier (and a `url(` token's argument, which is raw text) to `out`."""
    out.append(_escape_lt(match.group("ident")))
    end = match.end()
    if match.group("paren") is not None:
        out.append("(")
        if name_value(match.group("ident")) == "url":
            url = _URL_REST.match(css, end)
            if url is not None:
                out.append(_escape_lt(url.group(0)))
                end = url.end()
    return end


def escape_for_style_element(css: str) -> str:
    """`css` with no `</` left, so it can be inlined in a `<style>` element, meaning unchanged.

    Strings, `url()`s, identifiers and comments get `\\3c ` for `<`; a bare `<` (a delim, as
    in `(width < 600px)` or `<!--`) is kept, bar the comments right after it, unless a `/`
    follows: then it is `/**/\\3c ` (an identifier `<`, as the delim is no valid CSS there).
    """
    if not isinstance(css, str):
        raise TypeError(f"escape_for_style_element: css must be str, not {type(css).__name__}")
    if "<" not in css:
        return css
    out: list[str] = []
    pos = 0
    length = len(css)
    while pos < length:
        match = _NEXT.search(css, pos)
        if match is None:
            out.append(css[pos:])
            break
        start, end = match.span()
        out.append(css[pos:start])
        kind = match.lastgroup
        if kind == "comment":
            out.append(match.group(0).replace("<", _LT))
        elif kind in ("string", "escape"):
            out.append(_escape_lt(match.group(0)))
        elif kind == "paren":
            end = _identifier(css, match, out)
        elif css.startswith("!--", end):  # `<!--` is one token (CDO); a name may follow it
            out.append("<!--")
            end += 3
            after = _IDENT_HERE.match(css, end)
            if after is not None:
                end = _identifier(css, after, out)
        else:  # a bare `<`
            after_comments = _COMMENTS.match(css, end)
            resume = after_comments.end() if after_comments else end
            follower = css[resume : resume + 3]
            if follower.startswith("/") or (resume > end and follower == "!--"):
                # `</`: no valid CSS; an identifier `<`, cut by a comment from whatever is before
                # it, which it could join (`a\3c ` is one name, so is `\3c \3c `), except after
                # a kept `<` (a comment there would make `</` again)
                before = next((text[-1] for text in reversed(out) if text), "<")
                out.append(("" if before == "<" else "/**/") + _LT + css[end:resume])
            else:
                # the delim stays; comments after it go, so no `</*` is left either (with
                # nothing between them, `<` and the next character still make two tokens)
                out.append("<")
            end = resume
        pos = end
    return "".join(out)
