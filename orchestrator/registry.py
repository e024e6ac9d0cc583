"""The registry: registered apps in registration order, their validation, and what a URL changes.

Registering needs no event loop; the reroute engine reads ``app_changes`` at call time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .activity import ActivityFunction, sanitize_active_when
from .errors import AppNotFoundError
from .lifecycle import ChildParcel, Lifecycles
from .status import AppStatus, StatusMachine, StatusModel

__all__ = ["LOAD_RETRY_SECONDS", "AppChanges", "AppRecord", "Registry", "parse_registration"]

LOAD_RETRY_SECONDS = 0.2
"""A LOAD_ERROR app is retried by a reroute at least this long after its failure."""

_CONFIG_KEYS = ("name", "app", "active_when", "custom_props", "container")
_NOT_APPS = (str, bytes, int, float, bool, list, tuple, set)


class AppRecord(StatusModel):
    """One registered application: what the user gave plus where it is in its lifecycle."""

    def __init__(
        self,
        name: str,
        app: object,
        active_when: ActivityFunction,
        custom_props: Mapping[str, Any] | Callable[..., Any] | None,
        container: object,
    ) -> None:
        self.name = name
        self.app = app
        self.active_when = active_when
        self.custom_props = custom_props
        self.container = container
        self.lifecycles: Lifecycles | None = None
        self.load_error_time: float | None = None
        self.load_task: asyncio.Future[None] | None = None
        self.unload_request: asyncio.Future[None] | None = None
        self.parcels: dict[int, ChildParcel] = {}
        self.default_container: Any = None
        self.removed = False
        """Set by ``unregister_application``: reroutes still holding the record must leave it."""

    def __repr__(self) -> str:
        return f"<AppRecord {self.name!r} {self.status}>"


@dataclass(slots=True)
class AppChanges:
    """What a reroute has to do, each list in registration order."""

    to_unload: list[AppRecord] = field(default_factory=list)
    to_unmount: list[AppRecord] = field(default_factory=list)
    to_load: list[AppRecord] = field(default_factory=list)
    to_mount: list[AppRecord] = field(default_factory=list)

    def changed(self) -> list[AppRecord]:
        return [*self.to_unload, *self.to_load, *self.to_unmount, *self.to_mount]

    def __len__(self) -> int:
        return len(self.to_unload) + len(self.to_load) + len(self.to_unmount) + len(self.to_mount)


def _describe(value: object) -> str:
    return f"{type(value).__name__} {value!r}"


def parse_registration(
    name: object,
    app: object = None,
    active_when: object = None,
    custom_props: object = None,
    *,
    container: object = None,
) -> tuple[str, object, ActivityFunction, Any, object]:
    """Check ``register_application``'s arguments in either form; errors name the bad argument."""
    if isinstance(name, Mapping):
        if app is not None or active_when is not None or custom_props is not None:
            raise TypeError("register_application(config) takes no other positional arguments")
        config = name
        invalid = [str(key) for key in config if key not in _CONFIG_KEYS]
        if invalid:
            raise ValueError(
                "The configuration object accepts only: "
                f"{', '.join(_CONFIG_KEYS)}. Invalid keys: {', '.join(invalid)}."
            )
        if container is not None and config.get("container") is not None:
            raise TypeError("container given both in the config and as a keyword argument")
        return parse_registration(
            config.get("name"),
            config.get("app"),
            config.get("active_when"),
            config.get("custom_props"),
            container=config.get("container", container),
        )
    if name is None or isinstance(name, list | tuple):
        raise TypeError(
            "register_application needs a name (non-empty str) or a config mapping, "
            f"got {_describe(name)}"
        )
    if not isinstance(name, str):
        raise TypeError(f"name must be a non-empty str, got {_describe(name)}")
    if not name:
        raise ValueError("name must be a non-empty str, got ''")
    if app is None or isinstance(app, _NOT_APPS):
        raise TypeError(
            f"app of application '{name}' must be lifecycles (a mapping or an object with "
            f"bootstrap/mount/unmount) or a loading function, got {_describe(app)}"
        )
    if active_when is None:
        raise TypeError(
            f"active_when of application '{name}' must be a path str, a function of the location, "
            "or a list of them, got None"
        )
    try:
        activity = sanitize_active_when(active_when)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"active_when of application '{name}': {exc}") from exc
    if custom_props is not None and not (
        callable(custom_props) or isinstance(custom_props, Mapping)
    ):
        raise TypeError(
            f"custom_props of application '{name}' must be a mapping or a function "
            f"(name, location) -> mapping, got {_describe(custom_props)}"
        )
    if container is not None and not (
        isinstance(container, str) or callable(container) or hasattr(container, "tag")
    ):
        raise TypeError(
            f"container of application '{name}' must be a CSS selector, an element or a "
            f"function returning one, got {_describe(container)}"
        )
    return name, app, activity, custom_props, container


