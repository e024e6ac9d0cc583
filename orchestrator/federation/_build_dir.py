"""``mfe federation build``: a folder of Python modules → ``mf-manifest.json`` and its zips.

Everything is checked before anything is written (the exposes and shared modules exist inside
the folder and compile, the ranges parse, the zip loads within ``ZipLimits``); the zips are
written first and the manifest last, by rename, so a host never reads a manifest naming a zip
that is not there yet.
"""

from __future__ import annotations

import ast
import os
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.federation import semver
from orchestrator.federation._archive import ZipLimits, read_zip
from orchestrator.federation._build import RemoteBuild, SharedSpec, build_remote
from orchestrator.federation._errors import FederationBuildError, FederationError
from orchestrator.federation._manifest import module_name, parse_manifest
from orchestrator.federation._stubs import stubs_zip

__all__ = ["BuiltRemote", "build_remote_dir", "check_range", "parse_expose", "parse_shared"]

MANIFEST = "mf-manifest.json"
_EXPOSE_RE = re.compile(r"^\./[A-Za-z0-9_][A-Za-z0-9_.\-/]*$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
# one comparator of webpack's grammar: an operator, then a partial version whose first part
# is a number or a wildcard (webpack itself reads any text as *some* range)
_OPERATORS = r"\^|~|>=|<=|>|<|=|!"
_OPERATOR = rf"(?:{_OPERATORS})?"
_PART = r"(?:[xX*]|\d+)"
_PARTIAL_RE = re.compile(
    rf"^{_OPERATOR}v?{_PART}(?:\.(?:{_PART}|[0-9A-Za-z-]+))*"
    r"(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"
)
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules"})


@dataclass(frozen=True)
class BuiltRemote:
    """What a build wrote: the files, and the manifest as hosts will read it."""

    out: Path
    manifest_path: Path
    entry_path: Path
    types_path: Path | None
    build: RemoteBuild

    @property
    def manifest(self) -> dict[str, Any]:
        return self.build.manifest


def check_range(text: str, *, remote: str | None = None, key: str | None = None) -> str:
    """``text`` if it is a range in webpack's grammar (``^1.2``, ``>=1 <2 || 3.x``), else an
    error naming it: webpack's parser reads any text as some range, so typos pass silently."""

    def bad(why: str) -> FederationBuildError:
        return FederationBuildError(
            f"{text!r} is not a version range ({why}); write e.g. ^1.2.0, ~1.2, >=1 <2, 1.x",
            remote=remote,
            key=key,
        )

    if not text.strip():
        raise bad("it is empty")
    for alternative in text.split("||"):
        # groups, and range_to_string's not(...), read as their comparators
        ungrouped = re.sub(r"\bnot\(", "(", alternative).replace("(", " ").replace(")", " ")
        flat = re.sub(r"\s+", " ", ungrouped).strip()
        if not flat:
            raise bad("an alternative of '||' is empty")
        sides = flat.split(" - ")
        if len(sides) > 2:
            raise bad("a hyphen range has two ends")
        for side in sides:
            side = re.sub(rf"({_OPERATORS})\s+", r"\1", side)  # ">= 1.2" → ">=1.2"
            for token in side.split(" "):
                if len(sides) == 2 and token[:1] in "^~<>=!":
                    raise bad(f"{token!r}: the ends of a hyphen range take no operator")
                if not _PARTIAL_RE.match(token):
                    raise bad(f"{token!r} is not an operator and a version")
    try:
        semver.parse_range(text)
    except (ValueError, IndexError) as exc:
        raise bad(str(exc)) from exc
    return text


def parse_expose(text: str, *, remote: str | None = None) -> tuple[str, str]:
    """``./Counter=counter.py`` → ``("./Counter", "counter.py")``."""
    path, sep, file = text.partition("=")
    path, file = path.strip(), file.strip()
    if not sep or not path or not file:
        raise FederationBuildError(
            f"--expose {text!r}: expected ./NAME=FILE, e.g. ./Counter=counter.py", remote=remote
        )
    if not _EXPOSE_RE.match(path) or path.endswith("/"):
        raise FederationBuildError(
            f"--expose {text!r}: the exposed name must look like ./Counter "
            "(letters, digits, _ . - /)",
            remote=remote,
            expose=path,
        )
    return path, file


def parse_shared(text: str, *, remote: str | None = None) -> tuple[str, str | None]:
    """``money@^1.0`` → ``("money", "^1.0")``; ``money`` → ``("money", None)``."""
    key, sep, wanted = text.partition("@")
    key = key.strip()
    if not key or not all(part.isidentifier() for part in key.split(".")):
        raise FederationBuildError(
            f"--shared {text!r}: expected a module name, then optionally @RANGE (money@^1.0)",
            remote=remote,
        )
    if not sep:
        return key, None
    return key, check_range(wanted.strip(), remote=remote, key=key)


def _sources(source: Path, out: Path) -> dict[str, bytes]:
    """Every importable ``.py`` under ``source`` (its zip path → bytes), outside ``out``."""
    files: dict[str, bytes] = {}
    resolved_out = out.resolve()
    for folder, dirs, names in os.walk(source):
        here = Path(folder)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".")
            and d not in _SKIPPED_DIRS
            and (here / d).resolve() != resolved_out
        )
        for name in sorted(names):
            if not name.endswith(".py"):
                continue
            relative = (here / name).relative_to(source).as_posix()
            if module_name(relative) is not None:
                files[relative] = (here / name).read_bytes()
    return files


