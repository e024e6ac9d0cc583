"""One remote version's modules, imported under a package name of its own.

Each version gets a fresh top-level package (``_mf_app1_1_0_0_<digest>_<token>``) served by
a finder that knows only that version's files, so two versions live side by side, nothing
lands in ``sys.modules`` under a bare name, and ``release()`` takes every entry out again.
Inside, modules import each other relatively (``from . import helpers``); each module's
globals hold ``__federation__`` (the host's ``load_share`` / ``load_remote`` for this remote).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.abc
import importlib.machinery
import re
import secrets
import sys
import types
from collections.abc import Sequence
from typing import Any

from orchestrator.federation._errors import FederationError, RuntimeCode
from orchestrator.federation._manifest import module_name

__all__ = ["RemoteNamespace"]

_UNSAFE_RE = re.compile(r"[^A-Za-z0-9_]")


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds and runs the modules of one namespace; answers for no other name."""

    def __init__(self, namespace: RemoteNamespace) -> None:
        self.namespace = namespace

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        ns = self.namespace
        if not fullname.startswith(ns.prefix):
            return None
        source = ns.sources.get(fullname[len(ns.prefix) :])
        if source is None:
            return None
        filename, _, is_package = source
        spec = importlib.machinery.ModuleSpec(
            fullname, self, origin=f"{ns.url}!/{filename}", is_package=is_package
        )
        spec.has_location = False
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        ns = self.namespace
        relative = module.__name__[len(ns.prefix) :]
        filename, code, _ = ns.sources[relative]
        module.__dict__["__federation__"] = ns.context
        module.__file__ = f"{ns.url}!/{filename}"
        exec(ns.compiled(relative, filename, code), module.__dict__)


class RemoteNamespace:
    """The modules of one remote version; ``import_module("counter")`` runs one on demand."""

    def __init__(
        self,
        files: dict[str, bytes],
        *,
        remote: str,
        version: str,
        url: str,
        context: Any = None,
    ) -> None:
        hasher = hashlib.sha256()
        for filename in sorted(files):
            hasher.update(filename.encode() + b"\0" + files[filename] + b"\0")
        digest = hasher.hexdigest()[:10]
        label = _UNSAFE_RE.sub("_", f"{remote}_{version}")[:40]
        self.remote = remote
        self.version = version
        self.url = url
        self.context = context
        self.package = f"_mf_{label}_{digest}_{secrets.token_hex(3)}"
        self.prefix = self.package + "."
        # dotted name relative to the package → (file name, source, is a package)
        self.sources: dict[str, tuple[str, bytes, bool]] = {}
        for filename, data in files.items():
            dotted = module_name(filename)
            if dotted:
                self.sources[dotted] = (filename, data, filename.endswith("__init__.py"))
        self._code: dict[str, types.CodeType] = {}
        self._finder: _Finder | None = None
        self._root: types.ModuleType | None = None

    def __repr__(self) -> str:
        state = "installed" if self._finder else "released"
        return f"RemoteNamespace({self.remote!r} {self.version!r} as {self.package}, {state})"

    @property
    def installed(self) -> bool:
        return self._finder is not None

    def compiled(self, relative: str, filename: str, source: bytes) -> types.CodeType:
        code = self._code.get(relative)
        if code is None:
            code = self._code[relative] = compile(
                source, f"{self.url}!/{filename}", "exec", dont_inherit=True
            )
        return code

    def install(self) -> None:
        """Put the package and its finder in place (its ``__init__`` runs if it has one)."""
        if self._finder is not None:
            return
        self._finder = _Finder(self)
        sys.meta_path.append(self._finder)
        root = types.ModuleType(self.package, f"remote {self.remote} {self.version}")
        root.__path__ = []
        root.__package__ = self.package
        root.__dict__["__federation__"] = self.context
        root.__spec__ = importlib.machinery.ModuleSpec(self.package, self._finder, is_package=True)
        sys.modules[self.package] = root
        self._root = root
        init = self.sources.get("")
        if init is not None:
            root.__file__ = f"{self.url}!/{init[0]}"
            exec(self.compiled("", init[0], init[1]), root.__dict__)

    def import_module(self, dotted: str, *, expose: str | None = None) -> Any:
        """The module ``dotted`` of this version (the package itself for ``""``)."""
        if self._finder is None:
            raise FederationError(
                f"version {self.version} was released",
                code=RuntimeCode.RUNTIME_001,
                remote=self.remote,
                expose=expose,
                url=self.url,
            )
        if dotted == "":
            return self._root
        if dotted not in self.sources:
            raise FederationError(
                f"the zip has no module {dotted!r}",
                code=RuntimeCode.RUNTIME_014,
                remote=self.remote,
                expose=expose,
                url=self.url,
            )
        full = self.prefix + dotted
        module = sys.modules.get(full)
        if module is not None:
            return module
        return importlib.import_module(full)

    def module_names(self) -> list[str]:
        """The names this namespace holds in ``sys.modules`` now."""
        return [n for n in sys.modules if n == self.package or n.startswith(self.prefix)]

    def release(self) -> None:
        """Take the package, its modules and its finder out; held module objects stay alive."""
        if self._finder is None:
            return
        for name in self.module_names():
            sys.modules.pop(name, None)
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self._finder)
        self._finder = None
        self._root = None
        self._code.clear()
