"""Garfish's router rules and its vm sandbox, as pure functions and objects."""

from __future__ import annotations

import logging

import pytest

from orchestrator.garfish import (
    ALWAYS_INSULATED,
    GarfishSandbox,
    app_root_path,
    get_path,
    has_active,
)
from orchestrator.garfish._router import under_basename
from sandbox import Window


@pytest.mark.parametrize(
    ("rule", "path", "active"),
    [
        ("/vue", "/vue", True),
        ("/vue", "/vue/x/y", True),
        ("/vue", "/vuex", False),
        ("vue", "/vue/x", True),  # a leading / is added
        ("/", "/", True),
        ("/", "/anything/at/all", True),  # "/" matches every path, as Garfish's
        ("/a/b", "/a/b/c", True),
        ("/a/b", "/a/c", False),
        ("/a/b", "/a", False),
        ("/Vue", "/vue", False),  # case-sensitive
    ],
)
def test_has_active_string_rules(rule: str, path: str, active: bool) -> None:
    assert has_active(rule, path) is active


def test_has_active_asks_a_function_rule() -> None:
    assert has_active(lambda path: path.endswith("/x"), "/a/x") is True
    assert has_active(lambda path: path.endswith("/x"), "/a/y") is False


def test_get_path_strips_the_basename() -> None:
    assert get_path("/", "/a/b") == "/a/b"
    assert get_path("/demo", "/demo/a") == "/a"
    assert get_path("demo", "/demo/a") == "/a"
    assert get_path("/de.mo", "/deXmo/a") == "/deXmo/a"  # escaped, unlike Garfish's RegExp


def test_under_basename_fixes_garfishs_prefix_and_outside_cases() -> None:
    assert under_basename("/", "/x") is True
    assert under_basename("/demo", "/demo") is True
    assert under_basename("/demo", "/demo/one") is True
    assert under_basename("/demo", "/demo2/one") is False
    assert under_basename("/demo", "/one") is False


def test_app_root_path() -> None:
    assert app_root_path("/one", "/", "/one/x") == "/one"
    assert app_root_path("/one", "/demo", "/demo/one/x") == "/demo/one"
    assert app_root_path(lambda p: p.startswith("/fn"), "/", "/fn/deep") == "/fn"
    assert app_root_path(lambda p: p.startswith("/fn"), "/demo", "/demo/fn/x") == "/demo/fn"
    assert app_root_path(lambda p: False, "/", "/ab") == "/ab"  # nothing accepted: the path


def test_vm_sandbox_overlay_protect_and_insulation(caplog: pytest.LogCaptureFixture) -> None:
    window = Window()
    window["shared"] = 1
    window["secret"] = "host"
    window["plain"] = "host"
    window["onerror"] = "host handler"
    sandbox = GarfishSandbox(
        "app", window, protect_variable=["shared"], insulation_variable=["secret"]
    )
    proxy = sandbox.proxy
    assert set(ALWAYS_INSULATED) <= sandbox.insulation_variable
    assert proxy["plain"] == "host" and proxy.plain == "host"
    assert "secret" not in proxy and proxy.get("secret") is None
    assert "onerror" not in proxy
    with pytest.raises(AttributeError):
        _ = proxy.secret
    proxy.secret = "mine"
    assert proxy.secret == "mine" and window["secret"] == "host"
    proxy.shared = 2
    assert window["shared"] == 2  # protected: the real window's
    proxy.plain = "mine"
    assert window["plain"] == "host" and proxy.plain == "mine"
    del proxy.plain
    assert proxy.plain == "host"
    with caplog.at_level(logging.WARNING, "orchestrator.garfish"):
        del proxy.shared
    assert window["shared"] == 2
    assert 'The "shared" is global protect variable."' in caplog.text
    keys = proxy.keys()
    assert "secret" in keys and "onerror" not in keys and "shared" in keys
    sandbox.inactive()
    assert window["shared"] == 2  # not put back: it is shared on purpose
    sandbox.close()
    assert sandbox.overlay == {}
