"""Rewrite a style rule's selector list so that every selector applies only under a prefix.

`html`, `body` and `:root` stand for the page, and inside a micro-app the page is the app's
wrapper: a compound made of them becomes the prefix itself. Everything else is put under it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from css_scoper._scanner import (
    WHITESPACE,
    match_ident,
    name_value,
    scan,
    skip_block,
    skip_comment,
    skip_escape,
    skip_string,
)

# Words that might be a root compound; anything else needs no more than a prefix in front
# (an escape may spell one too, `b\\ody`, so text with a backslash always takes the full path).
_ROOT_WORD = re.compile(r"(?<![\w\-.#\\])(?:html|body)(?![\w\-])|:root(?![\w\-])", re.IGNORECASE)
# What a plain split at commas cannot cope with: nesting, strings, escapes, comments, `||`.
_NEEDS_CARE = re.compile(r"[(\[\"'\\/|{}]|" + _ROOT_WORD.pattern, re.IGNORECASE)
_LIST_SIGNIFICANT = re.compile(r"[,()\[\]{}\"'\\]|/\*")
_COMPOUND_PLAIN = re.compile(r"[^ \t\n\r\f>+~|/\"'\\(\[]+")
_WS_RUN = re.compile(r"[ \t\n\r\f]+")
_ROOT_TYPES = frozenset({"html", "body"})
_COMBINATOR_START = (">", "+", "~", "||")


class _Kind(Enum):
    WHITESPACE = "whitespace"
    COMMENT = "comment"
    COMBINATOR = "combinator"
    COMPOUND = "compound"


_SPACING = frozenset({_Kind.WHITESPACE, _Kind.COMMENT})


@dataclass(frozen=True, slots=True)
class _Part:
    kind: _Kind
    text: str


def _split_top_level_commas(selectors: str) -> list[str]:
    """Split at commas that are outside strings, comments, escapes and nested blocks."""
    items: list[str] = []
    start = pos = 0
    search = _LIST_SIGNIFICANT.search
    while True:
        match = search(selectors, pos)
        if match is None:
            break
        i = match.start()
        c = selectors[i]
        if c == ",":
            items.append(selectors[start:i])
            start = pos = i + 1
        elif c == "/":
            pos = skip_comment(selectors, i)
        elif c == '"' or c == "'":
            pos = skip_string(selectors, i)
        elif c == "\\":
            pos = i + 2
        elif c in "([{":
            pos = skip_block(selectors, i)
        else:
            pos = i + 1
    items.append(selectors[start:])
    return items


def _compound_end(selector: str, pos: int) -> int:
    """Offset where the compound starting at `pos` ends: whitespace, a combinator or the end."""
    length = len(selector)
    while pos < length:
        plain = _COMPOUND_PLAIN.match(selector, pos)
        if plain is not None:
            pos = plain.end()
            continue
        c = selector[pos]
        if c in WHITESPACE or c in ">+~":
            return pos
        if c == "|":
            if selector.startswith("||", pos):
                return pos
            pos += 1
        elif c == "/":
            pos = skip_comment(selector, pos) if selector.startswith("/*", pos) else pos + 1
        elif c == '"' or c == "'":
            pos = skip_string(selector, pos)
        elif c == "\\":
            pos = skip_escape(selector, pos)
        else:  # "(" or "["
            pos = skip_block(selector, pos)
    return min(pos, length)


def _parts(selector: str) -> list[_Part]:
    """A complex selector cut into compounds, combinators, whitespace and comments."""
    parts: list[_Part] = []
    pos = 0
    length = len(selector)
    while pos < length:
        c = selector[pos]
        if c in WHITESPACE:
            ws = _WS_RUN.match(selector, pos)
            end = ws.end() if ws else pos + 1
            parts.append(_Part(_Kind.WHITESPACE, selector[pos:end]))
        elif selector.startswith("/*", pos):
            end = skip_comment(selector, pos)
            parts.append(_Part(_Kind.COMMENT, selector[pos:end]))
        elif c in ">+~":
            end = pos + 1
            parts.append(_Part(_Kind.COMBINATOR, c))
        elif selector.startswith("||", pos):
            end = pos + 2
            parts.append(_Part(_Kind.COMBINATOR, "||"))
        else:
            end = max(_compound_end(selector, pos), pos + 1)
            parts.append(_Part(_Kind.COMPOUND, selector[pos:end]))
        pos = end
    return parts


def _skip_comments(text: str, pos: int) -> int:
    """Offset after any comments starting at `pos` (whitespace is a token here, so it stays)."""
    while text.startswith("/*", pos):
        pos = skip_comment(text, pos)
    return pos


def _type_selector_end(compound: str) -> tuple[int, bool]:
    """Length of the leading type (or universal) selector, and whether it has a namespace."""
    pos = 1 if compound.startswith("*") else match_ident(compound, 0)
    if compound.startswith("|", pos) and not compound.startswith("||", pos):
        start = pos + 1
        if compound.startswith("*", start):
            return start + 1, True
        end = match_ident(compound, start)
        return (end, True) if end > start else (pos, False)
    return pos, False


def _root_remainder(compound: str) -> str | None:
    """The compound's simple selectors bar its root markers; None if it is not a root compound."""
    type_end, namespaced = _type_selector_end(compound)
    type_name = name_value(compound[:type_end])
    is_root = not namespaced and type_name in _ROOT_TYPES
    # `:root` is the root only on a compound that could match <html>: `svg:root` never does
    root_capable = not namespaced and type_name in ("", "*", "html")
    malformed = False
    kept: list[str] = []
    pos = type_end
    length = len(compound)
    while pos < length:
        c = compound[pos]
        start = pos
        if c == ":":
            colons = 2 if compound.startswith("::", pos) else 1
            # a comment between the colon and the name is no token: `:/**/root` is `:root`
            name_start = _skip_comments(compound, pos + colons)
            name_end = match_ident(compound, name_start)
            pos = name_end
            if compound.startswith("(", pos):
                pos = scan(compound, pos + 1, "", "(")
            elif colons == 1 and name_value(compound[name_start:name_end]) == "root":
                is_root = is_root or root_capable
                continue
            pos = max(pos, start + 1)
        elif c == "[":
            pos = scan(compound, pos + 1, "", "[")
        elif c == "/" and compound.startswith("/*", pos):
            pos = skip_comment(compound, pos)
        elif c == ".":  # a class is two tokens, so a comment may sit between them
            pos = max(match_ident(compound, _skip_comments(compound, pos + 1)), pos + 1)
        elif c == "#":  # an id is one hash token: `#/**/x` is no id (the browser drops it)
            pos = max(match_ident(compound, pos + 1), pos + 1)
        elif c == '"' or c == "'":
            # no simple selector is a string: rewriting around one could join two bad strings
            # into a good one, and a comma inside it would start a new selector
            malformed = True
            pos = skip_string(compound, pos)
        elif c == "\\":  # a name here would be a type selector after the first simple one
            malformed = True
            pos = skip_escape(compound, pos)
        else:
            malformed = True  # not a simple selector: a browser drops the rule, so do not rewrite
            pos += 1
        kept.append(compound[start:pos])
    return "".join(kept) if is_root and not malformed else None


