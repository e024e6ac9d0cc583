"""Activity rules: when an app is active for a URL (single-spa's ``pathToActiveWhen``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

if TYPE_CHECKING:
    from .navigation import Location

__all__ = [
    "ActiveWhen",
    "ActivityFunction",
    "LocationLike",
    "PathActivity",
    "path_to_active_when",
    "route_of",
    "sanitize_active_when",
]

ActivityFunction: TypeAlias = "Callable[[Location], bool]"
"""What every ``active_when`` becomes: true for the locations where the app should be mounted."""

ActiveWhen: TypeAlias = (
    "str | Callable[[Location], Any] | Sequence[str | Callable[[Location], Any]]"
)
"""What users may pass as ``active_when``: a path, a predicate, or a list mixing both."""


_RELATIVE_BASE = "http://localhost/"
"""Strings without a scheme (``/app1?x``) are read as paths of this origin."""


class LocationLike(Protocol):
    """Anything with an ``href`` (a full URL) can be tested against a path rule."""

    @property
    def href(self) -> str: ...


def route_of(location: LocationLike | str) -> str:
    """What single-spa matches paths against: pathname + hash, with every query string cut off."""
    if isinstance(location, str):
        from .navigation import Location

        return Location(Location(_RELATIVE_BASE).resolve(location)).route
    else:
        given_path: object = getattr(location, "pathname", None)
        given_hash: object = getattr(location, "hash", None)
        if not isinstance(given_path, str) or not isinstance(given_hash, str):
            return route_of(location.href)
        pathname, hash_ = given_path or "/", given_hash
    query_at = hash_.find("?")
    if query_at != -1:
        hash_ = hash_[:query_at]
    return pathname + hash_


def _path_regex(path: str, exact_match: bool) -> str:
    """Translate a path into its anchored regex source, scanning it as single-spa does."""
    if not path.startswith("/"):
        path = "/" + path
    regex = "^"
    in_dynamic = False
    last = 0

    def append(end: int) -> None:
        nonlocal regex, in_dynamic, last
        regex += "[^/]+/?" if in_dynamic else re.escape(path[last:end])
        if end == len(path):
            if in_dynamic:
                if exact_match:
                    regex += "$"
            else:
                tail = "" if exact_match else ".*"
                regex += f"{tail}$" if regex.endswith("/") else f"(/{tail})?(#.*)?$"
        in_dynamic = not in_dynamic
        last = end

    for index, char in enumerate(path):
        if (not in_dynamic and char == ":") or (in_dynamic and char == "/"):
            append(index)
    append(len(path))
    return regex


class PathActivity:
    """The activity function of one path string; compiled once, cheap to call on every reroute."""

    __slots__ = ("_match", "exact_match", "path", "pattern")

    def __init__(self, path: str, exact_match: bool = False) -> None:
        if not isinstance(path, str):
            raise TypeError(f"path must be a string, got {type(path).__name__}")
        self.path = path
        self.exact_match = exact_match
        self.pattern = re.compile(_path_regex(path, exact_match), re.IGNORECASE)
        self._match = self.pattern.match

    def __call__(self, location: Location | LocationLike | str) -> bool:
        route = getattr(location, "route", None)
        if not isinstance(route, str):
            route = route_of(location)
        return self._match(route) is not None

    def __repr__(self) -> str:
        exact = ", exact_match=True" if self.exact_match else ""
        return f"PathActivity({self.path!r}{exact})"


def path_to_active_when(path: str, exact_match: bool = False) -> PathActivity:
    """The activity function a path string becomes (single-spa's prefix rules)."""
    return PathActivity(path, exact_match)


def _describe(value: object) -> str:
    return "None" if value is None else type(value).__name__


def _one(item: object, where: str) -> ActivityFunction:
    if isinstance(item, str):
        return PathActivity(item)
    if isinstance(item, PathActivity):
        return item
    if callable(item):
        predicate: Callable[[Location], Any] = item

        def truthy(location: Location) -> bool:
            return bool(predicate(location))

        truthy.__wrapped__ = predicate  # type: ignore[attr-defined]
        return truthy
    raise TypeError(
        f"{where} must be a string, a callable or a list of them, got {_describe(item)}"
    )


def sanitize_active_when(active_when: ActiveWhen) -> ActivityFunction:
    """Turn a path, a predicate or a list of them into one function, true when any part is."""
    if isinstance(active_when, str) or callable(active_when):
        return _one(active_when, "active_when")
    if not isinstance(active_when, (list, tuple)):
        raise TypeError(
            "active_when must be a string, a callable or a list of them, "
            f"got {_describe(active_when)}"
        )
    parts = tuple(_one(item, f"active_when[{i}]") for i, item in enumerate(active_when))
    if len(parts) == 1:
        return parts[0]

    def any_active(location: Location) -> bool:
        return any(part(location) for part in parts)

    return any_active
