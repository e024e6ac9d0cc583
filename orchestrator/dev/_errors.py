"""The dev loop's errors: each names the broker address, peer or message it concerns."""

from __future__ import annotations

from orchestrator.errors import OrchestratorError


class DevBrokerError(OrchestratorError):
    """Base of the dev broker's errors."""


class BrokerPortInUseError(DevBrokerError):
    """Something that is not a dev broker answers (or listens) on the broker's address."""

    def __init__(self, host: str, port: int, detail: str) -> None:
        self.host = host
        self.port = port
        self.detail = detail
        super().__init__(
            f"port {port} on {host} is taken by something that is not an mfe dev broker "
            f"({detail}); stop it or pass another port"
        )


class BrokerStartError(DevBrokerError):
    """A background broker process was started but never answered."""

    def __init__(self, host: str, port: int, detail: str) -> None:
        self.host = host
        self.port = port
        self.detail = detail
        super().__init__(f"could not start a dev broker on ws://{host}:{port}: {detail}")


class BrokerMessageError(DevBrokerError, ValueError):
    """A message to or from the broker is not valid JSON of the dts-plugin protocol."""

    def __init__(self, code: str, detail: str, *, action: str | None = None) -> None:
        self.code = code
        self.detail = detail
        self.action = action
        where = f"{action}: " if action else ""
        super().__init__(f"{where}{detail} ({code})")


class BrokerUnavailableError(DevBrokerError, ConnectionError):
    """No dev broker answers at the address, or it went away while a client waited on it."""

    def __init__(self, url: str, detail: str) -> None:
        self.url = url
        self.detail = detail
        super().__init__(f"dev broker at {url}: {detail}")


class DevServerError(OrchestratorError):
    """Base of ``mfe dev``'s own errors (beside the broker's)."""


class ShellPortInUseError(DevServerError, OSError):
    """The port asked for the composed shell is taken: nothing else was started."""

    def __init__(self, host: str, port: int, detail: str) -> None:
        self.host = host
        self.port = port
        self.detail = detail
        super().__init__(
            f"port {port} on {host} is taken ({detail}); stop what uses it or pass --port"
        )
