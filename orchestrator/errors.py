"""One tree of errors, each naming the app, URL or phase it concerns."""

from __future__ import annotations


class OrchestratorError(Exception):
    """Base of every error the orchestrator raises on purpose.

    Each names where it happened as far as it is known: ``app_name``, ``phase`` (``load``,
    ``bootstrap``, ``mount``, ``unmount``, ``unload``, ``update``, ``config``) and ``url``.
    """

    app_name: str | None = None
    phase: str | None = None
    url: str | None = None


class EntryLoadError(OrchestratorError):
    """An app's entry (or one of its assets) could not be fetched or understood."""

    phase = "load"
    url: str

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
        self.phase = _PHASES.get(status, status.lower())
        super().__init__(f"application '{app_name}' died in status {status}: {cause}")


class AppNotFoundError(OrchestratorError, KeyError, ValueError):
    """No application is registered under the given name."""

    def __init__(self, app_name: str, action: str) -> None:
        self.app_name = app_name
        self.message = (
            f"cannot {action} application '{app_name}': no such application is registered"
        )
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class ParcelLifecycleError(LifecycleError):
    """A parcel died in a lifecycle; same shape as ``LifecycleError`` with ``parcel '<name>'``."""

    def __init__(self, parcel_name: str, status: str, cause: str) -> None:
        super().__init__(parcel_name, status, cause)
        self.args = (f"parcel '{parcel_name}' died in status {status}: {cause}",)

    def __str__(self) -> str:
        return str(self.args[0])


class ParcelStateError(OrchestratorError):
    """A parcel was asked to mount, unmount or update from a status that does not allow it."""

    def __init__(self, parcel_name: str, action: str, status: str) -> None:
        self.parcel_name = parcel_name
        self.status = status
        super().__init__(f"Cannot {action} parcel '{parcel_name}' -- it is in a {status} status")


class EntrySyntaxError(EntryLoadError):
    """An entry was fetched but is malformed (two ``entry`` scripts, an unusable config entry)."""


class IntegrityError(EntryLoadError):
    """A script or stylesheet did not match its ``integrity`` (Subresource Integrity) digest."""


class UntrustedOriginError(EntryLoadError):
    """A Python script would run from an origin that is not in ``trusted_origins``."""


class ContainerNotFoundError(OrchestratorError, LookupError):
    """An app's container is not in the document when the app mounts."""

    phase = "mount"

    def __init__(self, message: str, *, app_name: str | None = None) -> None:
        self.app_name = app_name
        super().__init__(message)


class InvalidExportsError(OrchestratorError, ValueError):
    """What an app or parcel exported is not a usable set of lifecycles."""


class LifecycleTimeoutError(OrchestratorError, TimeoutError):
    """A lifecycle with ``die_on_timeout`` did not finish in time."""


class ConfigError(OrchestratorError, ValueError):
    """A composition config is missing something or has a value of the wrong kind."""

    phase = "config"

    def __init__(self, source: str, key: str, problem: str, *, app: str | None = None) -> None:
        self.source = source
        self.key = key
        self.app = app
        self.app_name = app
        where = f"app '{app}', " if app else ""
        super().__init__(f"{source}: {where}key '{key}': {problem}")


#: The lifecycle a single-spa status is the middle of (what ``LifecycleError.phase`` says).
_PHASES = {
    "LOADING_SOURCE_CODE": "load",
    "BOOTSTRAPPING": "bootstrap",
    "MOUNTING": "mount",
    "UNMOUNTING": "unmount",
    "UNLOADING": "unload",
    "UPDATING": "update",
}
