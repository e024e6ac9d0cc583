"""Writing a remote: the modules zip and its ``mf-manifest.json`` in MF 2.0's shape.

The in-memory core of ``mfe federation build`` (and of our tests and benchmarks): give it the
files and what they expose and share (and, if made, the ``.pyi`` stubs zip); it returns the zip
bytes and the manifest with each zip's SRI ``integrity``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RemoteBuild", "SharedSpec", "build_remote", "sri", "zip_files"]


def sri(body: bytes, algorithm: str = "sha384") -> str:
    """``sha384-<base64 digest>``, the ``integrity`` of ``body``."""
    return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, body).digest()).decode()


@dataclass(frozen=True)
class SharedSpec:
    """A shared module the remote offers: its file in the zip, version and options."""

    name: str
    version: str
    file: str
    singleton: bool = False
    required_version: str | None = None


@dataclass(frozen=True)
class RemoteBuild:
    zip_bytes: bytes
    manifest: dict[str, Any] = field(default_factory=dict)
    entry_name: str = "remoteEntry.zip"
    types_bytes: bytes | None = None
    types_name: str | None = None

    @property
    def manifest_bytes(self) -> bytes:
        return json.dumps(self.manifest, indent=2).encode()


def _assets(file: str) -> dict[str, Any]:
    return {"js": {"sync": [file], "async": []}, "css": {"sync": [], "async": []}}


def zip_files(files: Mapping[str, str | bytes]) -> bytes:
    """A deflated zip of ``files`` in name order with a fixed date: same files, same bytes
    (so the same build gets the same integrity and the same hashed file name)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            data = files[path]
            info = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data.encode() if isinstance(data, str) else data)
    return buffer.getvalue()


def build_remote(
    name: str,
    version: str,
    files: Mapping[str, str | bytes],
    *,
    exposes: Mapping[str, str],
    shared: Sequence[SharedSpec] = (),
    entry_name: str | None = None,
    public_path: str = "auto",
    types: bytes | None = None,
) -> RemoteBuild:
    """``exposes`` maps ``"./Counter"`` to a file of ``files`` (``"counter.py"``); ``types``
    is a zip of ``.pyi`` stubs, named in ``metaData.types`` with its own integrity."""
    body = zip_files(files)
    entry = entry_name or f"remoteEntry.{hashlib.sha256(body).hexdigest()[:8]}.zip"
    types_name = None
    types_meta: dict[str, Any] = {"path": "", "name": "", "api": "", "zip": ""}
    if types is not None:
        # MF names it @mf-types.zip; the digest in the name keeps caches honest across builds
        types_name = f"@mf-types.{hashlib.sha256(types).hexdigest()[:8]}.zip"
        types_meta = {
            "path": "",
            "name": "",
            "api": "",
            "zip": types_name,
            "integrity": sri(types),
        }
    manifest = {
        "id": name,
        "name": name,
        "metaData": {
            "name": name,
            "globalName": name,
            "buildInfo": {"buildVersion": version, "buildName": name},
            "remoteEntry": {"name": entry, "path": "", "type": "zip", "integrity": sri(body)},
            "types": types_meta,
            "type": "app",
            "pluginVersion": "mfe-orchestrator",
            "publicPath": public_path,
        },
        "shared": [
            {
                "id": f"{name}:{spec.name}",
                "name": spec.name,
                "version": spec.version,
                "singleton": spec.singleton,
                "requiredVersion": spec.required_version or f"^{spec.version}",
                "hash": "",
                "assets": _assets(spec.file),
            }
            for spec in shared
        ],
        "remotes": [],
        "exposes": [
            {
                "id": f"{name}:{path.removeprefix('./')}",
                "name": path.removeprefix("./"),
                "path": path,
                "assets": _assets(file),
            }
            for path, file in exposes.items()
        ],
    }
    return RemoteBuild(body, manifest, entry, types, types_name)
