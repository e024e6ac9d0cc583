"""import-html-entry's ``processTpl`` rules, applied to a parsed lxml tree instead of regexes.

The template becomes what qiankun puts inside an app's wrapper: a ``<qiankun-head>`` element holding
the page's ``<head>`` children, then the ``<body>`` contents (a browser drops ``<html>``, ``<head>``
and ``<body>`` tags, and their attributes, when it parses a page into a ``<div>``).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import lxml.html
from lxml import etree

from .._urls import UrlResolver
from ..errors import EntrySyntaxError
from ._attributes import MAX_ATTRIBUTES, check_attributes

__all__ = ["Extracted", "Script", "Style", "extract_config", "extract_page"]

_JS_TYPES = frozenset(
    {
        "text/javascript",
        "application/javascript",
        "text/ecmascript",
        "application/ecmascript",
        "application/x-javascript",
        "application/x-ecmascript",
        "text/x-javascript",
        "text/x-ecmascript",
        "text/jscript",
        "text/livescript",
        "text/javascript1.0",
        "text/javascript1.1",
        "text/javascript1.2",
        "text/javascript1.3",
        "text/javascript1.4",
        "text/javascript1.5",
        "module",
    }
)
_PYTHON_TYPES = frozenset({"text/python", "text/x-python", "application/x-python"})
_SUFFIX = " replaced by import-html-entry "
_INLINE_SCRIPT = " inline scripts" + _SUFFIX
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class Script:
    """One script of an entry, in document order: external (``src``) or inline (``content``)."""

    src: str | None = None
    content: str | None = None
    type: str | None = None
    is_python: bool = False
    is_async: bool = False
    is_module: bool = False
    crossorigin: str | None = None
    integrity: str | None = None
    is_entry: bool = False
    attrs: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def kind(self) -> str:
        """A one-word label for reports: ``python``, ``module``, ``async`` or ``classic``."""
        if self.is_python:
            return "python"
        if self.is_module:
            return "module"
        return "async" if self.is_async else "classic"

    @property
    def label(self) -> str:
        """The URL, or ``inline`` with the first characters of the code."""
        if self.src is not None:
            return self.src
        head = " ".join((self.content or "").split())
        return f"inline: {head[:40]}{'…' if len(head) > 40 else ''}"


@dataclass(frozen=True)
class Style:
    """One stylesheet of an entry: external (``href``) or inline (``content``, config entries)."""

    href: str | None = None
    content: str | None = None
    integrity: str | None = None
    attrs: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Extracted:
    """The processed template (kept parsed) and the assets found in it."""

    fragment: tuple[etree._Element, ...]
    scripts: tuple[Script, ...]
    styles: tuple[Style, ...]
    entry_script: Script | None
    base_url: str
    style_placeholders: tuple[tuple[str, int], ...]
    body: etree._Element | None = None

    def template_html(self) -> str:
        """The fragment serialized; a page's body is serialized in one call, minus its tags."""
        if self.body is None:
            return "".join(_html(node) for node in self.fragment)
        head = _html(self.fragment[0], with_tail=False)
        body = _html(self.body, with_tail=False)
        return head + body[len("<body>") : -len("</body>")]

    def copy_fragment(
        self,
        style_texts: Sequence[str | None] | None = None,
        embedded: list[tuple[int, etree._Element]] | None = None,
    ) -> list[etree._Element]:
        """A deep copy of the template nodes; with ``style_texts`` each stylesheet placeholder
        becomes ``<style>/* URL */CSS</style>``, as import-html-entry's ``getEmbedHTML``
        (a ``None`` text leaves that placeholder, as it does for a style that failed).
        ``embedded`` collects ``(style index, element)`` for the ``<style>`` elements made so
        (callers need not reread a large text to know which stylesheet it was)."""
        nodes = [copy.deepcopy(node) for node in self.fragment]
        if style_texts is None or not self.style_placeholders:
            return nodes
        if len(style_texts) != len(self.styles):
            raise ValueError(f"expected {len(self.styles)} style texts, got {len(style_texts)}")
        wanted = dict(self.style_placeholders)

        def embed(comment: etree._Element) -> etree._Element | None:
            index = wanted.pop(comment.text or "", None)
            if index is None or style_texts[index] is None:
                return None
            style = etree.Element("style")
            css = f"/* {self.styles[index].href} */{style_texts[index]}"
            try:
                style.text = css
            except ValueError:
                style.text = _XML_FORBIDDEN.sub("", css)
            style.tail = comment.tail
            if embedded is not None:
                embedded.append((index, style))
            return style

        for position, node in enumerate(nodes):
            if isinstance(node, etree._Comment):
                replacement = embed(node)
                if replacement is not None:
                    nodes[position] = replacement
                continue
            for comment in list(node.iter(etree.Comment)):
                style = embed(comment)
                if style is not None:
                    _replace(comment, style)
        return nodes


