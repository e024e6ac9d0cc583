"""Compiled CSS selectors shared by the page and the importer (compiling costs the most)."""

from __future__ import annotations

from typing import Any

from cssselect import SelectorError
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from ._lru import LRUCache

__all__ = ["SelectorCache"]


class SelectorCache:
    """Compiled CSS selectors, least recently used dropped first (compiling costs the most)."""

    def __init__(self, maxsize: int = 256) -> None:
        if maxsize < 1:
            raise ValueError(f"SelectorCache maxsize must be at least 1, got {maxsize}")
        self.maxsize = maxsize
        self._compiled: LRUCache[str, CSSSelector] = LRUCache(maxsize)

    def get(self, css: str) -> CSSSelector:
        """The compiled selector for ``css``; ``ValueError`` naming it when it is not valid CSS."""
        compiled = self._compiled.get(css)
        if compiled is not None:
            return compiled
        if not isinstance(css, str):
            raise TypeError(f"a CSS selector must be a string, got {type(css).__name__}")
        try:
            compiled = CSSSelector(css, translator="html")
        except SelectorError as error:
            raise ValueError(f"invalid CSS selector {css!r}: {error}") from None
        self._compiled[css] = compiled
        return compiled

    def __len__(self) -> int:
        return len(self._compiled)

    def select(self, root: HtmlElement, css: str) -> list[HtmlElement]:
        """Every element under (and including) ``root`` matching ``css``, in document order."""
        found: Any = self.get(css)(root)
        return list(found)
