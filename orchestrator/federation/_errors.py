"""Federation's errors: one class, carrying MF's ``#RUNTIME-00N`` code and what was wrong where."""

from __future__ import annotations

from enum import Enum

from orchestrator.errors import OrchestratorError

__all__ = ["FederationBuildError", "FederationError", "RuntimeCode"]


class RuntimeCode(Enum):
    """MF 2.0's runtime error codes (``packages/error-codes/src/desc.ts``) with their texts."""

    RUNTIME_001 = "Failed to get remoteEntry exports."
    RUNTIME_002 = 'The remote entry interface does not contain "init"'
    RUNTIME_003 = "Failed to get manifest."
    RUNTIME_004 = "Failed to locate remote."
    RUNTIME_005 = "Invalid loadShareSync function call from bundler runtime"
    RUNTIME_006 = "Invalid loadShareSync function call from runtime"
    RUNTIME_007 = "Failed to get remote snapshot."
    RUNTIME_008 = "Failed to load script resources."
    RUNTIME_009 = "Please call createInstance first."
    RUNTIME_010 = "The name option cannot be changed after initialization."
    RUNTIME_011 = "The remoteEntry URL is missing from the remote snapshot."
    RUNTIME_012 = (
        "The getter for the shared module is not a function. This may be caused by setting "
        '"shared.import: false" without the host providing the corresponding lib.'
    )
    RUNTIME_013 = "The manifest is not a valid Module Federation manifest."
    RUNTIME_014 = "The remote does not expose the requested module."
    RUNTIME_015 = "Remote container initialization failed."

    @property
    def code(self) -> str:
        """``RUNTIME-004`` as MF spells it."""
        return self.name.replace("_", "-")


class FederationError(OrchestratorError):
    """A remote or shared module could not be loaded; names the remote, expose, URL and key.

    Coded errors read as MF's do (``<desc> #RUNTIME-00N``) followed by what and where; the
    share-scope texts webpack defines are the message as they are, with no code.
    """

    def __init__(
        self,
        reason: str,
        *,
        code: RuntimeCode | None = None,
        remote: str | None = None,
        expose: str | None = None,
        url: str | None = None,
        key: str | None = None,
        scope: str | None = None,
    ) -> None:
        self.reason = reason
        self.code = code
        self.remote = remote
        self.expose = expose
        self.url = url
        self.key = key
        self.scope = scope
        if code is None:
            message = reason
        else:
            where = [
                f"{label} {value!r}" if label != "url" else f"url {value}"
                for label, value in (
                    ("remote", remote),
                    ("expose", expose),
                    ("url", url),
                    ("shared", key),
                )
                if value is not None
            ]
            message = (
                f"{code.value} #{code.code}\n" + (", ".join(where) + ": " if where else "") + reason
            )
        super().__init__(message)


class FederationBuildError(FederationError):
    """``mfe federation build`` refused its input: names the remote, the option or file, and why.

    Raised before anything is written, so a failed build leaves the last good one in place.
    """

    def __init__(
        self,
        reason: str,
        *,
        remote: str | None = None,
        path: str | None = None,
        expose: str | None = None,
        key: str | None = None,
    ) -> None:
        self.path = path
        where = [
            f"{label} {value!r}"
            for label, value in (
                ("remote", remote),
                ("expose", expose),
                ("shared", key),
                ("file", path),
            )
            if value is not None
        ]
        super().__init__(
            (", ".join(where) + ": " if where else "") + reason,
            remote=remote,
            expose=expose,
            key=key,
        )
