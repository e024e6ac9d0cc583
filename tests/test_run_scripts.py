"""run_scripts and find_lifecycles: qiankun's execScripts and exports detection, for Python."""

from __future__ import annotations

import traceback
import types
from dataclasses import dataclass
from typing import Any

import pytest

from sandbox import (
    LifecyclesNotFoundError,
    ProxySandbox,
    ScriptError,
    Window,
    find_lifecycles,
    is_valid_lifecycles,
    run_scripts,
)

LIFECYCLES = """
def bootstrap(props):
    pass

def mount(props):
    window.mounted = True

def unmount(props):
    window.mounted = False
"""


@dataclass
class Script:
    src: str | None
    content: str | None
    is_python: bool = True


@pytest.fixture
def sandbox() -> ProxySandbox:
    return ProxySandbox("app1", Window(document="the document"))


def test_each_script_has_its_own_namespace_and_shares_through_window(
    sandbox: ProxySandbox,
) -> None:
    proxy = sandbox.proxy
    run_scripts(
        [
            "private = 1\nwindow.shared = 'from #1'",
            "assert 'private' not in globals()\nwindow.seen = window.shared",
        ],
        proxy,
        app_name="app1",
    )
    assert proxy.seen == "from #1"
    assert "shared" not in sandbox.window


def test_namespace_holds_proxy_and_document(sandbox: ProxySandbox) -> None:
    proxy = sandbox.proxy
    run_scripts(
        [
            "window.checks = (window is self is global_this, document, window.document, __name__)",
        ],
        proxy,
        app_name="app1",
    )
    same, document, via_window, name = proxy.checks
    assert same and document == via_window == "the document"
    assert name == "app1:inline script #1"
    assert proxy.window is proxy


def test_exports_are_entry_public_names(sandbox: ProxySandbox) -> None:
    exports = run_scripts(
        ["x = 1", LIFECYCLES + "import json\n_private = 2\nVERSION = '1.0'\n"],
        sandbox.proxy,
        app_name="app1",
    )
    assert set(exports) == {"bootstrap", "mount", "unmount", "VERSION"}
    assert is_valid_lifecycles(exports)


def test_dunder_all_limits_exports(sandbox: ProxySandbox) -> None:
    exports = run_scripts(
        [LIFECYCLES + "helper = 1\n__all__ = ['mount', 'missing']"], sandbox.proxy, app_name="a"
    )
    assert list(exports) == ["mount"]


def test_entry_index_and_later_scripts_still_run(sandbox: ProxySandbox) -> None:
    exports = run_scripts(
        ["first = 1", "entry_name = 'entry'", "window.after = True\nlast = 3"],
        sandbox.proxy,
        app_name="app1",
        entry=1,
    )
    assert dict(exports) == {"entry_name": "entry"}
    assert sandbox.proxy.after is True
    assert run_scripts(["a = 1", "b = 2"], sandbox.proxy, app_name="x", entry=-2) == {"a": 1}
    with pytest.raises(IndexError):
        run_scripts(["a = 1"], sandbox.proxy, app_name="x", entry=3)


def test_no_scripts_exports_nothing(sandbox: ProxySandbox) -> None:
    assert dict(run_scripts([], sandbox.proxy, app_name="app1")) == {}


def test_script_objects_with_fetched_content(sandbox: ProxySandbox) -> None:
    scripts = [
        Script("http://127.0.0.1:8000/lib.py", "window.lib = 'lib'"),
        Script(None, "window.inline = 'inline'"),
        Script("http://127.0.0.1:8000/main.py", LIFECYCLES),
    ]
    exports = run_scripts(scripts, sandbox.proxy, app_name="app1")
    assert (sandbox.proxy.lib, sandbox.proxy.inline) == ("lib", "inline")
    assert set(exports) == {"bootstrap", "mount", "unmount"}


def test_error_names_app_and_script_url_with_original_traceback(sandbox: ProxySandbox) -> None:
    scripts = [
        Script("http://127.0.0.1:8000/lib.py", "ok = 1"),
        Script("http://127.0.0.1:8000/main.py", "x = 1\n\ndef f():\n    1 / 0\n\nf()\n"),
    ]
    with pytest.raises(ScriptError) as caught:
        run_scripts(scripts, sandbox.proxy, app_name="app1")
    error = caught.value
    assert error.app_name == "app1" and error.script == "http://127.0.0.1:8000/main.py"
    assert "app1" in str(error) and "http://127.0.0.1:8000/main.py" in str(error)
    assert "ZeroDivisionError" in str(error)
    assert isinstance(error.__cause__, ZeroDivisionError)
    frames = traceback.extract_tb(error.__cause__.__traceback__)
    assert [(f.filename, f.lineno) for f in frames[-2:]] == [
        ("http://127.0.0.1:8000/main.py", 6),
        ("http://127.0.0.1:8000/main.py", 4),
    ]


