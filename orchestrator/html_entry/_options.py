"""``LiveOptions``: how a loader follows entries that change while it runs (DESIGN.md §6)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["LiveOptions"]


@dataclass(frozen=True)
class LiveOptions:
    """Podium's and Genesis's knobs, with their defaults; tests shrink the times."""

    retries: int = 4
    """Re-resolves of one request whose ``x-mfe-version`` keeps changing (Podium's kill switch)."""
    resolve_threshold: float = 10.0
    """Seconds without a new version before an entry is ``stable`` again."""
    resolve_max: float = 240.0
    """Seconds ``unstable`` after which an entry is ``unhealthy``."""
    poll_interval: float = 1.0
    """Least seconds between two manifest requests of one app (Genesis: 1 s)."""
    long_poll: float = 60.0
    """How long the app server may hold a manifest request; the client waits this plus timeout."""
    first_timeout: float = 10.0
    """The first manifest download of an app fails after this many seconds."""
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    """Errors wait ``base * 2**(n-1)`` seconds, at most ``cap``."""
    manifest_bytes: int = 64_000
    manifests: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Manifest URLs by entry URL, for apps whose entry does not announce one."""

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ValueError(f"LiveOptions retries must not be negative, got {self.retries}")
        for name in ("poll_interval", "backoff_base", "backoff_cap"):
            if getattr(self, name) < 0:
                raise ValueError(f"LiveOptions {name} must not be negative")
        for name in ("long_poll", "first_timeout", "resolve_threshold", "resolve_max"):
            if getattr(self, name) <= 0:
                raise ValueError(f"LiveOptions {name} must be positive")

    def backoff(self, failures: int) -> float:
        """The wait after ``failures`` errors in a row (exponential, capped)."""
        if failures <= 0:
            return 0.0
        return float(min(self.backoff_base * 2 ** min(failures - 1, 30), self.backoff_cap))
