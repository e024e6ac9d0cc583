"""Walk a stylesheet's rule lists and rewrite style-rule preludes; copy everything else as it is.

Only the places where selectors of the page live are touched: style rules at the top level and
inside conditional/grouping at-rules, and the root of `@scope`. Declaration blocks, nested rules
and every other at-rule are copied byte for byte (bar `url()` resolution when asked for).
"""

from __future__ import annotations

import logging

from css_scoper._scanner import (
    SKIP_BETWEEN_RULES,
    SKIP_BETWEEN_TOP_RULES,
    block_end,
    match_ident,
    name_value,
    prelude_end,
    scan,
    skip_whitespace_and_comments,
)
from css_scoper._selectors import scope_selector_list
from css_scoper._urls import rewrite_import_prelude
from css_scoper._urls import rewrite_urls as _rewrite_url_references

_log = logging.getLogger(__name__)

# At-rules whose block holds style rules of the page, to be scoped like the top level.
GROUPING_AT_RULES = frozenset(
    {"media", "supports", "container", "layer", "document", "-moz-document", "starting-style"}
)
# At-rules whose prelude holds URLs that are names or conditions, not resources to fetch.
_URLS_ARE_NOT_RESOURCES = frozenset({"namespace", "document", "-moz-document"})


def app_prefix(name: str) -> str:
    """The selector of a micro-app's wrapper under experimental style isolation (as qiankun)."""
    escaped = name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ")
    return f'div[data-qiankun="{escaped}"]'


class _Scoper:
    """One pass over one stylesheet: `_pending` is where the not-yet-copied text starts."""

    def __init__(self, css: str, prefix: str | None, base_url: str | None) -> None:
        self._css = css
        self._prefix = prefix
        self._base_url = base_url
        self._out: list[str] = []
        self._pending = 0
        self._resolved: dict[str, str] = {}

    def _copy_to(self, end: int, *, resolve_urls: bool = True) -> None:
        if end <= self._pending:
            return
        text = self._css[self._pending : end]
        if self._base_url is not None and resolve_urls:
            text = _rewrite_url_references(text, self._base_url, self._resolved)
        self._out.append(text)
        self._pending = end

    def _replace(self, start: int, end: int, text: str) -> None:
        self._copy_to(start)
        self._out.append(text)
        self._pending = end

    def run(self) -> str:
        css = self._css
        length = len(css)
        depth = 0
        pos = 0
        while True:
            skip = SKIP_BETWEEN_TOP_RULES if depth == 0 else SKIP_BETWEEN_RULES
            match = skip.match(css, pos)
            pos = match.end() if match else pos
            if pos >= length:
                break
            c = css[pos]
            if c == "}" and depth > 0:
                depth -= 1
                pos += 1
                continue
            if c == "@":
                name_end = match_ident(css, pos + 1)
                if name_end > pos + 1:
                    pos, depth = self._at_rule(pos, name_end, depth)
                    continue
            pos = self._qualified_rule(pos, depth)
        self._copy_to(length)
        return "".join(self._out)

    def _qualified_rule(self, start: int, depth: int) -> int:
        css = self._css
        end = prelude_end(css, start, "{" if depth == 0 else "{;}")
        if end >= len(css):
            return len(css)
        if css[end] == ";":
            return end + 1
        if css[end] == "}":
            return end
        if self._prefix is not None:
            self._replace(start, end, scope_selector_list(css[start:end], self._prefix))
        else:  # a selector holds no URL (what looks like one is inside a bad url token)
            self._copy_to(start)
            self._copy_to(end, resolve_urls=False)
        return block_end(css, end)

    def _at_rule(self, start: int, name_end: int, depth: int) -> tuple[int, int]:
        css = self._css
        # decoded as a browser reads it: `@m\65 dia` and `@\media` are @media
        name = name_value(css[start + 1 : name_end])
        end = scan(css, name_end, ";{" if depth == 0 else ";{}")
        if name in _URLS_ARE_NOT_RESOURCES:
            self._copy_to(start)
            self._copy_to(min(end, len(css)), resolve_urls=False)
        elif name == "import" and self._base_url is not None:
            prelude_end = min(end, len(css))
            resolved = rewrite_import_prelude(css[name_end:prelude_end], self._base_url)
            self._replace(name_end, prelude_end, resolved)
        if end >= len(css):
            return len(css), depth
        terminator = css[end]
        if terminator == ";":
            return end + 1, depth
        if terminator == "}":
            return end, depth
        if name in GROUPING_AT_RULES:
            return end + 1, depth + 1
        if name == "scope" and self._prefix is not None:
            self._scope_root(self._prefix, name_end, end)
        return block_end(css, end), depth

    def _scope_root(self, prefix: str, prelude_start: int, brace: int) -> None:
        """`@scope (X) to (Y)` → `@scope (P X) to (Y)`; with no root, the prefix is the root."""
        css = self._css
        open_paren = skip_whitespace_and_comments(css, prelude_start)
        if open_paren < brace and css[open_paren] == "(":
            close_paren = scan(css, open_paren + 1, "", "(")
            if close_paren <= brace:
                inner = css[open_paren + 1 : close_paren - 1]
                scoped = scope_selector_list(inner, prefix)
                self._replace(open_paren + 1, close_paren - 1, scoped)
                return
        self._replace(prelude_start, prelude_start, f" ({prefix})")


def scope_css(css: str, prefix: str, *, base_url: str | None = None) -> str:
    """`css` with every style rule of the page made to apply only under `prefix`.

    Never raises on any CSS text: what a browser would drop is copied through, still dropped.
    """
    if not isinstance(css, str):
        raise TypeError(f"scope_css: css must be str, not {type(css).__name__}")
    if not isinstance(prefix, str) or not prefix.strip():
        raise ValueError(f"scope_css: prefix must be a non-empty selector, got {prefix!r}")
    if base_url is not None and not isinstance(base_url, str):
        raise TypeError(f"scope_css: base_url must be str or None, not {type(base_url).__name__}")
    try:
        return _Scoper(css, prefix.strip(), base_url or None).run()
    except Exception:  # a bug here must not break mounting an app; report it loudly instead
        _log.exception("css_scoper: could not scope a stylesheet of %d characters", len(css))
        return ""


def rewrite_urls(css: str, base_url: str) -> str:
    """`css` with its relative `url(...)`s and `@import` strings made absolute against `base_url`,
    as `scope_css(..., base_url=...)` does, selectors left as they are.

    For a stylesheet inlined into a page it was not fetched for (its URLs are relative to its
    own address). `@namespace` and `@document` URLs are names, so they stay. Never raises on any
    CSS text; on an internal error the text comes back unchanged.
    """
    if not isinstance(css, str):
        raise TypeError(f"rewrite_urls: css must be str, not {type(css).__name__}")
    if not isinstance(base_url, str):
        raise TypeError(f"rewrite_urls: base_url must be str, not {type(base_url).__name__}")
    if not base_url:
        return css
    try:
        return _Scoper(css, None, base_url).run()
    except Exception:  # a bug here must not break mounting an app; report it loudly instead
        _log.exception("css_scoper: could not rewrite the URLs of %d characters", len(css))
        return css
