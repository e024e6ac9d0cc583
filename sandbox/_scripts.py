"""Run an app's Python scripts against its sandbox proxy and find its lifecycles.

Scripts run with the full rights of the interpreter: this is isolation, not security. Only the
scripts passed in are run, in the order given.
"""

from __future__ import annotations

import builtins
import textwrap
import types
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any, Protocol

from ._base import Sandbox
from ._errors import LifecyclesNotFoundError, ScriptError
from ._proxy_base import SandboxProxy
from ._window import Window

CodeCache = MutableMapping[tuple[str, str], types.CodeType]

_REQUIRED = ("bootstrap", "mount", "unmount")
_OPTIONAL = ("update", "unload", "timeouts")


class ScriptLike(Protocol):
    """A script of an entry (the importer's ``Script``): its URL or ``None``, and its text."""

    @property
    def src(self) -> str | None: ...

    @property
    def content(self) -> str | None: ...


def run_scripts(
    scripts: Sequence[str | ScriptLike],
    proxy: Window | SandboxProxy,
    *,
    app_name: str,
    entry: int | None = None,
    code_cache: CodeCache | None = None,
) -> Mapping[str, Any]:
    """Run ``scripts`` in order, each in a fresh namespace; return the entry script's exports.

    Each namespace holds ``window``/``self``/``global_this`` (the proxy) and ``document``; what a
    script shares goes through ``window``. The exports are the entry script's public
    module-level names (``__all__`` if it sets one). ``entry`` defaults to the last script.
    Code objects are looked up in ``code_cache`` by (filename, source) and compiled only once.
    """
    if isinstance(scripts, str):
        raise TypeError("run_scripts takes a sequence of scripts, not a single str")
    count = len(scripts)
    if count == 0:
        return {}
    entry_index = count - 1 if entry is None else entry
    if not -count <= entry_index < count:
        raise IndexError(f"entry script index {entry} out of range for {count} scripts")
    entry_index %= count
    document = getattr(proxy, "document", None)
    exports: Mapping[str, Any] = {}
    for index, script in enumerate(scripts):
        filename, source = _filename_and_source(script, index + 1, app_name)
        code = _compile(source, filename, app_name, code_cache)
        namespace: dict[str, Any] = {
            "__name__": f"{app_name}:{filename}",
            "__file__": filename,
            "__builtins__": builtins,
            "window": proxy,
            "self": proxy,
            "global_this": proxy,
            "document": document,
        }
        try:
            exec(code, namespace)
        except (Exception, SystemExit) as error:
            raise ScriptError(app_name, filename, _describe(error)) from error
        if index == entry_index:
            exports = _public_names(namespace, proxy, document)
    return exports


def find_lifecycles(
    exports: Mapping[str, Any] | object | None,
    proxy: Window | SandboxProxy | Mapping[str, Any],
    *,
    app_name: str,
) -> dict[str, Any]:
    """Find an app's lifecycles as qiankun does: in its exports, else on ``window``.

    ``window[latest property the sandbox saw set]`` comes next, then ``window[app_name]``.
    Returns ``{"bootstrap", "mount", "unmount"}`` plus whichever of ``update``, ``unload`` and
    ``timeouts`` were given.
    """
    if is_valid_lifecycles(exports):
        return _as_lifecycles(exports)
    sandbox = sandbox_of(proxy)
    latest = sandbox.latest_set_prop if sandbox is not None else None
    for name in (latest, app_name):
        if name is None:
            continue
        candidate = _lookup(proxy, name)
        if is_valid_lifecycles(candidate):
            return _as_lifecycles(candidate)
    raise LifecyclesNotFoundError(app_name)


def is_valid_lifecycles(candidate: object) -> bool:
    """Whether ``candidate`` has callable (or lists of callable) bootstrap, mount and unmount."""
    if candidate is None:
        return False
    return all(_is_lifecycle(_member(candidate, name)) for name in _REQUIRED)


def sandbox_of(proxy: object) -> Sandbox | None:
    """The sandbox behind a proxy, or ``None`` for a plain window."""
    if isinstance(proxy, SandboxProxy):
        return proxy._sandbox
    return None


def _filename_and_source(script: str | ScriptLike, number: int, app_name: str) -> tuple[str, str]:
    if isinstance(script, str):
        return f"inline script #{number}", script
    src = getattr(script, "src", None)
    filename = src if src else f"inline script #{number}"
    if getattr(script, "is_python", True) is False:
        raise ScriptError(app_name, filename, "it is not a Python script; only Python scripts run")
    content = getattr(script, "content", None)
    if not isinstance(content, str):
        raise ScriptError(app_name, filename, "its source text was not fetched (content is None)")
    return filename, content


def _compile(source: str, filename: str, app_name: str, cache: CodeCache | None) -> types.CodeType:
    key = (filename, source)
    if cache is not None:
        cached = cache.get(key)
        if cached is not None:
            return cached
    try:
        # inline scripts carry the indentation of the HTML around them
        code = compile(textwrap.dedent(source), filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        raise ScriptError(app_name, filename, _describe(error)) from error
    if cache is not None:
        cache[key] = code
    return code


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _public_names(namespace: dict[str, Any], proxy: object, document: object) -> dict[str, Any]:
    declared = namespace.get("__all__")
    if declared is not None:
        return {name: namespace[name] for name in declared if name in namespace}
    injected = {"window": proxy, "self": proxy, "global_this": proxy, "document": document}
    return {
        name: value
        for name, value in namespace.items()
        if not name.startswith("_")
        and not (name in injected and value is injected[name])
        and not isinstance(value, types.ModuleType)
    }


def _member(candidate: object, name: str) -> Any:
    if isinstance(candidate, Mapping):
        return candidate.get(name)
    return getattr(candidate, name, None)


def _is_lifecycle(value: object) -> bool:
    if isinstance(value, list | tuple):
        return all(callable(item) for item in value)
    return callable(value)


def _as_lifecycles(candidate: object) -> dict[str, Any]:
    lifecycles = {name: _member(candidate, name) for name in _REQUIRED}
    for name in _OPTIONAL:
        value = _member(candidate, name)
        if value is not None:
            lifecycles[name] = value
    return lifecycles


def _lookup(proxy: object, name: str) -> Any:
    try:
        return proxy[name]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
