"""A composition described in TOML: the shell page, the apps, the start options.

Kept as plain typed records so the CLI, the ASGI app and tests build the same orchestrator from it.
"""

from __future__ import annotations

import html
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .activity import PathActivity
from .errors import ConfigError

if TYPE_CHECKING:
    from .micro_apps import MicroAppRegistration

__all__ = [
    "DEFAULT_APP_TIMEOUT",
    "AppConfig",
    "ComposeConfig",
    "ConfigError",
    "load_config",
    "parse_config",
    "shell_fragments",
]

_TOP_KEYS = frozenset(
    {
        "shell",
        "shell_routes",
        "url",
        "options",
        "global_state",
        "apps",
        "trusted_origins",
        "asset_origins",
        "stream",
        "deadline",
        "identity_key",
        "remotes",
        "not_found",
    }
)
_REMOTE_KEYS = frozenset({"name", "entry", "dir", "expose", "shared", "singletons", "version"})
_APP_KEYS = frozenset(
    {
        "name",
        "entry",
        "dir",
        "container",
        "active_rule",
        "props",
        "layout",
        "timeout",
        "fallback",
        "primary",
        "keep_alive",
        "kind",
    }
)
_RULE_KEYS = frozenset({"path", "exact"})
_APP_KINDS = ("qiankun", "garfish")
"""How an app exports its lifecycle: qiankun's ``bootstrap``/``mount``/``unmount``, or
Garfish's ``provider`` (registered through ``orchestrator.garfish.Garfish``)."""
DEFAULT_APP_TIMEOUT = 3.0
"""Seconds an app's slot waits for it before its fallback is sent (Tailor's 3000 ms)."""
NOT_FOUND_MARK = "data-mfe-not-found"
"""The attribute of the shell element a ``not_found`` page's HTML is put into."""
NOT_FOUND_PATH = "{{path}}"
"""Where a ``not_found`` page's HTML says which path was asked for (HTML-escaped)."""


@dataclass(frozen=True)
class AppConfig:
    """One micro-app: served from ``entry`` (a URL), or from the local folder ``dir`` once served.

    A ``layout`` app (a header, a navigation bar) may be active everywhere, but its being active
    does not make a path exist: only routed apps and shell routes do.
    """

    name: str
    container: str
    active_rule: tuple[str, ...]
    entry: str | None = None
    dir: Path | None = None
    props: Mapping[str, Any] = field(default_factory=dict)
    layout: bool = False
    timeout: float = DEFAULT_APP_TIMEOUT
    """Seconds its slot waits for it to mount (from the start of the request)."""
    fallback: str | None = None
    """HTML sent in its slot when it fails or times out, or an http(s) URL of that HTML."""
    primary: bool = False
    """The first active primary app sets the response status; the first byte waits for it."""
    keep_alive: bool = False
    kind: str = "qiankun"
    """``"qiankun"`` (lifecycle functions) or ``"garfish"`` (a ``provider`` export)."""
    exact_rule: tuple[str, ...] = ()
    """Paths the app is active on exactly (single-spa's ``exactMatch``): ``/`` is the home page
    only, where an ``active_rule`` of ``/`` is every page."""

    @property
    def fallback_url(self) -> str | None:
        if self.fallback is not None and self.fallback.startswith(("http://", "https://")):
            return self.fallback
        return None

    def registration(self) -> MicroAppRegistration:
        """The dict ``Orchestrator.register_micro_apps`` takes; the entry must be known by now."""
        if self.entry is None:
            raise ConfigError(
                "config", "entry", "has no URL yet (serve its dir first)", app=self.name
            )
        rules: list[str | PathActivity] = list(self.active_rule)
        rules += [PathActivity(path, exact_match=True) for path in self.exact_rule]
        rule: str | PathActivity | list[str | PathActivity] = rules[0] if len(rules) == 1 else rules
        registration: MicroAppRegistration = {
            "name": self.name,
            "entry": self.entry,
            "container": self.container,
            "active_rule": rule,
            "props": dict(self.props),
        }
        if self.keep_alive:
            registration["keep_alive"] = True
        return registration


