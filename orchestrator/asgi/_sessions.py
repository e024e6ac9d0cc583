"""Session state of ``ComposeApp`` and where it lives: a ``SessionStore``.

A session is its state (the global state, as JSON), never a page: the orchestrator that renders a
request is built for that request from the shared loader's caches and closed after it.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ._errors import SessionStateTooLargeError

__all__ = ["MemorySessionStore", "SessionState", "SessionStore"]


@dataclass
class SessionState:
    """What a session keeps between requests: the global state."""

    global_state: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def encode(self) -> bytes:
        """Compact JSON; state that JSON cannot hold is a ``TypeError`` naming the type."""
        return json.dumps(
            {"g": self.global_state, **({"x": self.extra} if self.extra else {})},
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()

    @classmethod
    def decode(cls, data: bytes) -> SessionState:
        raw = json.loads(data)
        if not isinstance(raw, dict):
            raise ValueError("a session record must be a JSON object")
        state = raw.get("g")
        extra = raw.get("x", {})
        return cls(
            global_state=state if isinstance(state, dict) else None,
            extra=extra if isinstance(extra, dict) else {},
        )


@runtime_checkable
class SessionStore(Protocol):
    """Where session records (bytes) live, by session id; ``ttl`` is idle seconds.

    ``load`` refreshes the idle timer. Any failure to reach the store raises (the app answers
    with a fresh session and logs it); a record over the store's limit raises
    ``SessionStateTooLargeError``.
    """

    async def load(self, sid: str) -> bytes | None: ...

    async def save(self, sid: str, data: bytes) -> None: ...

    async def delete(self, sid: str) -> None: ...

    async def aclose(self) -> None: ...


class MemorySessionStore:
    """Session records in this process, least recently used first, bounded in bytes and age."""

    def __init__(
        self,
        *,
        max_bytes: int = 64_000_000,
        max_record_bytes: int = 64_000,
        ttl: float = 1800.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if max_bytes < 1 or max_record_bytes < 1:
            raise ValueError(
                f"max_bytes and max_record_bytes must be at least 1, "
                f"got {max_bytes} and {max_record_bytes}"
            )
        if ttl <= 0:
            raise ValueError(f"session ttl must be positive, got {ttl}")
        import time

        self.max_bytes = max_bytes
        self.max_record_bytes = max_record_bytes
        self.ttl = ttl
        self._clock = clock or time.monotonic
        self._records: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, sid: object) -> bool:
        return sid in self._records

    @property
    def bytes_used(self) -> int:
        return self._bytes

    async def load(self, sid: str) -> bytes | None:
        now = self._clock()
        self.expire(now)
        found = self._records.get(sid)
        if found is None:
            return None
        self._records[sid] = (found[0], now)
        self._records.move_to_end(sid)
        return found[0]

    async def save(self, sid: str, data: bytes) -> None:
        size = _cost(sid, data)
        if size > self.max_record_bytes:
            raise SessionStateTooLargeError(len(data), self.max_record_bytes)
        await self.delete(sid)
        self._records[sid] = (data, self._clock())
        self._bytes += size
        while self._bytes > self.max_bytes and self._records:
            old_sid, (old, _) = self._records.popitem(last=False)
            self._bytes -= _cost(old_sid, old)

    async def delete(self, sid: str) -> None:
        found = self._records.pop(sid, None)
        if found is not None:
            self._bytes -= _cost(sid, found[0])

    def expire(self, now: float | None = None) -> int:
        """Forget records idle past the TTL; returns how many."""
        now = self._clock() if now is None else now
        dropped = 0
        while self._records:
            sid, (data, seen) = next(iter(self._records.items()))
            if now - seen < self.ttl:
                break
            self._records.popitem(last=False)
            self._bytes -= _cost(sid, data)
            dropped += 1
        return dropped

    async def aclose(self) -> None:
        self._records.clear()
        self._bytes = 0


def _cost(sid: str, data: bytes) -> int:
    return len(sid) + len(data)
