"""Garfish's vm sandbox on our ``sandbox`` base: an overlay per app, plus ``protect_variable``
(names shared with the real window) and ``insulation_variable`` (names never read from it)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sandbox import Sandbox, SandboxProxy, SandboxType, Window

from ._errors import WARN_PREFIX

__all__ = ["ALWAYS_INSULATED", "GarfishSandbox"]

logger = logging.getLogger("orchestrator.garfish")

#: Names Garfish never lets an app inherit from the host window (``specialExternalVariables``).
ALWAYS_INSULATED: tuple[str, ...] = (
    "onerror",
    "webpackjsonp",
    "__REACT_ERROR_OVERLAY_GLOBAL_HOOK__",
)


class _VmProxy(SandboxProxy):
    """Reads: a protected name from the window, else the overlay, else (unless insulated) the
    window. Writes: a protected name to the window (kept there), anything else to the overlay."""

    __slots__ = ("_insulated", "_overlay", "_protected")

    _overlay: dict[str, Any]
    _protected: frozenset[str]
    _insulated: frozenset[str]

    def __init__(self, sandbox: GarfishSandbox) -> None:
        super().__init__(sandbox)
        object.__setattr__(self, "_overlay", sandbox.overlay)
        object.__setattr__(self, "_protected", sandbox.protect_variable)
        object.__setattr__(self, "_insulated", sandbox.insulation_variable)

    def __getattr__(self, name: str) -> Any:
        if name not in self._protected:
            overlay = self._overlay
            if name in overlay:
                return overlay[name]
            if name in self._insulated:
                raise self._no_global(name)
        return super().__getattr__(name)

    def __getitem__(self, name: str) -> Any:
        if name not in self._protected:
            overlay = self._overlay
            if name in overlay:
                return overlay[name]
            if name in self._insulated:
                raise KeyError(name)
        return super().__getitem__(name)

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str) and name not in self._protected:
            if name in self._overlay:
                return True
            if name in self._insulated:
                return False
        return super().__contains__(name)

    def _set(self, name: str, value: Any) -> None:
        sandbox = self._sandbox
        if not sandbox.sandbox_running:
            sandbox._refuse(f"Set window.{name}")
            return
        if name in self._protected:
            self._globals[name] = value
        else:
            self._overlay[name] = value
        sandbox.latest_set_prop = name

    def _delete(self, name: str) -> bool:
        overlay = self._overlay
        if name in overlay and name not in self._protected:
            if not self._sandbox.sandbox_running:
                self._sandbox._refuse(f"Delete window.{name}")
            else:
                del overlay[name]
            return True
        if name in self._globals:
            if name in self._protected:
                logger.warning('%s: The "%s" is global protect variable."', WARN_PREFIX, name)
            return True  # as Garfish: the host's own value is never deleted through an app
        return False

    def keys(self) -> list[str]:
        insulated, overlay = self._insulated, self._overlay
        window_keys = [k for k in self._globals if k not in insulated or k in self._protected]
        listed = set(window_keys)
        return [*window_keys, *(k for k in overlay if k not in listed)]


class GarfishSandbox(Sandbox):
    """One app's sandbox; Garfish resets it (a new one) after every unmount that is not a hide."""

    type = SandboxType.PROXY

    def __init__(
        self,
        name: str,
        window: Window,
        *,
        protect_variable: Iterable[str] = (),
        insulation_variable: Iterable[str] = (),
    ) -> None:
        super().__init__(name, window)
        self.protect_variable = frozenset(protect_variable)
        self.insulation_variable = frozenset(ALWAYS_INSULATED) | frozenset(insulation_variable)
        self.overlay: dict[str, Any] = {}
        self.proxy = _VmProxy(self)

    def _resume(self) -> None:
        pass

    def _suspend(self) -> None:
        pass  # protected names are shared with the host on purpose: nothing to put back

    def _drop_state(self) -> None:
        self.overlay.clear()

    def _write(self, name: str, value: Any) -> None:
        self.window._globals[name] = value

    def _remove(self, name: str) -> None:
        self.window._globals.pop(name, None)
