"""LegacySandbox: qiankun's legacy sandbox spec, in Python terms, plus property checks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox import LegacySandbox, SandboxType, SandboxWarning, Window


def test_writes_reach_the_window_and_are_undone() -> None:
    window = Window()
    sandbox = LegacySandbox("app1", window)
    assert sandbox.type is SandboxType.LEGACY_PROXY
    assert str(sandbox.type) == "LegacyProxy"
    sandbox.proxy.prop1 = 123
    sandbox.proxy["prop2"] = 456
    assert window.prop1 == 123 and window.prop2 == 456
    assert sandbox.latest_set_prop == "prop2"
    sandbox.inactive()
    assert "prop1" not in window and "prop2" not in window


def test_modified_globals_restored_and_reapplied() -> None:
    window = Window()
    window.title = "shell"
    window.other = "x"
    sandbox = LegacySandbox("app1", window)
    sandbox.proxy.title = "app"
    sandbox.proxy.title = "app again"
    del sandbox.proxy.other
    sandbox.proxy.added = 1
    sandbox.inactive()
    assert window.items() == [("title", "shell"), ("other", "x")]
    sandbox.active()
    assert window.title == "app again" and "other" not in window and window.added == 1
    sandbox.inactive()
    assert dict(window.items()) == {"title": "shell", "other": "x"}


def test_proxy_reads_real_window_and_names_itself() -> None:
    window = Window(document="doc")
    window.shared = 1
    proxy = LegacySandbox("app1", window).proxy
    assert proxy.shared == 1 and "shared" in proxy and proxy.keys() == ["shared"]
    assert proxy.window is proxy and proxy.self is proxy and proxy.global_this is proxy
    assert proxy.document == "doc"


def test_delete_then_set_an_original_is_restored_not_removed() -> None:
    """qiankun would treat the re-set name as added and delete it on inactive."""
    window = Window()
    window.keep = "original"
    sandbox = LegacySandbox("app1", window)
    del sandbox.proxy.keep
    sandbox.proxy.keep = "new"
    sandbox.inactive()
    assert window.keep == "original"


def test_inactive_ignores_writes() -> None:
    window = Window()
    sandbox = LegacySandbox("app1", window)
    sandbox.inactive()
    with pytest.warns(SandboxWarning, match="inactive in app1"):
        sandbox.proxy.late = 1
    assert "late" not in window


def test_missing_delete_raises() -> None:
    proxy = LegacySandbox("app1", Window()).proxy
    with pytest.raises(AttributeError):
        del proxy.nothing
    with pytest.raises(KeyError):
        del proxy["nothing"]


_names = st.sampled_from(["a", "b", "c", "d"])
_ops = st.lists(st.tuples(st.sampled_from(["set", "del"]), _names, st.integers()), max_size=15)


@settings(max_examples=150, deadline=None)
@given(
    initial=st.dictionaries(_names, st.integers(), max_size=4),
    cycles=st.lists(_ops, max_size=4),
)
def test_every_cycle_restores_the_window_and_reapplies_the_app(
    initial: dict[str, int], cycles: list[list[tuple[str, str, int]]]
) -> None:
    window = Window()
    for name, value in initial.items():
        window[name] = value
    before = dict(window.items())
    sandbox = LegacySandbox("app", window)
    app_view: dict[str, int] | None = None
    for ops in cycles:
        sandbox.active()
        if app_view is not None:
            assert dict(window.items()) == app_view
        for op, name, value in ops:
            if op == "set":
                sandbox.proxy[name] = value
            elif name in window:
                del sandbox.proxy[name]
        app_view = dict(window.items())
        sandbox.inactive()
        assert dict(window.items()) == before
