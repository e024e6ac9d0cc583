"""``Location`` and ``History``: URLs change at once; events go to ``on_change``.

The history never dispatches to a window itself: the orchestrator's ``on_change`` decides when
listeners run (single-spa runs apps' captured ``popstate``/``hashchange`` listeners after unmounts).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias
from urllib.parse import urlsplit

from sandbox import Event

from ._tasks import TaskSet
from ._urls import normalize_url, resolve_url

__all__ = ["History", "Location", "NavigationResult", "OnChange", "normalize_url"]


OnChange: TypeAlias = Callable[[Event], "Awaitable[Any] | Any"]
"""Called once per event a browser would fire; may return an awaitable to resolve to."""


@dataclass(frozen=True, slots=True)
class _Parts:
    protocol: str
    host: str
    hostname: str
    port: str
    pathname: str
    search: str
    hash: str
    href: str
    route: str


def _parse(url: str) -> _Parts:
    """Split and normalise an absolute URL as ``new URL(url)`` would, keeping a bare ``?``/``#``."""
    url = url.strip()
    if not urlsplit(url).scheme:
        raise ValueError(f"not an absolute URL: {url!r} (give a scheme, e.g. 'http://localhost/')")
    url = normalize_url(url)  # the importer's WHATWG-style normalisation: one for the project
    parts = urlsplit(url)
    scheme = parts.scheme
    hierarchical = bool(parts.netloc) or url[len(scheme) + 1 :].startswith("//")
    try:
        hostname = (parts.hostname or "").lower()
        port = "" if parts.port is None else str(parts.port)
    except ValueError as error:
        raise ValueError(f"invalid host or port in URL {url!r}: {error}") from None
    shown_hostname = f"[{hostname}]" if ":" in hostname else hostname
    host = f"{shown_hostname}:{port}" if port else shown_hostname
    path = parts.path or ("/" if hierarchical else "")
    before_hash, has_hash, _ = url.partition("#")
    has_query = "?" in before_hash
    query = parts.query if has_query else ""
    fragment = parts.fragment if has_hash else ""
    protocol = scheme + ":"
    href = protocol + ("//" + host if hierarchical else "") + path
    if has_query:
        href += "?" + query
    if has_hash:
        href += "#" + fragment
    return _Parts(
        protocol=protocol,
        host=host,
        hostname=hostname,
        port=port,
        pathname=path,
        search="?" + query if query else "",
        hash="#" + fragment if fragment else "",
        href=href,
        route=path + ("#" + fragment.partition("?")[0] if has_hash else ""),
    )


def _without_fragment(href: str) -> str:
    return href.partition("#")[0]


def _fragment(href: str) -> str | None:
    """The fragment, or ``None`` without any ``#`` (``x#`` and ``x`` differ, as in a browser)."""
    _, has_hash, fragment = href.partition("#")
    return fragment if has_hash else None


class NavigationResult:
    """What a navigation returns: awaitable for the work ``on_change`` started, or ignorable.

    The URL has already changed when this exists. With a running loop, the awaitables are
    scheduled at once so the work happens whether or not anybody awaits; without one they start
    when awaited, and a result dropped unawaited drops its coroutines quietly (the next reroute
    sees the new URL anyway).
    """

    __slots__ = ("_keep", "_pending", "events")

    def __init__(
        self,
        events: Sequence[Event] = (),
        awaitables: Sequence[Awaitable[Any]] = (),
        keep: TaskSet | None = None,
    ) -> None:
        self.events: tuple[Event, ...] = tuple(events)
        """The events ``on_change`` was called with, in order."""
        self._keep = keep
        self._pending: list[Awaitable[Any]] = list(awaitables)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self._start()

    def _start(self) -> None:
        """Turn awaitables into futures; ``keep`` holds them so none is collected mid-flight."""
        started: list[Awaitable[Any]] = []
        for awaitable in self._pending:
            if isinstance(awaitable, asyncio.Future):
                started.append(awaitable)
            elif self._keep is not None:
                started.append(self._keep.spawn(awaitable))
            else:
                started.append(asyncio.ensure_future(awaitable))
        self._pending = started

    @property
    def done(self) -> bool:
        """True when nothing is left to wait for."""
        return all(isinstance(a, asyncio.Future) and a.done() for a in self._pending)

    async def _wait(self) -> Any:
        self._start()
        value: Any = None
        for future in self._pending:
            # shielded: a cancelled waiter leaves the shared work (a reroute) running
            value = await asyncio.shield(future)
        return value

    def __del__(self) -> None:
        for awaitable in self._pending:
            if inspect.iscoroutine(awaitable):
                awaitable.close()

    def __await__(self) -> Generator[Any, None, Any]:
        return self._wait().__await__()

    def __repr__(self) -> str:
        kinds = ", ".join(event.type for event in self.events)
        return f"<NavigationResult events=[{kinds}] done={self.done}>"


