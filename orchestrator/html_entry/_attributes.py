"""A guard against elements with too many attributes, checked before an entry is parsed.

libxml2's tree builder appends each attribute by walking the element's list, so one start tag
with n attributes costs n² (32,000 attributes, a 277 KB page: 1.5 s of CPU). The tokenizer alone
is linear. So a page is checked in three steps, each only if the one before finds a suspect:
two plain scans (C-speed) for what such a tag needs, a scan of start tags that counts their
attributes as HTML's tokenizer reads them, and an exact count by libxml2's tokenizer with no tree.
"""

from __future__ import annotations

import re

from lxml import etree

from ..errors import EntrySyntaxError

MAX_ATTRIBUTES = 512
"""The default limit: far above real markup, and it bounds the quadratic to a few times a parse."""
SMALL_PAGE = 8_192
"""Pages this short are not checked: all their attributes on one element cost at most ~6 ms."""

_WS = r"\t\n\f\r "
# one attribute as HTML's tokenizer reads it: a name (which may begin with '='), then perhaps
# '=' and a quoted or unquoted value; atomic groups, so a name or value is never split in two
_ATTRIBUTE = (
    rf"(?>[^{_WS}/>][^{_WS}/>=]*+)"
    rf"(?>[{_WS}]*+=[{_WS}]*+(?>\"[^\"]*+\"|'[^']*+'|[^{_WS}>\"'][^{_WS}>]*+)?)?"
)
_START_TAG = re.compile(rf"<[A-Za-z][^{_WS}/>]*+((?>[{_WS}/]*+{_ATTRIBUTE})*+)")
_ATTRIBUTES = re.compile(rf"[{_WS}/]*+{_ATTRIBUTE}")
# a quoted attribute value holding '>' (the only way a start tag can contain one)
_QUOTED_GT = re.compile(rf"=[{_WS}]*+(?:\"[^\">]*+|'[^'>]*+)>")


def _long_run(html: str, length: int) -> bool:
    """Whether a ``<`` and a letter begin a run of ``length`` characters without a ``>``."""
    return re.search(rf"<[A-Za-z][^>]{{{length}}}", html) is not None  # re caches the pattern


class _Counter:
    """A parser target that only counts each start tag's attributes (no tree is built)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.worst: tuple[str, int] | None = None

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if len(attrib) > self.limit and (self.worst is None or len(attrib) > self.worst[1]):
            self.worst = (tag, len(attrib))

    def close(self) -> tuple[str, int] | None:
        return self.worst


def check_attributes(html: str, limit: int, where: str | None) -> None:
    """Raise ``EntrySyntaxError`` if an element of ``html`` has more than ``limit`` attributes."""
    if len(html) <= max(2 * limit, SMALL_PAGE) or not _suspect(html, limit):
        return
    worst = _most_attributes(html, limit)
    if worst is not None:
        tag, count = worst
        raise EntrySyntaxError(
            where or "entry",
            f"refused: a <{tag}> element has {count} attributes, over max_attributes {limit} "
            "(building such an element costs time quadratic in its attributes)",
        )


def _suspect(html: str, limit: int) -> bool:
    """Whether a start tag of ``html`` may have more than ``limit`` attributes (never a miss)."""
    # an attribute takes at least two characters ('a ' or 'a=""'), so a start tag with more is
    # longer than ``shortest``: it runs that far with no '>', or holds a '>' in a quoted value
    shortest = 2 * limit
    if _QUOTED_GT.search(html) is None and not _long_run(html, shortest):
        return False
    for match in _START_TAG.finditer(html):
        start, end = match.span(1)  # after the tag's name
        # this count is never below libxml2's (a script's text may pass for markup here)
        if (
            end - start > shortest
            and sum(1 for _ in _ATTRIBUTES.finditer(html, start, end)) > limit
        ):
            return True
    return False


def _most_attributes(html: str, limit: int) -> tuple[str, int] | None:
    """The element with the most attributes over ``limit``, as libxml2 reads ``html``."""
    counter = _Counter(limit)
    # a target with only start() and close(): lxml calls no Python for text, ends or comments
    parser = etree.HTMLParser(target=counter, huge_tree=True)  # type: ignore[arg-type]
    try:
        etree.fromstring(html, parser)
    except etree.ParserError:
        return None  # no document at all: the page parser reads it as an empty one
    return counter.worst
