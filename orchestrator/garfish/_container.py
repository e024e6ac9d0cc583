"""The element an app lives in, as Garfish's ``createAppContainer`` + ``renderTemplate`` build it:
``<div id="garfish_app_for_<name>_<key>">`` holding ``<div __garfishmockhtml__>`` with the
entry's head in ``<div __garfishmockhead__>`` and its body in ``<div __garfishmockbody__>``
(the ``dom`` a provider renders into)."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import lxml.html
from lxml import etree

from css_scoper import rewrite_urls

from .._tasks import maybe_await
from ._errors import DomGetterError

if TYPE_CHECKING:
    from .._rebase import Rebase
    from ..dom import Document
    from ..html_entry import ImportedEntry

__all__ = [
    "APP_ATTRIBUTE",
    "MOCK_BODY",
    "MOCK_HEAD",
    "MOCK_HTML",
    "Container",
    "build_container",
    "container_prefix",
    "render_node",
]

CONTAINER_ID = "garfish_app_for"
APP_ATTRIBUTE = "data-garfish-app"
"""Names the app on its container: the stable hook its scoped stylesheets hang from."""
MOCK_HTML = "__garfishmockhtml__"
MOCK_HEAD = "__garfishmockhead__"
MOCK_BODY = "__garfishmockbody__"


@dataclasses.dataclass(frozen=True)
class Container:
    """An app's container and the element a provider renders into (``rootElement``)."""

    element: etree._Element
    root: etree._Element

    def detach(self) -> None:
        parent = self.element.getparent()
        if parent is not None:
            tail = self.element.tail
            parent.remove(self.element)
            self.element.tail = tail


def build_container(
    name: str,
    key: int,
    imported: ImportedEntry,
    style_texts: Sequence[str | None],
    rebase: Rebase | None = None,
) -> Container:
    """A fresh container holding a copy of the entry's template, stylesheets inlined with their
    ``url()``s made absolute (Garfish turns each ``<link>`` into a ``<style>``)."""
    inlined: list[str | None] = []
    for style, text in zip(imported.styles, style_texts, strict=True):
        base = style.href or imported.base_url
        inlined.append(None if text is None else rewrite_urls(text, base))
    nodes = imported.template_fragment(inlined)
    element: etree._Element = lxml.html.Element(
        "div", {"id": f"{CONTAINER_ID}_{name}_{key}", APP_ATTRIBUTE: name}
    )
    html = etree.SubElement(element, "div", {MOCK_HTML: ""})
    head = etree.SubElement(html, "div", {MOCK_HEAD: ""})
    body = etree.SubElement(html, "div", {MOCK_BODY: ""})
    if nodes:
        first = nodes[0]
        if first.tag == "qiankun-head":  # the importer's holder of the page's <head> children
            head.text = first.text
            head.extend(list(first))
            body.text = first.tail
            nodes = nodes[1:]
        body.extend(nodes)
    if rebase is not None:
        rebase.tree(element)
    return Container(element, body)


def container_prefix(name: str) -> str:
    """The selector every rule of the app's stylesheets is scoped under (DESIGN §5: an app's
    CSS stays inside its container), stable across instances so scoped sheets are cached."""
    escaped = name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ")
    return f'div[{APP_ATTRIBUTE}="{escaped}"]'


async def render_node(dom_getter: Any, document: Document, app_name: str) -> Any:
    """Garfish's ``getRenderNode``: a selector, an element, or a (sync or async) callable giving
    one; ``None`` means Garfish's default, a new detached ``<div>``. A selector is looked up once
    (Garfish polls for it up to 3 s; a headless page does not change by itself)."""
    if dom_getter is None:
        return document.create_element("div")
    node: Any
    if isinstance(dom_getter, str):
        node = document.query_selector(dom_getter)
    elif callable(dom_getter) and not hasattr(dom_getter, "append"):
        node = await maybe_await(dom_getter())
    else:
        node = dom_getter
    if inspect.isawaitable(node):
        node = await node
    if not isinstance(node, etree._Element):
        raise DomGetterError(f"Invalid domGetter: {dom_getter}", app_name=app_name)
    return node
