"""``RedisSessionStore``: session records in Redis, so any worker or host serves any request.

Uses the ``redis`` package's asyncio client (the ``redis`` extra). Every save is published on a
channel, so a worker that keeps something of a session (a listener, a cache) hears the change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ._errors import SessionStateTooLargeError, SessionStoreError

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisSessionStore"]

_log = logging.getLogger("orchestrator.asgi")


class RedisSessionStore:
    """Records under ``<prefix>s:<sid>`` with an idle TTL (refreshed on load); changes published
    on ``<prefix>changes`` as the session id. Waits are bounded by ``socket_timeout``."""

    def __init__(
        self,
        url: str,
        *,
        ttl: float = 1800.0,
        prefix: str = "mfe:",
        max_record_bytes: int = 64_000,
        socket_timeout: float = 0.5,
    ) -> None:
        try:
            from redis.asyncio import Redis
        except ImportError as exc:  # pragma: no cover - the extra is part of `test`
            raise SessionStoreError(
                url, "needs the redis package (pip install 'mfe-orchestrator[redis]')"
            ) from exc
        if ttl <= 0:
            raise ValueError(f"session ttl must be positive, got {ttl}")
        self.url = url
        self.ttl = ttl
        self.prefix = prefix
        self.channel = f"{prefix}changes"
        self.max_record_bytes = max_record_bytes
        self._redis: Redis = Redis.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            retry_on_timeout=False,
        )
        self._listener: asyncio.Task[None] | None = None

    def _key(self, sid: str) -> str:
        return f"{self.prefix}s:{sid}"

    async def load(self, sid: str) -> bytes | None:
        try:
            found = await self._redis.getex(self._key(sid), ex=max(1, int(self.ttl)))
        except Exception as exc:
            raise SessionStoreError(self.url, f"load failed: {exc or type(exc).__name__}") from exc
        return found.encode() if isinstance(found, str) else found

    async def save(self, sid: str, data: bytes) -> None:
        if len(data) > self.max_record_bytes:
            raise SessionStateTooLargeError(len(data), self.max_record_bytes)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(self._key(sid), data, ex=max(1, int(self.ttl)))
                pipe.publish(self.channel, sid)
                await pipe.execute()
        except Exception as exc:
            raise SessionStoreError(self.url, f"save failed: {exc or type(exc).__name__}") from exc

    async def delete(self, sid: str) -> None:
        try:
            await self._redis.delete(self._key(sid))
        except Exception as exc:
            raise SessionStoreError(
                self.url, f"delete failed: {exc or type(exc).__name__}"
            ) from exc

    def subscribe(self, on_change: Callable[[str], Awaitable[Any] | Any]) -> None:
        """Call ``on_change(sid)`` for every session saved by any worker (this one included),
        from a listener task that reconnects after Redis goes away."""
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(on_change))

    async def _listen(self, on_change: Callable[[str], Awaitable[Any] | Any]) -> None:
        delay = 0.05
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                delay = 0.05
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    data = message.get("data")
                    sid = data.decode() if isinstance(data, bytes) else str(data)
                    try:
                        result = on_change(sid)
                        if asyncio.iscoroutine(result):
                            await result
                    except Exception:
                        _log.exception("a session-change listener failed for %s", self.url)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _log.warning("session changes from %s: %s; reconnecting", self.url, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None
        with contextlib.suppress(Exception):
            await self._redis.aclose()
