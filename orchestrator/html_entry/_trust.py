"""Who may be fetched and trusted: origin rules (``trusted_origins``, ``asset_origins``: exact
origins, ``*`` or ``loopback``) and the address classes an asset may resolve to."""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from .._lru import LRUCache
from ..errors import EntryLoadError

__all__ = ["AddressClass", "AssetRules", "OriginRules", "Resolve", "classify"]

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


class AddressClass(enum.IntEnum):
    """How far inside the network an address is; an asset may be as far in as its entry."""

    PUBLIC = 0
    PRIVATE = 1
    LOOPBACK = 2
    FORBIDDEN = 3
    """Link-local and cloud metadata addresses: never fetched unless the origin is listed."""


#: Cloud metadata services reachable from inside a VM (AWS, GCP, Azure, Alibaba, Oracle…).
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)


def classify(address: str) -> AddressClass:
    """The class of one IP address (v4 or v6; IPv4-mapped IPv6 read as IPv4)."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in _METADATA or ip.is_link_local:
        return AddressClass.FORBIDDEN
    if ip.is_loopback or ip.is_unspecified:  # 0.0.0.0 reaches this host's own services
        return AddressClass.LOOPBACK
    if ip.is_multicast or ip.is_reserved:
        return AddressClass.FORBIDDEN
    if not ip.is_global:
        return AddressClass.PRIVATE
    return AddressClass.PUBLIC


Resolve = Callable[[str], Awaitable[list[str]]]
"""A host name's IP addresses (``getaddrinfo`` by default; a stand-in in tests)."""


async def _system_resolve(host: str) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


class AssetRules:
    """Where an entry's assets may come from (DESIGN.md §5): the entry's own origin or an
    ``asset_origins`` rule, and never from an address further inside the network than the
    entry's own (private or loopback behind a public entry; link-local or metadata ever)
    unless that origin is listed exactly. Checked on every hop of a redirect chain."""

    def __init__(
        self,
        asset_origins: Iterable[str] = (),
        *,
        resolve: Resolve | None = None,
        ttl: float = 30.0,
        cache_size: int = 512,
    ) -> None:
        self.origins = OriginRules(asset_origins, cache_size=cache_size)
        self._exact = {
            _parse_origin(origin)
            for origin in self.origins.origins
            if origin not in ("*", "loopback")
        }
        self._resolve = resolve or _system_resolve
        self._ttl = ttl
        self._classes: LRUCache[str, tuple[float, AddressClass]] = LRUCache(cache_size)
        # the same few asset and entry URLs are checked on every page: parsed once
        self._origins: LRUCache[str, _Origin] = LRUCache(cache_size)

    def _origin(self, url: str) -> _Origin:
        origin = self._origins.get(url)
        if origin is None:
            origin = self._origins[url] = _parse_origin(url)
        return origin

    async def check(self, url: str, entry_url: str, *, resolve_addresses: bool = True) -> None:
        """Raise ``EntryLoadError`` naming why ``url`` may not be fetched for ``entry_url``."""
        origin = self._origin(url)
        if origin[0] not in ("http", "https"):
            raise EntryLoadError(url, "refused: assets are fetched over http(s) only")
        listed = origin in self._exact
        if origin != self._origin(entry_url) and not self.origins.allows(url):
            raise EntryLoadError(
                url,
                "refused: an asset must come from its entry's origin or from asset_origins "
                f"(entry {_origin_text(entry_url)})",
            )
        if listed or not resolve_addresses:
            return
        ceiling = await self.address_class(entry_url, self._origin(entry_url)[1])
        found = await self.address_class(url, origin[1])
        if found is AddressClass.FORBIDDEN or found > ceiling:
            raise EntryLoadError(
                url,
                f"refused: {_origin_text(url)} resolves to a {found.name.lower()} address "
                "(list the origin in asset_origins to allow it)",
            )

    async def address_class(self, url: str, host: str | None = None) -> AddressClass:
        """The innermost class among the addresses ``url``'s host resolves to (cached); ``host``
        when the caller has it parsed already."""
        if host is None:
            host = urlsplit(url).hostname or ""
        host = host.strip("[]").lower()
        now = time.monotonic()
        cached = self._classes.get(host)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        try:
            addresses = [host] if _is_ip(host) else await self._resolve(host)
        except OSError as exc:
            raise EntryLoadError(url, f"cannot resolve {host!r}: {exc}") from None
        if not addresses:
            raise EntryLoadError(url, f"cannot resolve {host!r}")
        worst = max(classify(address) for address in addresses)
        self._classes[host] = (now, worst)
        return worst


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _origin_text(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
