"""The ``window`` an app sees: the Window interface; writes and side effects go to its sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

from ._effects import SideEffects
from ._events import Event, Listener
from ._window import BROWSER_NAMES, Window

if TYPE_CHECKING:
    from ._base import Sandbox


class SandboxProxy:
    """Offers the ``Window`` interface to one app; reads fall back to the real window.

    ``window``/``self``/``global_this`` give the proxy itself, ``document``/``location``/``history``
    the real window's. Listeners and timers go to the real window but are recorded so the
    sandbox frees them on ``inactive()`` and pauses them on ``pause()``. Subclasses decide where
    writes and deletes land. For a nested sandbox the "real window" is its outer app's proxy.
    """

    __slots__ = ("_effects", "_globals", "_sandbox", "_window")

    _window: Window | SandboxProxy
    _globals: MutableMapping[str, Any]
    _sandbox: Sandbox
    _effects: SideEffects

    def __init__(self, sandbox: Sandbox) -> None:
        init = object.__setattr__
        init(self, "_sandbox", sandbox)
        init(self, "_window", sandbox.window)
        init(self, "_globals", sandbox._globals)
        init(self, "_effects", sandbox._effects)

    # -- browser surface --------------------------------------------------------------------

    @property
    def document(self) -> Any:
        return self._window.document

    @property
    def location(self) -> Any:
        return self._window.location

    @property
    def history(self) -> Any:
        return self._window.history

    @property
    def window(self) -> SandboxProxy:
        return self

    @property
    def self(self) -> SandboxProxy:
        return self

    @property
    def global_this(self) -> SandboxProxy:
        return self

    # -- globals: reads ---------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        try:
            return self._globals[name]
        except KeyError:
            raise self._no_global(name) from None

    def __getitem__(self, name: str) -> Any:
        try:
            return self._globals[name]
        except KeyError:
            if name in BROWSER_NAMES:
                return getattr(self, name)
            raise KeyError(name) from None

    def __contains__(self, name: object) -> bool:
        return name in self._globals or name in BROWSER_NAMES

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self[name]
        except KeyError:
            return default

    def keys(self) -> list[str]:
        return list(self._globals)

    def values(self) -> list[Any]:
        return [self[name] for name in self.keys()]

    def items(self) -> list[tuple[str, Any]]:
        return [(name, self[name]) for name in self.keys()]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def __bool__(self) -> bool:
        return True

    # -- globals: writes --------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _PROXY_CLASS_NAMES:
            raise AttributeError(
                f"cannot set {name!r} on the window of {self._sandbox.name!r}: it is built in"
            )
        self._set(name, value)

    def __setitem__(self, name: str, value: Any) -> None:
        if name in BROWSER_NAMES:
            raise KeyError(f"cannot set {name!r} on the window of {self._sandbox.name!r}")
        self._set(name, value)

    def __delattr__(self, name: str) -> None:
        if not self._delete(name):
            raise self._no_global(name)

    def __delitem__(self, name: str) -> None:
        if not self._delete(name):
            raise KeyError(name)

    def _no_global(self, name: str) -> AttributeError:
        return AttributeError(f"window of {self._sandbox.name!r} has no global {name!r}")

    def _set(self, name: str, value: Any) -> None:
        raise NotImplementedError

    def _delete(self, name: str) -> bool:
        """Delete ``name``; ``False`` when there was no such global at all."""
        raise NotImplementedError

    # -- events and timers (recorded) -------------------------------------------------------

    def add_event_listener(self, type: str, listener: Listener, *, once: bool = False) -> None:
        if not self._sandbox._effects_open():
            self._sandbox._refuse(f"Add a {type!r} listener")
            return
        self._effects.add_event_listener(type, listener, once=once)

    def remove_event_listener(self, type: str, listener: Listener) -> None:
        """Remove a listener the app added (compared with ``==``: bound methods match)."""
        self._effects.remove_event_listener(type, listener)

    def dispatch_event(self, event: Event) -> bool:
        return self._window.dispatch_event(event)

    def call_event_listeners(self, event: Event) -> None:
        self._window.call_event_listeners(event)

    def set_timeout(self, callback: Callable[..., Any], delay: float = 0, *args: Any) -> int:
        """As ``Window.set_timeout``; ``0`` (no timer) while the sandbox is inactive."""
        if not self._sandbox._effects_open():
            self._sandbox._refuse("Call set_timeout")
            return 0
        return self._effects.set_timeout(callback, delay, args)

    def set_interval(self, callback: Callable[..., Any], delay: float = 0, *args: Any) -> int:
        """As ``Window.set_interval``; ``0`` (no timer) while the sandbox is inactive."""
        if not self._sandbox._effects_open():
            self._sandbox._refuse("Call set_interval")
            return 0
        return self._effects.set_interval(callback, delay, args)

    def clear_timeout(self, handle: int | None) -> None:
        self._effects.clear_timer(handle)

    clear_interval = clear_timeout

    def __repr__(self) -> str:
        return f"<window proxy of {self._sandbox!r}>"


_PROXY_CLASS_NAMES = (
    frozenset(name for name in dir(SandboxProxy) if not name.startswith("__")) | BROWSER_NAMES
)


class PassThroughProxy(SandboxProxy):
    """A thin recorder over the real window (legacy and snapshot sandboxes): writes go through."""

    __slots__ = ()

    def _set(self, name: str, value: Any) -> None:
        sandbox = self._sandbox
        if not sandbox._writes_open():
            sandbox._refuse(f"Set window.{name}")
            return
        sandbox._write(name, value)

    def _delete(self, name: str) -> bool:
        sandbox = self._sandbox
        if name not in self._globals:
            return False
        if not sandbox._writes_open():
            sandbox._refuse(f"Delete window.{name}")
            return True
        sandbox._remove(name)
        return True
