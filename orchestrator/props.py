"""Props for every lifecycle call: a fresh dict, custom props first, built-ins winning."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import ContainerNotFoundError

if TYPE_CHECKING:
    from .core import Orchestrator
    from .registry import AppRecord

__all__ = ["app_props", "resolve_container"]

logger = logging.getLogger(__name__)


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


def resolve_container(orchestrator: Orchestrator, app: AppRecord) -> Any:
    """The element ``app`` renders into: its ``container`` setting, else a default ``<div>``."""
    spec = app.container
    if spec is None:
        element = app.default_container
        if element is None or element.getparent() is None:
            document = orchestrator.document
            element = document.create_element("div", {"id": f"single-spa-application:{app.name}"})
            document.body.append(element)
            app.default_container = element
        return element
    if isinstance(spec, str):
        found = orchestrator.document.query_selector(spec)
        if found is None:
            raise ContainerNotFoundError(
                f"container {spec!r} of application '{app.name}' matches no element"
            )
        return found
    if callable(spec):
        return spec()
    return spec


def app_props(orchestrator: Orchestrator, app: AppRecord) -> dict[str, Any]:
    """Props for one lifecycle call of ``app`` (custom props evaluated now, as single-spa)."""
    props = _custom(app, orchestrator.location)
    props["name"] = app.name
    props["container"] = resolve_container(orchestrator, app)
    props["orchestrator"] = orchestrator
    props["mount_parcel"] = orchestrator._parcels.mounter_for(app)
    state = orchestrator.global_state
    if state is not None:
        actions = state.actions_for(app.name)
        props["set_global_state"] = actions.set_global_state
        props["on_global_state_change"] = actions.on_global_state_change
    return props
