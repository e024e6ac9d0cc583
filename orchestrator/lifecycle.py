"""Lifecycle functions: finding them in what an app exports, and calling them with timeouts.

Each lifecycle may be a sync or async callable or a list of them; we flatten it to one async
function so the engine never cares which it was.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

from ._tasks import call_in_order, call_maybe_async
from .errors import InvalidExportsError, LifecycleTimeoutError
from .status import AppStatus

__all__ = [
    "DEFAULT_TIMEOUTS",
    "LIFECYCLE_NAMES",
    "AppStatus",
    "InvalidExportsError",
    "Lifecycle",
    "Lifecycles",
    "Timeout",
    "as_lifecycle",
    "call_lifecycle",
    "merge_timeouts",
    "read_lifecycles",
]

logger = logging.getLogger(__name__)

Props: TypeAlias = dict[str, Any]
Lifecycle: TypeAlias = Callable[[Props], Awaitable[None]]
LIFECYCLE_NAMES = ("bootstrap", "mount", "unmount", "unload", "update")


@dataclass(frozen=True, slots=True)
class Timeout:
    """How long one lifecycle may take (single-spa's ``{millis, dieOnTimeout, warningMillis}``)."""

    millis: float = 3000
    die_on_timeout: bool = False
    warning_millis: float = 1000


DEFAULT_TIMEOUTS: Mapping[str, Timeout] = {
    "bootstrap": Timeout(millis=4000),
    "mount": Timeout(),
    "unmount": Timeout(),
    "unload": Timeout(),
    "update": Timeout(),
}

_TIMEOUT_KEYS = {
    "millis": "millis",
    "die_on_timeout": "die_on_timeout",
    "dieOnTimeout": "die_on_timeout",
    "warning_millis": "warning_millis",
    "warningMillis": "warning_millis",
}


class ChildParcel(Protocol):
    """A parcel as its owner sees it: something to unmount before the owner unmounts."""

    async def unmount_this_parcel(self) -> None: ...


def _one_timeout(base: Timeout, given: object, where: str) -> Timeout:
    if isinstance(given, Timeout):
        return given
    if isinstance(given, int | float) and not isinstance(given, bool):
        given = {"millis": given}
    if not isinstance(given, Mapping):
        raise TypeError(f"{where} must be a mapping like {{'millis': 3000}}, got {given!r}")
    fields: dict[str, Any] = {
        "millis": base.millis,
        "die_on_timeout": base.die_on_timeout,
        "warning_millis": base.warning_millis,
    }
    for key, value in given.items():
        field = _TIMEOUT_KEYS.get(key)
        if field is None:
            raise ValueError(f"{where} has an unknown key {key!r}")
        if field == "die_on_timeout":
            fields[field] = bool(value)
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ValueError(
                f"{where}.{key} must be a positive number of milliseconds, got {value!r}"
            )
        fields[field] = value
    return Timeout(fields["millis"], fields["die_on_timeout"], fields["warning_millis"])


def merge_timeouts(
    base: Mapping[str, Timeout], given: object, where: str = "timeouts"
) -> dict[str, Timeout]:
    """``base`` overridden per lifecycle by ``given`` (never mutating either)."""
    merged = dict(base)
    if given is None:
        return merged
    if not isinstance(given, Mapping):
        raise TypeError(f"{where} must be a mapping of lifecycle name to timeout, got {given!r}")
    for lifecycle, value in given.items():
        if lifecycle not in DEFAULT_TIMEOUTS:
            raise ValueError(f"{where} has an unknown lifecycle {lifecycle!r}")
        merged[lifecycle] = _one_timeout(merged[lifecycle], value, f"{where}[{lifecycle!r}]")
    return merged


async def _noop(props: Props) -> None:
    return None


def as_lifecycle(value: object, lifecycle: str, owner: str) -> Lifecycle:
    """One async function running each of ``value``'s callables in order."""
    if value is None:
        return _noop
    if callable(value):
        fn = value

        async def _single(props: Props) -> None:
            await call_maybe_async(fn, props)

        return _single
    if isinstance(value, list | tuple):
        fns = list(value)

        async def _chain(props: Props) -> None:
            await call_in_order(fns, props)

        return _chain
    raise InvalidExportsError(f"{owner} exports a {lifecycle} that is neither callable nor a list")


def _valid(value: object) -> bool:
    if callable(value):
        return True
    return isinstance(value, list | tuple) and all(callable(fn) for fn in value)


def _export(exports: object, key: str) -> tuple[bool, object]:
    if isinstance(exports, Mapping):
        return (key in exports, exports.get(key))
    if hasattr(exports, key):
        return (True, getattr(exports, key))
    return (False, None)


@dataclass(slots=True)
class Lifecycles:
    """An app's (or parcel's) lifecycles once loaded, each flattened, plus its timeouts."""

    bootstrap: Lifecycle
    mount: Lifecycle
    unmount: Lifecycle
    unload: Lifecycle
    update: Lifecycle | None
    timeouts: dict[str, Timeout]


def read_lifecycles(
    exports: object, owner: str, base_timeouts: Mapping[str, Timeout]
) -> Lifecycles:
    """Validate and flatten what a loader returned, or raise ``InvalidExportsError`` saying why."""
    if exports is None or isinstance(exports, str | bytes | int | float | bool):
        raise InvalidExportsError(f"{owner} does not export anything (got {exports!r})")
    found: dict[str, object] = {}
    for key in LIFECYCLE_NAMES:
        present, value = _export(exports, key)
        if present and value is not None and not _valid(value):
            raise InvalidExportsError(
                f"{owner} does not export a valid {key} function or list of functions"
            )
        if present and value is None and key in ("bootstrap",):
            raise InvalidExportsError(f"{owner} exports bootstrap = None")
        found[key] = value if present else None
    for key in ("mount", "unmount"):
        if found[key] is None:
            raise InvalidExportsError(
                f"{owner} does not export a {key} function or list of functions"
            )
    _, timeouts = _export(exports, "timeouts")
    try:
        merged = merge_timeouts(base_timeouts, timeouts, f"{owner} timeouts")
    except (TypeError, ValueError) as exc:
        raise InvalidExportsError(str(exc)) from exc
    return Lifecycles(
        bootstrap=as_lifecycle(found["bootstrap"], "bootstrap", owner),
        mount=as_lifecycle(found["mount"], "mount", owner),
        unmount=as_lifecycle(found["unmount"], "unmount", owner),
        unload=as_lifecycle(found["unload"], "unload", owner),
        update=None if found["update"] is None else as_lifecycle(found["update"], "update", owner),
        timeouts=merged,
    )


def timeout_message(lifecycle: str, kind: str, name: str, millis: float) -> str:
    return (
        f"Lifecycle function {lifecycle} for {kind} {name} lifecycle did not resolve or reject "
        f"for {millis:g} ms."
    )


async def call_lifecycle(
    fn: Lifecycle, props: Props, lifecycle: str, kind: str, name: str, limits: Timeout
) -> None:
    """Run ``fn(props)``, warning every ``warning_millis`` and at ``millis`` failing or logging.

    Without ``die_on_timeout`` a late lifecycle is awaited however long it takes (as single-spa).
    """
    loop = asyncio.get_running_loop()
    message = timeout_message(lifecycle, kind, name, limits.millis)
    state = {"done": False, "warned": 0}

    def _warn() -> None:
        if state["done"]:
            return
        state["warned"] += 1
        next_at = (state["warned"] + 1) * limits.warning_millis
        logger.warning(message)
        if next_at < limits.millis:
            handles.append(loop.call_later(limits.warning_millis / 1000, _warn))

    def _late() -> None:
        if not state["done"]:
            logger.error(message)

    handles: list[asyncio.TimerHandle] = []
    if limits.warning_millis < limits.millis:
        handles.append(loop.call_later(limits.warning_millis / 1000, _warn))
    try:
        if limits.die_on_timeout:
            try:
                async with asyncio.timeout(limits.millis / 1000):
                    await fn(props)
            except TimeoutError as exc:
                raise LifecycleTimeoutError(message) from exc
        else:
            handles.append(loop.call_later(limits.millis / 1000, _late))
            await fn(props)
    finally:
        state["done"] = True
        for handle in handles:
            handle.cancel()