@dataclass(slots=True)
class _Entry:
    url: _Parts
    state: Any


class Location:
    """Like ``window.location``: the parts of the URL; setting ``href``/``hash`` navigates."""

    def __init__(self, url: str = "http://localhost/") -> None:
        self._parts = _parse(url)
        self._history: History | None = None

    def _set(self, href: str | _Parts) -> None:
        self._parts = href if isinstance(href, _Parts) else _parse(href)

    @property
    def href(self) -> str:
        return self._parts.href

    @href.setter
    def href(self, url: str) -> None:
        self.assign(url)

    @property
    def protocol(self) -> str:
        return self._parts.protocol

    @property
    def host(self) -> str:
        return self._parts.host

    @property
    def hostname(self) -> str:
        return self._parts.hostname

    @property
    def port(self) -> str:
        return self._parts.port

    @property
    def origin(self) -> str:
        """``protocol//host``; ``"null"`` for URLs without a host (``about:``, ``data:``)."""
        return self._origin_of(self._parts)

    @property
    def pathname(self) -> str:
        return self._parts.pathname

    @pathname.setter
    def pathname(self, value: str) -> None:
        path = value if value.startswith("/") else "/" + value
        self.assign(self.origin + path + self.search + self.hash)

    @property
    def route(self) -> str:
        """Pathname + hash without any query: what single-spa path rules match against."""
        return self._parts.route

    @property
    def search(self) -> str:
        return self._parts.search

    @search.setter
    def search(self, value: str) -> None:
        query = value[1:] if value.startswith("?") else value
        base = _without_fragment(self.href).partition("?")[0]
        self.assign(base + ("?" + query if query else "") + self.hash)

    @property
    def hash(self) -> str:
        return self._parts.hash

    @hash.setter
    def hash(self, value: str) -> None:
        fragment = value[1:] if value.startswith("#") else value
        target = _without_fragment(self.href) + "#" + fragment
        if target != self.href:
            self.assign(target)

    def resolve(self, url: str) -> str:
        """The absolute, normalised URL ``url`` means on this page (resolved against href)."""
        return self._resolve(url).href

    def _resolve(self, url: str) -> _Parts:
        # the project's one resolver (the importer's): ``?`` keeps its empty query, as browsers do
        return _parse(resolve_url(self.href, url))

    def _origin_of(self, parts: _Parts) -> str:
        if not parts.host and parts.protocol != "file:":
            return "null"
        return f"{parts.protocol}//{parts.host}"

    def assign(self, url: str) -> NavigationResult:
        """Navigate to ``url`` in a new history entry (like ``location.assign``)."""
        return self._navigate(url, replace=False)

    def replace(self, url: str) -> NavigationResult:
        """Navigate to ``url`` replacing the current entry (like ``location.replace``)."""
        return self._navigate(url, replace=True)

    def _navigate(self, url: str, *, replace: bool) -> NavigationResult:
        if self._history is None:
            self._set(self.resolve(url))
            return NavigationResult()
        return self._history.assign(url, replace=replace)

    def __str__(self) -> str:
        return self.href

    def __repr__(self) -> str:
        return f"Location({self.href!r})"


#: Session history entries kept per tab, as in Chrome; long-lived tabs stay bounded.
MAX_HISTORY_LENGTH = 50


