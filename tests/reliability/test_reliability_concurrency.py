"""Random concurrent navigations, back/forward, registrations, unloads and unregisters.

Hypothesis draws a list of operations, each starting after a few event-loop turns, all running at
once against one orchestrator whose apps take a few turns in every lifecycle. Afterwards: every
operation finished (no reroute left hanging), the mounted apps are exactly the registered apps
active for the final URL, and each app's lifecycle calls follow load → bootstrap → (mount →
unmount)* → unload, so mounts and unmounts alternate.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator import AppNotFoundError, AppStatus, LifecycleError, Orchestrator

PATHS = ("/", "/a", "/a/deep", "/b", "/b?x=1", "/c", "/c#frag", "/d/1", "/shop/7")
RULES: dict[str, Any] = {
    "home": "/",
    "alpha": "/a",
    "beta": ["/b", "/c"],
    "gamma": "/c",
    "delta": "/d/:id",
    "shop": lambda location: location.pathname.startswith("/shop"),
}
NAMES = tuple(RULES)
# one load cycle: load, then maybe bootstrap and mount/unmount pairs, then unload
_CYCLE = r"L(?:B(?:MU)*)?"
LIFECYCLE_GRAMMAR = re.compile(rf"(?:{_CYCLE}X)*(?:{_CYCLE}M?)?")

Op = tuple[str, Any]
operation = st.one_of(
    st.tuples(st.just("navigate"), st.sampled_from(PATHS)),
    st.tuples(st.just("back"), st.none()),
    st.tuples(st.just("forward"), st.none()),
    st.tuples(st.just("register"), st.sampled_from(NAMES)),
    st.tuples(st.just("unload"), st.sampled_from(NAMES)),
    st.tuples(st.just("unregister"), st.sampled_from(NAMES)),
)
scheduled = st.tuples(operation, st.integers(min_value=0, max_value=6))
app_turns = st.fixed_dictionaries({name: st.integers(min_value=0, max_value=3) for name in NAMES})


@dataclass
class World:
    """One orchestrator and the lifecycle calls of every registration of every app."""

    orchestrator: Orchestrator
    turns: dict[str, int]
    logs: dict[str, list[list[str]]] = field(default_factory=dict)
    errors: list[LifecycleError] = field(default_factory=list)

    def register(self, name: str) -> None:
        log: list[str] = []
        self.orchestrator.register_application(name, self._loader(name, log), RULES[name])
        self.logs.setdefault(name, []).append(log)

    def _loader(self, name: str, log: list[str]) -> Callable[[Any], Any]:
        turns = self.turns[name]

        def step(letter: str) -> Callable[[Any], Any]:
            async def lifecycle(props: Any) -> None:
                log.append(letter)
                for _ in range(turns):
                    await asyncio.sleep(0)

            return lifecycle

        async def load(props: Any) -> dict[str, Any]:
            await step("L")(props)
            return {
                "bootstrap": step("B"),
                "mount": step("M"),
                "unmount": step("U"),
                "unload": step("X"),
            }

        return load


async def perform(world: World, op: Op, delay: int) -> None:
    for _ in range(delay):
        await asyncio.sleep(0)
    orchestrator = world.orchestrator
    kind, arg = op
    try:
        if kind == "navigate":
            await orchestrator.navigate(arg)
        elif kind == "back":
            await orchestrator.history.back()
        elif kind == "forward":
            await orchestrator.history.forward()
        elif kind == "register":
            world.register(arg)
            await orchestrator.trigger_app_change()  # single-spa reroutes on register once started
        elif kind == "unload":
            await orchestrator.unload_application(arg)
        elif kind == "unregister":
            await orchestrator.unregister_application(arg)
    except AppNotFoundError:
        assert kind in ("unload", "unregister")
    except ValueError as exc:
        assert kind == "register" and "already an app registered" in str(exc)


async def run_scenario(ops: list[tuple[Op, int]], turns: dict[str, int]) -> World:
    async with Orchestrator() as orchestrator:
        world = World(orchestrator, turns)
        orchestrator.add_error_handler(world.errors.append)
        for name in NAMES[:3]:
            world.register(name)
        await orchestrator.start()
        async with asyncio.timeout(10):  # a wedged reroute fails here instead of hanging
            await asyncio.gather(*(perform(world, op, delay) for op, delay in ops))
            for _ in range(20):  # unload's remount is scheduled, not awaited: let it finish
                await asyncio.sleep(0)
            check_world(world)
            assert await orchestrator.trigger_app_change() == orchestrator.get_mounted_apps()
            check_world(world)
        return world


def check_world(world: World) -> None:
    orchestrator = world.orchestrator
    assert world.errors == []
    registered = orchestrator.get_app_names()
    active = [name for name in registered if name in orchestrator.check_activity_functions()]
    assert orchestrator.get_mounted_apps() == active, orchestrator.location.href
    for name, lives in world.logs.items():
        for index, log in enumerate(lives):
            text = "".join(log)
            assert LIFECYCLE_GRAMMAR.fullmatch(text), f"{name}#{index}: {text}"
            current = index == len(lives) - 1 and name in registered
            mounted = current and orchestrator.get_app_status(name) is AppStatus.MOUNTED
            assert text.endswith("M") == mounted, f"{name}#{index}: {text}"


# Shrunk by hypothesis (fixed since): a reroute already holding a record mounted it after
# ``unregister_application`` removed it, leaving a mounted app nobody could unmount.
UNLOAD_RACE: list[tuple[Op, int]] = [(("unload", "home"), 0), (("unregister", "home"), 1)]
NAVIGATE_RACE: list[tuple[Op, int]] = [
    (("navigate", "/"), 0),
    (("navigate", "/"), 0),
    (("navigate", "/b"), 3),
    (("unregister", "beta"), 0),
]
ZERO_TURNS = dict.fromkeys(NAMES, 0)


def test_unregister_racing_unload_does_not_mount_a_forgotten_app() -> None:
    """unload_application's scheduled remount must not mount an app unregistered meanwhile."""
    asyncio.run(run_scenario(UNLOAD_RACE, ZERO_TURNS))