def new_parser(*, keep_comments: bool = False) -> etree.HTMLParser:
    """An HTML parser for entries; one per loader, as lxml parsers must not be shared by threads.

    Elements are ``lxml.html.HtmlElement`` through a C-level class lookup: lxml.html's own lookup
    runs Python code for every element touched (form/input subclasses are not needed here).
    No id table is built (``collect_ids=False``): extraction never looks elements up by id.
    """
    parser = etree.HTMLParser(
        remove_comments=not keep_comments, remove_pis=True, huge_tree=True, collect_ids=False
    )
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    return parser


def extract_page(
    html: str,
    public_path: str,
    parser: etree.HTMLParser,
    *,
    where: str | None = None,
    max_attributes: int = MAX_ATTRIBUTES,
) -> Extracted:
    """Parse an HTML entry, extract its assets, and leave placeholders in the template.

    ``where`` (the entry URL) is named in errors.
    """
    try:
        return _extract_page(html, public_path, parser, where, max_attributes)
    except ValueError:
        # lxml cannot hold the control characters XML forbids (a browser reports them as parse
        # errors and goes on); they are dropped and the page is read again.
        cleaned = _XML_FORBIDDEN.sub("", html)
        if cleaned == html:
            raise
        return _extract_page(cleaned, public_path, parser, where, max_attributes)


def _extract_page(
    html: str, public_path: str, parser: etree.HTMLParser, where: str | None, max_attributes: int
) -> Extracted:
    check_attributes(html, max_attributes, where)
    root = _parse_document(html, parser)
    state = _State(public_path, where)
    for node in list(root.iter("base", "link", "style", "script")):
        tag = node.tag
        if tag == "script":
            state.script(node)
        elif tag == "link":
            state.link(node)
        elif tag == "style":
            if node.get("ignore") is not None:
                _replace(node, _comment(" ignore asset style file" + _SUFFIX))
        elif state.base is None and node.get("href") is not None:
            base = state.set_base(node.get("href") or "")
            _replace(node, _comment(f" base {base}{_SUFFIX}"))
        else:
            # only the first <base href> counts (as in browsers); every one is removed, or it
            # would reach the composed page and rebase the shell's links and forms
            _replace(node, _comment(" base" + _SUFFIX))
    head, body = root.find("head"), root.find("body")
    if head is None:
        qiankun_head = root.makeelement("qiankun-head", {})
    else:  # renamed in place: moving its children to a new element would copy them
        qiankun_head = head
        head.tag = "qiankun-head"
        head.attrib.clear()
    qiankun_head.tail = None
    fragment: list[etree._Element] = [qiankun_head]
    if body is not None:
        qiankun_head.tail = body.text
        fragment.extend(body)
        body.attrib.clear()
    return state.result(fragment, body)


def extract_config(
    html: str,
    scripts: Iterable[str],
    styles: Iterable[str],
    public_path: str,
    parser: etree.HTMLParser,
    *,
    max_attributes: int = MAX_ATTRIBUTES,
) -> Extracted:
    """A config entry: style placeholders, then ``html`` as given, then script placeholders."""
    check_attributes(html, max_attributes, "config entry")
    state = _State(public_path, "config entry")
    holder = lxml.html.fragment_fromstring(html or "", create_parent="div", parser=parser)
    lead: list[etree._Element] = []
    for item in styles:
        lead.append(state.config_style(item))
    tail: list[etree._Element] = [state.config_script(item) for item in scripts]
    qiankun_head = holder.makeelement("qiankun-head", {})
    qiankun_head.tail = None
    fragment = [qiankun_head, *lead]
    if holder.text:
        anchor = fragment[-1]
        anchor.tail = (anchor.tail or "") + holder.text
    fragment.extend(holder)
    fragment.extend(tail)
    return state.result(fragment)


