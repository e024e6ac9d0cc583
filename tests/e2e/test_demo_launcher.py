"""`mfe demo` and `mfe compose` as a person runs them: real processes, real ports, Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from orchestrator.serve import bind_loopback, compose_once, run_demo

ROOT = Path(__file__).resolve().parents[2]
MFE = [sys.executable, "-m", "orchestrator.cli"]


def _free_port() -> int:
    with contextlib.closing(bind_loopback(0)) as sock:
        port: int = sock.getsockname()[1]
    return port


def _wait_for_line(process: subprocess.Popen[str], prefix: str, timeout: float) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith(prefix):
            return line.strip()
    raise AssertionError(f"no line starting with {prefix!r} in {seen!r}")


def test_mfe_demo_serves_the_shell_and_stops_on_ctrl_c() -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [*MFE, "demo", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = _wait_for_line(process, "Shell: ", timeout=20)
        assert line == f"Shell: http://127.0.0.1:{port}/"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            catalog = client.get("/catalog")
            assert catalog.status_code == 200, catalog.text[:2000]
            assert 'data-qiankun="catalog"' in catalog.text
            assert "Mechanical keyboard" in catalog.text
            assert client.get("/missing").status_code == 404
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
        assert process.stdout is not None
        assert "Stopped." in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # every port it opened is free again
    bind_loopback(port).close()


def test_busy_port_given_explicitly_fails_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    with contextlib.closing(bind_loopback(0)) as taken:
        port = taken.getsockname()[1]
        assert run_demo(port) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_mfe_compose_prints_the_page_for_one_path() -> None:
    result = subprocess.run(
        [*MFE, "compose", "demo/demo.toml", "/profile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    page = result.stdout
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert 'data-qiankun="profile"' in page and 'data-qiankun="header"' in page
    assert "Nobody is signed in." in page
    assert 'data-qiankun="catalog"' not in page


def test_mfe_compose_names_a_broken_config(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text('shell = "nowhere.html"\n')
    result = subprocess.run(
        [*MFE, "compose", str(config), "/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert str(config) in result.stderr and "'shell'" in result.stderr


def test_compose_once_wants_an_absolute_path() -> None:
    with pytest.raises(ValueError, match="must start with '/'"):
        compose_once(ROOT / "demo" / "demo.toml", "catalog")


def test_compose_once_returns_the_composed_page() -> None:
    page = compose_once(ROOT / "demo" / "demo.toml", "/catalog")
    assert page.count('class="product"') == 5
    assert 'data-qiankun="header"' in page and "Not signed in" in page


def test_compose_output_names_proxy_paths_unless_asked_for_absolute_urls() -> None:
    """The apps' servers are gone once compose returns: the page names the files by the
    composer's /_mfe/ paths (mfe serve answers them), or by absolute URLs when asked."""
    page = compose_once(ROOT / "demo" / "demo.toml", "/catalog")
    assert "127.0.0.1" not in page
    assert "/_mfe/catalog/style.css" in page
    absolute = compose_once(ROOT / "demo" / "demo.toml", "/catalog", absolute_urls=True)
    assert "http://127.0.0.1:" in absolute and "/_mfe/catalog/" not in absolute