class History:
    """Like ``window.history``: an entry stack; every change is reported to ``on_change``."""

    def __init__(
        self,
        location: Location,
        on_change: OnChange | None = None,
        *,
        max_length: int = MAX_HISTORY_LENGTH,
    ) -> None:
        if max_length < 1:
            raise ValueError(f"History max_length must be at least 1, got {max_length}")
        self.max_length = max_length
        """Entries kept; the oldest go first, as browsers cap session history (Chrome: 50)."""
        self.location = location
        self.on_change: OnChange | None = on_change
        """Set by the orchestrator; called with each event the browser would fire for a change."""
        self._entries: list[_Entry] = [_Entry(location._parts, None)]
        self._index = 0
        self._tasks = TaskSet()
        location._history = self

    @property
    def state(self) -> Any:
        return self._entries[self._index].state

    @property
    def length(self) -> int:
        return len(self._entries)

    @property
    def index(self) -> int:
        """Position of the current entry in the stack (0-based); not in browsers, handy in tests."""
        return self._index

    def _same_origin(self, url: str | None, method: str) -> _Parts:
        location = self.location
        if url is None:
            return location._parts
        target = location._resolve(url)
        origin = location.origin
        if location._origin_of(target) == origin and origin != "null":
            return target
        if method in ("pushState", "replaceState"):
            raise ValueError(
                f"Failed to execute '{method}' on 'History': a history state object with URL "
                f"'{target.href}' cannot be created in a document with origin '{origin}' and URL "
                f"'{location.href}'"
            )
        raise ValueError(
            f"cannot {method} '{target.href}': a headless tab stays on its origin '{origin}' "
            "(another origin would be a full page load)"
        )

    def _commit(self, target: _Parts, state: Any, *, replace: bool) -> str:
        old_url = self.location.href
        entry = _Entry(target, state)
        if replace:
            self._entries[self._index] = entry
        else:
            del self._entries[self._index + 1 :]
            self._entries.append(entry)
            self._index += 1
            if len(self._entries) > self.max_length:
                dropped = len(self._entries) - self.max_length
                del self._entries[:dropped]
                self._index -= dropped
        self.location._set(target)
        return old_url

    def _fire(self, events: Sequence[Event]) -> NavigationResult:
        awaitables: list[Awaitable[Any]] = []
        for event in events:
            handler = self.on_change
            if handler is None:
                continue
            returned = handler(event)
            if inspect.isawaitable(returned):
                awaitables.append(returned)
        return NavigationResult(events, awaitables, self._tasks)

    def _state_change(self, state: Any, url: str | None, *, replace: bool) -> NavigationResult:
        trigger = "replaceState" if replace else "pushState"
        target = self._same_origin(url, trigger)
        new_url = target.href
        old_url = self._commit(target, state, replace=replace)
        event = Event(
            "popstate",
            state=state,
            single_spa=True,
            single_spa_trigger=trigger,
            old_url=old_url,
            new_url=new_url,
        )
        return self._fire([event])

    def push_state(self, state: Any, title: str = "", url: str | None = None) -> NavigationResult:
        """Add an entry (dropping forward ones); report one synthetic ``popstate`` (single-spa)."""
        return self._state_change(state, url, replace=False)

    def replace_state(
        self, state: Any, title: str = "", url: str | None = None
    ) -> NavigationResult:
        """Replace the current entry and report one synthetic ``popstate``, as single-spa does."""
        return self._state_change(state, url, replace=True)

    def _arrival_events(self, old_url: str, new_url: str, state: Any) -> list[Event]:
        events = [Event("popstate", state=state, old_url=old_url, new_url=new_url)]
        if _fragment(old_url) != _fragment(new_url):
            events.append(Event("hashchange", old_url=old_url, new_url=new_url))
        return events

    def go(self, delta: int = 0) -> NavigationResult:
        """Move ``delta`` entries; out of range (or 0: no reload headless) is a no-op."""
        target = self._index + delta
        if delta == 0 or not 0 <= target < len(self._entries):
            return NavigationResult()
        old_url = self.location.href
        self._index = target
        entry = self._entries[target]
        self.location._set(entry.url)
        return self._fire(self._arrival_events(old_url, entry.url.href, entry.state))

    def back(self) -> NavigationResult:
        return self.go(-1)

    def forward(self) -> NavigationResult:
        return self.go(1)

    def assign(self, url: str, *, replace: bool = False) -> NavigationResult:
        """The browser's ``location.assign``/``replace``, minus the page load (headless has none).

        A fragment-only change reports ``popstate`` then ``hashchange``; any other change one
        ``popstate``. Going to the current URL replaces the entry, as browsers do. Other origins
        raise ``ValueError``.
        """
        target = self._same_origin(url, "replace" if replace else "assign")
        new_url = target.href
        old_url = self.location.href
        same_document = _without_fragment(old_url) == _without_fragment(new_url)
        self._commit(target, None, replace=replace or new_url == old_url)
        if same_document and _fragment(new_url) is not None:
            return self._fire(self._arrival_events(old_url, new_url, None))
        return self._fire([Event("popstate", state=None, old_url=old_url, new_url=new_url)])

    def __repr__(self) -> str:
        return f"<History length={self.length} index={self._index} url={self.location.href!r}>"
