"""ShareScope: webpack's register tie-break, the six loaders and their texts, and the fixes."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any

import pytest

from orchestrator.errors import OrchestratorError
from orchestrator.federation import FederationError
from orchestrator.federation._share_scope import (
    LoaderKind,
    SharedEntry,
    ShareScope,
    ShareStrategy,
    choose_loader,
)
from orchestrator.federation.semver import version_lt


def module(name: str) -> SimpleNamespace:
    return SimpleNamespace(__name__=name)


def provide(scope: ShareScope, key: str, version: str, *, from_: str = "host",
            eager: bool = False) -> SimpleNamespace:  # fmt: skip
    mod = module(f"{key}@{version} from {from_}")
    scope.register(key, version, lambda: mod, eager=eager, from_=from_)
    return mod


def two_versions() -> tuple[ShareScope, SimpleNamespace, SimpleNamespace]:
    scope = ShareScope("default")
    old = provide(scope, "react", "17.0.2", from_="app1")
    new = provide(scope, "react", "18.2.0", from_="app2")
    return scope, old, new


# --- choosing the loader --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("required", "strict", "singleton", "kind"),
    [
        (None, False, False, LoaderKind.LOAD),
        (None, True, False, LoaderKind.LOAD),
        (None, False, True, LoaderKind.LOAD_SINGLETON),
        ("^1", False, False, LoaderKind.LOAD_VERSION),
        ("^1", True, False, LoaderKind.LOAD_STRICT_VERSION),
        ("^1", False, True, LoaderKind.LOAD_SINGLETON_VERSION),
        ("^1", True, True, LoaderKind.LOAD_STRICT_SINGLETON_VERSION),
        (False, True, True, LoaderKind.LOAD_SINGLETON),
    ],
)
def test_choose_loader(required: Any, strict: bool, singleton: bool, kind: LoaderKind) -> None:
    assert choose_loader(required, strict, singleton) is kind


async def test_strict_version_defaults_to_true_for_a_non_singleton_with_a_fallback() -> None:
    scope = ShareScope()
    provide(scope, "lib", "1.0.0")
    own = module("own")
    # strict by default → unsatisfied uses the fallback silently
    assert await scope.consume("lib", required_version="^2", fallback=lambda: own) is own


async def test_without_a_fallback_the_default_is_not_strict(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scope = ShareScope()
    only = provide(scope, "lib", "1.0.0")
    with caplog.at_level(logging.WARNING, "orchestrator.federation"):
        assert await scope.consume("lib", required_version="^2") is only
    assert "No satisfying version (^2) of shared module lib" in caplog.text


# --- register ---------------------------------------------------------------------------------


def test_register_keeps_versions_side_by_side() -> None:
    scope, _, _ = two_versions()
    assert list(scope.versions("react")) == ["17.0.2", "18.2.0"]


def test_register_same_version_greater_name_wins() -> None:
    scope = ShareScope()
    provide(scope, "lib", "1.0.0", from_="b")
    provide(scope, "lib", "1.0.0", from_="a")
    assert scope.versions("lib")["1.0.0"].from_ == "b"
    provide(scope, "lib", "1.0.0", from_="c")
    assert scope.versions("lib")["1.0.0"].from_ == "c"


def test_register_eager_beats_lazy_whatever_the_name() -> None:
    scope = ShareScope()
    provide(scope, "lib", "1.0.0", from_="a", eager=True)
    provide(scope, "lib", "1.0.0", from_="z")
    assert scope.versions("lib")["1.0.0"].from_ == "a"
    scope2 = ShareScope()
    provide(scope2, "lib", "1.0.0", from_="z")
    provide(scope2, "lib", "1.0.0", from_="a", eager=True)
    assert scope2.versions("lib")["1.0.0"].from_ == "a"


async def test_register_never_replaces_a_loaded_copy() -> None:
    scope = ShareScope()
    first = provide(scope, "lib", "1.0.0", from_="a")
    assert await scope.load("lib") is first
    provide(scope, "lib", "1.0.0", from_="z", eager=True)
    assert scope.versions("lib")["1.0.0"].from_ == "a"


@pytest.mark.parametrize("version", ["^2.6.14", ">=1", "1.x", "", "1 || 2", "*"])
def test_register_refuses_a_range_as_a_version(version: str) -> None:
    with pytest.raises(FederationError, match="is not a version"):
        ShareScope().register("vue", version, lambda: None, from_="app")


# --- the six loaders: satisfied, unsatisfied, missing, fallback, eager ---------------------------

MISSING = "Shared module react doesn't exist in shared scope default"


async def test_load_takes_the_highest() -> None:
    scope, _, new = two_versions()
    assert await scope.load("react") is new


async def test_load_missing_raises_the_exact_text() -> None:
    with pytest.raises(FederationError) as info:
        await ShareScope().load("react")
    assert str(info.value) == MISSING
    assert isinstance(info.value, OrchestratorError)
    assert (info.value.key, info.value.scope) == ("react", "default")


async def test_load_missing_uses_the_fallback() -> None:
    own = module("own")
    assert await ShareScope().load("react", fallback=lambda: own) is own


async def test_load_eager_sees_only_eager_copies() -> None:
    scope = ShareScope()
    eager = provide(scope, "react", "17.0.2", eager=True)
    provide(scope, "react", "18.2.0")
    assert await scope.load("react", eager=True) is eager


async def test_load_eager_with_no_eager_copy() -> None:
    scope = ShareScope()
    provide(scope, "react", "18.2.0")
    with pytest.raises(FederationError, match="not available for eager consumption: react"):
        await scope.load("react", eager=True)
    own = module("own")
    assert await scope.load("react", eager=True, fallback=lambda: own) is own


async def test_load_singleton_takes_the_highest_when_none_is_loaded() -> None:
    scope, _, new = two_versions()
    assert await scope.load_singleton("react") is new


async def test_load_singleton_missing_and_fallback() -> None:
    with pytest.raises(FederationError, match=MISSING):
        await ShareScope().load_singleton("react")
    own = module("own")
    assert await ShareScope().load_singleton("react", fallback=lambda: own) is own


async def test_load_singleton_eager() -> None:
    scope = ShareScope()
    eager = provide(scope, "react", "17.0.2", eager=True)
    provide(scope, "react", "18.2.0")
    assert await scope.load_singleton("react", eager=True) is eager


async def test_load_version_satisfied_takes_the_highest_satisfying() -> None:
    scope, old, _ = two_versions()
    provide(scope, "react", "17.0.1")
    assert await scope.load_version("react", "^17") is old


async def test_load_version_unsatisfied_warns_and_takes_the_highest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scope, _, new = two_versions()
    with caplog.at_level(logging.WARNING, "orchestrator.federation"):
        assert await scope.load_version("react", "^19") is new
    assert caplog.messages == [
        "No satisfying version (^19) of shared module react found in shared scope default.\n"
        "Available versions: 17.0.2 from app1, 18.2.0 from app2"
    ]


async def test_load_version_missing_and_fallback() -> None:
    with pytest.raises(FederationError, match=MISSING):
        await ShareScope().load_version("react", "^18")
    own = module("own")
    assert await ShareScope().load_version("react", "^18", fallback=lambda: own) is own


async def test_load_version_eager_text(caplog: pytest.LogCaptureFixture) -> None:
    scope = ShareScope()
    eager = provide(scope, "react", "17.0.2", from_="app1", eager=True)
    provide(scope, "react", "18.2.0", from_="app2")
    with caplog.at_level(logging.WARNING, "orchestrator.federation"):
        assert await scope.load_version("react", "^18", eager=True) is eager
    assert caplog.messages[0].startswith(
        "No satisfying version (^18) for eager consumption of shared module react found in "
        "shared scope default.\nAvailable versions: 17.0.2 from app1, 18.2.0 from app2"
    )


async def test_load_strict_version_satisfied() -> None:
    scope, _, new = two_versions()
    assert await scope.load_strict_version("react", ">=17") is new


async def test_load_strict_version_unsatisfied_raises_the_exact_text() -> None:
    scope, _, _ = two_versions()
    with pytest.raises(FederationError) as info:
        await scope.load_strict_version("react", "^19")
    assert str(info.value) == (
        "No satisfying version (^19) of shared module react found in shared scope default.\n"
        "Available versions: 17.0.2 from app1, 18.2.0 from app2"
    )


async def test_load_strict_version_unsatisfied_uses_the_fallback_silently(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scope, _, _ = two_versions()
    own = module("own")
    with caplog.at_level(logging.WARNING, "orchestrator.federation"):
        assert await scope.load_strict_version("react", "^19", fallback=lambda: own) is own
    assert caplog.messages == []


async def test_load_strict_version_missing_and_eager() -> None:
    with pytest.raises(FederationError, match=MISSING):
        await ShareScope().load_strict_version("react", "^18")
    scope = ShareScope()
    provide(scope, "react", "18.2.0", from_="app2")
    with pytest.raises(FederationError, match=r"No satisfying version \(\^18\) for eager"):
        await scope.load_strict_version("react", "^18", eager=True)


async def test_load_singleton_version_satisfied() -> None:
    scope, _, new = two_versions()
    assert await scope.load_singleton_version("react", "^18") is new


async def test_load_singleton_version_unsatisfied_warns_and_still_uses_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scope, _, new = two_versions()
    with caplog.at_level(logging.WARNING, "orchestrator.federation"):
        assert await scope.load_singleton_version("react", "^17") is new
    assert caplog.messages == [
        "Unsatisfied version 18.2.0 from app2 of shared singleton module react (required ^17)"
    ]


async def test_load_singleton_version_missing_fallback_and_eager() -> None:
    with pytest.raises(FederationError, match=MISSING):
        await ShareScope().load_singleton_version("react", "^18")
    own = module("own")
    assert await ShareScope().load_singleton_version("react", "^18", fallback=lambda: own) is own
    scope = ShareScope()
    eager = provide(scope, "react", "17.0.2", eager=True)
    provide(scope, "react", "18.2.0")
    assert await scope.load_singleton_version("react", "^17", eager=True) is eager


async def test_load_strict_singleton_version_satisfied() -> None:
    scope, _, new = two_versions()
    assert await scope.load_strict_singleton_version("react", "^18") is new


async def test_load_strict_singleton_version_unsatisfied_raises_the_exact_text() -> None:
    scope, _, _ = two_versions()
    with pytest.raises(FederationError) as info:
        await scope.load_strict_singleton_version("react", "~17.0.0")
    assert str(info.value) == (
        "Unsatisfied version 18.2.0 from app2 of shared singleton module react (required ~17.0.0)"
    )


async def test_load_strict_singleton_version_missing_fallback_and_eager() -> None:
    with pytest.raises(FederationError, match=MISSING):
        await ShareScope().load_strict_singleton_version("react", "^18")
    own = module("own")
    assert (
        await ShareScope().load_strict_singleton_version("react", "^18", fallback=lambda: own)
        is own
    )
    scope = ShareScope()
    provide(scope, "react", "17.0.2", eager=True)
    provide(scope, "react", "18.2.0")
    with pytest.raises(FederationError, match=r"Unsatisfied version 17\.0\.2"):
        await scope.load_strict_singleton_version("react", "^18", eager=True)


# --- the singleton fix ------------------------------------------------------------------------


def upstream_find_singleton_version_key(versions: dict[str, SharedEntry]) -> str:
    """webpack's ``findSingletonVersionKey`` reduce, verbatim in Python, to show its bug."""
    a: str | None = None
    for b in versions:
        if a is None or (not versions[a].loaded and version_lt(a, b)):
            a = b
    assert a is not None
    return a