def _module_file(
    source: Path, files: dict[str, bytes], given: str, *, remote: str, expose: str
) -> str:
    """The zip path of what ``--expose`` names: a ``.py`` file or a package folder."""
    candidate = (source / given).resolve()
    try:
        relative = candidate.relative_to(source.resolve()).as_posix()
    except ValueError:
        raise FederationBuildError(
            f"{given!r} is outside the folder {str(source)!r}", remote=remote, expose=expose
        ) from None
    if candidate.is_dir():
        relative = f"{relative}/__init__.py" if relative != "." else "__init__.py"
    if relative not in files:
        why = (
            "no such file"
            if not (source / relative).exists()
            else "not an importable module path (each folder and the file must be identifiers)"
        )
        raise FederationBuildError(
            f"{why} in {str(source)!r} (expected a .py file or a package folder)",
            remote=remote,
            expose=expose,
            path=given,
        )
    return relative


def _shared_file(source: Path, files: dict[str, bytes], key: str, *, remote: str) -> str:
    base = key.replace(".", "/")
    for relative in (f"{base}.py", f"{base}/__init__.py"):
        if relative in files:
            return relative
    raise FederationBuildError(
        f"no {base}.py or {base}/__init__.py in {str(source)!r}: a remote shares its own copy",
        remote=remote,
        key=key,
    )


def _declared_version(code: bytes) -> str | None:
    """``__version__ = "1.2.0"`` at the top of a module, read without running it."""
    for node in ast.parse(code).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    return None


def _project_version(source: Path) -> str | None:
    try:
        data = tomllib.loads((source / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    version = data.get("project", {}).get("version")
    return version if isinstance(version, str) else None


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def build_remote_dir(
    source: str | Path,
    out: str | Path | None = None,
    *,
    name: str,
    exposes: Iterable[str | tuple[str, str]] = (),
    shared: Iterable[str | tuple[str, str | None]] = (),
    singletons: Sequence[str] = (),
    version: str | None = None,
    types: bool = True,
    limits: ZipLimits | None = None,
) -> BuiltRemote:
    """Build the remote ``name`` from the folder ``source`` into ``out`` (``source/dist``).

    ``exposes`` are ``./Counter=counter.py`` (or pairs); ``shared`` are ``money`` or
    ``money@^1.0`` (or pairs): a module of the folder offered in the share scope, at its
    ``__version__`` (else the build's), required at the range (else ``^version``);
    ``singletons`` names the shared keys that are singletons. ``version`` defaults to the
    folder's ``pyproject.toml`` version, else ``0.0.0``. ``types`` makes the ``.pyi`` zip.
    """
    source = Path(source)
    if not _NAME_RE.match(name):
        raise FederationBuildError(
            "--name must be letters, digits, _ . - (MF's container name)", remote=name
        )
    if not source.is_dir():
        raise FederationBuildError(f"{str(source)!r} is not a folder", remote=name)
    out_dir = Path(out) if out is not None else source / "dist"
    files = _sources(source, out_dir)
    for relative, code in files.items():
        try:
            compile(code, relative, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            raise FederationBuildError(
                f"does not compile{f' (line {line})' if line else ''}: {exc}",
                remote=name,
                path=relative,
            ) from exc
    build_version = version or _project_version(source) or "0.0.0"

    exposed: dict[str, str] = {}
    for item in exposes:
        path, given = parse_expose(item, remote=name) if isinstance(item, str) else item
        if path in exposed:
            raise FederationBuildError("exposed twice", remote=name, expose=path)
        exposed[path] = _module_file(source, files, given, remote=name, expose=path)

    specs: list[SharedSpec] = []
    keys: list[str] = []
    for offer in shared:
        key, wanted = parse_shared(offer, remote=name) if isinstance(offer, str) else offer
        if wanted is not None:
            check_range(wanted, remote=name, key=key)
        if key in keys:
            raise FederationBuildError("shared twice", remote=name, key=key)
        file = _shared_file(source, files, key, remote=name)
        keys.append(key)
        specs.append(
            SharedSpec(
                key,
                _declared_version(files[file]) or build_version,
                file,
                singleton=key in singletons,
                required_version=wanted,
            )
        )
    for key in singletons:
        if key not in keys:
            raise FederationBuildError(
                "--singleton names a module that is not --shared", remote=name, key=key
            )
    if not exposed and not specs:
        raise FederationBuildError("nothing to publish: give --expose or --shared", remote=name)

    stubs = stubs_zip(name, files) if types else None
    build = build_remote(name, build_version, files, exposes=exposed, shared=specs, types=stubs)
    # what a host will do with it, before anything is written
    try:
        read_zip(build.zip_bytes, remote=name, url=build.entry_name, limits=limits or ZipLimits())
        parse_manifest(build.manifest_bytes, remote=name, url=f"http://build/{MANIFEST}")
    except FederationError as exc:
        raise FederationBuildError(
            f"a host would refuse this build: {exc.reason}", remote=name
        ) from exc

    out_dir.mkdir(parents=True, exist_ok=True)
    entry_path = out_dir / build.entry_name
    _write(entry_path, build.zip_bytes)
    types_path = None
    if build.types_bytes is not None and build.types_name is not None:
        types_path = out_dir / build.types_name
        _write(types_path, build.types_bytes)
    manifest_path = out_dir / MANIFEST
    _write(manifest_path, build.manifest_bytes)
    return BuiltRemote(out_dir, manifest_path, entry_path, types_path, build)
