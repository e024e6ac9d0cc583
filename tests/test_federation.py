"""Federation without a network: an injected fetch serves built remotes from memory."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
import zipfile
from typing import Any

import pytest

from orchestrator.errors import OrchestratorError
from orchestrator.federation import (
    Federation,
    FederationError,
    Remote,
    RuntimeCode,
    Shared,
    ZipLimits,
)
from orchestrator.federation._archive import check_integrity, read_zip
from orchestrator.federation._build import RemoteBuild, SharedSpec, build_remote, sri
from orchestrator.federation._fetch import TrustedOrigins
from orchestrator.federation._hooks import AsyncHook, AsyncWaterfallHook, SyncWaterfallHook
from orchestrator.federation._manifest import module_name, parse_manifest
from orchestrator.federation._namespace import RemoteNamespace

BASE = "http://127.0.0.1:9/"

COUNTER = """
from . import helpers
VERSION = helpers.VERSION
def render(count):
    return f"<button>{count} (v{VERSION})</button>"
"""


def counter_build(version: str = "1.0.0", **extra: str) -> RemoteBuild:
    return build_remote(
        "app1",
        version,
        {"counter.py": COUNTER, "helpers.py": f"VERSION = {version!r}\n", **extra},
        exposes={"./Counter": "counter.py"},
    )


class MemoryFetch:
    """An injected ``Fetch``: URL → body, counting requests; ``redirects`` maps URL → URL."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}
        self.requests: list[str] = []

    def publish(self, name: str, build: RemoteBuild) -> str:
        url = f"{BASE}{name}/mf-manifest.json"
        self.bodies[url] = build.manifest_bytes
        self.bodies[f"{BASE}{name}/{build.entry_name}"] = build.zip_bytes
        return url

    async def __call__(self, url: str) -> tuple[str, bytes]:
        self.requests.append(url)
        final = self.redirects.get(url, url)
        if final not in self.bodies:
            raise FederationError(f"GET {final} answered HTTP 404", url=final)
        return final, self.bodies[final]


def host(fetch: MemoryFetch, **kwargs: Any) -> Federation:
    remotes = kwargs.pop("remotes", [{"name": "app1", "entry": f"{BASE}app1/mf-manifest.json"}])
    return Federation("host", remotes=remotes, loader=fetch, **kwargs)


def ns_names(prefix: str = "_mf_") -> list[str]:
    return [name for name in sys.modules if name.startswith(prefix)]


# --- load_remote ------------------------------------------------------------------------------


async def test_load_remote_imports_the_expose_in_its_own_namespace() -> None:
    fetch = MemoryFetch()
    fetch.publish("app1", counter_build())
    fed = host(fetch)
    counter = await fed.load_remote("app1/Counter")
    assert counter.render(3) == "<button>3 (v1.0.0)</button>"
    assert "counter" not in sys.modules and "helpers" not in sys.modules
    assert counter.__name__.startswith("_mf_app1_1_0_0_") and counter.__name__.endswith(".counter")
    assert counter.__federation__.remote == "app1"
    assert await fed.load_remote("app1/Counter") is counter  # warm
    assert fetch.requests.count(f"{BASE}app1/mf-manifest.json") == 1
    await fed.aclose()
    assert counter.__name__ not in sys.modules


async def test_two_versions_side_by_side() -> None:
    fetch = MemoryFetch()
    fetch.publish("app1", counter_build("1.0.0"))
    fed = host(fetch)
    async with fed.hold("app1/Counter") as v1:
        fetch.publish("app1", counter_build("2.0.0"))
        assert await fed.refresh() == ["app1"]
        v2 = await fed.load_remote("app1/Counter")
        assert (v1.VERSION, v2.VERSION) == ("1.0.0", "2.0.0")
        assert v1.__name__ in sys.modules and v2.__name__ in sys.modules
        assert len(fed.loaded_versions("app1")) == 2
    assert v1.__name__ not in sys.modules
    assert v2.__name__ in sys.modules
    assert v1.render(1).endswith("(v1.0.0)</button>")  # a held object still works
    await fed.aclose()


