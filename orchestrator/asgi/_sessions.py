"""Sessions of ``ComposeApp``: one orchestrator per signed cookie, bounded in count and age."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from ._factory import SessionOrchestrator

__all__ = ["Session", "SessionStore"]


@dataclass(eq=False)
class Session:
    """One visitor's tab, its lock (one request at a time) and the errors its apps raised."""

    sid: str
    last_seen: float
    orchestrator: SessionOrchestrator | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    errors: dict[str, BaseException] = field(default_factory=dict)
    closed: bool = False

    def record_error(self, error: BaseException) -> None:
        name = getattr(error, "app_name", None)
        self.errors[name if isinstance(name, str) else ""] = error


class SessionStore:
    """Sessions by id, least recently used first; bounded in count and idle time."""

    def __init__(self, *, max_sessions: int, ttl: float, clock: Callable[[], float]) -> None:
        if max_sessions < 1:
            raise ValueError(f"max_sessions must be at least 1, got {max_sessions}")
        if ttl <= 0:
            raise ValueError(f"session_ttl must be positive, got {ttl}")
        self.max_sessions = max_sessions
        self.ttl = ttl
        self._clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def __contains__(self, sid: object) -> bool:
        return sid in self._sessions

    def touch(self, sid: str) -> tuple[Session, list[Session]]:
        """The live session for ``sid`` (made if absent), and the sessions evicted to make room."""
        now = self._clock()
        evicted = self._expire(now)
        session = self._sessions.get(sid)
        if session is None:
            session = Session(sid=sid, last_seen=now)
            self._sessions[sid] = session
            while len(self._sessions) > self.max_sessions:
                evicted.append(self._sessions.popitem(last=False)[1])
        else:
            session.last_seen = now
            self._sessions.move_to_end(sid)
        return session, evicted

    def expire(self) -> list[Session]:
        """Forget the sessions idle for longer than the TTL and return them (to be closed)."""
        return self._expire(self._clock())

    def drain(self) -> list[Session]:
        """Forget every session and return them (to be closed)."""
        sessions = list(self._sessions.values())
        self._sessions.clear()
        return sessions

    def _expire(self, now: float) -> list[Session]:
        expired: list[Session] = []
        while self._sessions:
            oldest = next(iter(self._sessions.values()))
            if now - oldest.last_seen < self.ttl:
                break
            expired.append(self._sessions.popitem(last=False)[1])
        return expired
