"""``Federation``: MF 2.0's runtime instance (``ModuleFederation``) for Python remotes.

``load_remote("app1/Counter")`` matches a remote by name or alias, fetches its manifest and
zip from trusted origins, checks the zip's integrity and bounds, imports the expose in the
version's own namespace and runs MF's hooks in MF's order. ``load_share`` negotiates through
the share scopes with webpack's rules. ``refresh()`` swaps a remote to its newly published
build; the old build is released when its last holder lets go.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from orchestrator.federation._archive import ZipLimits
from orchestrator.federation._errors import FederationError, RuntimeCode
from orchestrator.federation._fetch import Fetch, LoaderFetch, TrustedOrigins
from orchestrator.federation._hooks import FederationHooks
from orchestrator.federation._manifest import ManifestShared
from orchestrator.federation._remote import (
    Remote,
    RemoteRecord,
    RemoteVersion,
    as_remote,
    match_remote,
)
from orchestrator.federation._remote_loader import RemoteLoader
from orchestrator.federation._share_scope import (
    PENDING,
    Factory,
    NotAvailableSync,
    ShareScope,
    ShareStrategy,
)
from orchestrator.federation._shared_config import (
    Shared,
    as_shared,
    import_factory,
    installed_version,
)
from orchestrator.html_entry import EntryLoader

__all__ = ["Federation", "RemoteContext"]

logger = logging.getLogger("orchestrator.federation")

_CONSUME_OPTIONS = frozenset(
    {"required_version", "strict_version", "singleton", "eager", "fallback", "share_scope",
     "strategy"}
)  # fmt: skip


class RemoteContext:
    """``__federation__`` in a remote's modules: the host's loaders, as this remote."""

    def __init__(self, federation: Federation, remote: str, version: str) -> None:
        self.federation = federation
        self.remote = remote
        self.version = version

    async def load_share(self, name: str, **options: Any) -> Any:
        return await self.federation.load_share(name, **options)

    async def load_remote(self, request: str) -> Any:
        return await self.federation.load_remote(request)


class Federation:
    """A host (and possibly itself a remote) in MF's sense; see the module docstring."""

    def __init__(
        self,
        name: str,
        *,
        remotes: Iterable[Remote | Mapping[str, Any]] = (),
        shared: Mapping[str, Shared | Mapping[str, Any] | str] | None = None,
        share_strategy: ShareStrategy | str = ShareStrategy.VERSION_FIRST,
        loader: EntryLoader | Fetch | None = None,
        trusted_origins: Iterable[str] | None = None,
        zip_limits: ZipLimits | None = None,
    ) -> None:
        self.name = name
        self.share_strategy = ShareStrategy(share_strategy)
        self.trusted_origins = TrustedOrigins(trusted_origins)
        self.zip_limits = zip_limits or ZipLimits()
        self.hooks = FederationHooks()
        self._default_fetch = (
            LoaderFetch(loader, self.trusted_origins)
            if loader is None or isinstance(loader, EntryLoader)
            else None
        )
        fetch: Fetch = self._default_fetch or loader  # type: ignore[assignment]
        self._loader = RemoteLoader(
            hooks=self.hooks,
            fetch=fetch,
            trusted_origins=self.trusted_origins,
            zip_limits=self.zip_limits,
            on_adopt=self._adopt,
            context=lambda remote, version: RemoteContext(self, remote, version),
        )
        self.share_scopes: dict[str, ShareScope] = {}
        self.scope("default")
        self._remotes: list[RemoteRecord] = []
        self._share_memo: dict[Any, tuple[ShareScope, tuple[Any, ...]]] = {}
        self._factories: dict[str, Factory] = {}
        self.shared: dict[str, Shared] = {}
        for key, value in (shared or {}).items():
            self._provide(key, as_shared(key, value))
        self.register_remotes(remotes)

    def __repr__(self) -> str:
        return f"Federation({self.name!r}, remotes={[r.remote.name for r in self._remotes]})"

    async def __aenter__(self) -> Federation:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Release every loaded version and close the default HTTP client."""
        for record in self._remotes:
            record.retire_current()
            for version in record.held:
                version.release()
        if self._default_fetch is not None:
            await self._default_fetch.aclose()

    # --- share scopes ------------------------------------------------------------------

    def scope(self, name: str) -> ShareScope:
        """The share scope ``name``, created on first use (with the instance's strategy)."""
        scope = self.share_scopes.get(name)
        if scope is None:
            scope = self.share_scopes[name] = ShareScope(name, strategy=self.share_strategy)
            if self.share_strategy is ShareStrategy.VERSION_FIRST:
                scope.initializer = lambda: self._initialize_scope(name)
        return scope

    def _provide(self, key: str, config: Shared) -> None:
        version = config.version
        if version is None and config.import_ is None:
            version = installed_version(key)
        if version is None:
            version = "0"
        config = replace(config, version=version)
        args = self.hooks.before_register_share.emit(
            {"pkg_name": key, "shared": config, "origin": self}
        )
        config = args["shared"]
        self.shared[key] = config
        if config.import_ is False:
            return
        factory = self._factories[key] = config.import_ or import_factory(key)
        self.scope(config.share_scope).register(
            key, config.version or "0", factory, eager=config.eager, from_=self.name
        )

    async def _initialize_scope(self, name: str) -> None:
        # version-first: every remote of the scope offers its copies before anyone chooses.
        # A remote that fails is skipped with one warning (MF #3877 crashed here).
        records = [r for r in self._remotes if r.remote.share_scope == name]
        results = await asyncio.gather(
            *(self._loader.current_version(record) for record in records), return_exceptions=True
        )
        for record, result in zip(records, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                recovered = await self.hooks.error_load_remote.emit(
                    {
                        "id": record.remote.name,
                        "error": result,
                        "from": "runtime",
                        "lifecycle": "before_load_share",
                        "remote": record.remote,
                        "origin": self,
                    }
                )
                if not recovered:
                    logger.warning("Initialization of sharing external failed: %s", result)

    def _share_info(self, name: str, options: Mapping[str, Any]) -> dict[str, Any]:
        """The consuming options: the ``shared`` config's, then ``options`` over them."""
        unknown = set(options) - _CONSUME_OPTIONS
        if unknown:
            raise FederationError(
                f"load_share({name!r}): unknown options {sorted(unknown)}", key=name
            )
        config = self.shared.get(name)
        if config is None:
            info: dict[str, Any] = {
                "required_version": None,
                "strict_version": None,
                "singleton": False,
                "eager": False,
                "fallback": False,
                "share_scope": "default",
            }
        else:
            required = config.required_version
            if required is None and config.version not in (None, "0"):
                required = f"^{config.version}"  # MF's default
            info = {
                "required_version": required,
                "strict_version": config.strict_version,
                "singleton": config.singleton,
                "eager": config.eager,
                # webpack: the provided module is also the consumer's fallback
                "fallback": self._factories.get(name, False),
                "share_scope": config.share_scope,
            }
        info["strategy"] = None
        info.update(options)
        return info

    def load_share_sync(self, name: str, **options: Any) -> Any:
        """``load_share`` without waiting (webpack's eager consumption, MF's
        ``loadShareSync``): the scope's initialisation is not awaited and an async copy that
        is not loaded yet is an error (``#RUNTIME-006``)."""
        info = self._share_info(name, options)
        scope = self.scope(info["share_scope"])
        try:
            module = scope.consume_sync(
                name,
                required_version=info["required_version"],
                strict_version=info["strict_version"],
                singleton=info["singleton"],
                eager=info["eager"],
                fallback=info["fallback"],
                strategy=info["strategy"],
                resolve_share=self.hooks.resolve_share.emit if self.hooks.resolve_share else None,
            )
        except FederationError as error:
            self.hooks.error_load_share.emit(
                {"pkg_name": name, "share_info": info, "error": error, "origin": self}
            )
            if isinstance(error.__cause__, NotAvailableSync):
                raise FederationError(
                    error.reason, code=RuntimeCode.RUNTIME_006, key=name, scope=scope.name
                ) from error
            raise
        self.hooks.after_load_share.emit(
            {"pkg_name": name, "share_info": info, "module": module, "origin": self}
        )
        return module

    async def load_share(self, name: str, **options: Any) -> Any:
        """The module the share scope picks for ``name``; options override the ``shared``
        config: ``required_version``, ``strict_version``, ``singleton``, ``eager``,
        ``fallback``, ``share_scope``, ``strategy``."""
        hooks = self.hooks
        quiet = not (
            hooks.before_load_share
            or hooks.load_share
            or hooks.resolve_share
            or hooks.after_load_share
        )
        memo = None
        if quiet:
            try:
                memo = (name, *sorted(options.items())) if options else name
                hit = self._share_memo.get(memo)
            except TypeError:  # an unhashable option: no fast path
                memo = hit = None
            if hit is not None:
                value = hit[0].lookup(hit[1])
                if value is not PENDING:
                    return value
        info = self._share_info(name, options)
        try:
            args = await self.hooks.before_load_share.emit(
                {"pkg_name": name, "share_info": info, "shared": self.shared, "origin": self}
            )
            info = args["share_info"]
            await self.hooks.load_share.emit(self, name, info)
            scope = self.scope(info["share_scope"])
            module, memo_key = await scope.consume_keyed(
                name,
                required_version=info["required_version"],
                strict_version=info["strict_version"],
                singleton=info["singleton"],
                eager=info["eager"],
                fallback=info["fallback"],
                strategy=info["strategy"],
                resolve_share=self.hooks.resolve_share.emit if self.hooks.resolve_share else None,
            )
        except Exception as error:
            self.hooks.error_load_share.emit(
                {"pkg_name": name, "share_info": info, "error": error, "origin": self}
            )
            raise
        self.hooks.after_load_share.emit(
            {"pkg_name": name, "share_info": info, "module": module, "origin": self}
        )
        if memo is not None and memo_key is not None:
            # Asked again with nothing changed, the answer is a lookup (no hooks listen).
            if len(self._share_memo) > 1024:
                self._share_memo.clear()
            self._share_memo[memo] = (scope, memo_key)
        return module

    # --- remotes -------------------------------------------------------------------------

    @property
    def remotes(self) -> list[Remote]:
        """The registered remotes, in matching order."""
        return [record.remote for record in self._remotes]

    def register_remotes(
        self, remotes: Iterable[Remote | Mapping[str, Any]], *, force: bool = False
    ) -> None:
        """MF's ``registerRemotes``: a name already registered is ignored, unless ``force``,
        which drops the old one (its versions retire) with a warning. An alias may not be a
        prefix of another remote's name or alias."""
        for value in remotes:
            remote = as_remote(value)
            args = self.hooks.before_register_remote.emit({"remote": remote, "origin": self})
            remote = as_remote(args["remote"])
            existing = next((r for r in self._remotes if r.remote.name == remote.name), None)
            if existing is not None:
                if not force:
                    continue
                self._remove(existing)
            self._check_alias(remote)
            if remote.entry.split(":", 1)[0] not in ("http", "https"):
                raise FederationError(
                    f"entry {remote.entry!r} is not an absolute http(s) URL",
                    code=RuntimeCode.RUNTIME_011,
                    remote=remote.name,
                    url=remote.entry,
                )
            self._remotes.append(RemoteRecord(remote))
            self.scope(remote.share_scope)
            self.hooks.register_remote.emit({"remote": remote, "origin": self})
            if existing is not None:
                logger.warning(
                    'The remote "%s" is already registered. Please note that overriding it '
                    "may cause unexpected errors.",
                    remote.name,
                )

    def _check_alias(self, remote: Remote) -> None:
        alias = remote.alias
        if not alias:
            return
        for record in self._remotes:
            other = record.remote
            if other.name.startswith(alias) or (other.alias or "").startswith(alias):
                raise FederationError(
                    f"The alias {alias} of remote {remote.name} is not allowed to be the "
                    f"prefix of {other.name} name or alias",
                    remote=remote.name,
                )

    def _remove(self, record: RemoteRecord) -> None:
        self._remotes.remove(record)
        self._unregister_shared(record)
        record.retire_current()

    def _unregister_shared(self, record: RemoteRecord) -> None:
        version = record.current
        if version is None:
            return
        scope = self.share_scopes.get(record.remote.share_scope)
        if scope is not None:
            for item in version.manifest.shared:
                scope.unregister(item.name, from_=record.remote.name)

    def _adopt(self, record: RemoteRecord, version: RemoteVersion) -> None:
        """Make ``version`` current and offer its shared copies in the remote's scope."""
        self._unregister_shared(record)
        record.current = version
        scope = self.scope(record.remote.share_scope)
        for item in version.manifest.shared:
            if item.module is None:
                continue
            scope.register(
                item.name,
                item.version,
                self._shared_factory(record, version, item),
                from_=record.remote.name,
            )

    def _shared_factory(
        self, record: RemoteRecord, version: RemoteVersion, item: ManifestShared
    ) -> Factory:
        async def factory() -> Any:
            namespace = await self._loader.namespace(record, version, expose=None)
            version.acquire()  # the share scope holds the copy from now on
            return namespace.import_module(item.module or "")

        return factory

    async def _resolve(self, request: str) -> tuple[Any, RemoteVersion]:
        args: dict[str, Any] = {"id": request, "options": self, "origin": self}
        try:
            args = await self.hooks.before_request.emit(args)
        except Exception as error:
            recovered = await self.hooks.error_load_remote.emit(
                {"id": request, "error": error, "from": "runtime",
                 "lifecycle": "before_request", "origin": self}
            )  # fmt: skip
            if not isinstance(recovered, dict):
                raise
            args = recovered
        request = args["id"]
        matched = match_remote(self._remotes, request)
        if matched is None:
            unmatched = FederationError(
                f"no registered remote matches {request!r} (remotes: "
                f"{', '.join(r.remote.name for r in self._remotes) or 'none'})",
                code=RuntimeCode.RUNTIME_004,
                remote=request.split("/", 1)[0],
            )
            await self.hooks.after_match_remote.emit(
                {"id": request, "error": unmatched, "options": self, "origin": self}
            )
            raise unmatched
        record, prefix, expose = matched
        await self.hooks.after_match_remote.emit(
            {"id": request, "remote": record.remote, "expose": expose,
             "pkg_name_or_alias": prefix, "options": self, "origin": self}
        )  # fmt: skip
        info = await self.hooks.after_resolve.emit(
            {"id": request, "remote": record.remote, "expose": expose,
             "pkg_name_or_alias": prefix, "options": self, "origin": self}
        )  # fmt: skip
        target = next((r for r in self._remotes if r.remote.name == info["remote"].name), record)
        expose = info["expose"]
        for _ in range(3):  # a refresh() may swap the remote while its zip downloads
            version = await self._loader.current_version(target)
            exposed = version.manifest.expose(expose)
            if exposed is None:
                raise FederationError(
                    f"the manifest exposes {[e.path for e in version.manifest.exposes]}",
                    code=RuntimeCode.RUNTIME_014,
                    remote=target.remote.name,
                    expose=expose,
                    url=version.manifest.url,
                )
            namespace = await self._loader.namespace(target, version, expose=expose)
            if not version.retired:
                break
        else:
            raise FederationError(
                "the remote was swapped three times while loading",
                code=RuntimeCode.RUNTIME_001,
                remote=target.remote.name,
                expose=expose,
                url=version.manifest.url,
            )
        try:
            module = namespace.import_module(exposed.module, expose=expose)
        except FederationError:
            raise
        except Exception as exc:
            raise self._loader.entry_error(
                exc, target.remote.name, expose, version.manifest
            ) from exc
        wrapped = await self.hooks.on_load.emit(
            {"id": request, "expose": expose, "pkg_name_or_alias": info["pkg_name_or_alias"],
             "remote": target.remote, "origin": self, "expose_module": module,
             "module_instance": version}
        )  # fmt: skip
        return (wrapped if callable(wrapped) else module), version

    async def _load(self, request: str, *, from_: str) -> tuple[Any, RemoteVersion | None]:
        after: dict[str, Any] = {"id": request, "origin": self}
        try:
            module, version = await self._resolve(request)
            return module, version
        except Exception as error:
            after["error"] = error
            matched = match_remote(self._remotes, request)
            failover = await self.hooks.error_load_remote.emit(
                {"id": request, "error": error, "from": from_, "lifecycle": "on_load",
                 "expose": matched[2] if matched else None,
                 "remote": matched[0].remote if matched else None, "origin": self}
            )  # fmt: skip
            if failover is None or failover is False:
                raise
            after["recovered"] = True
            return failover, None
        finally:
            await self.hooks.after_load_remote.emit(after)

    async def load_remote(self, request: str, *, from_: str = "runtime") -> Any:
        """``"app1/Counter"`` → the module ``app1`` exposes as ``./Counter``."""
        module, _ = await self._load(request, from_=from_)
        return module

    @asynccontextmanager
    async def hold(self, request: str) -> AsyncIterator[Any]:
        """``load_remote`` that keeps the serving version alive until the block ends, even
        if a ``refresh()`` swaps the remote meanwhile (in-flight work finishes on it)."""
        module, version = await self._load(request, from_="runtime")
        if version is not None:
            version.acquire()
        try:
            yield module
        finally:
            if version is not None:
                version.release_lease()

    async def refresh(self, name: str | None = None) -> list[str]:
        """Re-read the manifests (of ``name``, or of every remote) and swap each remote whose
        build changed; returns the names swapped. New loads use the new build; the old one
        is released when nothing holds it."""
        swapped: list[str] = []
        for record in list(self._remotes):
            if name is not None and record.remote.name != name:
                continue
            old = record.current
            if old is None:
                continue
            fresh = RemoteVersion(await self._loader.fetch_manifest(record))
            if fresh.manifest.identity == old.manifest.identity:
                continue
            self._unregister_shared(record)
            record.retire_current()
            self._adopt(record, fresh)
            swapped.append(record.remote.name)
        return swapped

    def loaded_versions(self, name: str) -> list[RemoteVersion]:
        """The remote's current version and retired ones still held (for health checks)."""
        record = next((r for r in self._remotes if r.remote.name == name), None)
        if record is None:
            return []
        record.held = [v for v in record.held if not v.released.is_set()]
        return ([record.current] if record.current else []) + record.held