async def test_refresh_without_a_change_swaps_nothing() -> None:
    fetch = MemoryFetch()
    fetch.publish("app1", counter_build())
    fed = host(fetch)
    first = await fed.load_remote("app1/Counter")
    assert await fed.refresh("app1") == []
    assert await fed.load_remote("app1/Counter") is first
    await fed.aclose()


async def test_concurrent_loads_fetch_once() -> None:
    fetch = MemoryFetch()
    fetch.publish("app1", counter_build())
    fed = host(fetch)
    modules = await asyncio.gather(*(fed.load_remote("app1/Counter") for _ in range(5)))
    assert all(m is modules[0] for m in modules)
    assert len(fetch.requests) == 2  # one manifest, one zip
    await fed.aclose()


async def test_matching_by_name_and_alias_as_mf() -> None:
    fetch = MemoryFetch()
    fetch.publish("app1", counter_build())
    remotes = [Remote("@org/app1", f"{BASE}app1/mf-manifest.json", alias="a1")]
    fed = host(fetch, remotes=remotes)
    by_alias = await fed.load_remote("a1/Counter")
    assert await fed.load_remote("@org/app1/Counter") is by_alias
    with pytest.raises(FederationError) as info:
        await fed.load_remote("a1x/Counter")
    assert info.value.code is RuntimeCode.RUNTIME_004
    assert "#RUNTIME-004" in str(info.value)
    await fed.aclose()


async def test_unknown_expose_names_remote_expose_and_url() -> None:
    fetch = MemoryFetch()
    url = fetch.publish("app1", counter_build())
    fed = host(fetch)
    with pytest.raises(FederationError) as info:
        await fed.load_remote("app1/Missing")
    error = info.value
    assert isinstance(error, OrchestratorError)
    assert error.code is RuntimeCode.RUNTIME_014
    assert (error.remote, error.expose, error.url) == ("app1", "./Missing", url)
    assert "The remote does not expose the requested module. #RUNTIME-014" in str(error)
    assert "'./Missing'" in str(error) and url in str(error)
    await fed.aclose()


async def test_a_manifest_not_in_mf_shape() -> None:
    fetch = MemoryFetch()
    url = f"{BASE}app1/mf-manifest.json"
    fetch.bodies[url] = json.dumps({"name": "app1", "metaData": {}}).encode()
    fed = host(fetch)
    with pytest.raises(FederationError) as info:
        await fed.load_remote("app1/Counter")
    assert info.value.code is RuntimeCode.RUNTIME_013
    assert (info.value.remote, info.value.url) == ("app1", url)
    assert ns_names("_mf_app1") == []


async def test_wrong_integrity_runs_nothing(tmp_path: Any) -> None:
    marker = tmp_path / "ran"
    build = counter_build(**{"__init__.py": f"open({str(marker)!r}, 'w').close()\n"})
    build.manifest["metaData"]["remoteEntry"]["integrity"] = sri(b"something else")
    fetch = MemoryFetch()
    fetch.publish("app1", build)
    fed = host(fetch)
    before = set(sys.modules)
    with pytest.raises(FederationError, match="does not match its integrity") as info:
        await fed.load_remote("app1/Counter")
    assert info.value.remote == "app1" and info.value.url.endswith(build.entry_name)
    assert info.value.expose == "./Counter"
    assert not marker.exists()
    assert set(sys.modules) == before


async def test_a_zip_with_dot_dot_names_runs_nothing() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("counter.py", COUNTER)
        archive.writestr("../evil.py", "raise SystemExit")
    build = counter_build()
    body = buffer.getvalue()
    build.manifest["metaData"]["remoteEntry"]["integrity"] = sri(body)
    fetch = MemoryFetch()
    fetch.publish("app1", build)
    fetch.bodies[f"{BASE}app1/{build.entry_name}"] = body
    fed = host(fetch)
    with pytest.raises(FederationError, match="not a plain relative path") as info:
        await fed.load_remote("app1/Counter")
    assert info.value.remote == "app1" and info.value.expose == "./Counter"
    assert ns_names("_mf_app1") == []


