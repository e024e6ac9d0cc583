"""Errors of the service layer: the session store and the state it keeps."""

from __future__ import annotations

from ..errors import OrchestratorError

__all__ = ["SessionStateTooLargeError", "SessionStoreError"]


class SessionStoreError(OrchestratorError):
    """The session store could not be reached or answered nonsense; names the store's URL."""

    phase = "session"

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"session store {url}: {reason}")


class SessionStateTooLargeError(OrchestratorError, ValueError):
    """A session's state is bigger than the store allows; it is refused, not truncated."""

    phase = "session"

    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(f"session state of {size} bytes is over the limit of {limit} bytes")
