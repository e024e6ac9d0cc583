"""A remote's zip, made safe before anything in it runs: SRI integrity first, then bounds.

Bounds: the zip's size, the number of files, each file's and the total unpacked size (counted
while inflating, never trusted from the headers), the compression ratio (a zip bomb), and
names (no absolute paths, drive letters, backslashes, ``..`` or duplicates; no symlinks).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
import stat
import zipfile
from dataclasses import dataclass

from orchestrator.federation._errors import FederationError, RuntimeCode

__all__ = ["ZipLimits", "check_integrity", "read_zip"]

_SRI_RE = re.compile(r"^(sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})(?:\?.*)?$")
_STRENGTH = {"sha256": 0, "sha384": 1, "sha512": 2}
_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-/]+$")


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """How big a remote entry may be; the defaults fit any sane set of Python modules."""

    max_zip_bytes: int = 16 * 1024 * 1024
    max_files: int = 2000
    max_file_bytes: int = 8 * 1024 * 1024
    max_total_bytes: int = 64 * 1024 * 1024
    max_ratio: int = 100


def check_integrity(
    body: bytes, integrity: str, *, remote: str, url: str, expose: str | None = None
) -> None:
    """Subresource Integrity as browsers check it: of the strongest algorithm named, any
    listed digest may match. Unknown tokens are ignored; none known at all is an error."""
    tokens = [m for m in (_SRI_RE.match(t) for t in integrity.split()) if m is not None]
    if not tokens:
        raise FederationError(
            f"integrity {integrity!r} names no sha256/sha384/sha512 digest",
            code=RuntimeCode.RUNTIME_008,
            remote=remote,
            expose=expose,
            url=url,
        )
    strongest = max(_STRENGTH[m.group(1)] for m in tokens)
    for match in tokens:
        algorithm, expected = match.group(1), match.group(2)
        if _STRENGTH[algorithm] != strongest:
            continue
        actual = base64.b64encode(hashlib.new(algorithm, body).digest()).decode()
        if hmac.compare_digest(actual, expected):
            return
    raise FederationError(
        f"the body does not match its integrity {integrity!r}; nothing was run",
        code=RuntimeCode.RUNTIME_008,
        remote=remote,
        expose=expose,
        url=url,
    )


def _check_name(name: str, *, remote: str, url: str, expose: str | None) -> None:
    parts = name.split("/")
    bad = (
        not name
        or not _NAME_RE.match(name)
        or name.startswith("/")
        or any(part in ("", ".", "..") for part in parts[:-1])
        or parts[-1] in (".", "..")
        or (len(name) > 1 and name[1] == ":")
    )
    if bad:
        raise FederationError(
            f"zip entry {name!r} is not a plain relative path; nothing was run",
            code=RuntimeCode.RUNTIME_008,
            remote=remote,
            expose=expose,
            url=url,
        )


def read_zip(
    body: bytes,
    *,
    remote: str,
    url: str,
    expose: str | None = None,
    limits: ZipLimits = ZipLimits(),
) -> dict[str, bytes]:
    """The zip's files by name, each read within ``limits``; directories are skipped."""

    def fail(reason: str) -> FederationError:
        return FederationError(
            reason, code=RuntimeCode.RUNTIME_008, remote=remote, expose=expose, url=url
        )

    if len(body) > limits.max_zip_bytes:
        raise fail(f"zip is {len(body)} bytes, over the cap of {limits.max_zip_bytes}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise fail(f"not a zip file: {exc}") from exc
    infos = archive.infolist()
    if len(infos) > limits.max_files:
        raise fail(f"zip has {len(infos)} entries, over the cap of {limits.max_files}")
    files: dict[str, bytes] = {}
    total = 0
    with archive:
        for info in infos:
            name = info.filename
            if "\\" in name:
                raise fail(f"zip entry {name!r} has a backslash in its name")
            if info.is_dir():
                _check_name(name.rstrip("/") or "/", remote=remote, url=url, expose=expose)
                continue
            _check_name(name, remote=remote, url=url, expose=expose)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise fail(f"zip entry {name!r} is a symbolic link")
            if info.flag_bits & 0x1:
                raise fail(f"zip entry {name!r} is encrypted")
            if name in files:
                raise fail(f"zip entry {name!r} appears twice")
            budget = min(limits.max_file_bytes, limits.max_total_bytes - total)
            ratio_cap = max(info.compress_size, 1) * limits.max_ratio + 4096
            data = bytearray()
            try:
                with archive.open(info) as handle:
                    while chunk := handle.read(65536):
                        data += chunk
                        if len(data) > budget:
                            raise fail(f"zip entry {name!r} unpacks past the size cap")
                        if len(data) > ratio_cap:
                            raise fail(
                                f"zip entry {name!r} inflates more than {limits.max_ratio}x "
                                "(a zip bomb?)"
                            )
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
                raise fail(f"zip entry {name!r} is damaged: {exc}") from exc
            total += len(data)
            files[name] = bytes(data)
    return files
