"""What a micro-app registration and qiankun's ``start`` options may hold, checked up front."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Literal, Required, TypedDict

__all__ = [
    "DEFAULT_CONFIGURATION",
    "START_OPTIONS",
    "Configuration",
    "LifecycleHooks",
    "MicroAppConfig",
    "MicroAppRegistration",
    "SandboxOptions",
    "check_app",
    "check_configuration",
]

Hook = Callable[[Mapping[str, Any], Any], Any]
"""A global lifecycle hook: ``hook(app, window)``, sync or async."""


class MicroAppRegistration(TypedDict, total=False):
    """One app for ``register_micro_apps``/``load_micro_app`` (``active_rule`` only routed)."""

    name: Required[str]
    entry: Required[str | Mapping[str, Any]]
    container: Required[Any]
    """A CSS selector, or an element of the tab's document."""
    active_rule: str | Callable[[Any], bool] | Sequence[str | Callable[[Any], bool]]
    props: Mapping[str, Any]
    loader: Callable[[bool], Any]
    """qiankun's ``loader(loading)``: told when the app starts and stops loading."""
    keep_alive: bool
    """Leaving the route hides the app (DOM kept, timers paused) instead of unmounting it."""


class SandboxOptions(TypedDict, total=False):
    strict_style_isolation: bool
    experimental_style_isolation: bool
    loose: bool


class Configuration(TypedDict, total=False):
    """qiankun's ``start``/``load_micro_app`` options, in Python spelling."""

    prefetch: bool | Literal["all"] | Sequence[str] | Callable[[list[dict[str, Any]]], Any]
    sandbox: bool | SandboxOptions
    singular: bool | Callable[[Mapping[str, Any]], bool | Awaitable[bool]]
    fetch: Callable[[str], Any] | None
    get_public_path: Callable[[Any], str] | None
    get_template: Callable[[str], str] | None
    exclude_asset_filter: Callable[[str], bool] | None
    script_mode: Literal["passthrough", "drop"]
    asset_path: str | None


class LifecycleHooks(TypedDict, total=False):
    """``register_micro_apps``' global hooks, each a hook or a list of them."""

    before_load: Hook | Sequence[Hook]
    before_mount: Hook | Sequence[Hook]
    after_mount: Hook | Sequence[Hook]
    before_unmount: Hook | Sequence[Hook]
    after_unmount: Hook | Sequence[Hook]


#: ``start`` options of qiankun (in Python spelling) and their defaults.
DEFAULT_CONFIGURATION: dict[str, Any] = {
    "prefetch": True,
    "sandbox": True,
    "singular": True,
    "fetch": None,
    "get_public_path": None,
    "get_template": None,
    "exclude_asset_filter": None,
    "script_mode": "passthrough",
    "asset_path": None,
}
_SANDBOX_KEYS = frozenset({"strict_style_isolation", "experimental_style_isolation", "loose"})
_APP_KEYS = frozenset(
    {"name", "entry", "container", "active_rule", "props", "loader", "keep_alive"}
)
START_OPTIONS = frozenset(DEFAULT_CONFIGURATION)
"""The ``start`` options the qiankun layer takes from the tab."""


@dataclasses.dataclass(frozen=True)
class MicroAppConfig:
    """One micro-app as ``register_micro_apps``/``load_micro_app`` were given it, checked."""

    name: str
    entry: str | Mapping[str, Any]
    container: Any
    active_rule: Any = None
    props: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    loader: Callable[[bool], Any] | None = None
    keep_alive: bool = False

    def as_dict(self) -> dict[str, Any]:
        """What hooks receive as ``app`` (qiankun passes the app's registration object)."""
        return {
            "name": self.name,
            "entry": self.entry,
            "container": self.container,
            "active_rule": self.active_rule,
            "props": dict(self.props),
        }


def check_configuration(options: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Check ``start``/``load_micro_app`` options; unknown or ill-typed ones raise naming them."""
    unknown = sorted(set(options) - set(DEFAULT_CONFIGURATION) - {"url_reroute_only"})
    if unknown:
        raise TypeError(f"{where}: unknown option(s) {', '.join(map(repr, unknown))}")
    sandbox = options.get("sandbox", True)
    if isinstance(sandbox, Mapping):
        bad = sorted(set(sandbox) - _SANDBOX_KEYS)
        if bad:
            raise ValueError(
                f"{where}: unknown sandbox option(s) {', '.join(map(repr, bad))}; "
                f"expected {', '.join(sorted(_SANDBOX_KEYS))}"
            )
        options = {**options, "sandbox": dict(sandbox)}
    elif not isinstance(sandbox, bool):
        raise TypeError(f"{where}: sandbox must be a bool or a dict, got {type(sandbox).__name__}")
    mode = options.get("script_mode", "passthrough")
    if mode not in ("passthrough", "drop"):
        raise ValueError(f"{where}: script_mode must be 'passthrough' or 'drop', got {mode!r}")
    asset_path = options.get("asset_path")
    if asset_path is not None and not (
        isinstance(asset_path, str) and asset_path.startswith("/") and asset_path.endswith("/")
    ):
        raise ValueError(
            f"{where}: asset_path must be a path that starts and ends with '/', got {asset_path!r}"
        )
    return dict(options)


def check_app(app: Any, *, routed: bool) -> MicroAppConfig:
    """A micro-app registration checked for the keys qiankun needs."""
    if not isinstance(app, Mapping):
        raise TypeError(f"a micro app must be a mapping, got {type(app).__name__}")
    name = app.get("name")
    label = f"micro app {name!r}" if isinstance(name, str) else "micro app"
    unknown = sorted(set(app) - _APP_KEYS)
    if unknown:
        raise ValueError(f"{label}: unknown key(s) {', '.join(map(repr, unknown))}")
    if not isinstance(name, str) or not name:
        raise TypeError(f"{label}: 'name' must be a non-empty string")
    entry = app.get("entry")
    if not isinstance(entry, str | Mapping) or not entry:
        raise TypeError(f"{label}: 'entry' must be a URL string or a config entry dict")
    container = app.get("container")
    if container is None or (isinstance(container, str) and not container.strip()):
        raise TypeError(f"{label}: 'container' must be a CSS selector or an element")
    if routed and app.get("active_rule") is None:
        raise TypeError(f"{label}: 'active_rule' is required")
    props = app.get("props") or {}
    if not isinstance(props, Mapping):
        raise TypeError(f"{label}: 'props' must be a mapping")
    loader = app.get("loader")
    if loader is not None and not callable(loader):
        raise TypeError(f"{label}: 'loader' must be callable")
    keep_alive = app.get("keep_alive", False)
    if not isinstance(keep_alive, bool):
        raise TypeError(f"{label}: 'keep_alive' must be a bool, got {type(keep_alive).__name__}")
    return MicroAppConfig(
        name=name,
        entry=entry,
        container=container,
        active_rule=app.get("active_rule"),
        props=props,
        loader=loader,
        keep_alive=keep_alive,
    )
