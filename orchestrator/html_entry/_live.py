"""Records of live entries: each page's current version, its manifest, and Podium's health states.

A ``PageRecord`` is what the loader knows of one entry URL now (body hash, freshness, the
``x-mfe-version`` it came with, its manifest); ``Health`` follows Podium's client state machine
(``lib/state.js``): a fresh version makes the entry ``unstable`` until ``resolve_threshold``
passes without another, and an entry unstable for ``resolve_max`` is ``unhealthy``.
"""

from __future__ import annotations

import asyncio
import enum
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..errors import OrchestratorError

__all__ = ["Health", "HealthTimer", "Manifest", "ManifestError", "PageRecord"]

MANIFEST_HEADER = "x-mfe-manifest"
VERSION_HEADER = "x-mfe-version"


class ManifestError(OrchestratorError):
    """An app's manifest was not JSON, lacked a field, or went backwards; it is ignored."""

    phase = "load"
    url: str

    def __init__(self, url: str, reason: str, *, app_name: str | None = None) -> None:
        self.url = url
        self.reason = reason
        self.app_name = app_name
        where = f"application '{app_name}': " if app_name else ""
        super().__init__(f"{where}manifest {url} ignored: {reason}")


@dataclass(frozen=True)
class Manifest:
    """Genesis 2.0's manifest: ``{"c": client hash, "s": server hash, "d": 0|1, "t": ms}``."""

    c: str
    s: str
    d: int
    t: int

    @property
    def mark(self) -> str:
        """What a new version changes: the server hash of a versioned build, else the time."""
        return self.s or str(self.t)

    def as_json(self) -> str:
        return json.dumps({"c": self.c, "s": self.s, "d": self.d, "t": self.t})

    @classmethod
    def parse(cls, url: str, body: bytes, *, app_name: str | None = None) -> Manifest:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ManifestError(url, "not JSON", app_name=app_name) from None
        if not isinstance(data, dict):
            raise ManifestError(url, "not a JSON object", app_name=app_name)
        missing = [key for key in ("c", "s", "d", "t") if key not in data]
        if missing:
            raise ManifestError(url, f"lacks {', '.join(missing)}", app_name=app_name)
        c, s, d, t = data["c"], data["s"], data["d"], data["t"]
        if not isinstance(c, str) or not isinstance(s, str):
            raise ManifestError(url, "'c' and 's' must be strings", app_name=app_name)
        if d not in (0, 1) or isinstance(d, bool):
            raise ManifestError(url, "'d' must be 0 or 1", app_name=app_name)
        if not isinstance(t, int) or isinstance(t, bool) or t < 0:
            raise ManifestError(url, "'t' must be a non-negative integer", app_name=app_name)
        return cls(c, s, d, t)


@dataclass
class PageRecord:
    """One entry URL's page as last fetched: the body's hash, freshness and version marks."""

    final_url: str
    text: str
    digest: str
    fresh_until: float
    version_header: str | None = None
    manifest_url: str | None = None
    manifest: Manifest | None = None
    stale: bool = False
    number: int = 1
    """1 for the first version seen, then one more for each change."""
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The response headers it came with, as a 304 updated them (its validators among them)."""

    def conditional_headers(self) -> dict[str, str]:
        """What asks the origin whether this copy is current: ``no-cache`` (so no cache on the
        way answers for it) and the validators it came with."""
        headers = {"cache-control": "no-cache"}
        etag, modified = self.headers.get("etag"), self.headers.get("last-modified")
        if etag:
            headers["if-none-match"] = etag
        if modified:
            headers["if-modified-since"] = modified
        return headers

    @property
    def version(self) -> str:
        """Names this version: its number, then the body's hash."""
        return f"{self.number}:{self.digest[:12]}"


class Health(enum.StrEnum):
    """Podium's five states of a remote."""

    INSTANTIATED = "instantiated"
    INITIALIZING = "initializing"
    UNSTABLE = "unstable"
    STABLE = "stable"
    UNHEALTHY = "unhealthy"


@dataclass(eq=False)
class HealthTimer:
    """Podium's ``State``: ``fetching()`` at the first fetch, ``fresh()`` at every new version,
    ``failed()`` when an update could not be loaded; two timers move it on by themselves."""

    resolve_threshold: float = 10.0
    resolve_max: float = 240.0
    on_change: Callable[[Health, Health], None] | None = None
    state: Health = Health.INSTANTIATED
    _threshold: asyncio.TimerHandle | None = field(default=None, repr=False)
    _max: asyncio.TimerHandle | None = field(default=None, repr=False)

    def fetching(self) -> None:
        if self.state is Health.INSTANTIATED:
            self._set(Health.INITIALIZING)

    def fresh(self) -> None:
        """A version was set: unstable until ``resolve_threshold`` passes without another."""
        self._enter_unstable()
        self._cancel_threshold()
        loop = asyncio.get_running_loop()
        self._threshold = loop.call_later(self.resolve_threshold, self._settle)

    def failed(self) -> None:
        """An update could not be loaded: unstable (no timer to stable) until a version is set."""
        self._cancel_threshold()
        self._enter_unstable()

    def close(self) -> None:
        self._cancel_threshold()
        if self._max is not None:
            self._max.cancel()
            self._max = None

    def _enter_unstable(self) -> None:
        if self.state in (Health.STABLE, Health.INITIALIZING, Health.INSTANTIATED):
            if self._max is None:
                loop = asyncio.get_running_loop()
                self._max = loop.call_later(self.resolve_max, self._give_up)
            self._set(Health.UNSTABLE)

    def _settle(self) -> None:
        self._threshold = None
        if self._max is not None:
            self._max.cancel()
            self._max = None
        self._set(Health.STABLE)

    def _give_up(self) -> None:
        self._max = None
        self._set(Health.UNHEALTHY)  # stays so until a version settles

    def _cancel_threshold(self) -> None:
        if self._threshold is not None:
            self._threshold.cancel()
            self._threshold = None

    def _set(self, state: Health) -> None:
        old, self.state = self.state, state
        if old is not state and self.on_change is not None:
            self.on_change(old, state)
