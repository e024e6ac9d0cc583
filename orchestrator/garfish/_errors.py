"""Garfish's errors, typed: each names the app it concerns and keeps Garfish's own text."""

from __future__ import annotations

from ..errors import OrchestratorError

__all__ = ["DomGetterError", "GarfishError", "ProviderError"]

WARN_PREFIX = "[Garfish warning]"
"""What Garfish puts before every warning and error it prints (``utils/src/utils.ts``)."""


class GarfishError(OrchestratorError):
    """Something Garfish asserts did not hold; ``assertion`` is Garfish's text for it."""

    def __init__(self, assertion: str, *, app_name: str | None = None, phase: str | None = None):
        self.assertion = assertion
        self.app_name = app_name
        self.phase = phase
        where = f"application '{app_name}': " if app_name else ""
        super().__init__(f"{where}{assertion}")


class ProviderError(GarfishError, TypeError):
    """The app's ``provider`` is missing, not usable, or lacks ``render``/``destroy``."""

    phase = "mount"

    def __init__(self, assertion: str, *, app_name: str) -> None:
        super().__init__(assertion, app_name=app_name, phase="mount")


class DomGetterError(GarfishError, LookupError):
    """``dom_getter`` gave no element to put the app's container in."""

    def __init__(self, assertion: str, *, app_name: str) -> None:
        super().__init__(assertion, app_name=app_name, phase="mount")
