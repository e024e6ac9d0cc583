"""``mfe dev`` as a person meets it: one-line errors for a taken port, and a broker that open
pages do not keep alive once the dev servers have gone (so Ctrl-C leaves none behind)."""

from __future__ import annotations

import asyncio
import io
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from orchestrator.config import load_config
from orchestrator.dev import Broker, DevServer, Publisher, WebClient, probe
from orchestrator.serve import bind_loopback

ROOT = Path(__file__).resolve().parents[2]
WAIT = 5.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _mfe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_a_taken_shell_port_is_one_line_and_starts_nothing() -> None:
    broker_port = _free_port()
    with bind_loopback(0) as taken:
        port = taken.getsockname()[1]
        done = _mfe("dev", "--port", str(port), "--broker-port", str(broker_port))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines == [
        f"mfe dev: port {port} on 127.0.0.1 is taken (Address already in use); "
        "stop what uses it or pass --port"
    ]
    with socket.socket() as probe:  # no broker was started for a shell that cannot listen
        assert probe.connect_ex(("127.0.0.1", broker_port)) != 0


def test_a_broker_port_held_by_something_else_is_one_line(tmp_path: Path) -> None:
    with bind_loopback(0) as taken:
        port = taken.getsockname()[1]
        done = _mfe("dev", "--port", str(_free_port()), "--broker-port", str(port))
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"mfe dev: port {port} on 127.0.0.1 is taken by something that is not")


async def test_pages_alone_do_not_keep_a_dev_broker_alive() -> None:
    broker = Broker(port=0, idle_timeout=0.2, pages_keep_alive=False)
    await broker.start()
    serving = asyncio.create_task(broker.serve())
    async with WebClient("catalog", url=broker.url):
        async with Publisher("catalog", url=broker.url):
            done, _ = await asyncio.wait({serving}, timeout=0.4)  # twice the idle timeout
            assert not done  # a dev server keeps it up
        await asyncio.wait_for(serving, WAIT)  # the page alone does not
    assert broker.closed


async def test_by_default_a_page_keeps_the_broker_alive() -> None:
    broker = Broker(port=0, idle_timeout=0.2)
    await broker.start()
    serving = asyncio.create_task(broker.serve())
    try:
        async with WebClient("catalog", url=broker.url):
            done, _ = await asyncio.wait({serving}, timeout=0.4)
            assert not done
    finally:
        await broker.aclose()
        await serving


def _demo_copy(root: Path) -> Path:
    shutil.copytree(ROOT / "demo", root / "demo")
    shutil.copytree(ROOT / "apps", root / "apps", ignore=shutil.ignore_patterns("__pycache__"))
    return root / "demo" / "demo.toml"


async def test_two_dev_servers_share_one_broker_and_the_last_one_out_leaves_none(
    tmp_path: Path,
) -> None:
    """The first ``mfe dev`` starts the broker; the second uses it; when the first stops it
    leaves the broker to the second, which leaves none behind when it stops in turn."""
    broker_port = _free_port()
    first_out, second_out = io.StringIO(), io.StringIO()
    first = DevServer(
        load_config(_demo_copy(tmp_path / "one")), broker_port=broker_port, out=first_out
    )
    second = DevServer(
        load_config(_demo_copy(tmp_path / "two")), broker_port=broker_port, out=second_out
    )
    await first.start()
    try:
        await second.start()
    except BaseException:
        await first.aclose()
        raise
    try:
        assert first.broker is not None and first.broker.started
        assert second.broker is not None and not second.broker.started
        assert "(started)" in first_out.getvalue()
        assert "(shared with another mfe dev)" in second_out.getvalue()
        process = first.broker.process
        assert process is not None
        await first.aclose()
        assert "Broker: still serving another mfe dev" in first_out.getvalue()
        assert process.poll() is None  # not taken from the second
        assert await probe("127.0.0.1", broker_port)
    finally:
        await second.aclose()
        await first.aclose()
    code = await asyncio.wait_for(asyncio.to_thread(process.wait), WAIT)
    assert code == 0  # it left by itself, idle, once the second had gone
