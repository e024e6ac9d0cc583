"""Live types: a remote's ``.pyi`` stubs (its ``@mf-types`` zip) pulled into ``.mfe-types/<name>/``.

A subscriber that hears ``UPDATE_SUBSCRIBER`` for a remote pulls its new stubs: the URL the
publisher announced (``remoteTypeTarPath``) is the remote's ``mf-manifest.json`` (whose
``metaData.types`` names the zip and its integrity) or the zip itself. The zip is untrusted input
(DESIGN.md §5): fetched from trusted origins only, checked against its integrity, unpacked within
``ZipLimits`` with plain relative names only, ``.pyi`` files only, and swapped into place whole,
so mypy never reads half of one build and half of another.

The layout mypy reads: ``.mfe-types/widgets/widgets/price.pyi``, with
``mypy_path = ".mfe-types/widgets"`` (one entry per remote), so ``from widgets import price``
type-checks against the remote as last built.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import OrchestratorError
from ..federation import FederationError, Fetch, TrustedOrigins, ZipLimits
from ..federation._archive import check_integrity, read_zip
from ..federation._manifest import parse_manifest
from ._clients import Update
from ._errors import DevServerError
from ._protocol import UpdateKind

__all__ = ["TYPES_DIR", "TypesError", "TypesPull", "TypesPuller", "TypesResult"]

TYPES_DIR = ".mfe-types"
"""Where stubs land, under the project folder (one folder per remote)."""

_RECORD = ".mfe-types.json"
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_STUB_LIMITS = ZipLimits(
    max_zip_bytes=8 * 1024 * 1024,
    max_files=2000,
    max_file_bytes=2 * 1024 * 1024,
    max_total_bytes=32 * 1024 * 1024,
)


class TypesError(DevServerError):
    """A remote's stubs could not be pulled: names the remote and the URL; nothing was changed."""

    def __init__(self, remote: str, url: str, reason: str) -> None:
        self.remote = remote
        self.url = url
        self.reason = reason
        super().__init__(f"types of remote {remote!r} from {url}: {reason}")


class TypesResult(enum.StrEnum):
    """What one pull did to ``.mfe-types/<remote>/``."""

    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class TypesPull:
    """One pull: where the stubs are (the folder to put on ``mypy_path``), which files, and the
    zip's digest (a pull of the same zip changes nothing)."""

    remote: str
    result: TypesResult
    folder: Path
    files: tuple[str, ...]
    digest: str
    url: str

    def line(self, root: Path | None = None, *, first: bool = False) -> str:
        """``widgets changed → types updated (.mfe-types/widgets)``: the terminal's line
        (``first``: the pull on joining, ``widgets types pulled (…)``)."""
        where = self.folder
        if root is not None and where.is_relative_to(root):
            where = where.relative_to(root)
        if first:
            return f"{self.remote} types pulled ({where.as_posix()})"
        return f"{self.remote} changed → types {self.result.value} ({where.as_posix()})"


class _LoopbackFetch:
    """The default fetch: an ``EntryLoader``'s ``fetch_code`` (trusted origins on every hop,
    bodies capped), made on first use and closed with the puller."""

    def __init__(self, trusted: TrustedOrigins, max_bytes: int) -> None:
        self.trusted = trusted
        self.max_bytes = max_bytes
        self._loader: Any = None

    async def __call__(self, url: str) -> tuple[str, bytes]:
        if self._loader is None:
            from ..html_entry import EntryLoader

            self._loader = EntryLoader(
                trusted_origins=self.trusted.origins, max_bytes=self.max_bytes
            )
        try:
            final_url, body = await self._loader.fetch_code(url)
        except OrchestratorError as exc:
            raise FederationError(getattr(exc, "reason", str(exc)), url=url) from exc
        return str(final_url), bytes(body)

    async def aclose(self) -> None:
        if self._loader is not None:
            await self._loader.aclose()
            self._loader = None