def _is_boundary(text: str, pos: int) -> bool:
    return pos >= len(text) or not (text[pos].isalnum() or text[pos] in "-_\\")


def _already_scoped(selector: str, parts: list[_Part], prefix: str) -> bool:
    """Whether the selector already starts with, or has a compound starting with, the prefix."""
    if selector.startswith(prefix) and _is_boundary(selector, len(prefix)):
        return True
    return any(
        part.kind is _Kind.COMPOUND
        and part.text.startswith(prefix)
        and _is_boundary(part.text, len(prefix))
        for part in parts
    )


def _collapse_leading_run(
    parts: list[_Part], first: int, prefix: str, head: str
) -> tuple[str, int]:
    """Merge root compounds joined to the first one by descendant or child combinators."""
    merged = prefix + head
    index = first + 1
    while True:
        probe = index
        combinator = ""
        while probe < len(parts) and parts[probe].kind in (_Kind.WHITESPACE, _Kind.COMMENT):
            probe += 1
        if probe < len(parts) and parts[probe].kind is _Kind.COMBINATOR:
            combinator = parts[probe].text
            probe += 1
            while probe < len(parts) and parts[probe].kind in (_Kind.WHITESPACE, _Kind.COMMENT):
                probe += 1
        if combinator not in ("", ">") or probe == index or probe >= len(parts):
            return merged, index
        if parts[probe].kind is not _Kind.COMPOUND:
            return merged, index
        remainder = _root_remainder(parts[probe].text)
        if remainder is None:
            return merged, index
        merged += remainder
        index = probe + 1


