"""Bytes for federation: manifests and zips, from trusted origins only (DESIGN §5).

Everything that fetches goes through one callable, ``Fetch``: ``await fetch(url)`` →
``(final_url, body)``. The default is the shared ``EntryLoader``'s ``fetch_code``: redirects
followed one hop at a time with ``trusted_origins`` asked about every hop (so a trusted URL
cannot redirect code in from elsewhere), and bodies decoded within the loader's byte limit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from orchestrator.errors import EntryLoadError
from orchestrator.federation._errors import FederationError
from orchestrator.html_entry import EntryLoader, OriginRules

__all__ = ["DEFAULT_MAX_BYTES", "Fetch", "LoaderFetch", "TrustedOrigins"]

Fetch = Callable[[str], Awaitable[tuple[str, bytes]]]
"""``await fetch(url)`` → ``(final_url, body)``; raises on failure."""

DEFAULT_MAX_BYTES = 32 * 1024 * 1024


class TrustedOrigins:
    """Origins whose Python may run: ``"loopback"`` (127.0.0.0/8, localhost, [::1], any port;
    the default), ``"*"``, or exact origins such as ``"https://apps.example.com"`` (the
    importer's rules, so code and entries are trusted alike)."""

    def __init__(self, origins: Iterable[str] | None = None) -> None:
        self.origins: tuple[str, ...] = ("loopback",) if origins is None else tuple(origins)
        self._rules = OriginRules(self.origins)

    def __repr__(self) -> str:
        return f"TrustedOrigins({list(self.origins)!r})"

    def __contains__(self, url: object) -> bool:
        if not isinstance(url, str):
            return False
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return False
        return self._rules.allows(url)


class LoaderFetch:
    """The default ``Fetch``: an ``EntryLoader``'s ``fetch_code`` (given, or made and owned)."""

    def __init__(self, loader: EntryLoader | None, trusted_origins: TrustedOrigins) -> None:
        self._owns = loader is None
        self.loader = loader or EntryLoader(
            trusted_origins=trusted_origins.origins, max_bytes=DEFAULT_MAX_BYTES
        )

    async def aclose(self) -> None:
        if self._owns:
            await self.loader.aclose()

    async def __call__(self, url: str) -> tuple[str, bytes]:
        try:
            return await self.loader.fetch_code(url)
        except EntryLoadError as error:
            raise FederationError(error.reason, url=error.url) from error
