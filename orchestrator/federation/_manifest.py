"""``mf-manifest.json`` in MF 2.0's shape (``packages/sdk/src/types/manifest.ts``), read strictly.

For Python remotes the same fields mean: ``metaData.remoteEntry`` names the zip of modules
(with an SRI ``integrity``), ``metaData.types`` the zip of ``.pyi`` stubs, and each
``exposes[]`` / ``shared[]`` item lists its files in ``assets.js.sync``, the first ``.py`` of
which is its module (``counter.py``, ``widgets/__init__.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from orchestrator.federation._errors import FederationError, RuntimeCode

__all__ = ["ManifestExpose", "ManifestShared", "RemoteManifest", "module_name", "parse_manifest"]


@dataclass(frozen=True, slots=True)
class ManifestExpose:
    name: str
    path: str
    module: str
    """Dotted name of the expose's module inside the remote's zip."""


@dataclass(frozen=True, slots=True)
class ManifestShared:
    name: str
    version: str
    singleton: bool
    required_version: str | None
    module: str | None


@dataclass(frozen=True, slots=True)
class RemoteManifest:
    """What a host needs from a remote's manifest, with URLs made absolute."""

    id: str
    name: str
    url: str
    build_version: str
    entry_url: str
    entry_integrity: str
    types_url: str | None
    types_integrity: str | None
    exposes: tuple[ManifestExpose, ...]
    shared: tuple[ManifestShared, ...]

    def expose(self, expose: str) -> ManifestExpose | None:
        """``./Counter`` (or ``Counter``) → its record."""
        wanted = expose if expose.startswith(".") else f"./{expose}"
        for item in self.exposes:
            if item.path == wanted or f"./{item.name}" == wanted:
                return item
        return None

    @property
    def identity(self) -> tuple[str, str, str]:
        """Changes when a new build is published (what a hot swap compares)."""
        return (self.build_version, self.entry_url, self.entry_integrity)


def module_name(path: str) -> str | None:
    """``widgets/price.py`` → ``widgets.price``; ``widgets/__init__.py`` → ``widgets``."""
    if not path.endswith(".py"):
        return None
    parts = path.removeprefix("./")[: -len(".py")].split("/")
    if parts[-1] == "__init__":
        parts.pop()
    if not parts or not all(part.isidentifier() for part in parts):
        return None
    return ".".join(parts)


class _Reader:
    def __init__(self, remote: str, url: str) -> None:
        self.remote = remote
        self.url = url

    def fail(self, where: str, reason: str, *, expose: str | None = None) -> FederationError:
        return FederationError(
            f"{where}: {reason}",
            code=RuntimeCode.RUNTIME_013,
            remote=self.remote,
            expose=expose,
            url=self.url,
        )

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected an object, got {type(value).__name__}")
        return value

    def text(self, parent: dict[str, Any], key: str, where: str, *, empty: bool = True) -> str:
        value = parent.get(key)
        if not isinstance(value, str) or (not empty and not value):
            raise self.fail(f"{where}.{key}", f"expected a{'' if empty else ' non-empty'} string")
        return value

    def items(self, parent: dict[str, Any], key: str) -> list[dict[str, Any]]:
        value = parent.get(key, [])  # MF's disableAssetsAnalyze drops shared and exposes
        if not isinstance(value, list):
            raise self.fail(key, "expected a list")
        return [self.obj(item, f"{key}[{index}]") for index, item in enumerate(value)]

    def module(self, item: dict[str, Any], where: str, *, expose: str | None) -> str | None:
        assets = item.get("assets", {})
        sync = self.obj(self.obj(assets, f"{where}.assets").get("js", {}), f"{where}.assets.js")
        files = sync.get("sync", [])
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise self.fail(f"{where}.assets.js.sync", "expected a list of file names")
        for name in files:
            if name.endswith(".py"):
                dotted = module_name(name)
                if dotted is None:
                    raise self.fail(
                        f"{where}.assets.js.sync",
                        f"{name!r} is not a module path",
                        expose=expose,
                    )
                return dotted
        return None


def parse_manifest(body: bytes, *, remote: str, url: str) -> RemoteManifest:
    """Validate ``body`` as an MF 2.0 manifest fetched from ``url`` (its final URL)."""
    reader = _Reader(remote, url)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise reader.fail("manifest", f"not JSON ({exc})") from exc
    root = reader.obj(data, "manifest")
    manifest_id = reader.text(root, "id", "manifest", empty=False)
    name = reader.text(root, "name", "manifest", empty=False)
    meta = reader.obj(root.get("metaData"), "metaData")
    if "getPublicPath" in meta and "publicPath" not in meta:
        raise reader.fail("metaData.getPublicPath", "an expression to run; give publicPath")
    public_path = reader.text(meta, "publicPath", "metaData")
    base = url if public_path in ("auto", "") else urljoin(url, public_path)
    build_info = meta.get("buildInfo", {})
    build_version = str(reader.obj(build_info, "metaData.buildInfo").get("buildVersion", ""))

    entry = reader.obj(meta.get("remoteEntry"), "metaData.remoteEntry")
    entry_name = reader.text(entry, "name", "metaData.remoteEntry", empty=False)
    entry_path = reader.text(entry, "path", "metaData.remoteEntry")
    entry_type = entry.get("type", "zip")
    if entry_type not in ("zip", "python-zip"):
        raise reader.fail("metaData.remoteEntry.type", f"{entry_type!r} is not a Python zip")
    integrity = reader.text(entry, "integrity", "metaData.remoteEntry", empty=False)

    def join(path: str, file: str) -> str:
        return urljoin(base, (path.rstrip("/") + "/" if path else "") + file)

    types_url = types_integrity = None
    if meta.get("types"):
        types = reader.obj(meta["types"], "metaData.types")
        if types.get("zip"):
            types_url = join(str(types.get("path", "")), reader.text(types, "zip", "types"))
            types_integrity = types.get("integrity")
            if types_integrity is not None and not isinstance(types_integrity, str):
                raise reader.fail("metaData.types.integrity", "expected a string")

    exposes: list[ManifestExpose] = []
    for index, item in enumerate(reader.items(root, "exposes")):
        where = f"exposes[{index}]"
        expose_name = reader.text(item, "name", where, empty=False)
        path = reader.text(item, "path", where, empty=False)
        if not path.startswith("."):
            raise reader.fail(f"{where}.path", f"{path!r} does not start with '.'")
        module = reader.module(item, where, expose=path)
        if module is None:
            raise reader.fail(f"{where}.assets.js.sync", "names no .py module", expose=path)
        exposes.append(ManifestExpose(expose_name, path, module))

    shared: list[ManifestShared] = []
    for index, item in enumerate(reader.items(root, "shared")):
        where = f"shared[{index}]"
        required = item.get("requiredVersion")
        if required is not None and not isinstance(required, str):
            required = None  # MF writes false for "no check"
        shared.append(
            ManifestShared(
                name=reader.text(item, "name", where, empty=False),
                version=reader.text(item, "version", where, empty=False),
                singleton=bool(item.get("singleton", False)),
                required_version=required,
                module=reader.module(item, where, expose=None),
            )
        )
    return RemoteManifest(
        id=manifest_id,
        name=name,
        url=url,
        build_version=build_version,
        entry_url=join(entry_path, entry_name),
        entry_integrity=integrity,
        types_url=types_url,
        types_integrity=types_integrity,
        exposes=tuple(exposes),
        shared=tuple(shared),
    )
