"""Helpers for the lifecycle-engine tests: apps that record their lifecycle calls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from orchestrator import Orchestrator
from orchestrator.errors import LifecycleError


class Gate:
    """A point a lifecycle stops at until the test opens it: order by events, never by sleeping.

    ``entered`` is set when something reaches the gate; ``open()`` lets it (and later comers)
    through; ``close()`` re-arms it for the next pass.
    """

    def __init__(self, *, opened: bool = False) -> None:
        self.entered = asyncio.Event()
        self._opened = asyncio.Event()
        if opened:
            self._opened.set()

    async def pass_through(self) -> None:
        self.entered.set()
        await self._opened.wait()

    def open(self) -> None:
        self._opened.set()

    def close(self) -> None:
        self.entered.clear()
        self._opened.clear()


async def until(condition: Callable[[], bool], *, turns: int = 1000) -> None:
    """Yield to the loop until ``condition()`` holds (bounded; no wall-clock waiting)."""
    for _ in range(turns):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not reached")


class Recorder:
    """Lifecycles that append ``(app, lifecycle)`` to a shared log; optional delays and failures."""

    def __init__(self, log: list[tuple[str, str]] | None = None) -> None:
        self.log: list[tuple[str, str]] = [] if log is None else log
        self.props: list[dict[str, Any]] = []

    def lifecycles(
        self,
        name: str,
        *,
        delays: dict[str, float] | None = None,
        fail: set[str] | frozenset[str] = frozenset(),
        extra: dict[str, Any] | None = None,
        gates: dict[str, Gate] | None = None,
    ) -> dict[str, Any]:
        delays = delays or {}
        gates = gates or {}

        def make(lifecycle: str) -> Callable[[dict[str, Any]], Any]:
            async def run(props: dict[str, Any]) -> None:
                self.props.append(props)
                self.log.append((name, lifecycle))
                if lifecycle in delays:
                    await asyncio.sleep(delays[lifecycle])
                if lifecycle in gates:
                    await gates[lifecycle].pass_through()
                if lifecycle in fail:
                    raise RuntimeError(f"{lifecycle} error")

            return run

        result: dict[str, Any] = {
            key: make(key) for key in ("bootstrap", "mount", "unmount", "unload")
        }
        result.update(extra or {})
        return result

    def loader(
        self, name: str, *, load_delay: float = 0, load_gate: Gate | None = None, **kwargs: Any
    ) -> Any:
        async def load(props: dict[str, Any]) -> dict[str, Any]:
            self.log.append((name, "load"))
            if load_delay:
                await asyncio.sleep(load_delay)
            if load_gate is not None:
                await load_gate.pass_through()
            return self.lifecycles(name, **kwargs)

        return load

    def calls(self, name: str) -> list[str]:
        return [lifecycle for app, lifecycle in self.log if app == name]

    def count(self, name: str, lifecycle: str) -> int:
        return self.log.count((name, lifecycle))


def collect_errors(orchestrator: Orchestrator) -> list[LifecycleError]:
    errors: list[LifecycleError] = []
    orchestrator.add_error_handler(errors.append)
    return errors


def record_events(
    orchestrator: Orchestrator, names: list[str] | None = None
) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []
    for name in names or list(orchestrator.events):
        if name == "status-change":
            continue

        def receiver(sender: Any, detail: Any = None, _name: str = name) -> None:
            seen.append((_name, detail))

        orchestrator.events[name].connect(receiver)
    return seen