@dataclass(frozen=True)
class RemoteConfig:
    """A Module Federation remote the composition's apps use (``[[remotes]]``): its manifest
    URL, or a local ``dir`` built (``mfe federation build``) and served for the occasion."""

    name: str
    entry: str | None = None
    dir: Path | None = None
    expose: tuple[str, ...] = ()
    shared: tuple[str, ...] = ()
    singletons: tuple[str, ...] = ()
    version: str | None = None


@dataclass(frozen=True)
class ComposeConfig:
    """A composition: shell HTML, apps in registration order, start options, global state."""

    shell_html: str
    apps: tuple[AppConfig, ...]
    options: Mapping[str, Any] = field(default_factory=dict)
    global_state: Mapping[str, Any] | None = None
    shell_routes: tuple[str, ...] = ("/",)
    url: str = "http://localhost/"
    source: str = "<config>"
    trusted_origins: tuple[str, ...] | None = None
    asset_origins: tuple[str, ...] | None = None
    stream: bool = True
    deadline: float | None = None
    identity_key: str = "user"
    remotes: tuple[RemoteConfig, ...] = ()
    not_found_html: str | None = None
    """The ``not_found`` page: HTML put into the shell's ``data-mfe-not-found`` element of a 404
    composed with the layout apps; ``None``: the bare 404 page."""

    @property
    def layout_apps(self) -> frozenset[str]:
        return frozenset(app.name for app in self.apps if app.layout)

    def with_entries(self, entries: Mapping[str, str]) -> ComposeConfig:
        """A copy whose apps named in ``entries`` are served from those URLs."""
        apps = tuple(
            replace(app, entry=entries[app.name]) if app.name in entries else app
            for app in self.apps
        )
        return replace(self, apps=apps)

    def with_remote_entries(self, entries: Mapping[str, str]) -> ComposeConfig:
        """A copy whose remotes named in ``entries`` have those manifest URLs."""
        remotes = tuple(
            replace(remote, entry=entries[remote.name]) if remote.name in entries else remote
            for remote in self.remotes
        )
        return replace(self, remotes=remotes)

    def unserved(self) -> tuple[AppConfig, ...]:
        """Apps given as a local ``dir`` that still have no entry URL."""
        return tuple(app for app in self.apps if app.entry is None)


def load_config(path: str | Path) -> ComposeConfig:
    """Read a TOML composition; paths inside it are relative to the file."""
    source = Path(path)
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise ConfigError(str(source), "-", f"cannot read the file ({exc.strerror})") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(str(source), "-", f"not valid TOML: {exc}") from exc
    return parse_config(data, base_dir=source.resolve().parent, source=str(source))


def parse_config(
    data: Mapping[str, Any], *, base_dir: Path, source: str = "<config>"
) -> ComposeConfig:
    """Check and convert an already-parsed TOML table."""
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigError(source, unknown[0], f"unknown key (expected one of {sorted(_TOP_KEYS)})")
    shell_html = _read_shell(data, base_dir, source)
    options = _table(data, "options", source)
    state = data.get("global_state")
    if state is not None and not isinstance(state, dict):
        raise ConfigError(source, "global_state", f"must be a table, got {_got(state)}")
    routes = _str_list(data.get("shell_routes", ["/"]), source, "shell_routes")
    if any(not route.startswith("/") for route in routes):
        raise ConfigError(source, "shell_routes", "each route must start with '/'")
    url = data.get("url", "http://localhost/")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConfigError(source, "url", f"must be an http(s) URL (a string), got {_got(url)}")
    shell_html, fragments = shell_fragments(shell_html, source=source)
    raw_apps = data.get("apps", [] if fragments else None)
    if not isinstance(raw_apps, list) or not (raw_apps or fragments):
        raise ConfigError(
            source, "apps", "needs at least one [[apps]] table (or a <fragment> in the shell)"
        )
    apps = tuple(_parse_app(raw, index, base_dir, source) for index, raw in enumerate(raw_apps))
    apps += fragments
    names = [app.name for app in apps]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(source, "name", "is used by two apps", app=name)
    origins = {
        key: tuple(_str_list(data[key], source, key)) if key in data else None
        for key in ("trusted_origins", "asset_origins")
    }
    stream = data.get("stream", True)
    if not isinstance(stream, bool):
        raise ConfigError(source, "stream", f"must be a boolean, got {_got(stream)}")
    deadline = data.get("deadline")
    if deadline is not None:
        deadline = _seconds(deadline, source, "deadline")
    identity_key = data.get("identity_key", "user")
    if not isinstance(identity_key, str) or not identity_key:
        raise ConfigError(
            source, "identity_key", f"must be a non-empty string, got {_got(identity_key)}"
        )
    raw_remotes = data.get("remotes", [])
    if not isinstance(raw_remotes, list):
        raise ConfigError(source, "remotes", f"must be a list of tables, got {_got(raw_remotes)}")
    remotes = tuple(_parse_remote(raw, base_dir, source) for raw in raw_remotes)
    not_found = _read_not_found(data, shell_html, base_dir, source)
    return ComposeConfig(
        not_found_html=not_found,
        remotes=remotes,
        shell_html=shell_html,
        apps=apps,
        options=options,
        global_state=state,
        shell_routes=tuple(routes),
        url=url,
        source=source,
        trusted_origins=origins["trusted_origins"],
        asset_origins=origins["asset_origins"],
        stream=stream,
        deadline=deadline,
        identity_key=identity_key,
    )


