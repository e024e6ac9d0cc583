"""Make relative `url(...)` references absolute, so an inlined stylesheet keeps its assets.

A stylesheet's relative URLs are relative to the stylesheet's own address; once its text is
inlined into a `<style>` in another page they would resolve against that page instead.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from ._scanner import DOUBLE_QUOTED_BODY, SINGLE_QUOTED_BODY, SKIP_BETWEEN_RULES, STRING

# strings (an unterminated one ends at the line's end, as CSS says) and comments are opaque
_URL_OR_OPAQUE = re.compile(
    rf"{STRING}"
    r"|/\*[\s\S]*?(?:\*/|\Z)"
    r"|(?<![\w\-\\\x00])url\([ \t\n\r\f]*"  # NUL is a name character (U+FFFD)
    rf"""(?:"(?P<dq>{DOUBLE_QUOTED_BODY})"|'(?P<sq>{SINGLE_QUOTED_BODY})'"""
    # a non-printable character makes a bad url, which must stay one (quoting it would make a
    # string, and a `{` inside would stop opening a block)
    r"""|(?P<raw>[^"'()\\ \t\n\r\f\x01-\x08\x0b\x0e-\x1f\x7f]*))[ \t\n\r\f]*\)""",
    re.IGNORECASE,
)
_HAS_URL = re.compile(r"url\(", re.IGNORECASE)
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_UNSAFE_UNQUOTED = re.compile(r"[\"'()\\ \t\n\r\f\x00-\x1f\x7f]")
_LEADING_STRING = re.compile(
    rf"""{SKIP_BETWEEN_RULES.pattern}("{DOUBLE_QUOTED_BODY}"|'{SINGLE_QUOTED_BODY}')"""
)


def resolve(reference: str, base_url: str) -> str:
    """`reference` made absolute against `base_url`; fragments, `data:` and absolute URLs kept."""
    if not reference or reference.startswith("#") or "\\" in reference:
        return reference
    if _ABSOLUTE.match(reference):
        return reference
    try:
        return urljoin(base_url, reference)
    except ValueError:
        return reference


def _quoted(value: str, quote: str) -> str:
    escaped = value.replace("\\", "\\\\").replace(quote, "\\" + quote).replace("\n", "\\a ")
    return quote + escaped + quote


def _rewrite_match(match: re.Match[str], base_url: str, resolved: dict[str, str]) -> str:
    text = match.group(0)
    for group, quote in (("dq", '"'), ("sq", "'"), ("raw", "")):
        value = match.group(group)
        if value is None:
            continue
        absolute = resolved.get(value)
        if absolute is None:
            absolute = resolved[value] = resolve(value, base_url)
        if absolute == value:
            return text
        start = match.start(group) - match.start()
        end = match.end(group) - match.start()
        if quote:
            start, end = start - 1, end + 1
            replacement = _quoted(absolute, quote)
        elif _UNSAFE_UNQUOTED.search(absolute):
            replacement = _quoted(absolute, '"')
        else:
            replacement = absolute
        return text[:start] + replacement + text[end:]
    return text


def rewrite_urls(css: str, base_url: str, resolved: dict[str, str] | None = None) -> str:
    """`css` with every relative `url(...)` outside strings and comments made absolute.

    `resolved` memoizes references already resolved against this base (stylesheets repeat them).
    """
    if not _HAS_URL.search(css):
        return css
    memo = {} if resolved is None else resolved
    return _URL_OR_OPAQUE.sub(lambda match: _rewrite_match(match, base_url, memo), css)


def rewrite_import_prelude(prelude: str, base_url: str) -> str:
    """An `@import` prelude with its URL, written as a string or as `url()`, made absolute."""
    leading = _LEADING_STRING.match(prelude)
    if leading is None:
        return rewrite_urls(prelude, base_url)
    literal = leading.group(1)
    absolute = resolve(literal[1:-1], base_url)
    if absolute == literal[1:-1]:
        return prelude
    start, end = leading.span(1)
    return prelude[:start] + _quoted(absolute, literal[0]) + prelude[end:]
