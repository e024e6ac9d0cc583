"""The exported surface is a contract (DESIGN.md): guard it, as httpx guards its own."""

import importlib
import inspect
import typing

import pytest

import css_scoper
import orchestrator
import orchestrator.micro_apps
import orchestrator.micro_apps._orchestrator
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
        "federation",  # DESIGN.md §7
        "document",  # a nested tab's page (DESIGN.md §10)
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


# Each package's exported names, exactly: adding one is a decision, and removing one breaks users.
SURFACES = {
    "orchestrator": {
        "AppNotFoundError", "AppStatus", "ConfigError", "ContainerNotFoundError", "Document",
        "EntryLoadError", "EntryLoader", "EntrySyntaxError", "Event", "GlobalState",
        "GlobalStateActions", "History", "ImportedEntry", "IntegrityError", "InvalidExportsError",
        "Layer", "LifecycleError", "LifecycleTimeoutError", "LifecyclesNotFoundError", "Location",
        "MicroApp", "NavigationResult", "Orchestrator", "OrchestratorError", "Parcel",
        "ParcelLifecycleError", "ParcelStateError", "RoutingEventDetail", "SandboxError",
        "Script", "ScriptError", "Style", "Tab", "UntrustedOriginError", "Window",
        "__version__", "import_entry", "path_to_active_when",
    },
    "orchestrator.html_entry": {
        "OFF_LOOP_BYTES", "AssetKind", "Entry", "EntryLoadError", "EntryLoader",
        "EntrySyntaxError", "GetPublicPath", "GetTemplate", "ImportedEntry", "IntegrityError",
        "OriginRules", "Script", "Style", "UntrustedOriginError", "default_public_path",
        "import_entry",
    },
    "orchestrator.micro_apps": {
        "DEFAULT_CONFIGURATION", "Configuration", "HOOK_NAMES", "LifecycleHooks", "MicroApp",
        "MicroAppConfig", "MicroAppRegistration", "MicroApps", "Orchestrator", "SandboxOptions",
        "snake_case", "wrapper_id",
    },
    "orchestrator.asgi": {
        "ComposeApp", "ComposedDocument", "MemorySessionStore", "OrchestratorFactory",
        "RedisSessionStore", "SessionOrchestrator", "SessionStateTooLargeError", "SessionStore",
        "SessionStoreError", "start_orchestrator",
    },
    "orchestrator.cli": {"format_inspection", "inspect_entry", "main"},
    "orchestrator.dev": {
        "APIKind", "Ack", "ActionKind", "Broker", "BrokerClient", "BrokerEvent", "BrokerHandle",
        "BrokerMessageError", "BrokerPortInUseError", "BrokerStartError", "BrokerState",
        "BrokerUnavailableError", "DEFAULT_HOST", "DEFAULT_PORT", "DevBrokerError", "ErrorCode",
        "EventKind", "LogKind", "Publisher", "Subscriber", "Update", "UpdateKind", "UpdateMode",
        "WebClient", "ensure_running", "probe", "should_deliver",
        "DevOptions", "DevServer", "run_dev", "INSPECTOR_PATH", "DevApp", "Inspector",
        "InspectorStatus", "TracingLoader", "AppWatcher", "DevServerError",
        "ShellPortInUseError", "TYPES_DIR", "TypesError", "TypesPull", "TypesPuller",
        "TypesResult", "inspected_app",
    },
    "orchestrator.garfish": {
        "ALWAYS_INSULATED", "APP_HOOKS", "AppInfo", "Channel", "DomGetterError",
        "GLOBAL_HOOKS", "Garfish", "GarfishApp", "GarfishError", "GarfishExports",
        "GarfishSandbox", "HOOK_NAMES", "HookKind", "Plugin", "ProviderError", "app_root_path",
        "get_path", "has_active",
    },
    "orchestrator.federation": {
        "Federation", "FederationError", "FederationHooks", "Fetch", "LoaderKind", "Remote",
        "RemoteContext", "RemoteManifest", "RemoteVersion", "RuntimeCode", "ShareScope",
        "ShareStrategy", "Shared", "SharedEntry", "TrustedOrigins", "ZipLimits", "choose_loader",
        "semver",
    },
    "sandbox": {
        "CodeCache", "DEFAULT_GLOBAL_WHITELIST", "Event", "LegacySandbox",
        "LifecyclesNotFoundError", "ProxySandbox", "Sandbox", "SandboxError", "SandboxProxy",
        "SandboxType", "SandboxWarning", "ScriptError", "ScriptLike", "SnapshotSandbox", "Window",
        "WindowLike",
        "find_lifecycles", "is_valid_lifecycles", "run_scripts", "sandbox_of",
    },
    "css_scoper": {
        "CacheInfo", "GROUPING_AT_RULES", "ImportRule", "ScopedCSSCache", "app_prefix",
        "escape_for_style_element", "main", "rewrite_urls", "scope_css", "scope_css_command",
        "split_imports", "wrap_imported",
    },
}  # fmt: skip


@pytest.mark.parametrize("package", sorted(SURFACES))
def test_exported_surface_is_exactly_the_pinned_one(package: str) -> None:
    module = importlib.import_module(package)
    assert set(module.__all__) == SURFACES[package]
    assert len(module.__all__) == len(set(module.__all__)), "a name is exported twice"
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


def test_the_door_names_its_own_module() -> None:
    """Reprs, docs and tracebacks show the public path, not where a class happens to live."""
    assert Orchestrator.__module__ == "orchestrator"
    assert repr(Orchestrator) == "<class 'orchestrator.Orchestrator'>"
    for name in orchestrator.__all__:
        value = getattr(orchestrator, name)
        module = getattr(value, "__module__", None)
        if isinstance(module, str) and module.startswith("orchestrator"):
            assert module == "orchestrator", name


def test_qiankun_methods_are_typed_without_any() -> None:
    hints = typing.get_type_hints(
        orchestrator.micro_apps.Orchestrator.load_micro_app,
        vars(orchestrator.micro_apps._orchestrator),
    )
    assert hints["return"] is orchestrator.MicroApp
    assert hints["app"] is orchestrator.micro_apps.MicroAppRegistration
    for name in ("register_micro_apps", "load_micro_app", "set_default_mount_app"):
        source = inspect.signature(getattr(Orchestrator, name))
        assert "Any" not in str(source.return_annotation), name


def test_errors_name_app_phase_and_url() -> None:
    died = orchestrator.LifecycleError("shop", "MOUNTING", "boom")
    assert (died.app_name, died.phase, died.url) == ("shop", "mount", None)
    load = orchestrator.EntryLoadError("http://a.test/", "HTTP status 404", app_name="shop")
    assert (load.app_name, load.phase, load.url) == ("shop", "load", "http://a.test/")
    missing = orchestrator.ContainerNotFoundError("no #main", app_name="shop")
    assert (missing.app_name, missing.phase) == ("shop", "mount")
    config = orchestrator.ConfigError("demo.toml", "entry", "missing", app="shop")
    assert (config.app_name, config.phase) == ("shop", "config")
    script = orchestrator.ScriptError("shop", "http://a.test/main.py", "NameError: x")
    assert (script.app_name, script.script) == ("shop", "http://a.test/main.py")
