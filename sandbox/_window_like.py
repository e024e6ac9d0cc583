"""The interface every ``window`` an app can be given offers: the ``Window`` and each proxy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ._events import Event, Listener

if TYPE_CHECKING:
    from ._proxy_base import SandboxProxy
    from ._window import Window


@runtime_checkable
class WindowLike(Protocol):
    """What DESIGN calls "the same interface as ``Window``", as a type users can check against.

    A proxy is not a ``Window`` subclass (it must not inherit the real globals' storage), so
    ``isinstance(proxy, Window)`` is false; ``isinstance(proxy, WindowLike)`` is true for the
    window and for every sandbox's proxy. Like every runtime protocol, the check looks at which
    members exist, not at their signatures; mypy checks those.
    """

    @property
    def document(self) -> Any: ...

    @property
    def location(self) -> Any: ...

    @property
    def history(self) -> Any: ...

    @property
    def window(self) -> WindowLike: ...

    @property
    def self(self) -> WindowLike: ...

    @property
    def global_this(self) -> WindowLike: ...

    def __getitem__(self, name: str) -> Any: ...

    def __setitem__(self, name: str, value: Any) -> None: ...

    def __delitem__(self, name: str) -> None: ...

    def __contains__(self, name: object) -> bool: ...

    def __iter__(self) -> Iterator[str]: ...

    def __len__(self) -> int: ...

    def get(self, name: str, default: Any = None) -> Any: ...

    def keys(self) -> list[str]: ...

    def values(self) -> list[Any]: ...

    def items(self) -> list[tuple[str, Any]]: ...

    def add_event_listener(self, type: str, listener: Listener, *, once: bool = False) -> None: ...

    def remove_event_listener(self, type: str, listener: Listener) -> None: ...

    def dispatch_event(self, event: Event) -> bool: ...

    def call_event_listeners(self, event: Event) -> None: ...

    def set_timeout(self, callback: Callable[..., Any], delay: float = 0, *args: Any) -> int: ...

    def set_interval(self, callback: Callable[..., Any], delay: float = 0, *args: Any) -> int: ...

    def clear_timeout(self, handle: int | None) -> None: ...

    def clear_interval(self, handle: int | None) -> None: ...


if TYPE_CHECKING:

    def _conforms(window: Window, proxy: SandboxProxy) -> tuple[WindowLike, WindowLike]:
        """Never called: mypy checks here that both really offer the interface."""
        return window, proxy
