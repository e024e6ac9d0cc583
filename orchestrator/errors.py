"""One tree of errors, each naming the app, URL or phase it concerns."""

from __future__ import annotations


class OrchestratorError(Exception):
    """Base of every error the orchestrator raises on purpose."""


class EntryLoadError(OrchestratorError):
    """An app's entry (or one of its assets) could not be fetched or understood."""

    def __init__(self, url: str, reason: str, *, app_name: str | None = None) -> None:
        self.url = url
        self.reason = reason
        self.app_name = app_name
        where = f"application '{app_name}': " if app_name else ""
        super().__init__(f"{where}could not load {url}: {reason}")


class LifecycleError(OrchestratorError):
    """An app died in a lifecycle; the original exception is chained as ``__cause__``."""

    def __init__(self, app_name: str, status: str, cause: str) -> None:
        self.app_name = app_name
        self.status = status
        super().__init__(f"application '{app_name}' died in status {status}: {cause}")