def test_inline_scripts_numbered_from_one(sandbox: ProxySandbox) -> None:
    with pytest.raises(ScriptError, match=r"inline script #2") as caught:
        run_scripts(["a = 1", "raise ValueError('bad app')"], sandbox.proxy, app_name="app1")
    assert caught.value.script == "inline script #2"
    assert isinstance(caught.value.__cause__, ValueError)


def test_syntax_error_is_a_script_error(sandbox: ProxySandbox) -> None:
    with pytest.raises(ScriptError, match="SyntaxError") as caught:
        run_scripts([Script("http://h/x.py", "def (:")], sandbox.proxy, app_name="app1")
    assert isinstance(caught.value.__cause__, SyntaxError)
    assert caught.value.__cause__.filename == "http://h/x.py"


def test_system_exit_does_not_escape(sandbox: ProxySandbox) -> None:
    with pytest.raises(ScriptError, match="SystemExit"):
        run_scripts(["raise SystemExit(3)"], sandbox.proxy, app_name="app1")


def test_unfetched_or_non_python_scripts_never_run(sandbox: ProxySandbox) -> None:
    with pytest.raises(ScriptError, match="not fetched"):
        run_scripts([Script("http://h/a.py", None)], sandbox.proxy, app_name="app1")
    with pytest.raises(ScriptError, match="not a Python script"):
        run_scripts(
            [Script("http://h/a.js", "window.ran = 1", is_python=False)],
            sandbox.proxy,
            app_name="app1",
        )
    assert "ran" not in sandbox.proxy
    with pytest.raises(TypeError):
        run_scripts("window.x = 1", sandbox.proxy, app_name="app1")


def test_code_compiled_once_per_filename_and_source(sandbox: ProxySandbox) -> None:

    class CountingCache(dict[tuple[str, str], types.CodeType]):
        stores = 0

        def __setitem__(self, key: tuple[str, str], value: types.CodeType) -> None:
            CountingCache.stores += 1
            super().__setitem__(key, value)

    cache = CountingCache()
    source = "window.runs = window.get('runs', 0) + 1"
    for _ in range(3):
        run_scripts([source], sandbox.proxy, app_name="app1", code_cache=cache)
    assert sandbox.proxy.runs == 3 and CountingCache.stores == 1
    assert list(cache) == [("inline script #1", source)]
    run_scripts([Script("http://h/a.py", source)], sandbox.proxy, app_name="a", code_cache=cache)
    assert CountingCache.stores == 2


def test_two_sandboxes_run_the_same_code_isolated() -> None:
    window = Window()
    cache: dict[tuple[str, str], types.CodeType] = {}
    a, b = ProxySandbox("a", window), ProxySandbox("b", window)
    source = "window.counter = window.get('counter', 0) + 1"
    run_scripts([source], a.proxy, app_name="a", code_cache=cache)
    run_scripts([source], a.proxy, app_name="a", code_cache=cache)
    run_scripts([source], b.proxy, app_name="b", code_cache=cache)
    assert (a.proxy.counter, b.proxy.counter) == (2, 1)
    assert "counter" not in window


def test_plain_window_works_as_proxy() -> None:
    window = Window(document="doc")
    exports = run_scripts([LIFECYCLES + "window.d = document"], window, app_name="app1")
    assert window.d == "doc" and is_valid_lifecycles(exports)


# -- find_lifecycles -----------------------------------------------------------------------


def _noop(props: Any) -> None:
    return None


def test_lifecycles_from_exports(sandbox: ProxySandbox) -> None:
    exports = run_scripts(
        [LIFECYCLES + "timeouts = {'mount': {'millis': 20}}"], sandbox.proxy, app_name="app1"
    )
    found = find_lifecycles(exports, sandbox.proxy, app_name="app1")
    assert set(found) == {"bootstrap", "mount", "unmount", "timeouts"}
    found["mount"]({})
    assert sandbox.proxy.mounted is True


