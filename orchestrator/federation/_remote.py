"""Remotes as MF registers them (name, entry, alias, share scope), and their loaded versions."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestrator.federation._errors import FederationError
from orchestrator.federation._manifest import RemoteManifest
from orchestrator.federation._namespace import RemoteNamespace

__all__ = ["Remote", "RemoteRecord", "RemoteVersion", "as_remote", "match_remote"]


@dataclass
class Remote:
    """MF's ``Remote``: ``entry`` is the URL of the remote's ``mf-manifest.json``."""

    name: str
    entry: str
    alias: str | None = None
    share_scope: str = "default"
    type: str = "manifest"


def as_remote(value: Remote | Mapping[str, Any]) -> Remote:
    """A ``Remote`` from itself or a mapping with MF's (or snake_case) keys."""
    if isinstance(value, Remote):
        return Remote(value.name, value.entry, value.alias, value.share_scope, value.type)
    if not isinstance(value, Mapping) or not value.get("name") or not value.get("entry"):
        raise FederationError(f"a remote needs a name and an entry, got {value!r}")
    return Remote(
        name=str(value["name"]),
        entry=str(value["entry"]),
        alias=value.get("alias") or None,
        share_scope=str(value.get("share_scope") or value.get("shareScope") or "default"),
        type=str(value.get("type") or "manifest"),
    )


@dataclass(eq=False)
class RemoteVersion:
    """One published build of a remote: its manifest and, once loaded, its namespace.

    ``leases`` count holders (``Federation.hold``); a retired version is released when the
    last one lets go.
    """

    manifest: RemoteManifest
    namespace: RemoteNamespace | None = None
    leases: int = 0
    retired: bool = False
    _entry: asyncio.Future[RemoteNamespace] | None = field(default=None, repr=False)
    released: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def acquire(self) -> None:
        self.leases += 1

    def release_lease(self) -> None:
        self.leases -= 1
        if self.retired and self.leases <= 0:
            self.release()

    def retire(self) -> None:
        """No new loads use this version; release it now if nobody holds it."""
        self.retired = True
        if self.leases <= 0:
            self.release()

    def release(self) -> None:
        if self.namespace is not None:
            self.namespace.release()
        self.released.set()


@dataclass(eq=False)
class RemoteRecord:
    """One registered remote: its options, its current version, retired versions still held."""

    remote: Remote
    current: RemoteVersion | None = None
    held: list[RemoteVersion] = field(default_factory=list)
    _manifest: asyncio.Future[RemoteVersion] | None = field(default=None, repr=False)

    def retire_current(self) -> None:
        version = self.current
        self.current = None
        self._manifest = None
        if version is not None:
            version.retire()
            if not version.released.is_set():
                self.held.append(version)
        self.held = [v for v in self.held if not v.released.is_set()]


def match_remote(remotes: list[RemoteRecord], request: str) -> tuple[RemoteRecord, str, str] | None:
    """MF's ``matchRemoteWithNameAndExpose``: in registration order, ``request`` starts with a
    remote's name (then its alias) and the rest is ``""`` (expose ``"."``) or ``/x`` (``./x``).
    Returns (record, the name or alias that matched, expose)."""
    for record in remotes:
        for prefix in (record.remote.name, record.remote.alias):
            if not prefix or not request.startswith(prefix):
                continue
            rest = request[len(prefix) :]
            if rest == "":
                return record, prefix, "."
            if rest.startswith("/"):
                return record, prefix, "." + rest
    return None
