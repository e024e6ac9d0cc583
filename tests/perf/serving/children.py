"""Server processes the benchmark starts: each reports its ports on one line, each is stopped.

A child stops when its standard input closes; one that does not within a bounded wait gets
SIGTERM, then SIGKILL, sent to its own process group (so nothing it started outlives it).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

READY_SECONDS = 30.0
STOP_SECONDS = 5.0


class ChildError(RuntimeError):
    """A server process did not start; names the command and the tail of its stderr."""


class Child:
    """One server process; ``info`` is the JSON line it printed once listening."""

    def __init__(self, name: str, argv: Sequence[str], *, cwd: Path) -> None:
        self.name = name
        self.argv = list(argv)
        self._log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            self.argv,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            start_new_session=True,
        )
        self.info: dict[str, Any] = self._ready()

    def _ready(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + READY_SECONDS
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            readable, _, _ = select.select([fd], [], [], max(0.0, left))
            chunk = os.read(fd, 4096) if readable else b""
            if not chunk:
                said = self.stderr
                self.stop()
                raise ChildError(f"{self.name} did not start ({' '.join(self.argv)}): {said}")
            line += chunk
        info: dict[str, Any] = json.loads(line)
        return info

    @property
    def port(self) -> int:
        return int(self.info["port"])

    @property
    def stderr(self) -> str:
        if self._log.closed:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-2000:]

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Close stdin and wait; then SIGTERM, then SIGKILL the process group (bounded waits)."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None:
                try:
                    os.killpg(self.process.pid, sig)
                except ProcessLookupError:
                    break
            try:
                self.process.wait(timeout=STOP_SECONDS)
                break
            except subprocess.TimeoutExpired:
                continue
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._reap_group()
        self._log.close()

    def _reap_group(self) -> None:
        """Anything the child left in its process group (a worker, a helper) is killed too."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


class Children:
    """Every server started in one run, stopped in reverse order whatever happens."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.started: list[Child] = []

    def start(self, name: str, argv: Sequence[str]) -> Child:
        child = Child(name, argv, cwd=self.cwd)
        self.started.append(child)
        return child

    def stop(self, child: Child) -> None:
        child.stop()

    def stop_all(self) -> int:
        """Stop every child; returns how many are still running afterwards (0 expected)."""
        for child in reversed(self.started):
            if child.alive():
                child.stop()
        return sum(child.alive() for child in self.started)
