"""What every sandbox shares: its type, running flag, side-effect record and disposal."""

from __future__ import annotations

import logging
import warnings
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ._effects import SideEffects
from ._window import Window

if TYPE_CHECKING:
    from ._proxy_base import SandboxProxy

logger = logging.getLogger("sandbox")


class SandboxType(StrEnum):
    """Which of qiankun's sandboxes an object is (values as qiankun's ``SandBoxType``)."""

    PROXY = "Proxy"
    LEGACY_PROXY = "LegacyProxy"
    SNAPSHOT = "Snapshot"


class SandboxWarning(RuntimeWarning):
    """An app did something its sandbox refused (a write while inactive)."""


class Sandbox:
    """Base of the three sandboxes; ``proxy`` is the ``window`` an app's scripts see.

    Sandboxes start running, as qiankun's do, so an app's scripts can run at load time;
    ``inactive()`` (the app's unmount) frees the listeners and timers it added and puts the
    window back, ``active()`` (mount) brings the app's state back, with the window listeners
    its scripts added at load time (they will not run again).
    """

    type: SandboxType
    proxy: SandboxProxy

    def __init__(self, name: str, window: Window) -> None:
        if not isinstance(window, Window):
            raise TypeError(f"sandbox {name!r} needs a sandbox.Window, got {type(window).__name__}")
        self.name = name
        self.window = window
        self.sandbox_running = True
        self.latest_set_prop: str | None = None
        self.closed = False
        self._effects = SideEffects(window)

    def active(self) -> None:
        """Resume the sandbox (the app mounts)."""
        self._check_open("active")
        self._effects.end_bootstrap()
        if not self.sandbox_running:
            self._resume()
            self._effects.rebuild()
        self.sandbox_running = True

    def inactive(self) -> None:
        """Suspend the sandbox (the app unmounts): free side effects and restore the window."""
        if not self.sandbox_running:
            return
        self._effects.free()
        self._suspend()
        self.sandbox_running = False

    def close(self) -> None:
        """Throw the sandbox away for good (the app is unloaded): suspend it and drop its state."""
        if self.closed:
            return
        self.inactive()
        self._effects.forget_bootstrap()
        self._drop_state()
        self.closed = True

    @property
    def listener_count(self) -> int:
        """Window listeners the app added through the proxy and has not removed."""
        return self._effects.listener_count

    @property
    def timer_count(self) -> int:
        """Timers the app started through the proxy that are still pending."""
        return self._effects.timer_count

    def _resume(self) -> None:
        raise NotImplementedError

    def _suspend(self) -> None:
        raise NotImplementedError

    def _drop_state(self) -> None:
        raise NotImplementedError

    def _write(self, name: str, value: Any) -> None:
        """Write a global through to the real window, recording what it replaced."""
        raise NotImplementedError

    def _remove(self, name: str) -> None:
        """Delete a global from the real window, recording what it held."""
        raise NotImplementedError

    def _check_open(self, what: str) -> None:
        if self.closed:
            raise RuntimeError(f"cannot {what} sandbox of {self.name!r}: it was closed")

    def _refuse(self, what: str) -> None:
        message = f"[qiankun] {what} while sandbox destroyed or inactive in {self.name}!"
        logger.warning(message)
        warnings.warn(message, SandboxWarning, stacklevel=4)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "running" if self.sandbox_running else "inactive"
        return f"<{type(self).__name__} {self.name!r} {state}>"


MISSING: Any = object()