@pytest.mark.parametrize("loaded_first_in_key_order", [True, False])
async def test_a_loaded_singleton_always_wins(loaded_first_in_key_order: bool) -> None:
    scope = ShareScope()
    if loaded_first_in_key_order:
        react17 = provide(scope, "react", "17.0.2", from_="host")
        await scope.load_singleton("react")  # now the only react: loaded
        provide(scope, "react", "18.0.0", from_="remote")
    else:
        provide(scope, "react", "18.0.0", from_="remote")
        react17 = provide(scope, "react", "17.0.2", from_="host")
        await scope.consume("react", required_version="17.0.2", strict_version=True)
    versions = dict(scope.versions("react"))
    upstream = upstream_find_singleton_version_key(versions)
    # Upstream: the key order decides; with 18.0.0 first it loads a second React.
    assert upstream == ("17.0.2" if loaded_first_in_key_order else "18.0.0")
    assert await scope.load_singleton("react") is react17
    assert await scope.load_singleton_version("react", "^18") is react17  # warns, still 17


# --- strategies, hook, concurrency -------------------------------------------------------------


async def test_loaded_first_prefers_a_loaded_satisfying_copy() -> None:
    for strategy, expected in (("version-first", "18.2.0"), ("loaded-first", "17.0.2")):
        scope = ShareScope(strategy=strategy)
        old = provide(scope, "react", "17.0.2", from_="app1")
        new = provide(scope, "react", "18.2.0", from_="app2")
        await scope.load_version("react", "17.0.2")
        got = await scope.load_version("react", ">=17")
        assert got is (old if expected == "17.0.2" else new)
    assert ShareScope(strategy="loaded-first").strategy is ShareStrategy.LOADED_FIRST


