"""qiankun's SnapshotSandbox: diff the whole window between mount and unmount."""

from __future__ import annotations

from typing import Any

from ._base import MISSING, Sandbox, SandboxType
from ._proxy_base import PassThroughProxy
from ._window import Window


class SnapshotSandbox(Sandbox):
    """Singular sandbox that snapshots the window on ``active()`` and diffs it on ``inactive()``.

    Unlike qiankun, what an app's scripts change through the proxy before the first mount is
    undone on unmount too: those names are taken back to their values when the sandbox was made.
    """

    type = SandboxType.SNAPSHOT
    singular = True

    def __init__(self, name: str, window: Window) -> None:
        super().__init__(name, window)
        self._snapshot: dict[str, Any] = dict(window._globals)
        self._fresh = True
        self._touched: dict[str, None] = {}
        self._modified: dict[str, Any] = {}
        self._deleted: dict[str, None] = {}
        self.proxy = PassThroughProxy(self)

    def active(self) -> None:
        self._check_open("active")
        if self._fresh:
            self._rebase()
        super().active()

    def _write(self, name: str, value: Any) -> None:
        if self._fresh:
            self._touched[name] = None
        self.window._globals[name] = value
        self.latest_set_prop = name

    def _remove(self, name: str) -> None:
        if self._fresh:
            self._touched[name] = None
        del self.window._globals[name]

    def _rebase(self) -> None:
        """Snapshot the window now, but with the app's load-time writes taken back."""
        snapshot = dict(self.window._globals)
        at_creation = self._snapshot
        for name in self._touched:
            value = at_creation.get(name, MISSING)
            if value is MISSING:
                snapshot.pop(name, None)
            else:
                snapshot[name] = value
        self._snapshot = snapshot
        self._touched.clear()
        self._fresh = False

    def _resume(self) -> None:
        globals_ = self.window._globals
        self._snapshot = dict(globals_)
        for name, value in self._modified.items():
            globals_[name] = value
        for name in self._deleted:
            globals_.pop(name, None)

    def _suspend(self) -> None:
        if self._fresh:
            self._rebase()
        globals_ = self.window._globals
        snapshot = self._snapshot
        self._modified = {
            name: value
            for name, value in globals_.items()
            if snapshot.get(name, MISSING) is not value
        }
        self._deleted = dict.fromkeys(name for name in snapshot if name not in globals_)
        globals_.clear()
        globals_.update(snapshot)
        self._snapshot = {}

    def _drop_state(self) -> None:
        self._snapshot = {}
        self._touched.clear()
        self._modified = {}
        self._deleted = {}
