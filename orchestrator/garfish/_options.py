"""Garfish's options in snake_case: what ``run`` and ``register_app`` take, checked, and the
``AppInfo`` one app is loaded with (its registration merged over the options, as Garfish's
``generateAppOptions``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._errors import GarfishError
from ._hooks import APP_HOOKS, ERROR_HOOKS, GLOBAL_HOOKS, Listener, rethrow

__all__ = [
    "APP_KEYS",
    "DEFAULT_ASYNC_PROVIDER_TIMEOUT",
    "RUN_KEYS",
    "AppInfo",
    "check_app",
    "check_run_options",
    "info_as_options",
    "merge_app_info",
]

DEFAULT_ASYNC_PROVIDER_TIMEOUT = 2.0
"""Garfish's ``asyncProviderTimeout`` (2000 ms), in seconds as our durations are."""

#: What an app's registration (and ``load_app``'s options) may hold.
_APP_SETTINGS = frozenset(
    {
        "entry",
        "active_when",
        "cache",
        "basename",
        "dom_getter",
        "props",
        "sandbox",
        "protect_variable",
        "insulation_variable",
        "no_check_provider",
        "async_provider_timeout",
        "asset_path",
    }
)
APP_KEYS = frozenset({"name"}) | _APP_SETTINGS | frozenset(APP_HOOKS)
#: What ``run`` takes: the global-only keys, every app setting as a default, and all hooks.
RUN_KEYS = (
    frozenset({"apps", "plugins"})
    | (_APP_SETTINGS - {"entry", "active_when"})
    | frozenset(APP_HOOKS)
) | frozenset(GLOBAL_HOOKS)
_GLOBAL_ONLY = frozenset({"apps", "plugins"}) | frozenset(GLOBAL_HOOKS)
_INSULATION_GLOBAL = "__GARFISH_INSULATION_VARIABLE__"


@dataclasses.dataclass
class AppInfo:
    """One app as it is loaded: Garfish's ``appInfo`` (plugins receive it, and may change it)."""

    name: str
    entry: str | Mapping[str, Any] | None = None
    active_when: str | Callable[[str], bool] | None = None
    cache: bool | None = None
    basename: str = "/"
    dom_getter: Any = None
    props: dict[str, Any] = dataclasses.field(default_factory=dict)
    sandbox: bool = True
    protect_variable: tuple[str, ...] = ()
    insulation_variable: tuple[str, ...] = ()
    no_check_provider: bool = False
    async_provider_timeout: float = DEFAULT_ASYNC_PROVIDER_TIMEOUT
    hooks: dict[str, Listener] = dataclasses.field(default_factory=dict)
    """The app's own app hooks (its registration's, else the options'; error hooks rethrow)."""
    asset_path: str | None = None
    """Where the shell's origin serves apps' files (the composer's ``/_mfe/``): URLs on the
    entry's origin are named ``<asset_path><app>/<path>`` (our addition; ``None`` leaves them)."""
    root_path: str | None = None
    """Where the router mounted it (``basename`` + its ``active_when``)."""


def _where(app: str | None) -> str:
    return f"app '{app}': " if app else ""


def _check_settings(settings: Mapping[str, Any], app: str | None) -> None:
    where = _where(app)
    for key, value in settings.items():
        if key in APP_HOOKS or key in GLOBAL_HOOKS:
            if not callable(value):
                raise TypeError(f"{where}hook {key} must be callable")
        elif key == "entry":
            if not isinstance(value, str | Mapping) or (isinstance(value, str) and not value):
                raise GarfishError(f"{app} application entry is not url: {value}", app_name=app)
        elif key == "active_when":
            if not (isinstance(value, str) or callable(value)):
                raise TypeError(f"{where}active_when must be a path str or a callable(path)")
        elif key in ("cache", "sandbox", "no_check_provider"):
            if not isinstance(value, bool):
                raise TypeError(f"{where}{key} must be a bool, got {type(value).__name__}")
        elif key == "basename":
            if not isinstance(value, str):
                raise TypeError(f"{where}basename must be a str, got {type(value).__name__}")
        elif key == "props":
            if not isinstance(value, Mapping):
                raise TypeError(f"{where}props must be a dict, got {type(value).__name__}")
        elif key in ("protect_variable", "insulation_variable"):
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise TypeError(f"{where}{key} must be a list of global names")
        elif key == "async_provider_timeout":
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{where}async_provider_timeout must be seconds >= 0")
        elif key == "asset_path":
            if value is not None and not (isinstance(value, str) and value.startswith("/")):
                raise TypeError(f"{where}asset_path must be a path starting with '/'")
        elif key == "dom_getter":
            usable = value is None or isinstance(value, str) or callable(value)
            if not usable and not hasattr(value, "append"):
                raise TypeError(f"{where}dom_getter must be a selector, element or callable")