def test_lifecycles_from_latest_set_prop(sandbox: ProxySandbox) -> None:
    exports = run_scripts(
        [
            "class _App:\n    bootstrap = mount = unmount = staticmethod(lambda props: None)\n"
            "window.purehtml_lib = _App()"
        ],
        sandbox.proxy,
        app_name="app1",
    )
    assert sandbox.latest_set_prop == "purehtml_lib"
    found = find_lifecycles(exports, sandbox.proxy, app_name="app1")
    assert set(found) == {"bootstrap", "mount", "unmount"}
    assert "purehtml_lib" not in sandbox.window


def test_lifecycles_from_app_name(sandbox: ProxySandbox) -> None:
    sandbox.proxy.app1 = {
        "bootstrap": _noop,
        "mount": [_noop, _noop],
        "unmount": _noop,
        "update": _noop,
    }
    sandbox.proxy.last_thing = True
    found = find_lifecycles({}, sandbox.proxy, app_name="app1")
    assert found["mount"] == [_noop, _noop] and found["update"] is _noop


def test_lifecycles_not_found_message(sandbox: ProxySandbox) -> None:
    sandbox.proxy.app1 = {"bootstrap": _noop, "mount": "not callable", "unmount": _noop}
    with pytest.raises(LifecyclesNotFoundError) as caught:
        find_lifecycles({"mount": _noop}, sandbox.proxy, app_name="app1")
    assert str(caught.value) == "[qiankun] You need to export lifecycle functions in app1 entry"
    assert caught.value.app_name == "app1"


def test_validate_export_lifecycle() -> None:
    assert is_valid_lifecycles({"bootstrap": _noop, "mount": _noop, "unmount": _noop})
    assert not is_valid_lifecycles({"bootstrap": _noop, "mount": _noop})
    assert not is_valid_lifecycles({"bootstrap": _noop, "mount": 1, "unmount": _noop})
    assert not is_valid_lifecycles({"bootstrap": [_noop, 1], "mount": _noop, "unmount": _noop})
    assert not is_valid_lifecycles(None)


def test_inline_scripts_indented_like_the_html_around_them_run() -> None:
    from sandbox import ProxySandbox, Window, run_scripts

    sandbox = ProxySandbox("indented", Window())
    source = "\n        x = 1\n\n        def mount(props):\n            return x\n    "
    exports = run_scripts([source], sandbox.proxy, app_name="indented")
    assert exports["mount"](None) == 1


def test_script_error_is_exported_and_names_app_and_script(sandbox: ProxySandbox) -> None:
    import pickle

    import sandbox as sandbox_package

    assert "ScriptError" in sandbox_package.__all__
    assert issubclass(sandbox_package.ScriptError, sandbox_package.SandboxError)
    scripts = [
        Script(None, "ok = 1"),
        Script("http://127.0.0.1:8000/app.py", "raise KeyError('k')"),
    ]
    with pytest.raises(sandbox_package.ScriptError) as caught:
        run_scripts(scripts, sandbox.proxy, app_name="shop")
    error = caught.value
    assert (error.app_name, error.script) == ("shop", "http://127.0.0.1:8000/app.py")
    assert str(error) == (
        "application 'shop': error in script http://127.0.0.1:8000/app.py: KeyError: 'k'"
    )
    clone = pickle.loads(pickle.dumps(error))
    assert (clone.app_name, clone.script, clone.reason, str(clone)) == (
        "shop",
        "http://127.0.0.1:8000/app.py",
        "KeyError: 'k'",
        str(error),
    )


def test_inline_script_number_counts_inline_and_src_scripts_alike(sandbox: ProxySandbox) -> None:
    """``#n`` is the script's place among all the app's scripts, as the page lists them."""
    scripts = [Script("http://h/a.py", "a = 1"), Script(None, "b = 1"), Script(None, "1/0")]
    with pytest.raises(ScriptError, match=r"'app1': error in script inline script #3") as caught:
        run_scripts(scripts, sandbox.proxy, app_name="app1")
    assert caught.value.script == "inline script #3"


def test_lifecycles_not_found_error_survives_pickling() -> None:
    import pickle

    from sandbox import LifecyclesNotFoundError

    error = pickle.loads(pickle.dumps(LifecyclesNotFoundError("shop")))
    assert error.app_name == "shop" and "shop entry" in str(error)
