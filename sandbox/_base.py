"""What every sandbox shares: its type, running flag, side-effect record and disposal."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, MutableMapping
from enum import StrEnum
from typing import Any

from ._effects import SideEffects
from ._events import Event
from ._proxy_base import SandboxProxy
from ._window import BROWSER_NAMES, Window

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
    ``inactive()`` (the app's unmount) frees the listeners and timers it added, cancels the
    tasks its async callbacks started and puts the window back, ``active()`` (mount) brings
    the app's state back, with the window listeners its scripts added at load time (they will
    not run again). ``pause()``/``resume()`` hide and show a kept-alive app without either.
    """

    type: SandboxType
    proxy: SandboxProxy
    #: whether this kind of sandbox may sit over another sandbox's proxy (nested apps)
    nestable = False
    #: one app at a time writes the real window (legacy, snapshot): hiding it must put the
    #: window back, or the next app would take the hidden one's globals for the window's own
    singular = False

    def __init__(self, name: str, window: Window | SandboxProxy) -> None:
        """``window`` is the tab's ``Window``, or (``nestable`` kinds) the proxy of the app
        this one is nested in; ``root_window`` is then the tab's, ``outer`` that app's sandbox."""
        self.name = name
        self.window: Window | SandboxProxy = window
        self.outer: Sandbox | None = None
        self._globals: MutableMapping[str, Any]
        self.root_window: Window
        parent_effects: SideEffects | None = None
        if isinstance(window, Window):
            self.root_window = window
            self._globals = window._globals
        elif isinstance(window, SandboxProxy) and self.nestable:
            outer = window._sandbox
            self.outer = outer
            self.root_window = outer.root_window
            self._globals = OuterGlobals(window)
            parent_effects = outer._effects
        elif isinstance(window, SandboxProxy):
            raise TypeError(
                f"{type(self).__name__} {name!r} needs a sandbox.Window; only a ProxySandbox "
                f"can sit over another sandbox's proxy"
            )
        else:
            raise TypeError(f"sandbox {name!r} needs a sandbox.Window, got {type(window).__name__}")
        self.sandbox_running = True
        self.latest_set_prop: str | None = None
        self.closed = False
        #: hidden by ``pause()`` (keep-alive), as opposed to held by an outer app's pause
        self.hidden = False
        self._effects: SideEffects = SideEffects(self.root_window, parent_effects)

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
        if not (self.hidden and self.singular):  # a hidden singular app's window is back already
            self._suspend()
        self.hidden = False
        self.sandbox_running = False

    def close(self) -> None:
        """Throw the sandbox away for good (the app is unloaded): suspend it and drop its state."""
        if self.closed:
            return
        self.inactive()
        self._effects.free()
        self._effects.forget_bootstrap()
        self._effects.detach()
        self._drop_state()
        self.closed = True

    async def aclose(self) -> None:
        """``close()``, then wait until the tasks its app's callbacks started have ended."""
        self.close()
        await self._effects.settle()

    async def settle(self) -> None:
        """Wait until the tasks cancelled by ``inactive()`` or ``close()`` have ended.

        ``inactive()`` is synchronous (qiankun's is), so it can only cancel; an async unmount
        awaits this after it to know none of the app's coroutines is still running.
        """
        await self._effects.settle()

    # -- keep-alive ---------------------------------------------------------------------------

    def pause(self) -> None:
        """Hide the app (keep-alive): its timers stop, its window listeners come off.

        Each timeout and interval keeps the delay it had left and nothing of it fires until
        ``resume()``; timers the app starts meanwhile wait too. Its tasks keep running. A
        ProxySandbox keeps its overlay as it is; the singular sandboxes (legacy, snapshot) put
        the window back as ``inactive()`` does and refuse writes until shown, since another app
        may mount meanwhile. Pausing an outer app pauses the apps nested in it.
        """
        self._check_open("pause")
        if not self.sandbox_running:
            raise RuntimeError(f"cannot pause sandbox of {self.name!r}: it is not active")
        if self.hidden:
            return
        self.hidden = True
        self._effects.pause()
        if self.singular:
            self._suspend()

    def resume(self) -> None:
        """Show the app again: timers run on with their remaining delays, listeners are re-added
        in the order the app added them (after any the shell added meanwhile)."""
        self._check_open("resume")
        if not self.hidden:
            return
        self.hidden = False
        if self.singular:
            self._resume()
        self._effects.resume()

    def dispatch_to_app(self, event: Event) -> None:
        """Deliver ``event`` to this app's own window listeners only (not other apps', not the
        shell's): micro-app's ``appstate-change``, or a ``popstate`` telling a shown app its URL."""
        self._effects.dispatch_to_app(event)

    @property
    def paused(self) -> bool:
        """Whether the app's timers and listeners are held, by ``pause()`` or its outer app's."""
        return self._effects.paused

    def _writes_open(self) -> bool:
        """Whether the app may change the window's globals now."""
        return self.sandbox_running and not (self.hidden and self.singular)

    def _effects_open(self) -> bool:
        """Whether the app may add listeners and timers: it and every app around it are running."""
        outer = self.outer
        return self.sandbox_running and (outer is None or outer._effects_open())

    @property
    def listener_count(self) -> int:
        """Window listeners the app added through the proxy and has not removed."""
        return self._effects.listener_count

    @property
    def timer_count(self) -> int:
        """Timers the app started through the proxy that are still pending."""
        return self._effects.timer_count

    @property
    def task_count(self) -> int:
        """Tasks the app's async callbacks started that are still running."""
        return self._effects.task_count

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


class OuterGlobals(MutableMapping[str, Any]):
    """The globals a nested sandbox falls back to: those its outer app's proxy shows.

    Reads go through the outer proxy (its overlay, then the window); writes and deletes obey
    the outer sandbox's rules, as an app's own would.
    """

    __slots__ = ("_proxy",)

    def __init__(self, proxy: SandboxProxy) -> None:
        self._proxy = proxy

    def __getitem__(self, name: str) -> Any:
        if name in BROWSER_NAMES:
            raise KeyError(name)
        return self._proxy[name]

    def __contains__(self, name: object) -> bool:
        return name not in BROWSER_NAMES and name in self._proxy

    def __setitem__(self, name: str, value: Any) -> None:
        self._proxy[name] = value

    def __delitem__(self, name: str) -> None:
        del self._proxy[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._proxy.keys())

    def __len__(self) -> int:
        return len(self._proxy.keys())
