"""A share scope: every build offers its copy of a module with a version, consumers ask with a
range, and the scope picks one (webpack's ``ShareRuntimeModule`` and
``ConsumeSharedRuntimeModule``: ``register``, the six loaders, their warning and error texts).

One fix on purpose: a singleton that is already loaded always wins. Upstream's
``findSingletonVersionKey`` reduce keeps a loaded version only if it comes *after* every higher
one in key order, so ``{"18.0.0": …, "17.0.2" (loaded)}`` gave a second instance (MF core #3209,
#3170, #3590, #4993).
"""

from __future__ import annotations

import asyncio
import logging
import re
import weakref
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from typing import Any, Literal

from orchestrator.federation._errors import FederationError
from orchestrator.federation._shared_entry import (
    PENDING,
    Factory,
    Fallback,
    NotAvailableSync,
    Once,
    SharedEntry,
)
from orchestrator.federation.semver import Range, parse_range, range_to_string, satisfy, version_lt

__all__ = [
    "PENDING",
    "Factory",
    "LoaderKind",
    "NotAvailableSync",
    "ShareScope",
    "ShareStrategy",
    "SharedEntry",
    "choose_loader",
]

logger = logging.getLogger("orchestrator.federation")

RequiredVersion = str | Range | Literal[False] | None

_RANGE_LIKE_RE = re.compile(r"^[\^~<>=!]|\s|\|\||(?:^|\.)[xX*](?:$|\.)")


class ShareStrategy(StrEnum):
    """Which copy wins: webpack's highest version, or MF's "a loaded copy first"."""

    VERSION_FIRST = "version-first"
    LOADED_FIRST = "loaded-first"


class LoaderKind(StrEnum):
    """The six loaders of webpack's consume runtime, chosen from (range?, strict, singleton)."""

    LOAD = "load"
    LOAD_SINGLETON = "load_singleton"
    LOAD_VERSION = "load_version"
    LOAD_STRICT_VERSION = "load_strict_version"
    LOAD_SINGLETON_VERSION = "load_singleton_version"
    LOAD_STRICT_SINGLETON_VERSION = "load_strict_singleton_version"


def choose_loader(
    required_version: RequiredVersion, strict_version: bool, singleton: bool
) -> LoaderKind:
    """``ConsumeSharedModule.codeGeneration``'s choice; ``strict_version`` needs a range."""
    if required_version is None or required_version is False:
        return LoaderKind.LOAD_SINGLETON if singleton else LoaderKind.LOAD
    if singleton:
        return (
            LoaderKind.LOAD_STRICT_SINGLETON_VERSION
            if strict_version
            else LoaderKind.LOAD_SINGLETON_VERSION
        )
    return LoaderKind.LOAD_STRICT_VERSION if strict_version else LoaderKind.LOAD_VERSION


def _check_version(key: str, version: str, from_: str) -> None:
    # webpack #15607: a range given as the provided version gave "Unsatisfied version
    # ^2.6.14 ... (required ^2.6.14)"; refuse it where it is made.
    if not isinstance(version, str) or not version or _RANGE_LIKE_RE.search(version):
        raise FederationError(
            f"Shared module {key} from {from_}: version {version!r} is not a version "
            "(a range or empty); provide the exact version of the copy",
            key=key,
        )


