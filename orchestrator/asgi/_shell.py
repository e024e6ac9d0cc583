"""The shell cut at its app containers, so a page can be sent piece by piece (Tailor's model).

Cut once per configuration: ``segments[i]`` is the shell's HTML before slot ``i`` (and after slot
``i - 1``), ``slots[i]`` the app whose container that is, with what the shell had in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..dom import Document, inner_html, set_inner_html

__all__ = ["ShellCut", "Slot", "cut_shell"]


@dataclass(frozen=True)
class Slot:
    """One container of the shell: the app mounted into it and the shell's own content of it."""

    app: str
    container: str
    shell_content: str


@dataclass(frozen=True)
class ShellCut:
    segments: tuple[str, ...]
    slots: tuple[Slot, ...]

    def __post_init__(self) -> None:
        if len(self.segments) != len(self.slots) + 1:
            raise ValueError("a shell cut has one more segment than slots")


def cut_shell(shell_html: str, containers: Iterable[tuple[str, str]]) -> ShellCut:
    """Cut ``shell_html`` at each ``(app, container selector)`` found in it, in document order.

    A container the shell does not have (it lives in another app's template), or one inside
    another slot, is not a slot of its own: it arrives with the content around it.
    """
    document = Document(shell_html)
    found = []
    for app, selector in containers:
        element = document.query_selector(selector)
        if element is not None:
            found.append((app, selector, element))
    order = {id(e): i for i, e in enumerate(document.root.iter())}
    found.sort(key=lambda item: order.get(id(item[2]), 0))
    chosen: list[tuple[str, str, object]] = []
    for app, selector, element in found:
        if any(_inside(element, outer) for _, _, outer in chosen):
            continue
        if any(other is element for _, _, other in chosen):
            continue  # two apps sharing one container: the first one in order owns the slot
        chosen.append((app, selector, element))
    markers: list[str] = []
    slots: list[Slot] = []
    for index, (app, selector, element) in enumerate(chosen):
        marker = f"mfe-slot-{index}-{id(element):x}"
        slots.append(Slot(app=app, container=selector, shell_content=inner_html(element)))
        set_inner_html(element, f"<!--{marker}-->")
        markers.append(f"<!--{marker}-->")
    html = document.html
    segments: list[str] = []
    for marker in markers:
        before, html = html.split(marker, 1)
        segments.append(before)
    segments.append(html)
    return ShellCut(segments=tuple(segments), slots=tuple(slots))


def _inside(element: object, outer: object) -> bool:
    parent = getattr(element, "getparent", lambda: None)()
    while parent is not None:
        if parent is outer:
            return True
        parent = parent.getparent()
    return False


def join_cut(cut: ShellCut, contents: Sequence[str]) -> str:
    """The whole page: each slot filled with ``contents[i]``."""
    parts = [cut.segments[0]]
    for content, segment in zip(contents, cut.segments[1:], strict=True):
        parts.extend((content, segment))
    return "".join(parts)
