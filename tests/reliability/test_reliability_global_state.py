"""Apps that misuse the global state: listeners that raise, hang or set state while being
notified, and updates of keys they do not own. The store keeps delivering to everyone else."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from orchestrator import Orchestrator


async def test_raising_and_hanging_listeners_do_not_stop_delivery(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with Orchestrator() as tab:
        shell = tab.init_global_state({"counter": 0})
        assert tab.global_state is not None
        seen: list[int] = []

        def raising(state: dict[str, Any], prev: dict[str, Any]) -> None:
            raise RuntimeError("listener boom")

        async def hanging(state: dict[str, Any], prev: dict[str, Any]) -> None:
            await asyncio.Event().wait()

        tab.global_state.actions_for("raising").on_global_state_change(raising)
        tab.global_state.actions_for("hanging").on_global_state_change(hanging)
        tab.global_state.actions_for("good").on_global_state_change(
            lambda state, prev: seen.append(state["counter"])
        )
        with caplog.at_level(logging.ERROR):
            for value in range(1, 101):
                assert shell.set_global_state({"counter": value})
        assert seen == list(range(1, 101))
        assert sum("listener of 'raising' raised" in r.getMessage() for r in caplog.records) == 100


async def test_apps_cannot_add_keys_or_mutate_through_copies() -> None:
    async with Orchestrator() as tab:
        shell = tab.init_global_state({"user": {"name": "ada"}, "theme": "light"})
        assert tab.global_state is not None
        app = tab.global_state.actions_for("app")
        received: list[dict[str, Any]] = []

        def tamper(state: dict[str, Any], prev: dict[str, Any]) -> None:
            state["user"]["name"] = "mallory"
            received.append(state)

        app.on_global_state_change(tamper)
        assert app.set_global_state({"admin": True}) is False
        assert app.set_global_state("theme=dark") is False  # type: ignore[arg-type]
        assert shell.set_global_state({"theme": "dark"})
        assert tab.global_state.state == {"user": {"name": "ada"}, "theme": "dark"}
        assert received[0]["user"]["name"] == "mallory"  # its own copy only


async def test_listeners_see_states_in_order_when_a_listener_sets_state() -> None:
    async with Orchestrator() as tab:
        shell = tab.init_global_state({"counter": 0})
        assert tab.global_state is not None
        redirector = tab.global_state.actions_for("redirector")
        seen: list[int] = []

        def bump_once(state: dict[str, Any], prev: dict[str, Any]) -> None:
            if state["counter"] == 1:
                redirector.set_global_state({"counter": 2})

        redirector.on_global_state_change(bump_once)
        tab.global_state.actions_for("reader").on_global_state_change(
            lambda state, prev: seen.append(state["counter"])
        )
        shell.set_global_state({"counter": 1})
        assert tab.global_state.state == {"counter": 2}
        assert seen == [1, 2]