def test_unregister_racing_navigation_does_not_mount_a_forgotten_app() -> None:
    """A navigation's reroute must not go on to mount an app unregistered meanwhile."""
    asyncio.run(run_scenario(NAVIGATE_RACE, ZERO_TURNS))


QUICK = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
LONG = settings(
    max_examples=4000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@QUICK
@given(ops=st.lists(scheduled, min_size=1, max_size=25), turns=app_turns)
def test_concurrent_operations_keep_the_invariants(
    ops: list[tuple[Op, int]], turns: dict[str, int]
) -> None:
    asyncio.run(run_scenario(ops, turns))


@pytest.mark.slow
@LONG
@given(ops=st.lists(scheduled, min_size=1, max_size=60), turns=app_turns)
def test_concurrent_operations_keep_the_invariants_long(
    ops: list[tuple[Op, int]], turns: dict[str, int]
) -> None:
    asyncio.run(run_scenario(ops, turns))


async def test_a_burst_of_navigations_settles_on_the_last_url() -> None:
    """Fifty navigations fired without awaiting: every caller resolves, the last URL wins."""
    world_turns = dict.fromkeys(NAMES, 2)
    async with Orchestrator() as orchestrator:
        world = World(orchestrator, world_turns)
        for name in NAMES:
            world.register(name)
        await orchestrator.start()
        paths = [PATHS[i % len(PATHS)] for i in range(50)]
        async with asyncio.timeout(10):
            results = await asyncio.gather(*(orchestrator.navigate(path) for path in paths))
        assert orchestrator.location.href == "http://localhost/b?x=1"
        assert results[-1] == orchestrator.get_mounted_apps() == ["home", "beta"]
        check_world(world)
