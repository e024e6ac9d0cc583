"""Garfish's plugin kernel: the hooks, their kinds, and the order listeners are called in.

The order is the one Garfish's code produces, not its docs': global hooks (``before_load``…)
call the plugins in registration order and the ``run`` options' own hooks last (Garfish adds
its ``global-lifecycle`` plugin at the end of ``run``); app hooks (``before_mount``…) call the
app's own hooks first (its registration merged over the options: Garfish's
``<name>-lifecycle`` plugin), then the plugins; a function met twice is called once (a Set).
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .._tasks import maybe_await
from ._errors import GarfishError

__all__ = [
    "APP_HOOKS",
    "GLOBAL_HOOKS",
    "HOOK_NAMES",
    "HookKind",
    "Listener",
    "Plugin",
    "check_plugin",
    "rethrow",
]

logger = logging.getLogger("orchestrator.garfish")


class HookKind(enum.Enum):
    """Garfish's hook classes: ``SyncHook`` (all called) or ``AsyncHook`` (``False`` stops)."""

    SYNC = "sync"
    ASYNC = "async"


#: Global hooks (``globalLifecycle``), in the order a ``run`` and a ``load_app`` reach them.
GLOBAL_HOOKS: Mapping[str, HookKind] = {
    "before_bootstrap": HookKind.SYNC,
    "bootstrap": HookKind.SYNC,
    "before_register_app": HookKind.SYNC,
    "register_app": HookKind.SYNC,
    "before_load": HookKind.ASYNC,
    "after_load": HookKind.ASYNC,
    "error_load_app": HookKind.SYNC,
}

#: App hooks (``appLifecycle``), in the order a mount and an unmount reach them.
APP_HOOKS: Mapping[str, HookKind] = {
    "before_mount": HookKind.SYNC,
    "before_eval": HookKind.SYNC,
    "after_eval": HookKind.SYNC,
    "error_exec_code": HookKind.SYNC,
    "after_mount": HookKind.SYNC,
    "error_mount_app": HookKind.SYNC,
    "before_unmount": HookKind.SYNC,
    "after_unmount": HookKind.SYNC,
    "error_unmount_app": HookKind.SYNC,
}

HOOK_NAMES: frozenset[str] = frozenset(GLOBAL_HOOKS) | frozenset(APP_HOOKS)
ERROR_HOOKS = frozenset({"error_load_app", "error_mount_app", "error_unmount_app"})
_PLUGIN_KEYS = HOOK_NAMES | {"name", "version"}

Listener = Callable[..., Any]


def rethrow(error: BaseException, *args: Any) -> None:
    """Garfish's default ``error_load_app``/``error_mount_app``/``error_unmount_app``: throw."""
    raise error


@dataclasses.dataclass(frozen=True)
class Plugin:
    """One plugin: its name and the hooks it listens to."""

    name: str
    hooks: Mapping[str, Listener]
    version: str | None = None
    options_level: bool = False
    """The options' or an app's own hooks: an error hook raising there fails the step (the
    default does so, as Garfish's); anything else raising is logged and the app continues."""


def check_plugin(plugin: Any, garfish: Any) -> Plugin:
    """A plugin dict (or a function of ``garfish`` returning one, as Garfish's ``usePlugin``)."""
    if callable(plugin) and not isinstance(plugin, Mapping):
        plugin = plugin(garfish)
    if not isinstance(plugin, Mapping):
        raise TypeError(f"a Garfish plugin must be a dict of hooks, got {type(plugin).__name__}")
    name = plugin.get("name")
    if not isinstance(name, str) or not name:
        raise GarfishError("The plugin must have a name.")
    unknown = sorted(set(plugin) - _PLUGIN_KEYS)
    if unknown:
        raise TypeError(f"plugin {name!r}: unknown hook(s) {', '.join(unknown)}")
    hooks = {key: value for key, value in plugin.items() if key in HOOK_NAMES}
    for key, value in hooks.items():
        if not callable(value):
            raise TypeError(f"plugin {name!r}: hook {key} must be callable")
    version = plugin.get("version")
    return Plugin(name, hooks, None if version is None else str(version))


def listeners(hook: str, chain: Iterable[Plugin]) -> list[tuple[Plugin, Listener]]:
    """The listeners of ``hook`` along ``chain``, each function once (Garfish keeps a Set)."""
    seen: list[Listener] = []
    found: list[tuple[Plugin, Listener]] = []
    for plugin in chain:
        listener = plugin.hooks.get(hook)
        if listener is None or listener in seen:
            continue
        seen.append(listener)
        found.append((plugin, listener))
    return found


async def emit(hook: str, chain: Iterable[Plugin], *args: Any) -> bool:
    """Call ``hook``'s listeners in order; ``False`` when an async hook's listener stopped it.

    A listener that raises is logged with its plugin's name and the next one runs, except an
    options-level error hook, whose raising is how a step fails (Garfish's default throws).
    """
    kind = GLOBAL_HOOKS.get(hook) or APP_HOOKS[hook]
    for plugin, listener in listeners(hook, chain):
        try:
            result = await maybe_await(listener(*args))
        except Exception:
            if plugin.options_level and hook in ERROR_HOOKS:
                raise
            logger.exception("Garfish plugin %r: hook %s raised", plugin.name, hook)
            continue
        if kind is HookKind.ASYNC and result is False:
            return False
    return True


def emit_now(hook: str, chain: Iterable[Plugin], *args: Any) -> None:
    """Call a sync hook from sync code (``run``, ``register_app``): async listeners are refused."""
    for plugin, listener in listeners(hook, chain):
        try:
            result = listener(*args)
        except Exception:
            logger.exception("Garfish plugin %r: hook %s raised", plugin.name, hook)
            continue
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()
            logger.error("Garfish plugin %r: hook %s must be sync (it is async)", plugin.name, hook)