async def test_resolve_share_can_replace_the_resolver() -> None:
    scope, old, _ = two_versions()
    seen: list[dict[str, Any]] = []

    def hook(args: dict[str, Any]) -> dict[str, Any]:
        seen.append(args)
        return {**args, "resolver": lambda: args["share_scope"].versions("react")["17.0.2"]}

    assert await scope.consume("react", required_version="^18", resolve_share=hook) is old
    assert seen[0]["pkg_name"] == "react" and seen[0]["version"] == "^18"
    assert seen[0]["resolver"]().version == "18.2.0"


async def test_resolve_share_must_return_an_entry() -> None:
    scope, _, _ = two_versions()
    with pytest.raises(FederationError, match="not a SharedEntry"):
        await scope.consume("react", resolve_share=lambda a: {**a, "resolver": lambda: "x"})


async def test_two_consumers_at_once_get_one_instance() -> None:
    scope = ShareScope()
    started, release = asyncio.Event(), asyncio.Event()
    calls: list[int] = []

    async def factory() -> SimpleNamespace:
        calls.append(1)
        started.set()
        await release.wait()
        return module("one")

    scope.register("store", "1.0.0", factory, from_="host")
    first = asyncio.ensure_future(scope.load_singleton("store"))
    await started.wait()  # the first consumer is inside the factory
    second = asyncio.ensure_future(scope.load_singleton_version("store", "^1"))
    release.set()
    a, b = await asyncio.gather(first, second)
    assert a is b
    assert calls == [1]


