"""Find the machine's broker, or start one in the background (``python -m orchestrator.dev``).

The broker runs in its own session so a Ctrl-C in one ``mfe dev`` does not take it from the
others sharing it; it leaves by itself once its last client has gone (``idle_timeout``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake

from ._errors import BrokerPortInUseError, BrokerStartError
from ._protocol import DEFAULT_HOST, DEFAULT_PORT, SERVER_HEADER

READY = "ready"


@dataclass(frozen=True, slots=True)
class BrokerHandle:
    """Where the broker is, and the process if this call started it (``started``)."""

    host: str
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def started(self) -> bool:
        return self.process is not None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}/"

    def stop(self, timeout: float = 5.0) -> int | None:
        """End the broker this call started (SIGTERM, then SIGKILL); its exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


def _url(host: str, port: int) -> str:
    return f"ws://{f'[{host}]' if ':' in host else host}:{port}/"


async def probe(
    host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, open_timeout: float = 2.0
) -> bool:
    """True if a dev broker answers, False if nothing listens; :class:`BrokerPortInUseError`
    if something else holds the port."""
    try:
        async with connect(
            _url(host, port),
            proxy=None,
            open_timeout=open_timeout,
            ping_interval=None,
            close_timeout=1,
        ) as conn:
            server = conn.response.headers.get("Server", "") if conn.response else ""
            if not server.startswith(SERVER_HEADER):
                raise BrokerPortInUseError(
                    host, port, f"a WebSocket server that calls itself {server or 'nothing'!r}"
                )
            return True
    except ConnectionRefusedError:
        return False
    except InvalidHandshake as exc:
        raise BrokerPortInUseError(host, port, f"not a WebSocket server: {exc}") from exc
    except TimeoutError as exc:
        raise BrokerPortInUseError(host, port, "it accepts connections but never answers") from exc
    except OSError as exc:
        raise BrokerPortInUseError(host, port, str(exc)) from exc


def _start(command: list[str], log_path: Path | None) -> subprocess.Popen[bytes]:
    """The broker process, in its own session; its stdout carries only the ready line."""
    log = open(log_path, "ab") if log_path is not None else None  # noqa: SIM115
    try:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log if log is not None else subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    finally:
        if log is not None:
            log.close()


async def ensure_running(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    idle_timeout: float = 5.0,
    heartbeat: float = 10.0,
    start_timeout: float = 10.0,
    log_path: Path | None = None,
    pages_keep_alive: bool = True,
) -> BrokerHandle:
    """The broker at ``host:port``: the one already answering, or a new background process
    (``BrokerPortInUseError`` if something else holds the port). ``pages_keep_alive=False``: a
    started broker's idle exit ignores connections that are only open pages."""
    if await probe(host, port):
        return BrokerHandle(host, port)
    command = [
        sys.executable,
        "-m",
        "orchestrator.dev",
        "--host",
        host,
        "--port",
        str(port),
        "--idle-timeout",
        str(idle_timeout),
        "--heartbeat",
        str(heartbeat),
    ]
    if not pages_keep_alive:
        command.append("--pages-idle")
    process = await asyncio.to_thread(_start, command, log_path)
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), start_timeout)
    except TimeoutError:
        process.kill()
        await asyncio.to_thread(process.wait)
        raise BrokerStartError(host, port, f"no answer within {start_timeout:g}s") from None
    finally:
        process.stdout.close()
    text = line.decode(errors="replace").strip()
    if text.startswith(READY):
        return BrokerHandle(host, port, process)
    code = await asyncio.to_thread(process.wait)
    # Another ``mfe dev`` may have started one between our probe and our bind: use that one.
    if await probe(host, port):
        return BrokerHandle(host, port)
    raise BrokerStartError(host, port, text or f"the broker process exited with {code}")
