"""SnapshotSandbox: qiankun's snapshotSandBox spec, in Python terms, plus property checks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox import SandboxType, SandboxWarning, SnapshotSandbox, Window


def test_modify_add_and_delete_are_isolated() -> None:
    window = Window()
    window.global_props = {"a": 1}
    window.global_deleted_props = {"b": []}
    sandbox1 = SnapshotSandbox("app1", window)
    sandbox2 = SnapshotSandbox("app2", window)
    assert sandbox1.type is SandboxType.SNAPSHOT
    assert str(sandbox1.type) == "Snapshot"
    sandbox1.active()
    window.global_props = {"a": 2}
    window.global_added_props = 3
    del window.global_deleted_props
    sandbox1.inactive()

    sandbox2.active()
    assert window.global_props == {"a": 1}
    assert "global_added_props" not in window
    assert window.global_deleted_props == {"b": []}
    sandbox2.inactive()

    sandbox1.active()
    assert window.global_props == {"a": 2}
    assert window.global_added_props == 3
    assert "global_deleted_props" not in window

    window.global_deleted_props = {"b": [2]}
    sandbox1.inactive()
    assert window.global_deleted_props == {"b": []}
    sandbox1.active()
    assert window.global_deleted_props == {"b": [2]}

    del window.global_deleted_props
    sandbox1.inactive()
    assert window.global_deleted_props == {"b": []}
    sandbox1.active()
    assert "global_deleted_props" not in window

    window.global_deleted_props = {"b": [2]}
    window.global_deleted_props = {"b": [3]}
    del window.global_deleted_props
    sandbox1.inactive()
    assert window.global_deleted_props == {"b": []}
    sandbox1.active()
    assert "global_deleted_props" not in window

    del window.global_added_props
    window.global_added_props = 3
    window.global_added_props = 4
    sandbox1.inactive()
    assert "global_added_props" not in window
    sandbox1.active()
    assert window.global_added_props == 4


def test_proxy_writes_through_and_records_latest_set_prop() -> None:
    window = Window(document="doc")
    sandbox = SnapshotSandbox("app1", window)
    sandbox.active()
    proxy = sandbox.proxy
    proxy.lib = 1
    proxy["app1"] = {"mount": None}
    assert window.lib == 1 and window["app1"] == {"mount": None}
    assert sandbox.latest_set_prop == "app1"
    assert proxy.window is proxy and proxy.document == "doc"
    sandbox.inactive()
    assert window.keys() == []


def test_changes_made_while_loading_are_undone_too() -> None:
    """qiankun snapshots at the first mount, so load-time writes leak; ours are undone."""
    window = Window()
    window.existing = "original"
    sandbox = SnapshotSandbox("app1", window)
    sandbox.proxy.existing = "changed at load"
    sandbox.proxy.added_at_load = 1
    window.owner_after_creation = "kept"
    sandbox.active()
    sandbox.inactive()
    assert window.items() == [("existing", "original"), ("owner_after_creation", "kept")]
    sandbox.active()
    assert window.existing == "changed at load" and window.added_at_load == 1


def test_inactive_refuses_proxy_writes() -> None:
    window = Window()
    sandbox = SnapshotSandbox("app1", window)
    sandbox.active()
    sandbox.inactive()
    with pytest.warns(SandboxWarning):
        sandbox.proxy.late = 1
    assert "late" not in window


def test_close() -> None:
    window = Window()
    sandbox = SnapshotSandbox("app1", window)
    sandbox.active()
    window.x = 1
    sandbox.close()
    assert window.keys() == [] and sandbox.closed


_names = st.sampled_from(["a", "b", "c", "d", "e"])
_ops = st.lists(
    st.tuples(st.sampled_from(["set", "del", "proxy_set", "proxy_del"]), _names, st.integers()),
    max_size=20,
)


@settings(max_examples=150, deadline=None)
@given(
    initial=st.dictionaries(_names, st.integers(), max_size=5),
    cycles=st.lists(_ops, max_size=4),
)
def test_every_cycle_leaves_the_window_exactly_as_it_was(
    initial: dict[str, int], cycles: list[list[tuple[str, str, int]]]
) -> None:
    window = Window()
    for name, value in initial.items():
        window[name] = value
    before = window.items()
    sandbox = SnapshotSandbox("app", window)
    expected_app_view: dict[str, int] | None = None
    for ops in cycles:
        sandbox.active()
        if expected_app_view is not None:
            assert dict(window.items()) == expected_app_view
        for op, name, value in ops:
            if op == "set":
                window[name] = value
            elif op == "proxy_set":
                sandbox.proxy[name] = value
            elif name in window:
                if op == "del":
                    del window[name]
                else:
                    del sandbox.proxy[name]
        expected_app_view = dict(window.items())
        sandbox.inactive()
        assert window.items() == before