async def test_an_untrusted_final_url_is_refused() -> None:
    fetch = MemoryFetch()
    fetch.publish("app1", counter_build())
    fetch.redirects[f"{BASE}app1/mf-manifest.json"] = "https://evil.example/mf-manifest.json"
    fetch.bodies["https://evil.example/mf-manifest.json"] = b"{}"
    fed = host(fetch)
    with pytest.raises(FederationError, match="not from a trusted origin") as info:
        await fed.load_remote("app1/Counter")
    assert info.value.url == "https://evil.example/mf-manifest.json"
    assert info.value.remote == "app1"


async def test_an_error_in_remote_code_is_a_federation_error() -> None:
    fetch = MemoryFetch()
    fetch.publish("app1", counter_build(**{"counter.py": "raise ValueError('broken')\n"}))
    fed = host(fetch)
    with pytest.raises(FederationError) as info:
        await fed.load_remote("app1/Counter")
    assert info.value.code is RuntimeCode.RUNTIME_001
    assert "broken" in str(info.value) and info.value.expose == "./Counter"
    await fed.aclose()


# --- hooks ------------------------------------------------------------------------------------


async def test_hooks_run_in_mf_order() -> None:
    fetch = MemoryFetch()
    fetch.publish("app1", counter_build())
    fed = host(fetch)
    calls: list[str] = []
    for name in ("before_request", "after_match_remote", "after_resolve", "fetch",
                 "load_entry", "on_load", "after_load_remote"):  # fmt: skip
        getattr(fed.hooks, name).add(lambda args, name=name: calls.append(name))
    await fed.load_remote("app1/Counter")
    assert calls == [
        "before_request", "after_match_remote", "after_resolve", "fetch", "load_entry",
        "fetch", "on_load", "after_load_remote",
    ]  # fmt: skip
    await fed.aclose()


async def test_before_request_rewrites_and_on_load_wraps() -> None:
    fetch = MemoryFetch()
    fetch.publish("app1", counter_build())
    fed = host(fetch)
    fed.hooks.before_request.add(lambda args: {**args, "id": args["id"].replace("v1:", "app1/")})

    async def wrap(args: dict[str, Any]) -> Any:
        return lambda: args["expose_module"].render(0)

    fed.hooks.on_load.add(wrap)
    render = await fed.load_remote("v1:Counter")
    assert render() == "<button>0 (v1.0.0)</button>"
    await fed.aclose()


async def test_error_load_remote_recovers_and_after_load_remote_sees_it() -> None:
    fed = host(MemoryFetch())
    seen: list[dict[str, Any]] = []
    fed.hooks.error_load_remote.add(
        lambda args: "fallback" if args["lifecycle"] == "on_load" else None
    )
    fed.hooks.after_load_remote.add(seen.append)
    assert await fed.load_remote("app1/Counter") == "fallback"
    assert seen[0]["recovered"] is True and isinstance(seen[0]["error"], FederationError)


def test_hook_kinds() -> None:
    waterfall = SyncWaterfallHook("beforeRegisterRemote")
    waterfall.add(lambda data: None)
    waterfall.add(lambda data: {**data, "b": 2})
    assert waterfall.emit({"a": 1}) == {"a": 1, "b": 2}
    waterfall.add(lambda data: {"b": 3})
    with pytest.raises(TypeError, match='unacceptable value for the "beforeRegisterRemote"'):
        waterfall.emit({"a": 1})


async def test_async_hook_kinds() -> None:
    hook = AsyncHook("onLoad")
    arg = object()
    hook.add(lambda x: x)  # the unchanged argument is ignored
    hook.add(lambda x: 1)
    hook.add(lambda x: None)
    assert await hook.emit(arg) == 1
    stop = AsyncHook("x")
    stop.add(lambda: False)
    stop.add(lambda: pytest.fail("after False"))
    assert await stop.emit() is False

    waterfall = AsyncWaterfallHook("beforeRequest")

    async def rewrite(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "id": "x"}

    waterfall.add(rewrite)
    waterfall.add(rewrite)  # deduplicated
    assert len(waterfall) == 1
    assert await waterfall.emit({"id": "a"}) == {"id": "x"}


# --- register_remotes -------------------------------------------------------------------------


