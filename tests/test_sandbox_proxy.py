"""ProxySandbox: qiankun's proxySandbox spec, in Python terms."""

from __future__ import annotations

import logging

import pytest

from sandbox import (
    DEFAULT_GLOBAL_WHITELIST,
    ProxySandbox,
    SandboxProxy,
    SandboxType,
    SandboxWarning,
    Window,
)


@pytest.fixture
def window() -> Window:
    w = Window(document="the document", location="the location", history="the history")
    w.shared = "from the window"
    return w


def test_surface(window: Window) -> None:
    sandbox = ProxySandbox("app1", window)
    assert sandbox.name == "app1"
    assert sandbox.type is SandboxType.PROXY
    assert str(sandbox.type) == "Proxy"
    assert sandbox.sandbox_running is True
    assert sandbox.latest_set_prop is None
    assert isinstance(sandbox.proxy, SandboxProxy)


def test_write_lands_in_overlay_only(window: Window) -> None:
    proxy = ProxySandbox("app1", window).proxy
    proxy.test_name = "kuitos"
    assert proxy.test_name == "kuitos" and proxy["test_name"] == "kuitos"
    assert "test_name" in proxy and "test_name" not in window
    with pytest.raises(AttributeError):
        _ = window.test_name


def test_reads_fall_back_to_window(window: Window) -> None:
    proxy = ProxySandbox("app1", window).proxy
    assert proxy.shared == "from the window" and proxy["shared"] == "from the window"
    window.later = 1
    assert proxy.later == 1 and proxy.get("later") == 1
    assert proxy.get("missing", "dflt") == "dflt"
    with pytest.raises(AttributeError, match="missing"):
        _ = proxy.missing
    with pytest.raises(KeyError):
        _ = proxy["missing"]


def test_window_self_global_this_are_the_proxy_document_is_real(window: Window) -> None:
    proxy = ProxySandbox("app1", window).proxy
    assert proxy.window is proxy and proxy.self is proxy and proxy.global_this is proxy
    assert proxy["window"] is proxy
    assert proxy.document == "the document" and proxy["document"] == "the document"
    assert proxy.location == "the location" and proxy.history == "the history"
    window.document = "replaced document"
    assert proxy.document == "replaced document"
    with pytest.raises(AttributeError):
        proxy.document = "mine"
    with pytest.raises(AttributeError):
        proxy.window = "mine"
    assert window.document == "replaced document"


def test_keys_are_windows_then_own(window: Window) -> None:
    proxy = ProxySandbox("app1", window).proxy
    assert proxy.keys() == window.keys()
    proxy.additional_prop = "kuitos"
    proxy.shared = "overridden"
    assert proxy.keys() == [*window.keys(), "additional_prop"]
    assert list(proxy) == proxy.keys()
    assert dict(proxy.items()) == {"shared": "overridden", "additional_prop": "kuitos"}


def test_two_proxies_never_see_each_others_writes(window: Window) -> None:
    a, b = ProxySandbox("a", window), ProxySandbox("b", window)
    a.proxy.x = "a"
    b.proxy.x = "b"
    assert (a.proxy.x, b.proxy.x) == ("a", "b")
    a.proxy.only_a = 1
    assert "only_a" not in b.proxy
    assert "x" not in window


def test_delete_removes_only_overlay_value(window: Window) -> None:
    proxy = ProxySandbox("app1", window).proxy
    del proxy.shared
    assert proxy.shared == "from the window" and window.shared == "from the window"
    proxy.shared = "mine"
    assert proxy.shared == "mine"
    del proxy["shared"]
    assert proxy.shared == "from the window"
    proxy.own = 1
    del proxy.own
    assert "own" not in proxy
    with pytest.raises(AttributeError):
        del proxy.never_set
    with pytest.raises(KeyError):
        del proxy["never_set"]


def test_latest_set_prop(window: Window) -> None:
    sandbox = ProxySandbox("app1", window)
    sandbox.proxy.first = 1
    sandbox.proxy["second"] = 2
    assert sandbox.latest_set_prop == "second"


