"""register_application in both forms, its validation, and the read-only registry API."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator import Orchestrator
from orchestrator.errors import AppNotFoundError
from orchestrator.navigation import Location
from orchestrator.status import AppStatus

LIFECYCLES: dict[str, Any] = {"mount": lambda props: None, "unmount": lambda props: None}


def test_registration_needs_no_event_loop_and_keeps_order() -> None:
    orch = Orchestrator()
    orch.register_application("b", LIFECYCLES, "/b")
    orch.register_application({"name": "a", "app": LIFECYCLES, "active_when": "/a"})
    assert orch.get_app_names() == ["b", "a"]
    assert orch.get_app_status("a") is AppStatus.NOT_LOADED
    assert orch.get_app_status("a") == "NOT_LOADED"
    assert orch.get_app_status("nope") is None
    assert orch.get_mounted_apps() == []


@pytest.mark.parametrize("second", ["positional", "config"])
def test_duplicate_names_are_rejected(second: str) -> None:
    orch = Orchestrator()
    orch.register_application("dup", LIFECYCLES, "/")
    with pytest.raises(ValueError, match="There is already an app registered with name dup"):
        if second == "positional":
            orch.register_application("dup", LIFECYCLES, "/")
        else:
            orch.register_application({"name": "dup", "app": LIFECYCLES, "active_when": "/"})
    assert orch.get_app_names() == ["dup"]


@pytest.mark.parametrize(
    ("args", "error", "fragment"),
    [
        ((None,), TypeError, "name"),
        (("",), ValueError, "name"),
        ((42, LIFECYCLES, "/"), TypeError, "name"),
        ((["x"],), TypeError, "name"),
        (("x", None, "/"), TypeError, "app of application 'x'"),
        (("x", "not an app", "/"), TypeError, "app of application 'x'"),
        (("x", LIFECYCLES, None), TypeError, "active_when of application 'x'"),
        (("x", LIFECYCLES, 5), TypeError, "active_when of application 'x'"),
        (("x", LIFECYCLES, ["/valid", True]), TypeError, "active_when of application 'x'"),
        (("x", LIFECYCLES, "/", []), TypeError, "custom_props of application 'x'"),
        (("x", LIFECYCLES, "/", "props"), TypeError, "custom_props of application 'x'"),
    ],
)
def test_positional_validation_names_the_bad_argument(
    args: tuple[Any, ...], error: type[Exception], fragment: str
) -> None:
    orch = Orchestrator()
    with pytest.raises(error, match=fragment):
        orch.register_application(*args)
    assert orch.get_app_names() == []


@pytest.mark.parametrize(
    ("config", "error", "fragment"),
    [
        ({}, TypeError, "name"),
        ({"name": ""}, ValueError, "name"),
        ({"name": "x", "active_when": "/"}, TypeError, "app of application 'x'"),
        ({"name": "x", "app": LIFECYCLES}, TypeError, "active_when"),
        (
            {
                "name": "x",
                "app": LIFECYCLES,
                "active_when": "/",
                "invalidKey": 1,
                "superInvalidKey": 2,
            },
            ValueError,
            "Invalid keys: invalidKey, superInvalidKey.",
        ),
        (
            {"name": "x", "app": LIFECYCLES, "active_when": "/", "custom_props": [1]},
            TypeError,
            "custom_props",
        ),
        (
            {"name": "x", "app": LIFECYCLES, "active_when": "/", "container": 3},
            TypeError,
            "container",
        ),
    ],
)
def test_config_validation(config: dict[str, Any], error: type[Exception], fragment: str) -> None:
    orch = Orchestrator()
    with pytest.raises(error, match=fragment):
        orch.register_application(config)


def test_accepted_shapes() -> None:
    orch = Orchestrator()
    orch.register_application("fn-props", LIFECYCLES, lambda loc: True, lambda name, loc: {})
    orch.register_application("list", lambda props: LIFECYCLES, ["/valid", lambda loc: False])
    orch.register_application(
        {
            "name": "cfg",
            "app": LIFECYCLES,
            "active_when": [],
            "custom_props": {"a": 1},
            "container": "#main",
        }
    )
    orch.register_application("kw", LIFECYCLES, "/kw", container=lambda: None)
    assert orch.get_app_names() == ["fn-props", "list", "cfg", "kw"]


def test_config_form_rejects_extra_positional_arguments() -> None:
    orch = Orchestrator()
    with pytest.raises(TypeError, match="no other positional"):
        orch.register_application({"name": "x", "app": LIFECYCLES, "active_when": "/"}, LIFECYCLES)


def test_check_activity_functions() -> None:
    orch = Orchestrator(url="http://app.com/")
    for word in ("one", "two", "three"):
        orch.register_application(word, LIFECYCLES, lambda loc, w=word: w in loc.href)
    orch.register_application("four", LIFECYCLES, ["/pathname", lambda loc: "four" in loc.href])
    assert orch.check_activity_functions("http://app.com/one") == ["one"]
    assert orch.check_activity_functions("/pathname/") == ["four"]
    assert orch.check_activity_functions(Location("http://app.com/two")) == ["two"]
    assert orch.check_activity_functions("/one/two/three/four") == ["one", "two", "three", "four"]
    assert orch.check_activity_functions() == []


def test_check_activity_functions_lets_errors_through() -> None:
    orch = Orchestrator()

    def bad(location: Any) -> bool:
        raise RuntimeError("bad activity function")

    orch.register_application("bad", LIFECYCLES, bad)
    with pytest.raises(RuntimeError, match="bad activity function"):
        orch.check_activity_functions()


@pytest.mark.parametrize(
    ("rule", "url", "expected"),
    [
        ("/pathname", "/pathname?query-string=1", True),
        ("/pathname", "/pathnameExtraShouldNotMatch", False),
        ("/pathname/", "/pathname", False),
        ("/PathName", "/pathname/anything", True),
        ("/#/pathname", "/?q=1#/pathname/x", True),
        ("/pathname/:id/notDynamic", "/pathname//notDynamic", False),
        ("/users/:id", "/users/12/settings", True),
    ],
)
def test_string_rules_follow_single_spa_prefix_rules(rule: str, url: str, expected: bool) -> None:
    orch = Orchestrator(url="http://app.com/")
    orch.register_application("x", LIFECYCLES, rule)
    assert (orch.check_activity_functions(url) == ["x"]) is expected


async def test_unknown_names_raise_typed_errors() -> None:
    orch = Orchestrator()
    with pytest.raises(AppNotFoundError, match="'ghost'"):
        orch.unload_application("ghost")  # raises at call time, as single-spa throws
    with pytest.raises(KeyError):
        orch.unregister_application("ghost")
    with pytest.raises(AppNotFoundError):
        await orch.unload_application("ghost", wait_for_unmount=True)
    with pytest.raises(TypeError):
        orch.unload_application(3)  # type: ignore[arg-type]


async def test_unregister_forgets_and_allows_registering_again() -> None:
    orch = Orchestrator()
    orch.register_application("a", LIFECYCLES, "/nowhere")
    await orch.unregister_application("a")
    assert orch.get_app_status("a") is None
    assert orch.get_app_names() == []
    orch.register_application("a", LIFECYCLES, "/nowhere")
    assert orch.get_app_names() == ["a"]
    await orch.aclose()
