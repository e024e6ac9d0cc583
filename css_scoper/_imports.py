"""A stylesheet's leading ``@import`` rules, read as browsers read them.

The scoper leaves ``@import`` as it is (an imported sheet is fetched by whoever inlines the
stylesheet); this module tells that caller what is imported, under which conditions, and how to
inline the fetched text so those conditions still hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from css_scoper._scanner import SKIP_BETWEEN_TOP_RULES, match_ident, scan, skip_string

__all__ = ["ImportRule", "split_imports", "wrap_imported"]

_ESCAPE = re.compile(r"\\(?:([0-9A-Fa-f]{1,6})(?:\r\n|[ \t\n\r\f])?|([\s\S]))")
_WORD = re.compile(r"[A-Za-z-]+")


@dataclass(frozen=True)
class ImportRule:
    """One ``@import``: its URL (as written), and the conditions it imports under."""

    url: str
    layer: str | None = None
    """``None``: no layer; ``""``: an anonymous layer; else the layer's name."""
    supports: str | None = None
    """The ``supports(...)`` condition, without the function name."""
    media: str = ""
    """The media query list; empty means all media."""


def split_imports(css: str) -> tuple[list[ImportRule | str], str]:
    """The head of ``css`` (its ``@import`` rules, and the ``@layer`` statements between them
    as text, in order) and the rest of the stylesheet.

    ``@charset`` is dropped (the text is decoded already); an ``@import`` that is malformed is
    dropped, as a browser drops it. Anything after the first other rule is left alone (a late
    ``@import`` is ignored by browsers anyway).
    """
    head: list[ImportRule | str] = []
    pos = 0
    while True:
        skip = SKIP_BETWEEN_TOP_RULES.match(css, pos)
        start = skip.end() if skip else pos
        if not css.startswith("@", start):
            break
        name_end = match_ident(css, start + 1)
        name = decode_ident(css[start + 1 : name_end]).lower()
        if name not in ("import", "charset", "layer"):
            break
        end = scan(css, name_end, ";{")
        if name == "layer" and css.startswith("{", end):
            break  # a layer block is a rule: imports after it are ignored
        statement_end = end + 1 if end < len(css) else end
        if name == "import":
            rule = _parse_import(css[name_end:end])
            if rule is not None:
                head.append(rule)
        elif name == "layer":
            head.append(css[start:statement_end])
        pos = statement_end
    return head, css[pos:]


def wrap_imported(rule: ImportRule, css: str) -> str:
    """``css`` (an imported sheet's text) wrapped so it applies only where the import did."""
    wrapped = css
    if rule.layer is not None:
        wrapped = (
            f"@layer {rule.layer} {{\n{wrapped}\n}}" if rule.layer else f"@layer {{\n{wrapped}\n}}"
        )
    if rule.supports is not None:
        wrapped = f"@supports ({rule.supports}) {{\n{wrapped}\n}}"
    if rule.media:
        wrapped = f"@media {rule.media} {{\n{wrapped}\n}}"
    return wrapped


def decode_ident(text: str) -> str:
    """An identifier with its CSS escapes decoded (``\\69 mport`` → ``import``)."""
    if "\\" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        hex_digits, char = match.group(1), match.group(2)
        if hex_digits is None:
            return char
        code = int(hex_digits, 16)
        return "\ufffd" if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF else chr(code)

    return _ESCAPE.sub(one, text)


def _parse_import(prelude: str) -> ImportRule | None:
    text = prelude.strip(" \t\n\r\f")
    url, rest = _url(text)
    if url is None:
        return None
    rest = rest.strip(" \t\n\r\f")
    layer: str | None = None
    supports: str | None = None
    word = _WORD.match(rest)
    if word is not None and word.group().lower() == "layer":
        after = rest[word.end() :]
        if after.startswith("("):
            close = scan(after, 1, "", "(")
            layer = after[1 : close - 1].strip()
            rest = after[close:].strip(" \t\n\r\f")
        else:
            layer = ""
            rest = after.strip(" \t\n\r\f")
        word = _WORD.match(rest)
    if (
        word is not None
        and word.group().lower() == "supports"
        and rest[word.end() :].startswith("(")
    ):
        after = rest[word.end() :]
        close = scan(after, 1, "", "(")
        supports = after[1 : close - 1].strip()
        rest = after[close:].strip(" \t\n\r\f")
    return ImportRule(url=url, layer=layer, supports=supports, media=rest)


def _url(text: str) -> tuple[str | None, str]:
    """The URL at the start of an import prelude (a string or ``url(...)``) and what follows."""
    if text[:1] in ("'", '"'):
        end = skip_string(text, 0)
        return _unquote(text[:end]), text[end:]
    if text[:4].lower() == "url(":
        close = scan(text, 4, "", "(")
        inner = text[4 : close - 1].strip(" \t\n\r\f")
        if inner[:1] in ("'", '"'):
            return _unquote(inner), text[close:]
        return decode_ident(inner), text[close:]
    return None, text


def _unquote(token: str) -> str:
    quote = token[0]
    body = token[1:-1] if len(token) > 1 and token.endswith(quote) else token[1:]
    return decode_ident(body.replace("\\\n", ""))