def test_inactive_ignores_writes_with_warning_and_keeps_state(
    window: Window, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox = ProxySandbox("app1", window)
    sandbox.proxy.kept = 1
    sandbox.inactive()
    assert sandbox.sandbox_running is False
    with pytest.warns(SandboxWarning, match=r"Set window\.x while sandbox .* inactive in app1"):
        sandbox.proxy.x = 1
    assert "x" not in sandbox.proxy
    assert "inactive in app1" in caplog.text
    assert sandbox.proxy.kept == 1
    sandbox.active()
    assert sandbox.proxy.kept == 1
    sandbox.proxy.x = 2
    assert sandbox.proxy.x == 2
    other = ProxySandbox("app2", window)
    assert "kept" not in other.proxy


def test_delete_while_inactive_is_ignored(window: Window) -> None:
    sandbox = ProxySandbox("app1", window)
    sandbox.proxy.kept = 1
    sandbox.inactive()
    with pytest.warns(SandboxWarning):
        del sandbox.proxy.kept
    sandbox.active()
    assert sandbox.proxy.kept == 1


def test_whitelisted_names_write_through_and_restore(window: Window) -> None:
    assert "__REACT_ERROR_OVERLAY_GLOBAL_HOOK__" in DEFAULT_GLOBAL_WHITELIST
    original = object()
    window["__REACT_ERROR_OVERLAY_GLOBAL_HOOK__"] = original
    sandbox = ProxySandbox("app1", window)
    sandbox.proxy.__REACT_ERROR_OVERLAY_GLOBAL_HOOK__ = None
    assert window["__REACT_ERROR_OVERLAY_GLOBAL_HOOK__"] is None
    sandbox.proxy["__REACT_ERROR_OVERLAY_GLOBAL_HOOK__"] = {}
    assert window.get("__REACT_ERROR_OVERLAY_GLOBAL_HOOK__") == {}
    sandbox.proxy.System = {"loader": 1}
    sandbox.proxy.some_other = 1
    assert window.System == {"loader": 1} and "some_other" not in window
    assert sandbox.latest_set_prop == "some_other"
    sandbox.inactive()
    assert window["__REACT_ERROR_OVERLAY_GLOBAL_HOOK__"] is original
    assert "System" not in window
    assert window.keys() == ["shared", "__REACT_ERROR_OVERLAY_GLOBAL_HOOK__"]


def test_whitelisted_delete_restored(window: Window) -> None:
    window.System = "outer"
    sandbox = ProxySandbox("app1", window)
    del sandbox.proxy.System
    assert "System" not in window
    sandbox.inactive()
    assert window.System == "outer"


def test_custom_whitelist(window: Window) -> None:
    sandbox = ProxySandbox("app1", window, global_whitelist=["shared"])
    sandbox.proxy.shared = "through"
    sandbox.proxy.System = "kept local"
    assert window.shared == "through" and "System" not in window
    sandbox.inactive()
    assert window.shared == "from the window"


def test_mount_cycles_leave_window_exactly_as_it_was(window: Window) -> None:
    window.System = "outer"
    before = window.items()
    sandbox = ProxySandbox("app1", window)
    for cycle in range(3):
        sandbox.active()
        sandbox.proxy[f"cycle{cycle}"] = cycle
        sandbox.proxy.shared = cycle
        sandbox.proxy.System = cycle
        del sandbox.proxy.shared
        sandbox.inactive()
        assert window.items() == before
    assert sandbox.proxy.keys() == [*window.keys(), "cycle0", "cycle1", "cycle2"]


def test_builtin_method_names_cannot_be_replaced(window: Window) -> None:
    proxy = ProxySandbox("app1", window).proxy
    with pytest.raises(AttributeError, match="built in"):
        proxy.add_event_listener = None  # type: ignore[method-assign,assignment]
    proxy["keys"] = "a global named keys"
    assert proxy["keys"] == "a global named keys"
    assert proxy.keys() == ["shared", "keys"]


def test_close_drops_state_and_refuses_reactivation(window: Window) -> None:
    sandbox = ProxySandbox("app1", window)
    sandbox.proxy.x = 1
    sandbox.proxy.System = 1
    sandbox.close()
    assert sandbox.closed and not sandbox.sandbox_running
    assert "x" not in sandbox.proxy and "System" not in window
    sandbox.close()
    with pytest.raises(RuntimeError, match="app1"):
        sandbox.active()


def test_needs_a_window() -> None:
    with pytest.raises(TypeError, match=r"sandbox\.Window"):
        ProxySandbox("app1", {})  # type: ignore[arg-type]


def test_warning_also_logged(window: Window, caplog: pytest.LogCaptureFixture) -> None:
    sandbox = ProxySandbox("app1", window)
    sandbox.inactive()
    with caplog.at_level(logging.WARNING, logger="sandbox"), pytest.warns(SandboxWarning):
        sandbox.proxy["y"] = 1
    assert "Set window.y" in caplog.text


def test_insulated_names_never_come_from_the_window() -> None:
    """Garfish's ``insulationVariable``: the app sees only its own value of those names."""
    window = Window()
    window.onerror = "shell handler"
    window.shared = "shell"
    sandbox = ProxySandbox("app1", window, insulated=["onerror"])
    proxy = sandbox.proxy
    assert "onerror" not in proxy and proxy.get("onerror") is None
    with pytest.raises(AttributeError, match="no global 'onerror'"):
        _ = proxy.onerror
    with pytest.raises(KeyError):
        _ = proxy["onerror"]
    assert proxy.keys() == ["shared"] and proxy.shared == "shell"
    with pytest.raises(AttributeError):
        del proxy.onerror  # the window's is not the app's to delete
    proxy.onerror = "app handler"
    assert (proxy.onerror, proxy["onerror"], window.onerror) == (
        "app handler",
        "app handler",
        "shell handler",
    )
    assert proxy.keys() == ["shared", "onerror"] and sandbox.latest_set_prop == "onerror"
    del proxy["onerror"]
    assert "onerror" not in proxy and window.onerror == "shell handler"
    assert proxy["document"] is None and "window" in proxy


def test_insulated_and_whitelisted_at_once_is_an_error() -> None:
    with pytest.raises(ValueError, match="'app1': System cannot be both"):
        ProxySandbox("app1", Window(), insulated=["System"])
    with pytest.raises(TypeError, match="not a str"):
        ProxySandbox("app1", Window(), insulated="onerror")


def test_insulated_write_while_inactive_is_refused() -> None:
    sandbox = ProxySandbox("app1", Window(), insulated=["onerror"])
    sandbox.inactive()
    with pytest.warns(SandboxWarning):
        sandbox.proxy.onerror = 1
    assert sandbox.own_keys == []
