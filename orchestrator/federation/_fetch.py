"""Bytes for federation: manifests and zips, from trusted origins only (DESIGN §5).

Everything that fetches goes through one callable, ``Fetch``: ``await fetch(url)`` →
``(final_url, body)``. The default follows redirects one hop at a time and asks
``trusted_origins`` about every hop, so a trusted URL cannot redirect code in from elsewhere.
(Kept in one module so it can later be pointed at the shared entry loader.)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urljoin, urlsplit

import httpx

from orchestrator.federation._errors import FederationError

__all__ = ["DEFAULT_MAX_BYTES", "Fetch", "HttpFetch", "TrustedOrigins"]

Fetch = Callable[[str], Awaitable[tuple[str, bytes]]]
"""``await fetch(url)`` → ``(final_url, body)``; raises on failure."""

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def _is_loopback_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class TrustedOrigins:
    """Origins whose Python may run: ``"loopback"`` (127.0.0.0/8, localhost, [::1], any port;
    the default), ``"*"``, or exact origins such as ``"https://apps.example.com"``."""

    def __init__(self, origins: Iterable[str] | None = None) -> None:
        self.origins: tuple[str, ...] = ("loopback",) if origins is None else tuple(origins)
        self._exact = {_origin(o) for o in self.origins if o not in ("*", "loopback")}
        self._any = "*" in self.origins
        self._loopback = "loopback" in self.origins

    def __repr__(self) -> str:
        return f"TrustedOrigins({list(self.origins)!r})"

    def __contains__(self, url: object) -> bool:
        if not isinstance(url, str):
            return False
        scheme, host, port = _origin(url)
        if scheme not in ("http", "https") or not host:
            return False
        if self._any:
            return True
        if self._loopback and _is_loopback_host(host):
            return True
        return (scheme, host, port) in self._exact


class HttpFetch:
    """The default ``Fetch``: httpx, one redirect hop at a time, every hop checked, the body
    capped at ``max_bytes`` while it streams in."""

    def __init__(
        self,
        trusted_origins: TrustedOrigins,
        *,
        client: httpx.AsyncClient | None = None,
        max_redirects: int = 5,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout: float = 10.0,
    ) -> None:
        self.trusted_origins = trusted_origins
        self.max_redirects = max_redirects
        self.max_bytes = max_bytes
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(follow_redirects=False, timeout=timeout)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def _check(self, url: str, first: str) -> None:
        if url not in self.trusted_origins:
            hop = "" if url == first else f" (redirected from {first})"
            raise FederationError(
                f"{url}{hop} is not from a trusted origin; pass trusted_origins to the "
                "Federation to allow it",
                url=url,
            )

    async def __call__(self, url: str) -> tuple[str, bytes]:
        current = url
        for _ in range(self.max_redirects + 1):
            self._check(current, url)
            try:
                async with self._client.stream("GET", current) as response:
                    if response.status_code in _REDIRECTS and "location" in response.headers:
                        current = urljoin(current, response.headers["location"])
                        continue
                    if response.status_code != 200:
                        raise FederationError(
                            f"GET {current} answered HTTP {response.status_code}", url=current
                        )
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > self.max_bytes:
                        raise FederationError(
                            f"{current} is {declared} bytes, over the cap of {self.max_bytes}",
                            url=current,
                        )
                    chunks: list[bytes] = []
                    size = 0
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > self.max_bytes:
                            raise FederationError(
                                f"{current} is over the cap of {self.max_bytes} bytes",
                                url=current,
                            )
                        chunks.append(chunk)
                    return current, b"".join(chunks)
            except httpx.HTTPError as exc:
                raise FederationError(f"GET {current} failed: {exc!r}", url=current) from exc
        raise FederationError(f"{url}: more than {self.max_redirects} redirects", url=url)
