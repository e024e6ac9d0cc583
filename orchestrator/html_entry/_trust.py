"""Which origins a rule list allows (``trusted_origins``): exact origins, ``*`` or ``loopback``."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from .._lru import LRUCache

__all__ = ["OriginRules"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


class OriginRules:
    """A parsed origin allow-list with a per-URL answer cache (asked once per script URL)."""

    def __init__(self, origins: Iterable[str], *, cache_size: int = 512) -> None:
        self.origins = tuple(origins)
        self._rules = [_parse_origin(origin) for origin in self.origins]
        self._answers: LRUCache[str, bool] = LRUCache(cache_size)

    def allows(self, url: str) -> bool:
        """Whether ``url``'s origin matches one of the rules."""
        allowed = self._answers.get(url)
        if allowed is None:
            origin = _parse_origin(url)
            allowed = any(_origin_matches(rule, origin) for rule in self._rules)
            self._answers[url] = allowed
        return allowed


_Origin = tuple[str, str, int | None]


def _parse_origin(value: str) -> _Origin:
    if value in ("*", "loopback"):
        return (value, "", None)
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = None
    return (scheme, (parts.hostname or "").lower(), port)


def _origin_matches(rule: _Origin, origin: _Origin) -> bool:
    scheme, host, _port = origin
    if rule[0] == "*":
        return True
    if rule[0] == "loopback":
        return scheme in ("http", "https") and _is_loopback_host(host)
    return rule == origin


def _is_loopback_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
