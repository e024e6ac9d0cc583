"""An app's wrapper rebased onto the shell's origin: URLs on the app's own origin become paths
under the composer's asset proxy (``<asset_path><app>/<path>``).

A browser then never needs CORS or a route to the app's server: images, fonts in the inlined CSS
and passthrough scripts all come from the page's origin, and no internal URL reaches the page.
Relative URLs of resources resolve against the app's entry, as they would on the app's own page;
relative links and form actions do too, but root-relative ones (``/product/3``) are the shell's
routes and stay as they are.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from lxml import etree

from css_scoper import rewrite_urls

from ._urls import resolve_url

__all__ = ["Rebase"]

#: Attributes that load a resource, by element ("*": any element).
_RESOURCE = {
    "src": "*",
    "srcset": "*",
    "poster": "*",
    "data": frozenset({"object"}),
    "href": frozenset({"link"}),
}
#: Attributes that navigate: rebased only when relative to the document, not to the root.
_NAVIGATION = {"href": frozenset({"a", "area"}), "action": frozenset({"form"})}


@dataclass(frozen=True)
class Rebase:
    """URLs on ``origin`` (the app's entry origin, ``scheme://host[:port]``) mapped to ``prefix``
    (``/_mfe/<app>/``); ``base_url`` is what relative URLs of the template are relative to."""

    origin: str
    prefix: str
    base_url: str

    @classmethod
    def for_app(cls, asset_path: str, app_name: str, entry_url: str, base_url: str) -> Rebase:
        parts = urlsplit(entry_url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        return cls(origin, f"{asset_path}{quote(app_name, safe='')}/", base_url)

    def url(self, url: str) -> str:
        """``url`` (absolute) as the page should name it."""
        head = url[: len(self.origin)]
        if head.lower() != self.origin:
            return url
        rest = url[len(self.origin) :]
        if rest and rest[0] not in "/?#":
            return url  # a longer port or host: another origin
        return self.prefix + rest.lstrip("/")

    @functools.cached_property
    def _absolute(self) -> re.Pattern[str]:
        return re.compile(re.escape(self.origin) + "/", re.IGNORECASE)

    def text(self, text: str) -> str:
        """Any text (CSS, a comment) with the app origin's absolute URLs mapped."""
        prefix = self.prefix
        return self._absolute.sub(lambda _: prefix, text)

    def css(self, css: str) -> str:
        """Inline CSS (a ``style`` attribute): relative URLs resolved, then mapped."""
        if "url(" not in css.lower():
            return css
        return self.text(rewrite_urls(css, self.base_url))

    def attribute(self, tag: str, name: str, value: str) -> str:
        kinds = _RESOURCE.get(name)
        if kinds is not None and (kinds == "*" or tag in kinds):
            if name == "srcset":
                return self._srcset(value)
            return self._resolved(value, navigation=False)
        kinds = _NAVIGATION.get(name)
        if kinds is not None and tag in kinds:
            return self._resolved(value, navigation=True)
        return value

    def tree(self, root: etree._Element) -> None:
        """Rebase every element, comment and ``<style>`` under ``root``, in place."""
        for node in root.iter():
            if isinstance(node, etree._Comment):
                if node.text:
                    node.text = self.text(node.text)
                continue
            tag = node.tag if isinstance(node.tag, str) else ""
            if tag == "style" and node.text:
                node.text = self.text(node.text)
            for key, raw in node.attrib.items():
                name, value = str(key), str(raw)
                rebased = self.css(value) if name == "style" else self.attribute(tag, name, value)
                if rebased != value:
                    node.set(name, rebased)

    def _resolved(self, value: str, *, navigation: bool) -> str:
        ref = value.strip()
        if not ref or ref.startswith("#"):
            return value
        if navigation and (ref.startswith("/") or ref.startswith("?")):
            return value  # the shell's routes
        try:
            absolute = resolve_url(self.base_url, ref)
        except ValueError:
            return value
        return self.url(absolute)

    def _srcset(self, value: str) -> str:
        items = []
        for candidate in value.split(","):
            parts = candidate.strip().split(None, 1)
            if not parts:
                continue
            url = self._resolved(parts[0], navigation=False)
            items.append(" ".join([url, *parts[1:]]))
        return ", ".join(items)