class _State:
    """What one extraction has found so far."""

    def __init__(self, public_path: str, where: str | None) -> None:
        self.public_path = public_path
        self.where = where or public_path
        self.base: str | None = None
        self._resolve = UrlResolver(public_path)
        self.scripts: list[Script] = []
        self.styles: list[Style] = []
        self.style_placeholders: list[tuple[str, int]] = []
        self.entry: Script | None = None

    def url(self, ref: str) -> str:
        try:
            return self._resolve(ref)
        except ValueError as exc:
            raise EntrySyntaxError(self.where, str(exc)) from None

    def set_base(self, href: str) -> str:
        self.base = self._resolve(href)
        self._resolve = UrlResolver(self.base)
        return self.base

    def result(
        self, fragment: Sequence[etree._Element], body: etree._Element | None = None
    ) -> Extracted:
        entry = self.entry
        if entry is None and self.scripts:
            entry = self.scripts[-1]
        return Extracted(
            fragment=tuple(fragment),
            scripts=tuple(self.scripts),
            styles=tuple(self.styles),
            entry_script=entry,
            base_url=self.base or self.public_path,
            style_placeholders=tuple(self.style_placeholders),
            body=body,
        )

    def link(self, node: etree._Element) -> None:
        attrs: dict[str, str] = dict(node.attrib)  # type: ignore[arg-type]
        raw_href = attrs.get("href", "")
        if not raw_href.strip():
            return
        rel = attrs.get("rel", "").lower().split()
        if "stylesheet" in rel and "alternate" not in rel:
            href = self.url(raw_href)
            if "ignore" in attrs:
                _replace(node, _comment(f" ignore asset {href}{_SUFFIX}"))
                return
            text = f"  link {href}{_SUFFIX}"
            self.style_placeholders.append((_comment_text(text), len(self.styles)))
            self.styles.append(
                Style(href=href, integrity=attrs.get("integrity"), attrs=MappingProxyType(attrs))
            )
            _replace(node, _comment(text))
        elif ("preload" in rel or "prefetch" in rel) and attrs.get("as", "").lower() != "font":
            _replace(node, _comment(f" prefetch/preload link {raw_href}{_SUFFIX}"))

    def script(self, node: etree._Element) -> None:
        attrs: dict[str, str] = dict(node.attrib)  # type: ignore[arg-type]
        declared = attrs.get("type")
        kind = declared.strip().lower() if declared else ""
        is_python = kind in _PYTHON_TYPES
        if kind and not is_python and kind not in _JS_TYPES:
            return
        is_module = kind == "module"
        raw_src = attrs.get("src", "").strip()
        src = self.url(raw_src) if raw_src else None
        if "ignore" in attrs:
            _replace(node, _comment(f" ignore asset {src or 'js file'}{_SUFFIX}"))
            return
        if "nomodule" in attrs and not is_module and not is_python:
            _replace(
                node, _comment(f" nomodule script {src or 'js file'} ignored by import-html-entry ")
            )
            return
        if src is None:
            content = node.text or ""
            _replace(node, _comment(_INLINE_SCRIPT))
            if _is_blank_code(content, is_python):
                if "entry" in attrs:
                    raise EntrySyntaxError(self.where, "the entry script is an empty inline script")
                return
        else:
            content = None
        script = _make_script(attrs, src, content)
        if src is not None:
            cors = "cors" if script.crossorigin == "use-credentials" else ""
            is_async = "async" if script.is_async else ""
            _replace(node, _comment(f" {cors} {is_async} script {src}{_SUFFIX}"))
        self._add_script(script)

    def _add_script(self, script: Script) -> None:
        if script.is_entry:
            if self.entry is not None:
                raise EntrySyntaxError(
                    self.where,
                    f"two scripts are marked as entry: {self.entry.label} and {script.label}",
                )
            self.entry = script
        self.scripts.append(script)

    def config_style(self, item: str) -> etree._Element:
        text = item.strip()
        if text.startswith("<"):
            node: etree._Element = lxml.html.fragment_fromstring(text)
            self.styles.append(Style(content=node.text or "", attrs=_attrs(node)))
            return node
        href = self._config_url(item)
        comment = f"  link {href}{_SUFFIX}"
        self.style_placeholders.append((_comment_text(comment), len(self.styles)))
        self.styles.append(Style(href=href))
        return _comment(comment)

    def config_script(self, item: str) -> etree._Element:
        text = item.strip()
        if text.startswith("<"):
            node = lxml.html.fragment_fromstring(text)
            attrs: dict[str, str] = dict(node.attrib)
            attrs.pop("entry", None)  # in a config entry the last script is the entry
            raw_src = attrs.get("src", "").strip()
            src = self._config_url(raw_src) if raw_src else None
            script = _make_script(attrs, src, None if src else node.text or "")
            self.scripts.append(script)
            return _comment(
                _INLINE_SCRIPT if script.src is None else f"   script {script.src}{_SUFFIX}"
            )
        src = self._config_url(item)
        python = src.split("?", 1)[0].endswith(".py")
        self.scripts.append(
            Script(src=src, is_python=python, type="text/python" if python else None)
        )
        return _comment(f"   script {src}{_SUFFIX}")

    def _config_url(self, ref: str) -> str:
        href = self.url(ref)
        if "://" not in href:
            raise EntrySyntaxError(
                ref, f"cannot resolve {ref!r} against public path {self.public_path!r}"
            )
        return href


