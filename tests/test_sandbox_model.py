"""ProxySandbox against a simple model: overlays over one window, for any sequence of steps."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import sandbox as sandbox_package
from sandbox import ProxySandbox, Window

_NAMES = ["a", "b", "c", "System"]
_ABSENT = object()
_step = st.tuples(
    st.sampled_from(["window_set", "window_del", "set", "del", "toggle"]),
    st.sampled_from([0, 1]),
    st.sampled_from(_NAMES),
    st.integers(0, 9),
)


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(_step, max_size=30))
def test_two_proxy_sandboxes_match_the_model(steps: list[tuple[str, int, str, int]]) -> None:
    window = Window()
    boxes = [ProxySandbox("app0", window), ProxySandbox("app1", window)]
    real: dict[str, Any] = {}
    overlays: list[dict[str, Any]] = [{}, {}]
    running = [True, True]
    saved: list[dict[str, Any]] = [{}, {}]
    for op, which, name, value in steps:
        box, overlay = boxes[which], overlays[which]
        if op == "window_set":
            window[name] = value
            real[name] = value
        elif op == "window_del" and name in real:
            del window[name]
            del real[name]
        elif op == "set" and running[which]:
            box.proxy[name] = value
            if name == "System":
                saved[which].setdefault(name, real.get(name, _ABSENT))
                real[name] = value
            else:
                overlay[name] = value
        elif op == "del" and running[which] and (name in overlay or name in real):
            del box.proxy[name]
            if name == "System":
                saved[which].setdefault(name, real.get(name, _ABSENT))
                real.pop(name, None)
            else:
                overlay.pop(name, None)
        elif op == "toggle":
            if running[which]:
                box.inactive()
                for saved_name, previous in saved[which].items():
                    if previous is _ABSENT:
                        real.pop(saved_name, None)
                    else:
                        real[saved_name] = previous
                saved[which].clear()
            else:
                box.active()
            running[which] = not running[which]
        assert dict(window.items()) == real
        for i, other in enumerate(boxes):
            expected = {**real, **overlays[i]}
            assert dict(other.proxy.items()) == expected
            assert set(other.proxy.keys()) == set(expected)
            for key in _NAMES:
                assert (key in other.proxy) == (key in expected)


def test_exported_surface() -> None:
    """The exact public names of the package (a new one is a decision, not an accident)."""
    expected = {
        "DEFAULT_GLOBAL_WHITELIST",
        "CodeCache",
        "Event",
        "LegacySandbox",
        "LifecyclesNotFoundError",
        "ProxySandbox",
        "Sandbox",
        "SandboxError",
        "SandboxProxy",
        "SandboxType",
        "SandboxWarning",
        "ScriptError",
        "ScriptLike",
        "SnapshotSandbox",
        "Window",
        "WindowLike",
        "find_lifecycles",
        "is_valid_lifecycles",
        "run_scripts",
        "sandbox_of",
    }
    assert set(sandbox_package.__all__) == expected
    assert len(sandbox_package.__all__) == len(expected)
    for name in sandbox_package.__all__:
        assert getattr(sandbox_package, name) is not None
    assert "not security" in (sandbox_package.__doc__ or "")
    assert [t.value for t in sandbox_package.SandboxType] == ["Proxy", "LegacyProxy", "Snapshot"]