class TypesPuller:
    """Pulls remotes' stubs into ``<root>/.mfe-types/<remote>/``; usable outside ``mfe dev``
    (``async with TypesPuller(root) as puller: await puller.pull("widgets", manifest_url)``).

    ``fetch`` (``await fetch(url)`` → ``(final_url, body)``) defaults to a loader that trusts
    ``trusted_origins`` (loopback unless told otherwise), as federation fetches code.
    """

    def __init__(
        self,
        root: str | Path,
        *,
        fetch: Fetch | None = None,
        trusted_origins: Sequence[str] | None = None,
        limits: ZipLimits = _STUB_LIMITS,
    ) -> None:
        self.root = Path(root).resolve()
        self.folder = self.root / TYPES_DIR
        self.limits = limits
        self._own_fetch: _LoopbackFetch | None = None
        if fetch is None:
            fetch = self._own_fetch = _LoopbackFetch(
                TrustedOrigins(trusted_origins), limits.max_zip_bytes
            )
        self._fetch: Fetch = fetch
        self._locks: dict[str, asyncio.Lock] = {}

    async def __aenter__(self) -> TypesPuller:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_fetch is not None:
            await self._own_fetch.aclose()

    def folder_of(self, remote: str) -> Path:
        """``.mfe-types/<remote>``: the folder to put on mypy's ``mypy_path``."""
        if not _NAME_RE.match(remote) or remote in (".", ".."):
            raise TypesError(remote, "-", "a remote's name must be letters, digits, _ . -")
        return self.folder / remote

    def mypy_path(self) -> list[str]:
        """Every pulled remote's folder, for ``mypy_path`` (or ``MYPYPATH``)."""
        if not self.folder.is_dir():
            return []
        return sorted(str(p) for p in self.folder.iterdir() if (p / _RECORD).is_file())

    async def pull(self, remote: str, url: str) -> TypesPull:
        """Fetch, check and unpack ``remote``'s stubs from ``url`` (its manifest, or the zip);
        :class:`TypesError` names what was wrong, and the folder is left as it was."""
        folder = self.folder_of(remote)
        if not url:
            raise TypesError(remote, "-", "its publisher announced no types URL")
        lock = self._locks.setdefault(remote, asyncio.Lock())
        async with lock:  # two updates in a row: the second unpacks after the first
            try:
                zip_url, body = await self._zip(remote, url)
                files = read_zip(body, remote=remote, url=zip_url, limits=self.limits)
            except FederationError as exc:
                raise TypesError(remote, url, exc.reason) from exc
            stubs = _stub_files(remote, zip_url, files)
            digest = hashlib.sha256(body).hexdigest()
            if _recorded_digest(folder) == digest:
                return TypesPull(
                    remote, TypesResult.UNCHANGED, folder, tuple(sorted(stubs)), digest, zip_url
                )
            record = {"remote": remote, "url": zip_url, "sha256": digest}
            await asyncio.to_thread(_swap_in, folder, stubs, record)
            return TypesPull(
                remote, TypesResult.UPDATED, folder, tuple(sorted(stubs)), digest, zip_url
            )

    async def on_update(self, update: Update) -> TypesPull | None:
        """A :class:`Subscriber`'s ``on_update``: pull when the update carries new types."""
        if update.kind is not UpdateKind.UPDATE_TYPE or not update.types_url:
            return None
        return await self.pull(update.publisher, update.types_url)

    async def on_fetch_types(self, remote_info: Mapping[str, Any], once: bool = True) -> TypesPull:
        """A :class:`Publisher`'s ``on_fetch_types`` (the broker's ``FETCH_TYPES``): pull the
        remote ``remote_info`` names (``{"name": ..., "url": manifest or zip URL}``)."""
        name = str(remote_info.get("name") or "")
        url = str(remote_info.get("url") or remote_info.get("entry") or "")
        return await self.pull(name, url)

    async def _zip(self, remote: str, url: str) -> tuple[str, bytes]:
        """The stubs zip's final URL and bytes, checked against the manifest's integrity."""
        final_url, body = await self._fetch(url)
        if PurePosixPath(final_url.partition("?")[0]).suffix == ".zip":
            return final_url, body
        manifest = parse_manifest(body, remote=remote, url=final_url)
        if manifest.types_url is None:
            raise FederationError(
                "the manifest names no types zip (built with --no-types?)", url=final_url
            )
        zip_url, zipped = await self._fetch(manifest.types_url)
        if manifest.types_integrity:
            check_integrity(zipped, manifest.types_integrity, remote=remote, url=zip_url)
        return zip_url, zipped


def _stub_files(remote: str, url: str, files: dict[str, bytes]) -> dict[str, bytes]:
    """Only stubs go to disk: a ``.py`` (or anything else) in a types zip is refused."""
    others = sorted(name for name in files if not name.endswith((".pyi", "/py.typed")))
    if others:
        raise TypesError(remote, url, f"the types zip holds {others[0]!r}, not a .pyi stub")
    if not files:
        raise TypesError(remote, url, "the types zip is empty")
    return files


def _recorded_digest(folder: Path) -> str | None:
    try:
        data = json.loads((folder / _RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    digest = data.get("sha256") if isinstance(data, dict) else None
    return digest if isinstance(digest, str) else None


def _swap_in(folder: Path, files: dict[str, bytes], record: dict[str, str]) -> None:
    """Write the new stubs beside the old ones, then swap the folders: a file the new build
    no longer has is gone, and a reader sees one build or the other."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-", dir=folder.parent))
    try:
        for name, data in files.items():
            target = fresh.joinpath(*name.split("/"))
            if not target.resolve().is_relative_to(fresh.resolve()):  # read_zip refused these
                raise TypesError(record["remote"], record["url"], f"{name!r} leaves its folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (fresh / _RECORD).write_text(json.dumps(record, indent=2), encoding="utf-8")
        old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
        if folder.exists():
            if old.exists():
                shutil.rmtree(old)
            os.replace(folder, old)
        os.replace(fresh, folder)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
