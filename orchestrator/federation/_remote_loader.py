"""Getting a remote's code: its manifest, then its zip (integrity, bounds), then a namespace.

The narrow part of ``Federation`` that touches the network and imports; it is handed the
hooks it emits, the fetch, the trust rules and two callbacks (what to do with a new version,
what ``__federation__`` is), not the whole federation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from orchestrator.federation._archive import ZipLimits, check_integrity, read_zip
from orchestrator.federation._errors import FederationError, RuntimeCode
from orchestrator.federation._fetch import Fetch, TrustedOrigins
from orchestrator.federation._hooks import FederationHooks
from orchestrator.federation._manifest import RemoteManifest, parse_manifest
from orchestrator.federation._namespace import RemoteNamespace
from orchestrator.federation._remote import RemoteRecord, RemoteVersion

__all__ = ["RemoteLoader"]


class RemoteLoader:
    """Fetches manifests and zips once per version, for every concurrent caller."""

    def __init__(
        self,
        *,
        hooks: FederationHooks,
        fetch: Fetch,
        trusted_origins: TrustedOrigins,
        zip_limits: ZipLimits,
        on_adopt: Callable[[RemoteRecord, RemoteVersion], None],
        context: Callable[[str, str], Any],
    ) -> None:
        self.hooks = hooks
        self._fetch = fetch
        self.trusted_origins = trusted_origins
        self.zip_limits = zip_limits
        self._on_adopt = on_adopt
        self._context = context

    async def fetch_checked(
        self, url: str, *, remote: str, expose: str | None
    ) -> tuple[str, bytes]:
        """``(final_url, body)``, the final URL checked against ``trusted_origins`` whatever
        the fetch did (an injected one may not check hops)."""
        args = {"url": url, "remote": remote, "expose": expose, "origin": self}
        body = await self.hooks.fetch.emit(args)
        final = url
        if not isinstance(body, (bytes, tuple)):
            final, body = await self._fetch(url)
        elif isinstance(body, tuple):
            final, body = body
        if final not in self.trusted_origins:
            raise FederationError(
                f"{final} is not from a trusted origin; nothing was run",
                code=RuntimeCode.RUNTIME_008,
                remote=remote,
                expose=expose,
                url=final,
            )
        return final, bytes(body)

    async def current_version(self, record: RemoteRecord) -> RemoteVersion:
        """The record's current version, fetching its manifest once for every caller."""
        if record.current is not None:
            return record.current
        if record._manifest is None:
            record._manifest = asyncio.ensure_future(self._fetch_version(record))
        try:
            return await asyncio.shield(record._manifest)
        except BaseException:
            if record._manifest is not None and record._manifest.done():
                record._manifest = None  # a later load may try again
            raise

    async def _fetch_version(self, record: RemoteRecord) -> RemoteVersion:
        remote = record.remote
        try:
            final, body = await self.fetch_checked(remote.entry, remote=remote.name, expose=None)
        except FederationError as exc:
            raise FederationError(
                exc.reason, code=RuntimeCode.RUNTIME_003, remote=remote.name, url=exc.url
            ) from exc
        version = RemoteVersion(parse_manifest(body, remote=remote.name, url=final))
        self._on_adopt(record, version)
        return version

    async def fetch_manifest(self, record: RemoteRecord) -> RemoteManifest:
        """The remote's manifest as published now (for ``refresh``)."""
        remote = record.remote
        final, body = await self.fetch_checked(remote.entry, remote=remote.name, expose=None)
        return parse_manifest(body, remote=remote.name, url=final)

    async def namespace(
        self, record: RemoteRecord, version: RemoteVersion, *, expose: str | None
    ) -> RemoteNamespace:
        if version.namespace is not None and version.namespace.installed:
            return version.namespace
        if version._entry is None or (
            version._entry.done() and version._entry.exception() is not None
        ):
            version._entry = asyncio.ensure_future(self._load_entry(record, version, expose))
        return await asyncio.shield(version._entry)

    async def _load_entry(
        self, record: RemoteRecord, version: RemoteVersion, expose: str | None
    ) -> RemoteNamespace:
        manifest = version.manifest
        remote = record.remote.name
        files = await self.hooks.load_entry.emit(
            {"remote": record.remote, "manifest": manifest, "origin": self}
        )
        if not isinstance(files, dict):
            _, body = await self.fetch_checked(manifest.entry_url, remote=remote, expose=expose)
            url = manifest.entry_url
            check_integrity(body, manifest.entry_integrity, remote=remote, url=url, expose=expose)
            files = read_zip(body, remote=remote, url=url, expose=expose, limits=self.zip_limits)
        namespace = RemoteNamespace(
            files,
            remote=remote,
            version=manifest.build_version or "0",
            url=manifest.entry_url,
            context=self._context(remote, manifest.build_version),
        )
        if version.retired:
            return namespace  # swapped while downloading: never installed, the caller retries
        try:
            namespace.install()
        except Exception as exc:
            namespace.release()
            raise self.entry_error(exc, remote, expose, manifest) from exc
        version.namespace = namespace
        return namespace

    @staticmethod
    def entry_error(
        exc: Exception, remote: str, expose: str | None, manifest: RemoteManifest
    ) -> FederationError:
        if isinstance(exc, FederationError):
            return exc
        return FederationError(
            f"running it raised {exc!r}",
            code=RuntimeCode.RUNTIME_001,
            remote=remote,
            expose=expose,
            url=manifest.entry_url,
        )
