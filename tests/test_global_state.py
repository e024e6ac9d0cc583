"""qiankun's global state (globalState.test.ts and the G1–G6 scenarios), per orchestrator."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from orchestrator.global_state import GlobalState, GlobalStateActions

Calls = list[tuple[dict[str, Any], dict[str, Any]]]


def recorder(calls: Calls) -> Any:
    def callback(state: dict[str, Any], prev: dict[str, Any]) -> None:
        calls.append((state, prev))

    return callback


def test_master_sets_any_key_and_listeners_get_state_and_prev() -> None:
    store = GlobalState()
    master = store.init({"user": "qiankun"})
    calls: Calls = []
    master.on_global_state_change(recorder(calls))
    assert master.set_global_state({"ignore": "matser", "user": "master"}) is True
    assert calls == [({"ignore": "matser", "user": "master"}, {"user": "qiankun"})]
    immediate: Calls = []
    store.actions_for("other").on_global_state_change(recorder(immediate), fire_immediately=True)
    [(state, prev)] = immediate
    assert state == prev == {"ignore": "matser", "user": "master"}
    assert state is prev


def test_apps_hear_the_shell_and_the_shell_hears_apps() -> None:
    store = GlobalState()
    master = store.init({"ignore": "x", "user": "qiankun"})
    slave_calls: Calls = []
    master_calls: Calls = []
    slave = store.actions_for("slaveA")
    slave.on_global_state_change(recorder(slave_calls))
    master.on_global_state_change(recorder(master_calls))
    master.set_global_state({"user": "master2"})
    assert slave_calls == [({"ignore": "x", "user": "master2"}, {"ignore": "x", "user": "qiankun"})]
    assert slave.set_global_state({"ignore": "slaveA", "user": "slaveA"}) is True
    assert master_calls[-1][0] == {"ignore": "slaveA", "user": "slaveA"}


def test_app_writes_to_unknown_keys_are_rejected_but_valid_keys_apply(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = GlobalState()
    store.init({"ignore": "slaveA", "user": "slaveA"})
    slave_b = store.actions_for("slaveB")
    with caplog.at_level(logging.WARNING, logger="orchestrator.global_state"):
        assert slave_b.set_global_state({"ignore2": "slaveB", "user": "slaveB"}) is True
    assert store.state == {"ignore": "slaveA", "user": "slaveB"}
    assert "application 'slaveB' may not set 'ignore2'" in caplog.text


def test_only_unknown_keys_change_nothing_and_notify_nobody(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = GlobalState()
    master = store.init({"user": {"name": "a", "age": 1}})
    calls: Calls = []
    master.on_global_state_change(recorder(calls))
    app = store.actions_for("app")
    with caplog.at_level(logging.WARNING, logger="orchestrator.global_state"):
        assert app.set_global_state({"newKey": 1}) is False
        assert app.set_global_state({}) is False
        assert app.set_global_state({"user": {"name": "a", "age": 1}}) is False
    assert "'newKey'" in caplog.text
    assert "has not changed" in caplog.text
    assert calls == []
    assert master.set_global_state({"brandNew": True}) is True
    assert app.set_global_state({"user": {"age": 3}}) is True
    assert store.state == {"user": {"age": 3}, "brandNew": True}


def test_non_mapping_is_rejected_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    store = GlobalState()
    master = store.init({})
    with caplog.at_level(logging.WARNING, logger="orchestrator.global_state"):
        assert master.set_global_state(["a"]) is False  # type: ignore[arg-type]
    assert "passed list to set_global_state" in caplog.text
    with pytest.raises(TypeError, match="needs a mapping, got str"):
        store.init("x")  # type: ignore[arg-type]


def test_second_listener_for_an_id_replaces_the_first_and_keeps_its_turn(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = GlobalState()
    master = store.init({"n": 0})
    order: list[str] = []
    store.actions_for("a").on_global_state_change(lambda s, p: order.append("a1"))
    store.actions_for("b").on_global_state_change(lambda s, p: order.append("b"))
    with caplog.at_level(logging.WARNING, logger="orchestrator.global_state"):
        store.actions_for("a").on_global_state_change(lambda s, p: order.append("a2"))
    assert "'a' already has a listener" in caplog.text
    master.set_global_state({"n": 1})
    assert order == ["a2", "b"]
    assert store.listener_ids() == ["a", "b"]


def test_delivery_follows_registration_order_with_many_listeners() -> None:
    store = GlobalState()
    master = store.init({"n": 0})
    heard: list[int] = []

    def hear(i: int) -> Any:
        return lambda state, prev: heard.append(i)

    for i in range(50):
        store.actions_for(f"app{i}").on_global_state_change(hear(i))
    master.set_global_state({"n": 1})
    assert heard == list(range(50))


def test_off_stops_delivery_and_returns_true() -> None:
    store = GlobalState()
    master = store.init({"n": 0})
    calls: Calls = []
    app = store.actions_for("app")
    app.on_global_state_change(recorder(calls))
    assert app.off_global_state_change() is True
    assert app.off_global_state_change() is True
    master.set_global_state({"n": 1})
    assert calls == []
    assert store.listener_ids() == []


def test_reinit_replaces_state_and_notifies_everyone(caplog: pytest.LogCaptureFixture) -> None:
    store = GlobalState()
    first = store.init({"a": 1, "b": 2})
    calls: Calls = []
    store.actions_for("app").on_global_state_change(recorder(calls))
    second = store.init({"c": 3})
    assert calls == [({"c": 3}, {"a": 1, "b": 2})]
    assert first.id != second.id and first.is_master and second.is_master
    with caplog.at_level(logging.WARNING, logger="orchestrator.global_state"):
        store.init({"c": 3})
    assert "has not changed" in caplog.text
    assert len(calls) == 1


def test_callbacks_get_private_deep_copies() -> None:
    given = {"user": {"roles": ["a"]}}
    store = GlobalState()
    master = store.init(given)
    given["user"]["roles"].append("mutated by caller")
    seen: list[dict[str, Any]] = []

    def vandal(state: dict[str, Any], prev: dict[str, Any]) -> None:
        state["user"]["roles"].append("vandal")
        prev.clear()

    store.actions_for("vandal").on_global_state_change(vandal)
    store.actions_for("reader").on_global_state_change(lambda s, p: seen.append(s))
    master.set_global_state({"x": 1})
    assert seen == [{"user": {"roles": ["a"]}, "x": 1}]
    snapshot = store.state
    snapshot["user"]["roles"].clear()
    assert store.state["user"]["roles"] == ["a"]
    assert master.state == store.state


def test_a_raising_listener_is_logged_and_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = GlobalState()
    master = store.init({"n": 0})
    calls: Calls = []

    def broken(state: dict[str, Any], prev: dict[str, Any]) -> None:
        raise RuntimeError("listener bug")

    store.actions_for("broken").on_global_state_change(broken)
    store.actions_for("fine").on_global_state_change(recorder(calls))
    with caplog.at_level(logging.ERROR, logger="orchestrator.global_state"):
        assert master.set_global_state({"n": 1}) is True
    assert "listener of 'broken' raised" in caplog.text
    assert len(calls) == 1


def test_lambdas_are_held_strongly() -> None:
    import gc

    store = GlobalState()
    master = store.init({"n": 0})
    heard: list[int] = []
    store.actions_for("app").on_global_state_change(lambda s, p: heard.append(s["n"]))
    gc.collect()
    master.set_global_state({"n": 5})
    assert heard == [5]


async def test_async_callbacks_run_on_the_loop(caplog: pytest.LogCaptureFixture) -> None:
    store = GlobalState()
    master = store.init({"n": 0})
    heard: list[int] = []

    async def listener(state: dict[str, Any], prev: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        heard.append(state["n"])

    async def broken(state: dict[str, Any], prev: dict[str, Any]) -> None:
        raise ValueError("async bug")

    store.actions_for("app").on_global_state_change(listener)
    store.actions_for("bad").on_global_state_change(broken)
    with caplog.at_level(logging.ERROR, logger="orchestrator.global_state"):
        master.set_global_state({"n": 1})
        assert heard == []
        await store.drain()
    assert heard == [1]
    assert "listener of 'bad' raised" in caplog.text


def test_async_callback_without_a_loop_warns(caplog: pytest.LogCaptureFixture) -> None:
    store = GlobalState()
    master = store.init({"n": 0})

    async def listener(state: dict[str, Any], prev: dict[str, Any]) -> None:
        raise AssertionError("must not run")

    store.actions_for("app").on_global_state_change(listener)
    with caplog.at_level(logging.WARNING, logger="orchestrator.global_state"):
        master.set_global_state({"n": 1})
    assert "no event loop is running" in caplog.text


def test_bad_arguments() -> None:
    store = GlobalState()
    with pytest.raises(TypeError, match="needs a callable, got str"):
        store.init({}).on_global_state_change("notfn")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-empty app id"):
        store.actions_for("")


def test_two_stores_never_see_each_other() -> None:
    one, two = GlobalState(), GlobalState()
    master_one = one.init({"k": 1})
    two.init({"k": 1})
    calls: Calls = []
    two.actions_for("app").on_global_state_change(recorder(calls))
    master_one.set_global_state({"k": 2})
    assert calls == []
    assert two.state == {"k": 1}
    assert isinstance(master_one, GlobalStateActions)
    assert repr(master_one) == "<GlobalStateActions shell 'global-1'>"


def test_listeners_bumping_each_other_stop_at_the_cascade_limit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from orchestrator.global_state import MAX_NESTED_UPDATES, GlobalState

    store = GlobalState()
    shell = store.init({"n": 0})
    a, b = store.actions_for("a"), store.actions_for("b")
    a.on_global_state_change(lambda state, prev: a.set_global_state({"n": state["n"] + 1}))
    b.on_global_state_change(lambda state, prev: b.set_global_state({"n": state["n"] + 1}))
    with caplog.at_level("ERROR"):
        assert shell.set_global_state({"n": 1}) is True
    assert "more than" in caplog.text
    assert 0 < store.state["n"] <= 2 * MAX_NESTED_UPDATES + 2
