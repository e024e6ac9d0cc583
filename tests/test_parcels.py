"""Parcels: mounting by hand, unmounting with the owner, updates and failures."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from engine_support import Recorder, collect_errors

from orchestrator import Orchestrator
from orchestrator.errors import LifecycleError, ParcelLifecycleError, ParcelStateError
from orchestrator.parcels import Parcel
from orchestrator.status import AppStatus

S = AppStatus


def _app_mounting(
    parcel_configs: list[Any], parcels: list[Parcel], created: list[AppStatus] | None = None
) -> dict[str, Any]:
    async def mount(props: dict[str, Any]) -> None:
        for config in parcel_configs:
            parcel = props["mount_parcel"](config, {"dom_element": props["container"]})
            parcels.append(parcel)
            if created is not None:
                created.append(parcel.get_status())

    return {"mount": mount, "unmount": lambda props: None}


async def test_app_parcel_follows_its_owner() -> None:
    rec = Recorder()
    parcels: list[Parcel] = []
    created: list[AppStatus] = []
    async with Orchestrator(url="http://localhost/app") as orch:
        orch.register_application(
            "app", _app_mounting([rec.lifecycles("p1")], parcels, created), "/app"
        )
        await orch.start()
        (parcel,) = parcels
        assert created == [S.NOT_BOOTSTRAPPED]
        await parcel.bootstrap_promise
        await parcel.mount_promise
        assert parcel.get_status() is S.MOUNTED
        await orch.navigate("/other")
        assert parcel.get_status() is S.NOT_MOUNTED
        assert parcel.unmount_promise.done() and parcel.unmount_promise.result() is None
    assert rec.calls("p1") == ["bootstrap", "mount", "unmount"]
    props = rec.props[0]
    assert props["name"] == "parcel-1" and callable(props["unmount_self"])
    assert props["dom_element"] is not None


async def test_manually_unmounted_parcel_is_not_unmounted_again() -> None:
    rec = Recorder()
    parcels: list[Parcel] = []
    async with Orchestrator(url="http://localhost/app") as orch:
        orch.register_application(
            "app", _app_mounting([rec.lifecycles("p1"), rec.lifecycles("p2")], parcels), "/app"
        )
        await orch.start()
        p1, p2 = parcels
        await p1.mount_promise
        assert await p1.unmount() is None
        await p2.mount_promise
        await p2.unmount()
        assert await p2.mount() is None
        assert p2.get_status() is S.MOUNTED
        await orch.navigate("/other")
    assert rec.calls("p1") == ["bootstrap", "mount", "unmount"]
    assert rec.calls("p2") == ["bootstrap", "mount", "unmount", "mount", "unmount"]


async def test_unmounting_twice_raises_a_state_error() -> None:
    async with Orchestrator() as orch:
        parcel = orch.mount_root_parcel({**Recorder().lifecycles("p"), "name": "p"}, {})
        await parcel.mount_promise
        await parcel.unmount()
        with pytest.raises(ParcelStateError, match="Cannot unmount parcel 'p'"):
            await parcel.unmount()
        # deliberate change from single-spa v6: a second unmount does not break the parcel
        assert parcel.get_status() is S.NOT_MOUNTED
        with pytest.raises(ParcelStateError, match="Cannot mount parcel"):
            await asyncio.gather(parcel.mount(), parcel.mount())


async def test_parcels_of_parcels_unmount_recursively_once_each() -> None:
    rec = Recorder()
    parcels: list[Parcel] = []

    def nested(name: str, child: dict[str, Any] | None) -> dict[str, Any]:
        config = rec.lifecycles(name)
        inner_mount = config["mount"]

        async def mount(props: dict[str, Any]) -> None:
            await inner_mount(props)
            if child is not None:
                parcels.append(props["mount_parcel"](child, {}))

        config["mount"] = mount
        return config

    chain = nested("p1", nested("p2", nested("p3", None)))
    async with Orchestrator(url="http://localhost/app") as orch:
        orch.register_application("app", _app_mounting([chain], parcels), "/app")
        await orch.start()
        for _ in range(3):
            await asyncio.gather(*(p.mount_promise for p in parcels))
        assert len(parcels) == 3
        await orch.navigate("/other")
    for name in ("p1", "p2", "p3"):
        assert rec.count(name, "unmount") == 1
    assert all(p.get_status() is S.NOT_MOUNTED for p in parcels)


async def test_owner_unmount_waits_for_a_slow_parcel_mount() -> None:
    rec = Recorder()
    parcels: list[Parcel] = []
    async with Orchestrator(url="http://localhost/app") as orch:
        errors = collect_errors(orch)
        slow = rec.lifecycles("slow", delays={"mount": 0.05})
        orch.register_application("app", _app_mounting([slow], parcels), "/app")
        await orch.start()
        await asyncio.sleep(0.01)
        assert parcels[0].get_status() is S.MOUNTING
        await orch.navigate("/other")
        assert parcels[0].get_status() is S.NOT_MOUNTED
        assert errors == []


async def test_root_parcel_with_a_loader() -> None:
    rec = Recorder()

    async def load(props: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(0.01)
        return rec.lifecycles("loaded")

    async with Orchestrator() as orch:
        parcel = orch.mount_root_parcel(load, {"dom_element": "x"})
        assert parcel.get_status() is S.LOADING_SOURCE_CODE
        assert await parcel.load_promise is None
        assert await parcel.bootstrap_promise is None
        assert await parcel.mount_promise is None
        assert parcel.get_status() is S.MOUNTED
        assert parcel.name.startswith("parcel-")
        assert await parcel.unmount() is None
        assert await parcel.unmount_promise is None
        assert parcel.get_status() is S.NOT_MOUNTED
        assert orch._parcels.root.parcels == {}


async def test_update() -> None:
    got: list[dict[str, Any]] = []
    config = {
        "name": "upd",
        "mount": lambda p: None,
        "unmount": lambda p: None,
        "update": lambda p: got.append(p),
    }
    async with Orchestrator() as orch:
        parcel = orch.mount_root_parcel(config, {"a": 1})
        await parcel.mount_promise
        assert await parcel.update({"b": 2}) is None
        assert len(got) == 1 and got[0]["b"] == 2 and "a" not in got[0]
        assert parcel.get_status() is S.MOUNTED
        plain = orch.mount_root_parcel({"mount": lambda p: None, "unmount": lambda p: None}, {})
        await plain.mount_promise
        with pytest.raises(TypeError, match="no update lifecycle"):
            await plain.update({})
        await parcel.unmount()
        with pytest.raises(ParcelStateError, match="Cannot update parcel 'upd'"):
            await parcel.update({})


@pytest.mark.parametrize(
    ("failing", "promise", "status_in_message"),
    [
        ("bootstrap", "bootstrap_promise", "BOOTSTRAPPING"),
        ("mount", "mount_promise", "NOT_MOUNTED"),
    ],
)
async def test_parcel_failures_reject_promises_without_calling_handlers(
    failing: str, promise: str, status_in_message: str
) -> None:
    async with Orchestrator() as orch:
        errors = collect_errors(orch)
        config = Recorder().lifecycles("p", fail={failing})
        config["name"] = "p"
        parcel = orch.mount_root_parcel(config, {})
        with pytest.raises(ParcelLifecycleError) as info:
            await getattr(parcel, promise)
        assert str(info.value) == f"parcel 'p' died in status {status_in_message}: {failing} error"
        assert info.value.app_name == "p"
        assert isinstance(info.value, LifecycleError)
        assert parcel.get_status() is S.SKIP_BECAUSE_BROKEN
        with pytest.raises(ParcelLifecycleError):
            await parcel.mount_promise
        assert errors == []


async def test_parcel_unmount_failure() -> None:
    async with Orchestrator() as orch:
        parcel = orch.mount_root_parcel(Recorder().lifecycles("p", fail={"unmount"}), {})
        await parcel.mount_promise
        with pytest.raises(ParcelLifecycleError, match="UNMOUNTING: unmount error"):
            await parcel.unmount()
        with pytest.raises(ParcelLifecycleError, match="UNMOUNTING"):
            await parcel.unmount_promise
        assert parcel.get_status() is S.SKIP_BECAUSE_BROKEN


async def test_a_parcel_failing_to_unmount_breaks_its_app_with_one_error() -> None:
    rec = Recorder()
    parcels: list[Parcel] = []
    bad = rec.lifecycles("unmount-error2", fail={"unmount"})
    bad["name"] = "unmount-error2"
    async with Orchestrator(url="http://localhost/app") as orch:
        errors = collect_errors(orch)
        orch.register_application(
            "app-parcel-unmount-errors", _app_mounting([bad], parcels), "/app"
        )
        await orch.start()
        await parcels[0].mount_promise
        await orch.navigate("/other")
        assert orch.get_app_status("app-parcel-unmount-errors") is S.SKIP_BECAUSE_BROKEN
    assert [str(e) for e in errors] == [
        "application 'app-parcel-unmount-errors' died in status NOT_MOUNTED: "
        "parcel 'unmount-error2' died in status UNMOUNTING: unmount error"
    ]


async def test_bad_parcel_configs() -> None:
    async with Orchestrator() as orch:
        with pytest.raises(TypeError, match="parcel config"):
            orch.mount_root_parcel(None, {})
        with pytest.raises(TypeError, match="props"):
            orch.mount_root_parcel({"mount": lambda p: None}, [])  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="name"):
            orch.mount_root_parcel({"name": 3, "mount": lambda p: None}, {})

        async def nothing(props: dict[str, Any]) -> None:
            return None

        empty = orch.mount_root_parcel(nothing, {})
        with pytest.raises(TypeError, match="did not resolve with a parcel config"):
            await empty.load_promise
        no_mount = orch.mount_root_parcel({"unmount": lambda p: None}, {})
        with pytest.raises(Exception, match="mount"):
            await no_mount.load_promise
        no_unmount = orch.mount_root_parcel({"mount": lambda p: None}, {})
        with pytest.raises(Exception, match="unmount"):
            await no_unmount.mount_promise