def check_app(app: Any) -> dict[str, Any]:
    """One app of ``run``'s ``apps`` or ``register_app``: ``name`` and ``entry`` required."""
    if not isinstance(app, Mapping):
        raise TypeError(f"a Garfish app must be a dict, got {type(app).__name__}")
    name = app.get("name")
    if not isinstance(name, str) or not name:
        raise GarfishError("Miss app.name.")
    unknown = sorted(set(app) - APP_KEYS)
    if unknown:
        raise TypeError(f"{_where(name)}unknown option(s) {', '.join(unknown)}")
    if not app.get("entry"):
        raise GarfishError(
            f"{name} application entry is not url: {app.get('entry')}", app_name=name
        )
    _check_settings({k: v for k, v in app.items() if k != "name"}, name)
    return dict(app)


def check_load_options(options: Mapping[str, Any] | None, name: str) -> dict[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise TypeError(f"load_app options must be a dict, got {type(options).__name__}")
    unknown = sorted(set(options) - (APP_KEYS - {"name"}))
    if unknown:
        raise TypeError(f"{_where(name)}unknown load_app option(s) {', '.join(unknown)}")
    _check_settings(options, name)
    return dict(options)


def check_run_options(options: Mapping[str, Any] | None) -> dict[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise TypeError(f"run options must be a dict, got {type(options).__name__}")
    unknown = sorted(set(options) - RUN_KEYS)
    if unknown:
        raise TypeError(f"run(): unknown option(s) {', '.join(unknown)}")
    settings = {k: v for k, v in options.items() if k not in ("apps", "plugins")}
    _check_settings(settings, None)
    apps = options.get("apps", [])
    plugins = options.get("plugins", [])
    for key, value in (("apps", apps), ("plugins", plugins)):
        if isinstance(value, Mapping | str) or not isinstance(value, Iterable):
            raise TypeError(f"run(): {key} must be a list")
    return dict(options)


def info_as_options(info: AppInfo) -> dict[str, Any]:
    """An ``AppInfo`` as ``load_app`` options again: Garfish merges the (possibly changed) info
    a ``before_load`` saw over the registration a second time."""
    options: dict[str, Any] = {
        field.name: getattr(info, field.name)
        for field in dataclasses.fields(info)
        if field.name not in ("name", "hooks", "root_path")
    }
    options.update(info.hooks)
    return options


def merge_app_info(
    name: str,
    global_options: Mapping[str, Any],
    registered: Mapping[str, Any] | None,
    options: Mapping[str, Any],
    window: Any,
) -> AppInfo:
    """Garfish's ``generateAppOptions``: the options, then the registration, then ``load_app``'s
    options, global-only keys left out; ``props`` merged shallowly in that order."""
    merged: dict[str, Any] = {}
    for layer in (global_options, registered or {}, options):
        for key, value in layer.items():
            if key not in _GLOBAL_ONLY and key not in ("props", "name") and value is not None:
                merged[key] = value
    props: dict[str, Any] = {}
    for layer in (global_options, registered or {}, options):
        props.update(layer.get("props") or {})
    insulation: dict[str, None] = dict.fromkeys(window.get(_INSULATION_GLOBAL, None) or ())
    for layer in (registered or {}, options):
        insulation.update(dict.fromkeys(layer.get("insulation_variable") or ()))
    hooks = {key: merged.pop(key) for key in list(merged) if key in APP_HOOKS}
    for key in ERROR_HOOKS & set(APP_HOOKS):
        hooks.setdefault(key, rethrow)
    return AppInfo(
        name=name,
        entry=merged.get("entry"),
        active_when=merged.get("active_when"),
        cache=merged.get("cache"),
        basename=merged.get("basename", "/"),
        dom_getter=merged.get("dom_getter"),
        props=props,
        sandbox=merged.get("sandbox", True),
        protect_variable=tuple(merged.get("protect_variable", ())),
        insulation_variable=tuple(insulation),
        no_check_provider=merged.get("no_check_provider", False),
        async_provider_timeout=float(
            merged.get("async_provider_timeout", DEFAULT_ASYNC_PROVIDER_TIMEOUT)
        ),
        hooks=hooks,
    )
