"""Props for every lifecycle call of an app: a fresh dict, custom props first, built-ins winning.

These are single-spa's props (``name``, ``mount_parcel``, the tab as ``orchestrator``) plus the
container an app renders into and the global-state actions, so they stay with the engine: every
registered application gets them, whichever layer registered it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import ContainerNotFoundError

if TYPE_CHECKING:
    from .dom import Document
    from .global_state import GlobalState
    from .navigation import Location
    from .registry import AppRecord

__all__ = ["AppProps", "Mounter"]

logger = logging.getLogger(__name__)

Mounter = Callable[..., Any]
"""What ``mount_parcel`` is: ``mount_parcel(config, props)`` → a parcel owned by the app."""


class AppProps:
    """Builds the props of one tab's apps from the few parts they come from."""

    def __init__(
        self,
        tab: object,
        document: Document,
        location: Location,
        mounter_for: Callable[[AppRecord], Mounter],
        global_state: Callable[[], GlobalState | None],
    ) -> None:
        self._tab = tab
        self._document = document
        self._location = location
        self._mounter_for = mounter_for
        self._global_state = global_state

    def __call__(self, app: AppRecord) -> dict[str, Any]:
        """Props for one lifecycle call of ``app`` (custom props evaluated now, as single-spa)."""
        props = _custom(app, self._location)
        props["name"] = app.name
        props["container"] = self.container(app)
        props["orchestrator"] = self._tab
        props["mount_parcel"] = self._mounter_for(app)
        state = self._global_state()
        if state is not None:
            actions = state.actions_for(app.name)
            props["set_global_state"] = actions.set_global_state
            props["on_global_state_change"] = actions.on_global_state_change
        return props

    def container(self, app: AppRecord) -> Any:
        """The element ``app`` renders into: its ``container`` setting, else a default ``<div>``."""
        spec = app.container
        if spec is None:
            element = app.default_container
            if element is None or element.getparent() is None:
                document = self._document
                element = document.create_element(
                    "div", {"id": f"single-spa-application:{app.name}"}
                )
                document.body.append(element)
                app.default_container = element
            return element
        if isinstance(spec, str):
            found = self._document.query_selector(spec)
            if found is None:
                raise ContainerNotFoundError(
                    f"container {spec!r} of application '{app.name}' matches no element",
                    app_name=app.name,
                )
            return found
        if callable(spec):
            return spec()
        return spec


def _custom(app: AppRecord, location: Any) -> dict[str, Any]:
    given = app.custom_props
    if given is None:
        return {}
    if callable(given):
        value = given(app.name, location)
        if not isinstance(value, Mapping):
            logger.warning(
                "%s's custom_props function must return a mapping. Received %r", app.name, value
            )
            return {}
        return dict(value)
    return dict(given)