class Registry:
    """Registered apps by name, in registration order; the only owner of ``AppRecord``s."""

    def __init__(
        self, status_machine: StatusMachine, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._apps: dict[str, AppRecord] = {}
        self._machine = status_machine
        self.clock = clock

    def add(self, record: AppRecord) -> None:
        if record.name in self._apps:
            raise ValueError(f"There is already an app registered with name {record.name}")
        self._machine.attach(record, AppStatus.NOT_LOADED)
        self._apps[record.name] = record

    def remove(self, name: str) -> None:
        self._apps.pop(name).removed = True

    def get(self, name: str, action: str = "find") -> AppRecord:
        if not isinstance(name, str):
            raise TypeError(f"application name must be a str, got {_describe(name)}")
        record = self._apps.get(name)
        if record is None:
            raise AppNotFoundError(name, action)
        return record

    def find(self, name: str) -> AppRecord | None:
        return self._apps.get(name)

    def __iter__(self) -> Iterator[AppRecord]:
        return iter(self._apps.values())

    def __len__(self) -> int:
        return len(self._apps)

    def __contains__(self, name: object) -> bool:
        return name in self._apps

    def names(self) -> list[str]:
        return list(self._apps)

    def mounted_names(self) -> list[str]:
        mounted = _MOUNTED
        return [app.name for app in self._apps.values() if app.status is mounted]

    def app_changes(self, location: Any, is_active: Callable[[AppRecord, Any], bool]) -> AppChanges:
        """single-spa's ``getAppChanges``: one activity check per app, then a status switch."""
        changes = AppChanges()
        unload, unmount, load, mount = (
            changes.to_unload,
            changes.to_unmount,
            changes.to_load,
            changes.to_mount,
        )
        now = self.clock()
        skipped, mounted, not_mounted, not_bootstrapped = (
            _SKIPPED,
            _MOUNTED,
            _NOT_MOUNTED,
            _NOT_BOOT,
        )
        not_loaded, loading, load_error = _NOT_LOADED, _LOADING, _LOAD_ERROR
        for app in self._apps.values():
            if app.status is skipped:
                continue
            active = is_active(app, location)
            status = app.status
            if status is mounted:
                if not active:
                    unmount.append(app)
            elif status is not_mounted or status is not_bootstrapped:
                if not active and app.unload_request is not None:
                    unload.append(app)
                elif active:
                    mount.append(app)
            elif status is not_loaded or status is loading:
                if active:
                    load.append(app)
            elif status is load_error:
                failed_at = app.load_error_time
                if active and (failed_at is None or now - failed_at >= LOAD_RETRY_SECONDS):
                    load.append(app)
        return changes


_SKIPPED = AppStatus.SKIP_BECAUSE_BROKEN
_MOUNTED = AppStatus.MOUNTED
_NOT_MOUNTED = AppStatus.NOT_MOUNTED
_NOT_BOOT = AppStatus.NOT_BOOTSTRAPPED
_NOT_LOADED = AppStatus.NOT_LOADED
_LOADING = AppStatus.LOADING_SOURCE_CODE
_LOAD_ERROR = AppStatus.LOAD_ERROR