_FRAGMENT = re.compile(
    r"""<fragment(?=[\s/>])((?:[^>"']|"[^"]*"|'[^']*')*?)\s*/?>(?:\s*</fragment\s*>)?""",
    re.IGNORECASE,
)
_ATTRIBUTE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")


def shell_fragments(
    shell_html: str, *, source: str = "<shell>"
) -> tuple[str, tuple[AppConfig, ...]]:
    """Tailor's ``<fragment src timeout fallback-src primary async public id>`` tags of a shell,
    each turned into an app slot: the shell with a container in each tag's place, and the apps.

    ``src`` is the fragment's HTML entry; ``timeout`` is in milliseconds as in Tailor (default
    3000); ``primary`` as an app's; ``async`` and ``public`` are accepted (slots stream in order
    anyway, and no request headers are forwarded to any app). A fragment is active on every path
    of the shell but, like a layout app, does not make a path exist.
    """
    apps: list[AppConfig] = []

    def replace(match: re.Match[str]) -> str:
        attrs: dict[str, str] = {}
        for name, double, single, bare in _ATTRIBUTE.findall(match.group(1)):
            attrs[name.lower()] = html.unescape(double or single or bare)
        key = f"fragment[{len(apps)}]"
        src = attrs.get("src", "")
        if not src.startswith(("http://", "https://")):
            raise ConfigError(source, f"{key}.src", f"must be an http(s) URL, got {src!r}")
        name = attrs.get("id") or f"fragment-{len(apps)}"
        if not re.fullmatch(r"[A-Za-z0-9_.:-]+", name):
            raise ConfigError(source, f"{key}.id", f"must be a plain name, got {name!r}")
        timeout = DEFAULT_APP_TIMEOUT
        if "timeout" in attrs:
            try:
                timeout = int(attrs["timeout"]) / 1000
            except ValueError:
                timeout = 0.0
            if timeout <= 0:
                raise ConfigError(
                    source,
                    f"{key}.timeout",
                    f"must be a positive integer (milliseconds), got {attrs['timeout']!r}",
                )
        fallback = attrs.get("fallback-src") or None
        if fallback is not None and not fallback.startswith(("http://", "https://")):
            raise ConfigError(
                source, f"{key}.fallback-src", f"must be an http(s) URL, got {fallback!r}"
            )
        apps.append(
            AppConfig(
                name=name,
                container=f'[data-mfe-fragment="{name}"]',
                active_rule=("/",),
                entry=src,
                layout=True,
                timeout=timeout,
                fallback=fallback,
                primary="primary" in attrs,
            )
        )
        return f'<div data-mfe-fragment="{name}"></div>'

    return _FRAGMENT.sub(replace, shell_html), tuple(apps)