def test_register_remotes_duplicates_force_and_alias(caplog: pytest.LogCaptureFixture) -> None:
    fed = Federation(
        "host", remotes=[{"name": "app1", "entry": f"{BASE}a.json"}], loader=MemoryFetch()
    )
    fed.register_remotes([{"name": "app1", "entry": f"{BASE}b.json"}])
    assert fed.remotes[0].entry == f"{BASE}a.json"  # ignored silently
    with caplog.at_level(logging.WARNING, "orchestrator.federation"):
        fed.register_remotes([{"name": "app1", "entry": f"{BASE}b.json"}], force=True)
    assert fed.remotes[0].entry == f"{BASE}b.json"
    assert caplog.messages == [
        'The remote "app1" is already registered. Please note that overriding it may cause '
        "unexpected errors."
    ]
    with pytest.raises(FederationError) as info:
        fed.register_remotes([{"name": "other", "entry": f"{BASE}c.json", "alias": "app"}])
    assert str(info.value) == (
        "The alias app of remote other is not allowed to be the prefix of app1 name or alias"
    )
    with pytest.raises(FederationError, match="not an absolute http"):
        fed.register_remotes([{"name": "rel", "entry": "./mf-manifest.json"}])


def test_register_hooks_may_rewrite_the_remote() -> None:
    fed = Federation("host", loader=MemoryFetch())
    seen: list[str] = []
    fed.hooks.before_register_remote.add(
        lambda args: {**args, "remote": Remote(args["remote"].name, f"{BASE}moved.json")}
    )
    fed.hooks.register_remote.add(lambda args: seen.append(args["remote"].entry))
    fed.register_remotes([{"name": "app1", "entry": f"{BASE}x.json"}])
    assert seen == [f"{BASE}moved.json"]


# --- load_share -------------------------------------------------------------------------------

PRICING = "VERSION = {v!r}\ndef price(cents):\n    return f'${{cents / 100:.2f}}'\n"


def widgets_build(version: str) -> RemoteBuild:
    return build_remote(
        "widgets",
        "1.0.0",
        {
            "pricing.py": PRICING.format(v=version),
            "badge.py": "async def render(cents):\n"
            "    pricing = await __federation__.load_share('pricing', singleton=True)\n"
            "    return pricing\n",
        },
        exposes={"./Badge": "badge.py"},
        shared=[SharedSpec("pricing", version, "pricing.py", singleton=True)],
    )


async def test_version_first_offers_remote_copies_before_choosing() -> None:
    fetch = MemoryFetch()
    fetch.publish("widgets", widgets_build("1.2.0"))
    own = type(sys)("own_pricing")
    fed = host(
        fetch,
        remotes=[{"name": "widgets", "entry": f"{BASE}widgets/mf-manifest.json"}],
        shared={"pricing": Shared(version="1.0.0", import_=lambda: own, singleton=True)},
    )
    pricing = await fed.load_share("pricing")
    assert pricing.VERSION == "1.2.0"
    badge = await fed.load_remote("widgets/Badge")
    assert await badge.render(100) is pricing  # the remote gets the same singleton
    assert list(fed.share_scopes["default"].versions("pricing")) == ["1.0.0", "1.2.0"]
    await fed.aclose()


async def test_loaded_first_uses_what_is_there() -> None:
    fetch = MemoryFetch()
    fetch.publish("widgets", widgets_build("1.2.0"))
    own = type(sys)("own_pricing")
    fed = host(
        fetch,
        remotes=[{"name": "widgets", "entry": f"{BASE}widgets/mf-manifest.json"}],
        shared={"pricing": Shared(version="1.0.0", import_=lambda: own, singleton=True)},
        share_strategy="loaded-first",
    )
    assert await fed.load_share("pricing") is own
    assert fetch.requests == []  # nothing fetched at init
    badge = await fed.load_remote("widgets/Badge")
    assert await badge.render(1) is own  # the loaded singleton wins over 1.2.0
    await fed.aclose()


async def test_an_offline_remote_is_skipped_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fed = host(
        MemoryFetch(),
        remotes=[{"name": "gone", "entry": f"{BASE}gone/mf-manifest.json"}],
        shared={"pricing": Shared(version="1.0.0", import_=lambda: "own")},
    )
    with caplog.at_level(logging.WARNING, "orchestrator.federation"):
        assert await fed.load_share("pricing") == "own"
    assert len(caplog.messages) == 1
    assert caplog.messages[0].startswith("Initialization of sharing external failed:")


