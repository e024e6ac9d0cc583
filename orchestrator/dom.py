"""The page of a headless tab: an lxml document apps render into, serialisable as HTML."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from ._selectors import SelectorCache

__all__ = [
    "DEFAULT_SHELL",
    "Document",
    "SelectorCache",
    "SubDocument",
    "inner_html",
    "outer_html",
    "parse_fragment",
    "set_inner_html",
]

DEFAULT_SHELL = "<!DOCTYPE html><html><head></head><body></body></html>"
_DEFAULT_DOCTYPE = "<!DOCTYPE html>"
_HAS_DOCTYPE = re.compile(r"\ufeff?\s*(?:<!--.*?-->\s*)*<!doctype", re.IGNORECASE | re.DOTALL)
"""libxml2 invents an HTML 4 doctype when the shell has none; we keep only a real one."""
_XML_DECLARATION = re.compile(r"\A\ufeff?\s*<\?xml[^>]*\?>")
"""An XHTML prolog means nothing to an HTML parser (and lxml refuses one in a str)."""


def parse_fragment(html: str) -> list[HtmlElement | str]:
    """Parse a template as a ``<div>``'s content: leading text (if any) first, then the nodes.

    Comments stay as nodes (import-html-entry's placeholders are comments); ``<html>``, ``<head>``
    and ``<body>`` tags inside a fragment are dropped by the parser, their content kept.
    """
    if not html:
        return []
    holder = lxml.html.fragment_fromstring(html, create_parent="div")
    nodes: list[HtmlElement | str] = [holder.text] if holder.text else []
    nodes.extend(holder)
    return nodes


def set_inner_html(element: HtmlElement, html: str) -> None:
    """Replace ``element``'s content with parsed ``html`` (its tail text is kept)."""
    for child in list(element):
        element.remove(child)
    element.text = None
    for node in parse_fragment(html):
        if isinstance(node, str):
            element.text = node
        else:
            element.append(node)


def outer_html(element: HtmlElement) -> str:
    """``element`` serialised with its own tag (and not its tail)."""
    html: str = lxml.html.tostring(element, encoding="unicode", with_tail=False)
    return html


def inner_html(element: HtmlElement) -> str:
    """``element``'s content serialised, as ``innerHTML`` reads it."""
    parts = [_escape_text(element.text)] if element.text else []
    parts.extend(lxml.html.tostring(child, encoding="unicode") for child in element)
    return "".join(parts)


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Document:
    """The page of one tab: the shell's HTML parsed once; apps add elements; ``html`` serialises."""

    def __init__(
        self, html: str | None = None, *, selector_cache: SelectorCache | None = None
    ) -> None:
        source = DEFAULT_SHELL if html is None or not html.strip() else html
        if not isinstance(source, str):
            raise TypeError(f"the shell HTML must be a str, got {type(source).__name__}")
        source = _XML_DECLARATION.sub("", source, count=1)
        try:
            root = lxml.html.document_fromstring(source, ensure_head_body=True)
        except etree.ParserError:
            root = lxml.html.document_fromstring(DEFAULT_SHELL, ensure_head_body=True)
        self.root: HtmlElement = root
        self._doctype = _DEFAULT_DOCTYPE
        if _HAS_DOCTYPE.match(source):
            docinfo: Any = root.getroottree().docinfo
            self._doctype = str(docinfo.doctype) or _DEFAULT_DOCTYPE
        self.selectors = selector_cache if selector_cache is not None else SelectorCache()

    @property
    def head(self) -> HtmlElement:
        return self.root.head

    @property
    def body(self) -> HtmlElement:
        return self.root.body

    @property
    def doctype(self) -> str:
        return self._doctype

    @property
    def html(self) -> str:
        """The whole page as HTML with its doctype; ``<script>``/``<style>`` text kept verbatim."""
        page: str = lxml.html.tostring(self.root, encoding="unicode", doctype=self._doctype)
        return page

    @property
    def title(self) -> str:
        found = self.head.find("title")
        if found is None:
            found = self.root.find(".//title")
        return "" if found is None else " ".join(found.text_content().split())

    @title.setter
    def title(self, value: str) -> None:
        found = self.head.find("title")
        if found is None:
            found = self.create_element("title")
            self.head.insert(0, found)
        found.text = value

    def query_selector(self, css: str, *, within: HtmlElement | None = None) -> HtmlElement | None:
        """The first element matching ``css`` in document order, or ``None``."""
        found = self.selectors.select(self.root if within is None else within, css)
        return found[0] if found else None

    def query_selector_all(
        self, css: str, *, within: HtmlElement | None = None
    ) -> list[HtmlElement]:
        """Every element matching ``css``, in document order."""
        return self.selectors.select(self.root if within is None else within, css)

    def get_element_by_id(self, id: str) -> HtmlElement | None:
        found: HtmlElement | None = self.root.get_element_by_id(id, None)
        return found

    def create_element(self, tag: str, attrs: Mapping[str, str] | None = None) -> HtmlElement:
        """A new, detached element of this page (an lxml ``HtmlElement``)."""
        try:
            element: HtmlElement = lxml.html.Element(tag, dict(attrs or {}))
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"cannot create element <{tag}> with {dict(attrs or {})!r}: {error}"
            ) from None
        return element

    def __repr__(self) -> str:
        return f"<Document title={self.title!r} body_children={len(self.body)}>"


class SubDocument(Document):
    """The page of a tab nested in an app (a sub-shell): the app's container element, inside
    the outer page. Its apps render into containers under that element, and ``html`` is it."""

    def __init__(self, element: HtmlElement, *, selector_cache: SelectorCache | None = None):
        self.root = element
        self._doctype = ""
        self.selectors = selector_cache if selector_cache is not None else SelectorCache()

    @property
    def head(self) -> HtmlElement:
        return self.root

    @property
    def body(self) -> HtmlElement:
        return self.root

    @property
    def html(self) -> str:
        return outer_html(self.root)
