"""Keep-alive: an app that leaves its route is hidden, not unmounted (micro-app's model).

Hidden means its wrapper is detached and kept, its timers are paused (each resumes with the
delay it had left: no peer does this), its window listeners and global-state listener are taken
off and put back on show, and the signals ``after-hidden``, ``before-show``, ``after-show`` reach
the app (an ``appstate-change`` event on its window) and the shell (tab signals) in micro-app's
order. Shown again, an app whose URL moved on hears a ``popstate`` before it is visible, so it
is never shown with a stale page.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from sandbox import Event

App = TypeVar("App", bound=Hashable)

__all__ = [
    "AFTER_HIDDEN",
    "AFTER_SHOW",
    "APP_STATE_CHANGE",
    "BEFORE_SHOW",
    "DEFAULT_MAX_HIDDEN",
    "HiddenApps",
    "app_state_event",
]

AFTER_HIDDEN = "after-hidden"
BEFORE_SHOW = "before-show"
AFTER_SHOW = "after-show"
APP_STATE_CHANGE = "appstate-change"
"""The window event an app hears, ``event.detail["app_state"]`` one of the three states."""
DEFAULT_MAX_HIDDEN = 5
"""Hidden apps kept per tab; the least recently hidden beyond it is unmounted for real."""


def app_state_event(state: str, url: str) -> Event:
    """micro-app's ``appstate-change``, with the state spelled as its signal is."""
    return Event(APP_STATE_CHANGE, detail={"app_state": state, "url": url})


class HiddenApps(Generic[App]):
    """The hidden apps of one tab, least recently hidden first, bounded in number."""

    def __init__(
        self, evict: Callable[[App], Awaitable[None]], max_hidden: int = DEFAULT_MAX_HIDDEN
    ) -> None:
        if max_hidden < 0:
            raise ValueError(f"max_hidden must not be negative, got {max_hidden}")
        self.max_hidden = max_hidden
        self._evict = evict
        self._apps: OrderedDict[App, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._apps)

    def __contains__(self, app: object) -> bool:
        return app in self._apps

    async def hidden(self, app: App) -> None:
        """``app`` was just hidden: remember it, and unmount the oldest beyond the bound."""
        self._apps[app] = None
        self._apps.move_to_end(app)
        while len(self._apps) > self.max_hidden:
            oldest, _ = self._apps.popitem(last=False)
            await self._evict(oldest)

    def shown(self, app: App) -> None:
        self._apps.pop(app, None)