async def test_load_share_hooks_and_options() -> None:
    fed = Federation(
        "host",
        loader=MemoryFetch(),
        shared={"lib": {"version": "2.0.0", "import": lambda: "lib2"}},
    )
    order: list[str] = []
    fed.hooks.before_load_share.add(lambda args: order.append("before_load_share"))
    fed.hooks.load_share.add(lambda *args: order.append("load_share"))
    fed.hooks.resolve_share.add(lambda args: order.append("resolve_share"))
    fed.hooks.after_load_share.add(lambda args: order.append("after_load_share"))
    fed.hooks.error_load_share.add(lambda args: order.append("error_load_share"))
    assert await fed.load_share("lib") == "lib2"
    assert order == ["before_load_share", "load_share", "resolve_share", "after_load_share"]
    # the config's own copy is the fallback of a strict consumer
    assert await fed.load_share("lib", required_version="^3") == "lib2"
    with pytest.raises(FederationError, match="No satisfying version"):
        await fed.load_share("lib", required_version="^3", fallback=False, strict_version=True)
    assert order[-1] == "error_load_share"
    # without a fallback webpack's default is not strict: a warning and the highest copy
    assert await fed.load_share("lib", required_version="^3", fallback=False) == "lib2"
    with pytest.raises(FederationError, match="doesn't exist in shared scope default"):
        await fed.load_share("unknown")
    with pytest.raises(FederationError, match="unknown options"):
        await fed.load_share("lib", colour="red")
    assert set(fed.share_scopes) == {"default"}


async def test_shared_defaults_import_the_installed_module() -> None:
    fed = Federation("host", loader=MemoryFetch(), shared={"httpx": Shared(singleton=True)})
    import httpx

    entry = fed.share_scopes["default"].versions("httpx")
    assert list(entry) == [httpx.__version__]
    assert await fed.load_share("httpx") is httpx


# --- pieces: manifest, archive, namespace, trust --------------------------------------------


def test_manifest_urls_and_modules() -> None:
    build = counter_build()
    build.manifest["exposes"].append(
        {"id": "app1:pkg", "name": "pkg", "path": "./pkg",
         "assets": {"js": {"sync": ["pkg/__init__.py"], "async": []}}}
    )  # fmt: skip
    manifest = parse_manifest(build.manifest_bytes, remote="app1", url=f"{BASE}app1/mf.json")
    assert manifest.entry_url == f"{BASE}app1/{build.entry_name}"
    assert manifest.expose("./Counter") is not None and manifest.expose("Counter") is not None
    assert [e.module for e in manifest.exposes] == ["counter", "pkg"]
    assert module_name("a/b.py") == "a.b" and module_name("a/b.txt") is None


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda m: m.pop("id"), "id"),
        (lambda m: m["metaData"].pop("remoteEntry"), "metaData.remoteEntry"),
        (lambda m: m["metaData"]["remoteEntry"].pop("integrity"), "integrity"),
        (lambda m: m["metaData"]["remoteEntry"].update(type="global"), "not a Python zip"),
        (lambda m: m["exposes"][0].update(path="Counter"), "does not start with"),
        (lambda m: m["exposes"][0]["assets"]["js"].update(sync=["x.js"]), "names no .py"),
        (lambda m: m["metaData"].pop("publicPath"), "publicPath"),
    ],
)
def test_manifest_validation(mutate: Any, where: str) -> None:
    build = counter_build()
    mutate(build.manifest)
    with pytest.raises(FederationError) as info:
        parse_manifest(build.manifest_bytes, remote="app1", url=f"{BASE}m.json")
    assert where in str(info.value)
    assert info.value.code is RuntimeCode.RUNTIME_013 and info.value.url == f"{BASE}m.json"


def test_manifest_not_json() -> None:
    with pytest.raises(FederationError, match="not JSON"):
        parse_manifest(b"<html>", remote="app1", url=BASE)


