"""Signing session ids: the first secret key signs, every key verifies (so keys can rotate)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Sequence

__all__ = ["SECRET_KEY_ENV", "Signer", "secret_keys"]

SECRET_KEY_ENV = "MFE_SECRET_KEY"
"""Environment variable holding the secret key; several keys separated by commas rotate."""

_log = logging.getLogger("orchestrator.asgi")
_MAX_COOKIE = 256


def secret_keys(given: bytes | str | Sequence[bytes | str] | None) -> tuple[bytes, ...]:
    """The keys given, else ``MFE_SECRET_KEY``'s, else none (an empty tuple)."""
    if given is None:
        env = os.environ.get(SECRET_KEY_ENV, "")
        given = [part.strip() for part in env.split(",") if part.strip()]
    if isinstance(given, bytes | str):
        given = [given]
    keys = tuple(k.encode() if isinstance(k, str) else bytes(k) for k in given)
    if any(not key for key in keys):
        raise ValueError("a secret key must not be empty")
    return keys


class Signer:
    """HMAC-SHA256 over a session id; a random key (one process only) when none is given."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        self.ephemeral = not keys
        if self.ephemeral:
            _log.warning(
                "no secret_key or %s: session cookies are signed with a random key, "
                "valid only in this process (set one when more than one worker serves)",
                SECRET_KEY_ENV,
            )
        self._keys = tuple(keys) or (secrets.token_bytes(32),)

    def sign(self, sid: str, key: bytes | None = None) -> str:
        digest = hmac.new(key or self._keys[0], sid.encode(), hashlib.sha256).digest()
        return f"{sid}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"

    def verify(self, value: str | None) -> str | None:
        """The session id a cookie carries, or ``None`` for anything not signed by one of our
        keys: the cookie is visitor input of any bytes, so it is checked as ASCII bytes."""
        if not value or len(value) > _MAX_COOKIE or not value.isascii() or "." not in value:
            return None
        sid = value.rsplit(".", 1)[0]
        if not sid:
            return None
        given = value.encode()
        for key in self._keys:
            if hmac.compare_digest(self.sign(sid, key).encode(), given):
                return sid
        return None
