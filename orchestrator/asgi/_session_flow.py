"""The session policy of ``ComposeApp``: which session a response belongs to, and what is kept.

Lazy (a request that leaves the state as a fresh one has no session), rotated when the identity
changes (a planted id never signs in), decided at the first byte (the cookie is a header) and kept
before the last one (the next request may reach another worker).
"""

from __future__ import annotations

import copy
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import SessionStateTooLargeError
from ._keys import Signer
from ._sessions import SessionState, SessionStore

__all__ = ["SessionFlow", "SessionPolicy"]

_log = logging.getLogger("orchestrator.asgi")


@dataclass
class SessionFlow:
    """One request's view of its session: what it came with and what it commits to."""

    claimed: str | None
    """The session id of a cookie we signed (whether or not the store still has it)."""
    loaded: dict[str, Any] | None
    """The global state the store had for it; ``None``: no session (lazy: none yet)."""
    initial: dict[str, Any] | None
    """The global state this request started from."""
    sid: str | None = None
    """The session the response is bound to, once decided (at the first byte)."""
    rotated_from: str | None = None
    identity: Any = None
    secure: bool = False
    store_failed: bool = False
    """The store could not be read: the visitor's cookie is left alone and nothing is kept."""


class SessionPolicy:
    """Signed cookies over a ``SessionStore``, with ``identity_key`` deciding when ids rotate."""

    def __init__(
        self,
        store: SessionStore,
        signer: Signer,
        *,
        identity_key: str,
        max_state_bytes: int,
        cookie_name: str,
    ) -> None:
        self.store = store
        self.signer = signer
        self.identity_key = identity_key
        self.max_state_bytes = max_state_bytes
        self.cookie_name = cookie_name

    async def open(
        self,
        cookie: str | None,
        default: Mapping[str, Any] | None,
        request_id: str,
        *,
        secure: bool,
    ) -> SessionFlow:
        claimed = self.signer.verify(cookie)
        loaded: dict[str, Any] | None = None
        failed = False
        if claimed is not None:
            try:
                data = await self.store.load(claimed)
                if data is not None:
                    loaded = SessionState.decode(data).global_state
            except Exception as exc:
                failed = True
                _log.error(
                    "session store unavailable; serving a fresh session (request %s): %s",
                    request_id,
                    exc,
                )
        initial = copy.deepcopy(loaded if loaded is not None else _plain(default))
        return SessionFlow(
            claimed=claimed, loaded=loaded, initial=initial, secure=secure, store_failed=failed
        )

    def identity(self, state: Mapping[str, Any] | None) -> Any:
        return None if state is None else state.get(self.identity_key)

    def decide(
        self, flow: SessionFlow, state: dict[str, Any] | None, request_id: str
    ) -> str | None:
        """At the first byte: which session the response belongs to; the cookie to set, if any.

        Lazy: a request whose state never diverged from a fresh one gets no session. The id
        rotates when the identity (``identity_key``) changes, so a planted id never signs in.
        """
        flow.identity = self.identity(state)
        if flow.store_failed:
            return None
        if flow.loaded is not None and flow.claimed is not None:
            if flow.identity == self.identity(flow.loaded):
                flow.sid = flow.claimed
                return None
            flow.rotated_from = flow.claimed
        elif state == flow.initial:
            return None
        flow.sid = secrets.token_urlsafe(24)
        return self.cookie(self.signer.sign(flow.sid), secure=flow.secure)

    async def finish(
        self, flow: SessionFlow, state: dict[str, Any] | None, request_id: str
    ) -> None:
        """After the last byte: keep the state under the session decided at the first byte."""
        if flow.sid is None:
            if flow.store_failed and state != flow.initial:
                _log.error(
                    "session store unavailable; this request's state is not kept (request %s)",
                    request_id,
                )
            elif state != flow.initial:
                _log.warning(
                    "global state changed after the first byte of a response without a session; "
                    "it is not kept (mark the app that changes it primary) (request %s)",
                    request_id,
                )
            return
        if self.identity(state) != flow.identity:
            _log.warning(
                "%r changed after the first byte; the change is not kept (request %s)",
                self.identity_key,
                request_id,
            )
            return
        try:
            if state != flow.loaded or flow.rotated_from is not None:
                data = SessionState(global_state=state).encode()
                if len(data) > self.max_state_bytes:
                    raise SessionStateTooLargeError(len(data), self.max_state_bytes)
                await self.store.save(flow.sid, data)
            if flow.rotated_from is not None:
                await self.store.delete(flow.rotated_from)
        except SessionStateTooLargeError as exc:
            _log.error("session state refused (request %s): %s", request_id, exc)
        except (TypeError, ValueError) as exc:
            _log.error("session state is not JSON; not kept (request %s): %s", request_id, exc)
        except Exception as exc:
            _log.error("session state not saved (request %s): %s", request_id, exc)

    def cookie(self, value: str, *, secure: bool) -> str:
        parts = [f"{self.cookie_name}={value}", "HttpOnly", "Path=/", "SameSite=lax"]
        if secure:
            parts.append("Secure")
        return "; ".join(parts)


def _plain(state: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if state is None else dict(state)
