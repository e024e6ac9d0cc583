"""qiankun's LegacySandbox: one app at a time writes the real window, restored on unmount."""

from __future__ import annotations

from typing import Any

from ._base import MISSING, Sandbox, SandboxType
from ._proxy_base import PassThroughProxy
from ._window import Window


class LegacySandbox(Sandbox):
    """Singular sandbox: writes go to the real window and are recorded.

    ``inactive()`` puts back every global the app changed or deleted and removes the ones it
    added; ``active()`` re-applies the app's latest values.
    """

    type = SandboxType.LEGACY_PROXY
    singular = True

    def __init__(self, name: str, window: Window) -> None:
        super().__init__(name, window)
        self._added: dict[str, None] = {}
        self._original: dict[str, Any] = {}
        self._current: dict[str, Any] = {}
        self.proxy = PassThroughProxy(self)

    def _write(self, name: str, value: Any) -> None:
        globals_ = self.window._globals
        if name not in globals_:
            if name not in self._original:
                self._added[name] = None
        elif name not in self._original and name not in self._added:
            self._original[name] = globals_[name]
        self._current[name] = value
        globals_[name] = value
        self.latest_set_prop = name

    def _remove(self, name: str) -> None:
        globals_ = self.window._globals
        if name not in self._original and name not in self._added:
            self._original[name] = globals_[name]
        self._current[name] = MISSING
        del globals_[name]

    def _suspend(self) -> None:
        globals_ = self.window._globals
        for name, original in self._original.items():
            globals_[name] = original
        for name in self._added:
            globals_.pop(name, None)

    def _resume(self) -> None:
        globals_ = self.window._globals
        for name, value in self._current.items():
            if value is MISSING:
                globals_.pop(name, None)
            else:
                globals_[name] = value

    def _drop_state(self) -> None:
        self._added.clear()
        self._original.clear()
        self._current.clear()