async def test_concurrent_consumers_wait_for_one_initialisation() -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    runs: list[int] = []

    async def init() -> None:
        runs.append(1)
        started.set()
        await release.wait()
        scope.register("late", "2.0.0", lambda: "late module", from_="remote")

    scope = ShareScope(initializer=init)
    waiting = [asyncio.ensure_future(scope.load("late")) for _ in range(3)]
    await started.wait()
    eager = await scope.load("late", eager=True, fallback=lambda: "own")  # does not wait
    release.set()
    assert await asyncio.gather(*waiting) == ["late module"] * 3
    assert runs == [1] and eager == "own"


async def test_a_failing_factory_can_be_retried() -> None:
    scope = ShareScope()
    attempts: list[int] = []

    def factory() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("boom")
        return "ok"

    scope.register("lib", "1.0.0", factory, from_="host")
    with pytest.raises(RuntimeError, match="boom"):
        await scope.load("lib")
    assert await scope.load("lib") == "ok"


async def test_async_factories_and_fallbacks_run_once() -> None:
    scope = ShareScope()
    made: list[str] = []

    async def fallback() -> str:
        made.append("x")
        return "own"

    results = await asyncio.gather(*(scope.load("lib", fallback=fallback) for _ in range(3)))
    assert results == ["own"] * 3 and made == ["x"]


async def test_a_remembered_choice_follows_changes_to_the_scope() -> None:
    scope = ShareScope()
    old = provide(scope, "lib", "1.0.0")
    assert await scope.load("lib") is old
    assert await scope.load("lib") is old  # remembered
    new = provide(scope, "lib", "1.1.0", from_="remote")
    assert await scope.load("lib") is new  # a new copy: chosen again
    scope.unregister("lib", from_="remote")  # loaded: stays
    assert await scope.load("lib") is new


async def test_an_unsatisfied_singleton_warns_once_per_choice(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scope, _, new = two_versions()
    with caplog.at_level(logging.WARNING, "orchestrator.federation"):
        for _ in range(3):
            assert await scope.load_singleton_version("react", "^17") is new
    assert len(caplog.messages) == 1


def test_consume_sync_takes_an_eager_sync_copy_without_waiting() -> None:
    scope = ShareScope(initializer=lambda: pytest.fail("must not wait"))  # type: ignore[arg-type]
    eager = provide(scope, "react", "17.0.2", eager=True)
    provide(scope, "react", "18.2.0")
    assert scope.consume_sync("react", eager=True, singleton=True) is eager
    assert scope.versions("react")["17.0.2"].loaded


def test_consume_sync_refuses_an_async_copy_with_webpacks_text() -> None:
    scope = ShareScope()

    async def factory() -> str:
        return "never"

    scope.register("react", "18.2.0", factory, from_="host")
    with pytest.raises(FederationError) as info:
        scope.consume_sync("react")
    assert str(info.value) == "Shared module is not available for eager consumption: react"
    own = module("own")
    assert scope.consume_sync("react", required_version="^19", fallback=lambda: own) is own


async def test_a_copy_loaded_async_is_then_available_sync() -> None:
    scope = ShareScope()

    async def factory() -> str:
        return "loaded"

    scope.register("lib", "1.0.0", factory, from_="host")
    assert await scope.load("lib") == "loaded"
    assert scope.consume_sync("lib") == "loaded"