def scope_selector(selector: str, prefix: str) -> str:
    """One complex selector put under `prefix` (whitespace around it kept)."""
    stripped = selector.lstrip(WHITESPACE)
    if not stripped or stripped.startswith(_COMBINATOR_START):
        return selector
    lead = selector[: len(selector) - len(stripped)]
    if (
        _ROOT_WORD.search(stripped) is None
        and prefix not in stripped
        and "/*" not in stripped
        and "\\" not in stripped
    ):
        return lead + prefix + " " + stripped
    parts = _parts(stripped)
    # comments and whitespace before the first compound are no part of the selector, as the
    # browser reads it: `/* legacy */ h1` is `h1` (and `/**/html .x` is `html .x`)
    first = next((i for i, p in enumerate(parts) if p.kind not in _SPACING), None)
    if first is None or parts[first].kind is not _Kind.COMPOUND:
        return selector
    if _already_scoped(stripped, parts, prefix):
        return selector
    remainders = [_root_remainder(p.text) if p.kind is _Kind.COMPOUND else None for p in parts]
    if all(r is None for r in remainders):
        return lead + prefix + " " + stripped
    out: list[str] = [p.text for p in parts[:first]]
    index = first
    head = remainders[first]
    if head is not None:
        merged, index = _collapse_leading_run(parts, first, prefix, head)
        out.append(merged)
    for part, remainder in zip(parts[index:], remainders[index:], strict=True):
        out.append(part.text if remainder is None else prefix + remainder)
    return lead + "".join(out)


def _dedupe(items: list[str]) -> list[str]:
    """Drop selectors that repeat an earlier one (as `html, body` both become the prefix)."""
    seen: set[str] = set()
    kept: list[str] = []
    for item in items:
        key = item.strip(WHITESPACE)
        if key and key in seen:
            continue
        seen.add(key)
        kept.append(item)
    return kept


def scope_selector_list(prelude: str, prefix: str) -> str:
    """A style rule's prelude with each top-level selector put under `prefix`."""
    body = prelude.rstrip(WHITESPACE)
    tail = prelude[len(body) :]
    if _NEEDS_CARE.search(body) is None and prefix not in body:
        if "," not in body:
            stripped = body.lstrip(WHITESPACE)
            if not stripped or stripped.startswith(_COMBINATOR_START):
                return prelude
            return body[: len(body) - len(stripped)] + prefix + " " + stripped + tail
        items = body.split(",")
        scoped = []
        for item in items:
            stripped = item.lstrip(WHITESPACE)
            if not stripped or stripped.startswith(_COMBINATOR_START):
                scoped.append(item)
            else:
                scoped.append(item[: len(item) - len(stripped)] + prefix + " " + stripped)
    else:
        scoped = [scope_selector(item, prefix) for item in _split_top_level_commas(body)]
    if len(scoped) > 1:
        scoped = _dedupe(scoped)
    return ",".join(scoped) + tail