def _parse_document(html: str, parser: etree.HTMLParser) -> etree._Element:
    if not html.strip():
        html = "<html><head></head><body></body></html>"
    try:
        return lxml.html.document_fromstring(html, parser=parser)
    except etree.ParserError:
        return lxml.html.document_fromstring("<html><body></body></html>", parser=parser)


def _make_script(attrs: dict[str, str], src: str | None, content: str | None) -> Script:
    """A ``Script`` from a ``<script>``'s attributes, for page and config entries alike."""
    declared = attrs.get("type")
    kind = declared.strip().lower() if declared else ""
    crossorigin = attrs.get("crossorigin")
    if crossorigin is not None:
        crossorigin = crossorigin.strip().lower() or "anonymous"
    return Script(
        src=src,
        content=content,
        type=declared,
        is_python=kind in _PYTHON_TYPES,
        is_async="async" in attrs,
        is_module=kind == "module",
        crossorigin=crossorigin,
        integrity=attrs.get("integrity"),
        is_entry="entry" in attrs,
        attrs=MappingProxyType(attrs),
    )


def _is_blank_code(code: str, is_python: bool) -> bool:
    """True when every line is blank or a line comment (``//``, or ``#`` for Python)."""
    marker = "#" if is_python else "//"
    return all(not line.strip() or line.lstrip().startswith(marker) for line in code.splitlines())


def _attrs(node: etree._Element) -> Mapping[str, str]:
    return MappingProxyType(dict(node.attrib))


def _html(node: etree._Element, *, with_tail: bool = True) -> str:
    text: str = lxml.html.tostring(node, encoding="unicode", method="html", with_tail=with_tail)
    return text


def _comment_text(text: str) -> str:
    """Comment text made legal: ``--`` may not appear inside an HTML/XML comment."""
    while "--" in text:
        text = text.replace("--", "-%2D")
    return text[:-1] + "%2D" if text.endswith("-") else text


def _comment(text: str) -> etree._Element:
    return etree.Comment(_comment_text(text))


def _replace(node: etree._Element, new: etree._Element) -> None:
    """Put ``new`` where ``node`` was, keeping the text that followed it."""
    parent = node.getparent()
    new.tail = node.tail
    if parent is None:
        return
    parent.replace(node, new)