def test_integrity_rules() -> None:
    body = b"zip bytes"
    check_integrity(body, sri(body, "sha256"), remote="r", url=BASE)
    check_integrity(body, f"{sri(b'x', 'sha256')} {sri(body, 'sha512')}", remote="r", url=BASE)
    with pytest.raises(FederationError, match="does not match"):
        # only the strongest algorithm counts
        check_integrity(body, f"{sri(body, 'sha256')} {sri(b'x', 'sha512')}", remote="r", url=BASE)
    with pytest.raises(FederationError, match="names no sha256"):
        check_integrity(body, "md5-abc", remote="r", url=BASE)


def _zip(entries: dict[str, bytes], *, symlink: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = 0o120777 << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("body", "limits", "message"),
    [
        (_zip({"/abs.py": b""}), ZipLimits(), "plain relative path"),
        (_zip({"a/../../b.py": b""}), ZipLimits(), "plain relative path"),
        (_zip({"C:/x.py": b""}), ZipLimits(), "plain relative path"),
        (_zip({"a\\b.py": b""}), ZipLimits(), "backslash"),
        (_zip({"ok.py": b""}, symlink="link.py"), ZipLimits(), "symbolic link"),
        (_zip({"bomb.py": b"0" * 2_000_000}), ZipLimits(), "zip bomb"),
        (_zip({f"m{i}.py": b"" for i in range(11)}), ZipLimits(max_files=10), "entries"),
        (_zip({"big.py": bytes(range(256)) * 100}), ZipLimits(max_file_bytes=1000), "size cap"),
        (_zip({"a.py": b"1" * 10, "b.py": b"2" * 10}), ZipLimits(max_zip_bytes=50), "over the cap"),
        (b"not a zip", ZipLimits(), "not a zip"),
    ],
)
def test_zip_bounds(body: bytes, limits: ZipLimits, message: str) -> None:
    with pytest.raises(FederationError, match=message) as info:
        read_zip(body, remote="app1", url=f"{BASE}e.zip", limits=limits)
    assert info.value.remote == "app1" and info.value.url == f"{BASE}e.zip"


def test_a_good_zip_reads_back() -> None:
    files = read_zip(counter_build().zip_bytes, remote="app1", url=BASE)
    assert set(files) == {"counter.py", "helpers.py"}


def test_namespace_release_leaves_nothing() -> None:
    ns = RemoteNamespace({"m.py": b"X = 1\n", "pkg/__init__.py": b"from .. import m\nY = m.X\n"},
                         remote="r", version="1", url=BASE)  # fmt: skip
    ns.install()
    assert ns.import_module("pkg").Y == 1
    assert sorted(ns.module_names()) == [ns.package, ns.prefix + "m", ns.prefix + "pkg"]
    finders = len(sys.meta_path)
    ns.release()
    assert ns.module_names() == [] and len(sys.meta_path) == finders - 1
    with pytest.raises(FederationError, match="was released"):
        ns.import_module("m")


def test_trusted_origins() -> None:
    loopback = TrustedOrigins()
    assert "http://127.0.0.1:8000/x" in loopback and "http://localhost/x" in loopback
    assert "http://[::1]:1/x" in loopback and "https://example.com/" not in loopback
    assert "file:///etc/passwd" not in loopback
    exact = TrustedOrigins(["https://apps.example.com"])
    assert "https://apps.example.com/a" in exact and "https://apps.example.com:443/" in exact
    assert "http://apps.example.com/a" not in exact and "http://127.0.0.1/" not in exact
    assert "https://anything/" in TrustedOrigins(["*"])


async def test_load_share_remembers_until_a_hook_listens() -> None:
    made: list[int] = []

    def factory() -> str:
        made.append(1)
        return "lib"

    fed = Federation("host", loader=MemoryFetch(), shared={"lib": Shared("1.0.0", factory)})
    assert [await fed.load_share("lib") for _ in range(3)] == ["lib"] * 3
    seen: list[str] = []
    fed.hooks.after_load_share.add(lambda args: seen.append(args["pkg_name"]))
    assert await fed.load_share("lib") == "lib"
    assert seen == ["lib"] and made == [1]


