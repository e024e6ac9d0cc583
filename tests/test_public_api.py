"""The exported surface is a contract (DESIGN.md): guard it, as httpx guards its own."""

import inspect

import css_scoper
import orchestrator
import sandbox
from orchestrator import AppStatus, Orchestrator


def test_every_exported_name_exists() -> None:
    for package in (orchestrator, sandbox, css_scoper):
        missing = [name for name in package.__all__ if not hasattr(package, name)]
        assert missing == [], f"{package.__name__} exports missing names: {missing}"


def test_error_tree() -> None:
    for error in (
        orchestrator.EntryLoadError,
        orchestrator.LifecycleError,
        orchestrator.ContainerNotFoundError,
        orchestrator.ConfigError,
        orchestrator.InvalidExportsError,
        orchestrator.LifecycleTimeoutError,
        orchestrator.ParcelStateError,
    ):
        assert issubclass(error, orchestrator.OrchestratorError)
    for error in (orchestrator.IntegrityError, orchestrator.UntrustedOriginError):
        assert issubclass(error, orchestrator.EntryLoadError)
    err = orchestrator.LifecycleError("app1", "MOUNTING", "boom")
    assert str(err) == "application 'app1' died in status MOUNTING: boom"
    assert (err.app_name, err.status) == ("app1", "MOUNTING")
    load = orchestrator.EntryLoadError("http://a.test/", "HTTP status 404")
    assert (load.url, load.reason) == ("http://a.test/", "HTTP status 404")


def test_design_md_api_of_the_orchestrator() -> None:
    single_spa = [
        "register_application",
        "unregister_application",
        "start",
        "navigate",
        "trigger_app_change",
        "get_app_names",
        "get_mounted_apps",
        "get_app_status",
        "check_activity_functions",
        "unload_application",
        "add_error_handler",
        "remove_error_handler",
        "mount_root_parcel",
    ]
    qiankun = [
        "register_micro_apps",
        "load_micro_app",
        "init_global_state",
        "prefetch_apps",
        "set_default_mount_app",
        "run_after_first_mounted",
        "add_global_uncaught_error_handler",
    ]
    for name in single_spa + qiankun:
        assert callable(getattr(Orchestrator, name)), name
    parameters = inspect.signature(Orchestrator).parameters
    assert list(parameters) == [
        "shell",
        "url",
        "loader",
        "timeouts",
        "client",
        "trusted_origins",
    ]
    assert parameters["url"].default == "http://localhost/"


def test_statuses_are_single_spa_strings() -> None:
    names = [
        "NOT_LOADED",
        "LOADING_SOURCE_CODE",
        "NOT_BOOTSTRAPPED",
        "BOOTSTRAPPING",
        "NOT_MOUNTED",
        "MOUNTING",
        "MOUNTED",
        "UPDATING",
        "UNMOUNTING",
        "UNLOADING",
        "LOAD_ERROR",
        "SKIP_BECAUSE_BROKEN",
    ]
    assert [status.value for status in AppStatus] == names
    assert all(AppStatus[name] == name for name in names)


def test_sandbox_and_scoper_surface() -> None:
    for name in ("Window", "ProxySandbox", "LegacySandbox", "SnapshotSandbox", "run_scripts"):
        assert name in sandbox.__all__
    assert css_scoper.app_prefix("app") == 'div[data-qiankun="app"]'
    assert css_scoper.scope_css(".a{}", "P") == "P .a{}"
    assert orchestrator.path_to_active_when("/app")("http://localhost/app/x")
