"""Garfish's router rules: which path an app is active on, and the ``basename`` it gets.

``active_when`` as a string: a leading ``/`` is added and every non-empty segment must equal the
path's segment at the same index (``/vue`` matches ``/vue/x``, not ``/vuex``; ``/`` matches every
path); as a callable it is asked ``active_when(path)``. The path is the URL's path with the
``basename`` stripped from its start (escaped here; Garfish puts it in a RegExp unescaped).
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["app_root_path", "get_path", "has_active", "under_basename"]

ActiveWhen = str | Callable[[str], bool]


def get_path(basename: str, pathname: str) -> str:
    """Garfish's ``getPath``: ``pathname`` without a leading ``basename``."""
    if basename in ("/", ""):
        return pathname
    return re.sub(f"^/?{re.escape(basename.lstrip('/'))}", "", pathname, count=1)


def under_basename(basename: str, pathname: str) -> bool:
    """Whether ``pathname`` is the ``basename`` or below it. Garfish does not ask: outside its
    basename an app is matched against the whole path (``/one`` with basename ``/demo``
    activates ``active_when="/one"``), and ``/demo2`` counts as under ``/demo``; we do."""
    base = "/" + basename.strip("/")
    if base == "/":
        return True
    return pathname == base or pathname.startswith(base + "/")


def has_active(active_when: ActiveWhen, path: str) -> bool:
    """Garfish's ``hasActive``."""
    if isinstance(active_when, str):
        rule = active_when if active_when.startswith("/") else f"/{active_when}"
        if rule == "/" and path == rule:
            return True
        parts = path.split("/")
        for index, segment in enumerate(rule.split("/")):
            if segment and (index >= len(parts) or parts[index] != segment):
                return False
        return True
    return bool(active_when(path))


def app_root_path(active_when: ActiveWhen, basename: str, pathname: str) -> str:
    """Garfish's ``getAppRootPath``: ``basename`` + ``active_when``, or for a callable the
    shortest start of the path it accepts (the ``basename`` a routed app is given)."""
    root = "" if basename == "/" else basename
    if isinstance(active_when, str):
        return root + active_when
    path = get_path(basename, pathname)
    if not path:
        return root
    prefix = path[0]
    for char in path[1:]:
        if not active_when(prefix):
            prefix += char
    return root + prefix