async def test_load_share_sync_codes_runtime_006() -> None:
    async def later() -> str:
        return "async lib"

    fed = Federation(
        "host",
        loader=MemoryFetch(),
        shared={"sync": Shared("1.0.0", lambda: "sync lib"), "lazy": Shared("1.0.0", later)},
    )
    assert fed.load_share_sync("sync") == "sync lib"
    with pytest.raises(FederationError) as info:
        fed.load_share_sync("lazy")
    assert info.value.code is RuntimeCode.RUNTIME_006 and "#RUNTIME-006" in str(info.value)
    assert "not available for eager consumption: lazy" in str(info.value)
    assert await fed.load_share("lazy") == "async lib"
    assert fed.load_share_sync("lazy") == "async lib"


def test_the_public_surface() -> None:
    import inspect

    import orchestrator.federation as federation
    from orchestrator.federation import ShareScope, semver

    assert all(hasattr(federation, name) for name in federation.__all__)
    for name in ("parse_version", "version_lt", "parse_range", "range_to_string", "satisfy"):
        assert callable(getattr(semver, name))
    params = inspect.signature(Federation).parameters
    assert list(params) == [
        "name", "remotes", "shared", "share_strategy", "loader", "trusted_origins", "zip_limits",
    ]  # fmt: skip
    assert params["share_strategy"].default == "version-first"
    register = inspect.signature(ShareScope.register).parameters
    assert list(register) == ["self", "name", "version", "factory", "eager", "from_"]
    for loader in ("load", "load_singleton", "load_version", "load_strict_version",
                   "load_singleton_version", "load_strict_singleton_version"):  # fmt: skip
        assert inspect.iscoroutinefunction(getattr(ShareScope, loader))
    assert issubclass(FederationError, OrchestratorError)
    fed = Federation("host", loader=MemoryFetch())
    assert set(fed.share_scopes) == {"default"}
    hooks = ("before_request", "after_resolve", "on_load", "error_load_remote",
             "resolve_share", "before_load_share", "load_share", "after_load_share")  # fmt: skip
    for hook in hooks:
        assert callable(getattr(fed.hooks, hook).add)


async def test_shared_shorthand_is_a_strict_range() -> None:
    fed = Federation("host", loader=MemoryFetch(), shared={"json": "^99"})
    import json as json_module

    config = fed.shared["json"]
    assert (config.required_version, config.strict_version) == ("^99", True)
    # the stdlib's json has no distribution version: offered as "0", so the strict consumer
    # falls back to its own import (the same module)
    assert await fed.load_share("json") is json_module


def test_the_total_unpacked_size_is_capped() -> None:
    body = _zip({f"m{i}.py": bytes(range(256)) * 4 for i in range(10)})
    with pytest.raises(FederationError, match="size cap"):
        read_zip(body, remote="app1", url=BASE, limits=ZipLimits(max_total_bytes=5000))


async def test_a_swap_during_the_download_loads_the_new_build() -> None:
    fetch = MemoryFetch()
    fetch.publish("app1", counter_build("1.0.0"))
    fed = host(fetch)
    v1_zip = f"{BASE}app1/{counter_build('1.0.0').entry_name}"
    started, release = asyncio.Event(), asyncio.Event()
    plain = MemoryFetch.__call__

    async def slow(self: MemoryFetch, url: str) -> tuple[str, bytes]:
        if url == v1_zip:
            started.set()
            await release.wait()
        return await plain(self, url)

    fetch.__class__ = type("SlowFetch", (MemoryFetch,), {"__call__": slow})
    loading = asyncio.ensure_future(fed.load_remote("app1/Counter"))
    await started.wait()
    fetch.publish("app1", counter_build("2.0.0"))
    assert await fed.refresh() == ["app1"]
    release.set()
    counter = await loading
    assert counter.VERSION == "2.0.0"
    assert ns_names("_mf_app1_1_0_0") == []
    await fed.aclose()


async def test_async_with_releases_everything() -> None:
    fetch = MemoryFetch()
    fetch.publish("app1", counter_build())
    async with host(fetch) as fed:
        counter = await fed.load_remote("app1/Counter")
        assert counter.__name__ in sys.modules
    assert counter.__name__ not in sys.modules