def _read_shell(data: Mapping[str, Any], base_dir: Path, source: str) -> str:
    shell = data.get("shell")
    if not isinstance(shell, str) or not shell:
        raise ConfigError(
            source, "shell", f"must be a string (the shell HTML file), got {_got(shell)}"
        )
    shell_path = base_dir / shell
    try:
        return shell_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, "shell", f"cannot read {shell_path}: {exc}") from exc


def _read_not_found(
    data: Mapping[str, Any], shell_html: str, base_dir: Path, source: str
) -> str | None:
    """The ``not_found`` page's HTML, once the shell is known to mark where it goes."""
    name = data.get("not_found")
    if name is None:
        return None
    if not isinstance(name, str) or not name:
        raise ConfigError(source, "not_found", f"must be a string (an HTML file), got {_got(name)}")
    page_path = base_dir / name
    try:
        page = page_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, "not_found", f"cannot read {page_path}: {exc}") from exc
    from .dom import Document

    if Document(shell_html).query_selector(f"[{NOT_FOUND_MARK}]") is None:
        raise ConfigError(
            source,
            "not_found",
            f"the shell has no element marked {NOT_FOUND_MARK} to put {name} into",
        )
    return page


def _active_rules(raw: Any, source: str, app: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``active_rule``: a path, or an array of paths and ``{ path, exact }`` tables (single-spa's
    ``pathToActiveWhen(path, exactMatch)``); the prefix paths and the exact ones."""
    items = raw if isinstance(raw, list) else [raw]
    prefixes: list[str] = []
    exact: list[str] = []
    for item in items:
        if isinstance(item, dict):
            unknown = sorted(set(item) - _RULE_KEYS)
            path, is_exact = item.get("path"), item.get("exact", False)
            if unknown or not isinstance(path, str) or not isinstance(is_exact, bool):
                raise ConfigError(
                    source,
                    "active_rule",
                    'a table must be { path = "/...", exact = true|false }, got '
                    + (f"key '{unknown[0]}'" if unknown else f"path {_got(path)}"),
                    app=app,
                )
            (exact if is_exact else prefixes).append(path)
        elif isinstance(item, str):
            prefixes.append(item)
        else:
            raise ConfigError(
                source,
                "active_rule",
                "must be a string, or an array of strings and { path, exact } tables, "
                f"got {_got(raw)}",
                app=app,
            )
    return tuple(prefixes), tuple(exact)


def _parse_app(raw: Any, index: int, base_dir: Path, source: str) -> AppConfig:
    if not isinstance(raw, dict):
        raise ConfigError(source, f"apps[{index}]", f"must be a table, got {_got(raw)}")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(
            source, f"apps[{index}].name", f"must be a non-empty string, got {_got(name)}"
        )
    unknown = sorted(set(raw) - _APP_KEYS)
    if unknown:
        raise ConfigError(
            source, unknown[0], f"unknown key (expected {sorted(_APP_KEYS)})", app=name
        )
    entry, folder = raw.get("entry"), raw.get("dir")
    if (entry is None) == (folder is None):
        raise ConfigError(source, "entry", "give exactly one of 'entry' (a URL) or 'dir'", app=name)
    if entry is not None and (
        not isinstance(entry, str) or not entry.startswith(("http://", "https://"))
    ):
        raise ConfigError(
            source, "entry", f"must be an http(s) URL (a string), got {_got(entry)}", app=name
        )
    app_dir: Path | None = None
    if folder is not None:
        if not isinstance(folder, str):
            raise ConfigError(
                source, "dir", f"must be a string (a folder), got {_got(folder)}", app=name
            )
        app_dir = (base_dir / folder).resolve()
        if not (app_dir / "index.html").is_file():
            raise ConfigError(source, "dir", f"{app_dir} has no index.html", app=name)
    container = raw.get("container")
    if not isinstance(container, str) or not container:
        raise ConfigError(
            source,
            "container",
            f"must be a string (a CSS selector), got {_got(container)}",
            app=name,
        )
    rules, exact_rules = _active_rules(raw.get("active_rule"), source, name)
    if not rules and not exact_rules:
        raise ConfigError(source, "active_rule", "needs at least one path", app=name)
    props = raw.get("props", {})
    if not isinstance(props, dict):
        raise ConfigError(source, "props", f"must be a table, got {_got(props)}", app=name)
    flags = {}
    for key in ("layout", "primary", "keep_alive"):
        flags[key] = raw.get(key, False)
        if not isinstance(flags[key], bool):
            raise ConfigError(source, key, f"must be a boolean, got {_got(flags[key])}", app=name)
    timeout = _seconds(raw.get("timeout", DEFAULT_APP_TIMEOUT), source, "timeout", app=name)
    fallback = raw.get("fallback")
    if fallback is not None and not isinstance(fallback, str):
        raise ConfigError(
            source, "fallback", f"must be a string (HTML or a URL), got {_got(fallback)}", app=name
        )
    kind = raw.get("kind", "qiankun")
    if kind not in _APP_KINDS:
        raise ConfigError(
            source, "kind", f"must be one of {list(_APP_KINDS)}, got {_got(kind)}", app=name
        )
    if exact_rules and kind == "garfish":
        raise ConfigError(
            source, "active_rule", "a Garfish app takes path prefixes only (no exact)", app=name
        )
    return AppConfig(
        name=name,
        container=container,
        active_rule=rules,
        exact_rule=exact_rules,
        entry=entry,
        dir=app_dir,
        props=props,
        layout=flags["layout"],
        timeout=timeout,
        fallback=fallback,
        primary=flags["primary"],
        keep_alive=flags["keep_alive"],
        kind=kind,
    )


def _parse_remote(raw: Any, base_dir: Path, source: str) -> RemoteConfig:
    if not isinstance(raw, dict):
        raise ConfigError(source, "remotes", f"each [[remotes]] must be a table, got {_got(raw)}")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(source, "remotes.name", f"must be a non-empty string, got {_got(name)}")
    unknown = sorted(set(raw) - _REMOTE_KEYS)
    if unknown:
        raise ConfigError(
            source, f"remotes.{unknown[0]}", f"unknown key (expected {sorted(_REMOTE_KEYS)})"
        )
    entry, folder = raw.get("entry"), raw.get("dir")
    if (entry is None) == (folder is None):
        raise ConfigError(
            source, "remotes.entry", f"remote '{name}' needs exactly one of entry, dir"
        )
    if entry is not None and (not isinstance(entry, str) or not entry.startswith("http")):
        raise ConfigError(source, "remotes.entry", f"must be an http(s) URL, got {_got(entry)}")
    path = None
    if folder is not None:
        if not isinstance(folder, str):
            raise ConfigError(source, "remotes.dir", f"must be a path string, got {_got(folder)}")
        path = (base_dir / folder).resolve()
        if not path.is_dir():
            raise ConfigError(source, "remotes.dir", f"remote '{name}': no folder at {path}")
    version = raw.get("version")
    if version is not None and not isinstance(version, str):
        raise ConfigError(source, "remotes.version", f"must be a string, got {_got(version)}")
    lists = {
        key: tuple(_str_list(raw.get(key, []), source, f"remotes.{key}"))
        for key in ("expose", "shared", "singletons")
    }
    return RemoteConfig(
        name=name,
        entry=entry,
        dir=path,
        expose=lists["expose"],
        shared=lists["shared"],
        singletons=lists["singletons"],
        version=version,
    )


def _got(value: Any) -> str:
    """What a TOML value is, in TOML's words, for one-line config errors."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return "nothing" if value is None else type(value).__name__


def _seconds(value: Any, source: str, key: str, *, app: str | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(
            source, key, f"must be a positive number (seconds), got {_got(value)}", app=app
        )
    return float(value)


def _table(data: Mapping[str, Any], key: str, source: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(source, key, f"must be a table, got {_got(value)}")
    return value


def _str_list(value: Any, source: str, key: str, *, app: str | None = None) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(
            source, key, f"must be a string or an array of strings, got {_got(value)}", app=app
        )
    return list(value)
