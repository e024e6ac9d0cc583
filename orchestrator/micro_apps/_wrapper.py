"""The element an HTML-entry app lives in: qiankun's wrapper ``<div>`` around the app's template.

The wrapper is built once per loaded app (stylesheets inlined, scoped, JavaScript carried along)
and deep-copied for every mount, so remounting never re-parses, re-fetches or re-scopes.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import lxml.html
from lxml import etree

from css_scoper import app_prefix

from .._rebase import Rebase
from .._version import __version__
from ._styles import StyleContext, inline_style

if TYPE_CHECKING:
    from ..html_entry import EntryLoader, ImportedEntry, Script, Style

__all__ = [
    "ScriptMode",
    "WrapperOptions",
    "build_wrapper",
    "fresh_copy",
    "snake_case",
    "wrapper_id",
]

ScriptMode = Literal["passthrough", "drop"]

#: lodash's ``words``: acronyms, capitalised words, lower runs, digit runs, non-ASCII runs.
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\x00-\x7f]+")


def snake_case(name: str) -> str:
    """lodash ``snakeCase``: ``react16`` → ``react_16``, ``XMLHttpApp`` → ``xml_http_app``."""
    return "_".join(word.lower() for word in _WORD.findall(name))


def wrapper_id(name: str) -> str:
    """The id qiankun gives an app's wrapper ``<div>``."""
    return f"__qiankun_microapp_wrapper_for_{snake_case(name)}__"


@dataclass(frozen=True)
class WrapperOptions:
    """How an app's wrapper is built, from the ``sandbox`` and ``script_mode`` start options."""

    sandbox: bool | dict[str, Any] = True
    script_mode: ScriptMode = "passthrough"
    exclude_asset_filter: Callable[[str], bool] | None = None
    asset_path: str | None = None
    """Where the shell's origin serves apps' files (``/_mfe/``): URLs on an app's entry origin
    become ``<asset_path><app>/<path>`` (the composer's asset proxy); ``None`` leaves them."""

    @property
    def strict_style_isolation(self) -> bool:
        return isinstance(self.sandbox, dict) and bool(self.sandbox.get("strict_style_isolation"))

    @property
    def scoped_css(self) -> bool:
        """qiankun's ``experimentalStyleIsolation``; strict (shadow DOM) isolation wins over it."""
        return (
            isinstance(self.sandbox, dict)
            and not self.strict_style_isolation
            and bool(self.sandbox.get("experimental_style_isolation"))
        )

    @property
    def key(self) -> tuple[str, str, int, str | None]:
        """What tells two ways of building a wrapper apart (for the loader's wrapper cache)."""
        sandbox = json.dumps(self.sandbox, sort_keys=True)
        return (sandbox, self.script_mode, id(self.exclude_asset_filter), self.asset_path)

    def excluded(self, url: str | None) -> bool:
        return (
            url is not None
            and self.exclude_asset_filter is not None
            and bool(self.exclude_asset_filter(url))
        )


async def build_wrapper(
    instance_id: str,
    imported: ImportedEntry,
    style_texts: Sequence[str | None],
    options: WrapperOptions,
    loader: EntryLoader,
    *,
    app_name: str | None = None,
) -> etree._Element:
    """The wrapper with the app's template, ready to be copied into its container.

    ``style_texts`` holds each stylesheet's CSS in order, ``None`` for one left to the browser
    (``exclude_asset_filter``). External CSS is inlined with its ``@import``s inlined and its
    ``url()``s made absolute and, with scoped CSS, every ``<style>`` is prefixed with
    ``div[data-qiankun="<instance_id>"]``; no inlined text can end its ``<style>`` element.
    """
    wrapper: etree._Element = lxml.html.Element(
        "div",
        {
            "id": wrapper_id(instance_id),
            "data-name": instance_id,
            "data-version": __version__,
            "data-sandbox-cfg": json.dumps(options.sandbox, separators=(",", ":")),
        },
    )
    prefix = app_prefix(instance_id) if options.scoped_css else None
    if prefix is not None:
        wrapper.set("data-qiankun", instance_id)
    context = StyleContext(
        loader=loader,
        app_name=app_name or instance_id,
        entry_url=imported.url,
        prefix=prefix,
        imports_left=loader.max_assets,
    )
    inlined = []
    for style, text in zip(imported.styles, style_texts, strict=True):
        base = style.href or imported.base_url
        inlined.append("" if text is None else await inline_style(text, base, context))
    embedded: list[tuple[int, etree._Element]] = []
    nodes = imported.template_fragment(inlined, embedded=embedded)
    await asyncio.sleep(0)  # a large stylesheet took a while to embed: let others run
    ready = {id(element): index for index, element in embedded}
    holder: etree._Element = wrapper
    if options.strict_style_isolation:
        holder = etree.SubElement(wrapper, "template", {"shadowrootmode": "open"})
    holder.extend(nodes)
    for element in list(holder.iter("style")):
        index = ready.get(id(element))
        if index is None:  # a <style> of the template itself
            element.text = await inline_style(element.text or "", imported.base_url, context)
        elif style_texts[index] is None:  # left to the browser (exclude_asset_filter)
            _replace(element, _browser_link(imported.styles[index]))
    if options.script_mode == "passthrough":
        for script in imported.scripts:
            if not script.is_python:
                holder.append(_browser_script(script))
    entry_url = imported.requested_url
    if options.asset_path is not None and entry_url and "://" in entry_url:
        name = app_name or instance_id
        Rebase.for_app(options.asset_path, name, entry_url, imported.base_url).tree(holder)
    return wrapper


def fresh_copy(prototype: etree._Element) -> etree._Element:
    """A mountable copy of a built wrapper (a deep copy: no parse, no fetch)."""
    duplicate: etree._Element = copy.deepcopy(prototype)
    return duplicate


def _browser_link(style: Style) -> etree._Element:
    """A ``<link>`` for a stylesheet left to the browser, with the attributes it came with
    (``integrity`` and ``crossorigin`` included) and an absolute ``href``."""
    attrs = {key: value for key, value in style.attrs.items() if key not in ("href", "ignore")}
    attrs["rel"] = "stylesheet"
    attrs["href"] = style.href or ""
    if style.integrity:
        attrs["integrity"] = style.integrity
    element: etree._Element = lxml.html.Element("link", attrs)
    return element


def _browser_script(script: Script) -> etree._Element:
    """A ``<script>`` for the browser to run, as the entry declared it, with an absolute ``src``."""
    skip = {"src", "entry", "ignore"}
    attrs = {key: value for key, value in script.attrs.items() if key not in skip}
    if script.src is not None:
        attrs["src"] = script.src
    element: etree._Element = lxml.html.Element("script", attrs)
    if script.src is None:
        element.text = script.content or ""
    return element


def _replace(old: etree._Element, new: etree._Element) -> None:
    new.tail = old.tail
    parent = old.getparent()
    if parent is not None:
        parent.replace(old, new)