class ShareScope:
    """``__webpack_require__.S[name]``: versions of each shared key, and how to pick one.

    ``initializer`` runs once, before the first non-eager consumption (the Federation uses it
    for ``version-first``: every remote of the scope registers its copies first).
    """

    def __init__(
        self,
        name: str = "default",
        *,
        strategy: ShareStrategy | str = ShareStrategy.VERSION_FIRST,
        initializer: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.name = name
        self.strategy = ShareStrategy(strategy)
        self.initializer = initializer
        self._entries: dict[str, dict[str, SharedEntry]] = {}
        self._init: asyncio.Future[None] | None = None
        # Bumped whenever a choice could change (a copy offered, withdrawn, loaded), so a
        # remembered choice is reused only while it still holds.
        self.generation = 0
        self._resolved: dict[tuple[Any, ...], tuple[int, SharedEntry]] = {}
        self._ranges: dict[str, Range] = {}
        # Weak keys: a fallback defined in a remote version must not keep that version alive.
        self._fallbacks: weakref.WeakKeyDictionary[Factory, Once] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"ShareScope({self.name!r}, keys={sorted(self._entries)})"

    def __contains__(self, key: object) -> bool:
        return bool(self._entries.get(key)) if isinstance(key, str) else False

    def keys(self) -> list[str]:
        return [key for key, versions in self._entries.items() if versions]

    def versions(self, key: str) -> Mapping[str, SharedEntry]:
        """The offered copies of ``key`` by version, in registration order (read-only view)."""
        return dict(self._entries.get(key, {}))

    # --- providing ---------------------------------------------------------------------

    def register(
        self, name: str, version: str, factory: Factory, *, eager: bool = False, from_: str
    ) -> SharedEntry:
        """Offer a copy. An existing copy of the same version is replaced only if it is not
        loaded and either the eagerness differs (eager wins) or ``from_`` sorts after its
        ``from_`` (upstream's plain string compare of build names). Returns the copy in place."""
        _check_version(name, version, from_)
        versions = self._entries.setdefault(name, {})
        active = versions.get(version)
        if active is None or (
            not active.loaded
            and (eager if bool(eager) != bool(active.eager) else from_ > active.from_)
        ):
            entry = SharedEntry(name, version, factory, from_, bool(eager))
            entry._on_change = self._bump
            versions[version] = entry
            self._bump()
        return versions[version]

    def _bump(self) -> None:
        self.generation += 1
        if len(self._resolved) > 1024:
            self._resolved.clear()

    def unregister(self, name: str, *, from_: str) -> None:
        """Drop the copies ``from_`` offered that nobody loaded (a remote going away)."""
        versions = self._entries.get(name, {})
        for version, entry in list(versions.items()):
            if entry.from_ == from_ and not entry.loaded:
                del versions[version]
                self._bump()

    # --- initialising ------------------------------------------------------------------

    async def initialize(self) -> None:
        """Run the initializer once; concurrent and later callers wait for the same run."""
        if self.initializer is None:
            return
        if self._init is None:
            self._init = asyncio.ensure_future(self.initializer())
        await asyncio.shield(self._init)

    # --- choosing ----------------------------------------------------------------------

    def _candidates(self, key: str, eager: bool) -> dict[str, SharedEntry]:
        versions = self._entries.get(key, {})
        return {v: e for v, e in versions.items() if e.eager} if eager else versions

    @staticmethod
    def _latest(versions: Mapping[str, SharedEntry]) -> SharedEntry | None:
        best: str | None = None
        for version in versions:
            if best is None or version_lt(best, version):
                best = version
        return versions[best] if best is not None else None

    def _satisfying(
        self, versions: Mapping[str, SharedEntry], rng: Range, strategy: ShareStrategy
    ) -> SharedEntry | None:
        ok = {v: e for v, e in versions.items() if satisfy(rng, v)}
        if strategy is ShareStrategy.LOADED_FIRST:
            loaded = {v: e for v, e in ok.items() if e.loaded}
            if loaded:
                return self._latest(loaded)
        return self._latest(ok)

    def _singleton(self, versions: Mapping[str, SharedEntry]) -> SharedEntry | None:
        loaded = {v: e for v, e in versions.items() if e.loaded}
        return self._latest(loaded or versions)

    def _invalid_version_message(self, key: str, rng: Range, eager: bool) -> str:
        available = ", ".join(
            f"{version} from {entry.from_}" for version, entry in self._entries[key].items()
        )
        return (
            f"No satisfying version ({range_to_string(rng)})"
            f"{' for eager consumption' if eager else ''} of shared module {key} found in "
            f"shared scope {self.name}.\nAvailable versions: {available}"
        )

    def _singleton_message(self, key: str, entry: SharedEntry, rng: Range) -> str:
        return (
            f"Unsatisfied version {entry.version} from {entry.from_} of shared singleton module "
            f"{key} (required {range_to_string(rng)})"
        )

    def _fail(self, message: str, key: str) -> FederationError:
        return FederationError(message, key=key, scope=self.name)

    def select(
        self,
        key: str,
        kind: LoaderKind,
        *,
        required_version: Range | None = None,
        eager: bool = False,
        has_fallback: bool = False,
        strategy: ShareStrategy | None = None,
    ) -> SharedEntry | None:
        """The copy ``kind`` would use, ``None`` for "use the fallback", or raise the error the
        loader raises. Warnings are logged here (once per selection), as upstream warns."""
        strategy = strategy or self.strategy
        if key not in self:
            if has_fallback:
                return None
            raise self._fail(f"Shared module {key} doesn't exist in shared scope {self.name}", key)
        versions = self._candidates(key, eager)
        if not versions:
            # Upstream crashes on `get(undefined)` here; say what is missing instead.
            if has_fallback:
                return None
            if required_version is not None and kind not in (
                LoaderKind.LOAD,
                LoaderKind.LOAD_SINGLETON,
            ):
                raise self._fail(self._invalid_version_message(key, required_version, True), key)
            raise self._fail(f"Shared module is not available for eager consumption: {key}", key)
        if kind is LoaderKind.LOAD:
            if strategy is ShareStrategy.LOADED_FIRST:
                loaded = {v: e for v, e in versions.items() if e.loaded}
                if loaded:
                    return self._latest(loaded)
            return self._latest(versions)
        if kind is LoaderKind.LOAD_SINGLETON:
            return self._singleton(versions)
        assert required_version is not None, f"{kind.value} needs a required version"
        if kind in (LoaderKind.LOAD_VERSION, LoaderKind.LOAD_STRICT_VERSION):
            found = self._satisfying(versions, required_version, strategy)
            if found is not None:
                return found
            message = self._invalid_version_message(key, required_version, eager)
            if kind is LoaderKind.LOAD_VERSION:
                logger.warning(message)
                return self._latest(versions)
            if has_fallback:
                return None
            raise self._fail(message, key)
        entry = self._singleton(versions)
        assert entry is not None
        if not satisfy(required_version, entry.version):
            message = self._singleton_message(key, entry, required_version)
            if kind is LoaderKind.LOAD_STRICT_SINGLETON_VERSION:
                raise self._fail(message, key)
            logger.warning(message)
        return entry

    # --- consuming ---------------------------------------------------------------------

    async def consume(
        self,
        key: str,
        *,
        required_version: RequiredVersion = None,
        strict_version: bool | None = None,
        singleton: bool = False,
        eager: bool = False,
        fallback: Fallback = False,
        strategy: ShareStrategy | str | None = None,
        resolve_share: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> Any:
        """Resolve ``key`` as webpack's consume runtime would and return the module.

        ``strict_version`` defaults to webpack's ``fallback is not False and not singleton``.
        An eager consumer sees only eager copies and does not wait for the initializer.
        ``resolve_share`` (MF's hook) may replace the ``resolver`` of the args it is given.
        A choice is remembered until the scope changes, so asking again is a lookup (and a
        warning is given once per choice, not on every call).
        """
        module, _ = await self.consume_keyed(
            key,
            required_version=required_version,
            strict_version=strict_version,
            singleton=singleton,
            eager=eager,
            fallback=fallback,
            strategy=strategy,
            resolve_share=resolve_share,
        )
        return module

    def lookup(self, memo_key: tuple[Any, ...]) -> Any:
        """The module a remembered choice gave, if the scope has not changed since; else
        ``PENDING``. ``memo_key`` comes from ``consume_keyed``."""
        hit = self._resolved.get(memo_key)
        if hit is None or hit[0] != self.generation:
            return PENDING
        return hit[1].ready()

    def _range(self, required_version: RequiredVersion) -> Range | None:
        if required_version is None or required_version is False:
            return None
        if isinstance(required_version, Range):
            return required_version
        rng = self._ranges.get(required_version)
        if rng is None:
            if len(self._ranges) > 256:
                self._ranges.clear()
            rng = self._ranges[required_version] = parse_range(required_version)
        return rng

    async def consume_keyed(
        self,
        key: str,
        *,
        required_version: RequiredVersion = None,
        strict_version: bool | None = None,
        singleton: bool = False,
        eager: bool = False,
        fallback: Fallback = False,
        strategy: ShareStrategy | str | None = None,
        resolve_share: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> tuple[Any, tuple[Any, ...] | None]:
        """``consume``, also returning the key under which the choice is remembered (``None``
        when it is not: a hook chose, or the fallback was used)."""
        has_fallback = fallback is not None and fallback is not False
        if strict_version is None:
            strict_version = has_fallback and not singleton
        rng = self._range(required_version)
        kind = choose_loader(rng, strict_version, singleton)
        chosen = ShareStrategy(strategy) if strategy is not None else self.strategy
        memo_key = (key, kind, rng, eager, has_fallback, chosen)
        if resolve_share is None:
            value = self.lookup(memo_key)
            if value is not PENDING:
                return value, memo_key
        if not eager:
            await self.initialize()

        def resolver() -> SharedEntry | None:
            return self.select(
                key,
                kind,
                required_version=rng,
                eager=eager,
                has_fallback=has_fallback,
                strategy=chosen,
            )

        entry = self._resolve(key, kind, rng, strict_version, singleton, eager, resolver,
                              resolve_share)  # fmt: skip
        if entry is None:
            assert has_fallback and callable(fallback)
            return await self._use_fallback(fallback), None
        entry._mark(True)
        generation = self.generation
        module = await entry.get()
        if resolve_share is not None or self.generation != generation:
            return module, None
        self._resolved[memo_key] = (generation, entry)
        return module, memo_key

    def consume_sync(
        self,
        key: str,
        *,
        required_version: RequiredVersion = None,
        strict_version: bool | None = None,
        singleton: bool = False,
        eager: bool = False,
        fallback: Fallback = False,
        strategy: ShareStrategy | str | None = None,
        resolve_share: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> Any:
        """``consume`` without waiting: the initializer is not awaited, and a copy whose
        factory is async (and not done) raises webpack's "Shared module is not available
        for eager consumption: <key>"."""
        has_fallback = fallback is not None and fallback is not False
        if strict_version is None:
            strict_version = has_fallback and not singleton
        rng = self._range(required_version)
        kind = choose_loader(rng, strict_version, singleton)
        chosen = ShareStrategy(strategy) if strategy is not None else self.strategy

        def resolver() -> SharedEntry | None:
            return self.select(
                key,
                kind,
                required_version=rng,
                eager=eager,
                has_fallback=has_fallback,
                strategy=chosen,
            )

        entry = self._resolve(key, kind, rng, strict_version, singleton, eager, resolver,
                              resolve_share)  # fmt: skip
        try:
            if entry is not None:
                return entry.get_sync()
            assert has_fallback and callable(fallback)
            return self._fallback_once(fallback).get_sync(fallback)
        except NotAvailableSync as exc:
            raise self._fail(
                f"Shared module is not available for eager consumption: {key}", key
            ) from exc

    def _resolve(
        self,
        key: str,
        kind: LoaderKind,
        rng: Range | None,
        strict_version: bool,
        singleton: bool,
        eager: bool,
        resolver: Callable[[], SharedEntry | None],
        resolve_share: Callable[[dict[str, Any]], dict[str, Any]] | None,
    ) -> SharedEntry | None:
        if resolve_share is None:
            return resolver()
        args = resolve_share(
            {
                "share_scope": self,
                "scope": self.name,
                "pkg_name": key,
                "version": range_to_string(rng) if rng is not None else None,
                "share_info": {
                    "required_version": rng,
                    "strict_version": strict_version,
                    "singleton": singleton,
                    "eager": eager,
                    "loader": kind,
                },
                "resolver": resolver,
            }
        )
        entry = args["resolver"]()
        if entry is not None and not isinstance(entry, SharedEntry):
            raise self._fail(
                f"resolve_share for shared module {key} in shared scope {self.name} "
                f"returned {entry!r}, not a SharedEntry of the scope",
                key,
            )
        return entry

    def _fallback_once(self, fallback: Factory) -> Once:
        # The consumer's own copy: one instance per fallback, as a bundle has one module.
        try:
            once = self._fallbacks.get(fallback)
        except TypeError:  # not weakly referenceable: no sharing of its instance
            return Once()
        if once is None:
            once = self._fallbacks[fallback] = Once()
        return once

    async def _use_fallback(self, fallback: Factory) -> Any:
        return await self._fallback_once(fallback).get(fallback)

    async def load(self, key: str, *, eager: bool = False, fallback: Fallback = False) -> Any:
        """The highest version (no range, not a singleton)."""
        return await self.consume(key, eager=eager, fallback=fallback)

    async def load_singleton(
        self, key: str, *, eager: bool = False, fallback: Fallback = False
    ) -> Any:
        """The loaded copy if there is one, else the highest version."""
        return await self.consume(key, singleton=True, eager=eager, fallback=fallback)

    async def load_version(
        self, key: str, required_version: str | Range, *, eager: bool = False,
        fallback: Fallback = False,
    ) -> Any:  # fmt: skip
        """The highest satisfying version; none → warn and use the highest."""
        return await self.consume(
            key,
            required_version=required_version,
            strict_version=False,
            eager=eager,
            fallback=fallback,
        )

    async def load_strict_version(
        self, key: str, required_version: str | Range, *, eager: bool = False,
        fallback: Fallback = False,
    ) -> Any:  # fmt: skip
        """The highest satisfying version; none → the fallback, else raise."""
        return await self.consume(
            key,
            required_version=required_version,
            strict_version=True,
            eager=eager,
            fallback=fallback,
        )

    async def load_singleton_version(
        self, key: str, required_version: str | Range, *, eager: bool = False,
        fallback: Fallback = False,
    ) -> Any:  # fmt: skip
        """The singleton copy; unsatisfied → warn and use it anyway."""
        return await self.consume(
            key,
            required_version=required_version,
            strict_version=False,
            singleton=True,
            eager=eager,
            fallback=fallback,
        )

    async def load_strict_singleton_version(
        self, key: str, required_version: str | Range, *, eager: bool = False,
        fallback: Fallback = False,
    ) -> Any:  # fmt: skip
        """The singleton copy; unsatisfied → raise."""
        return await self.consume(
            key,
            required_version=required_version,
            strict_version=True,
            singleton=True,
            eager=eager,
            fallback=fallback,
        )
