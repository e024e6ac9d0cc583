"""qiankun's ProxySandbox: each app writes to its own overlay, so many can run at once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ._base import MISSING, Sandbox, SandboxType
from ._proxy_base import SandboxProxy
from ._window import BROWSER_NAMES, Window

#: Names an app may only mean for the real window (module loaders, dev overlays), as qiankun's.
DEFAULT_GLOBAL_WHITELIST: tuple[str, ...] = (
    "System",
    "__cjsWrapper",
    "__REACT_ERROR_OVERLAY_GLOBAL_HOOK__",
)


class _OverlayProxy(SandboxProxy):
    """Reads the overlay, then the real window; writes land in the overlay only."""

    __slots__ = ("_overlay", "_whitelist")

    _overlay: dict[str, Any]
    _whitelist: frozenset[str]

    def __init__(self, sandbox: ProxySandbox) -> None:
        super().__init__(sandbox)
        object.__setattr__(self, "_overlay", sandbox._overlay)
        object.__setattr__(self, "_whitelist", sandbox.global_whitelist)

    def __getattr__(self, name: str) -> Any:
        overlay = self._overlay
        if name in overlay:
            return overlay[name]
        try:
            return self._globals[name]
        except KeyError:
            raise self._no_global(name) from None

    def __getitem__(self, name: str) -> Any:
        overlay = self._overlay
        if name in overlay:
            return overlay[name]
        try:
            return self._globals[name]
        except KeyError:
            if name in BROWSER_NAMES:
                return getattr(self, name)
            raise KeyError(name) from None

    def __contains__(self, name: object) -> bool:
        return name in self._overlay or name in self._globals or name in BROWSER_NAMES

    def _set(self, name: str, value: Any) -> None:
        sandbox = self._sandbox
        if not sandbox.sandbox_running:
            sandbox._refuse(f"Set window.{name}")
            return
        if name in self._whitelist:
            sandbox._write(name, value)
        else:
            self._overlay[name] = value
        sandbox.latest_set_prop = name

    def _delete(self, name: str) -> bool:
        overlay = self._overlay
        exists = name in overlay or name in self._globals
        if not exists:
            return False
        sandbox = self._sandbox
        if not sandbox.sandbox_running:
            sandbox._refuse(f"Delete window.{name}")
        elif name in self._whitelist:
            if name in self._globals:
                sandbox._remove(name)
        else:
            overlay.pop(name, None)
        return True

    def keys(self) -> list[str]:
        """The window's globals, then the names only this app has set (as qiankun's ownKeys)."""
        window_keys = self._globals
        return [*window_keys, *(name for name in self._overlay if name not in window_keys)]


class _InsulatedOverlayProxy(_OverlayProxy):
    """An overlay proxy for which some names never come from the window (Garfish's
    ``insulationVariable``): the app sees only its own value of them, or none."""

    __slots__ = ("_insulated",)

    _insulated: frozenset[str]

    def __init__(self, sandbox: ProxySandbox) -> None:
        super().__init__(sandbox)
        object.__setattr__(self, "_insulated", sandbox.insulated)

    def __getattr__(self, name: str) -> Any:
        overlay = self._overlay
        if name in overlay:
            return overlay[name]
        if name not in self._insulated:
            try:
                return self._globals[name]
            except KeyError:
                pass
        raise self._no_global(name)

    def __getitem__(self, name: str) -> Any:
        overlay = self._overlay
        if name in overlay:
            return overlay[name]
        if name not in self._insulated and name in self._globals:
            return self._globals[name]
        if name in BROWSER_NAMES:
            return getattr(self, name)
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        if name in self._overlay or name in BROWSER_NAMES:
            return True
        return name not in self._insulated and name in self._globals

    def _set(self, name: str, value: Any) -> None:
        if name in self._insulated:
            sandbox = self._sandbox
            if not sandbox.sandbox_running:
                sandbox._refuse(f"Set window.{name}")
                return
            self._overlay[name] = value
            sandbox.latest_set_prop = name
            return
        super()._set(name, value)

    def _delete(self, name: str) -> bool:
        if name in self._insulated and name not in self._overlay:
            return False
        return super()._delete(name)

    def keys(self) -> list[str]:
        insulated, overlay = self._insulated, self._overlay
        window_keys = [name for name in self._globals if name not in insulated]
        return [*window_keys, *(name for name in overlay if name not in window_keys)]


class ProxySandbox(Sandbox):
    """Multi-instance sandbox: writes go to a per-app overlay, reads fall back to the window.

    The overlay survives ``inactive()``/``active()``; whitelisted names are written to the real
    window and put back as they were on ``inactive()``. Two proxies never see each other's writes.

    ``insulated`` names are never read from the window (Garfish's ``insulationVariable``):
    the app sees only the value it set itself; ``global_whitelist`` is qiankun's list of names
    written through (Garfish's ``protectVariable``).

    ``window`` may be another sandbox's proxy (an app nested in an app, qiankun inside qiankun):
    reads then fall through both overlays, writes stay in this one, whitelisted names are
    written to the outer proxy under its rules, and the outer app's unmount, pause and close
    reach this app's listeners, timers and tasks.
    """

    type = SandboxType.PROXY
    nestable = True

    def __init__(
        self,
        name: str,
        window: Window | SandboxProxy,
        *,
        global_whitelist: Iterable[str] = DEFAULT_GLOBAL_WHITELIST,
        insulated: Iterable[str] = (),
    ) -> None:
        if isinstance(insulated, str) or isinstance(global_whitelist, str):
            raise TypeError(f"sandbox {name!r}: name lists must be iterables of str, not a str")
        super().__init__(name, window)
        self.global_whitelist = frozenset(global_whitelist)
        self.insulated = frozenset(insulated)
        both = self.global_whitelist & self.insulated
        if both:
            raise ValueError(
                f"sandbox {name!r}: {', '.join(sorted(both))} cannot be both written through to "
                f"the window (global_whitelist) and kept from it (insulated)"
            )
        self._overlay: dict[str, Any] = {}
        self._whitelist_prev: dict[str, Any] = {}
        self.proxy = _InsulatedOverlayProxy(self) if self.insulated else _OverlayProxy(self)

    @property
    def own_keys(self) -> list[str]:
        """The names this app set in its overlay, in the order it first set them."""
        return list(self._overlay)

    def _write(self, name: str, value: Any) -> None:
        globals_ = self._globals
        if name not in self._whitelist_prev:
            self._whitelist_prev[name] = globals_.get(name, MISSING)
        globals_[name] = value

    def _remove(self, name: str) -> None:
        globals_ = self._globals
        if name not in self._whitelist_prev:
            self._whitelist_prev[name] = globals_.get(name, MISSING)
        globals_.pop(name, None)

    def _resume(self) -> None:
        pass

    def _suspend(self) -> None:
        globals_ = self._globals
        for name, previous in self._whitelist_prev.items():
            if previous is MISSING:
                globals_.pop(name, None)
            else:
                globals_[name] = previous
        self._whitelist_prev.clear()

    def _drop_state(self) -> None:
        self._overlay.clear()
