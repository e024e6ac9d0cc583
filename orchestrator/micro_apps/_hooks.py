"""qiankun's global lifecycle hooks and its built-in addons, as one table per phase.

The addons (the engine flag ``__POWERED_BY_QIANKUN__`` and the injected public path) run before
the user's hooks of the same phase, as qiankun's ``getAddOns`` are merged in front of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

__all__ = ["ADDONS", "HOOK_NAMES", "Hook", "Hooks", "check_hooks"]

HOOK_NAMES = ("before_load", "before_mount", "after_mount", "before_unmount", "after_unmount")
Hook = Callable[[Mapping[str, Any], Any], Any]
Hooks = dict[str, list[Hook]]
POWERED = "__POWERED_BY_QIANKUN__"
PUBLIC_PATH = "__INJECTED_PUBLIC_PATH_BY_QIANKUN__"
MISSING: Any = object()


class AddonTarget(Protocol):
    """What an addon reads and writes: the app's global object and what it was loaded with."""

    global_object: Any
    mounted_once: bool
    original_public_path: Any

    def public_path(self) -> str: ...


def _engine_flag_and_public_path(app: AddonTarget) -> None:
    app.global_object[POWERED] = True
    app.global_object[PUBLIC_PATH] = app.public_path()


def _before_mount(app: AddonTarget) -> None:
    app.global_object[POWERED] = True
    if app.mounted_once:
        app.global_object[PUBLIC_PATH] = app.public_path()


def _before_unmount(app: AddonTarget) -> None:
    target = app.global_object
    if POWERED in target:
        del target[POWERED]
    if app.original_public_path is MISSING:
        if PUBLIC_PATH in target:
            del target[PUBLIC_PATH]
    else:
        target[PUBLIC_PATH] = app.original_public_path


ADDONS: Mapping[str, Callable[[AddonTarget], None]] = {
    "before_load": _engine_flag_and_public_path,
    "before_mount": _before_mount,
    "before_unmount": _before_unmount,
}
"""qiankun's addons by phase (``engineFlag`` and ``runtimePublicPath``)."""


def check_hooks(hooks: Mapping[str, Any] | None) -> Hooks:
    """Global lifecycle hooks as lists of callables, in qiankun's phase names."""
    if hooks is None:
        return {}
    if not isinstance(hooks, Mapping):
        raise TypeError(f"hooks must be a mapping, got {type(hooks).__name__}")
    result: Hooks = {}
    for phase, value in hooks.items():
        if phase not in HOOK_NAMES:
            raise ValueError(f"unknown hook {phase!r}; expected one of {', '.join(HOOK_NAMES)}")
        functions = list(value) if isinstance(value, list | tuple) else [value]
        for function in functions:
            if not callable(function):
                raise TypeError(f"hook {phase!r} must be callable or a list of callables")
        result[phase] = functions
    return result
