"""One HTTP/1.1 GET over a fresh socket, timed: first response byte, first body byte, last byte.

The load generator gives throughput and percentiles; these single requests give what it cannot:
time to first byte, the status of a page whose fragment hangs, and the composed body to check.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Probe:
    """A timed answer; seconds from sending the request. ``status`` 0: no answer in time."""

    status: int
    first_byte: float
    first_body_byte: float
    total: float
    body: bytes
    set_cookie: str | None
    error: str = ""


class _Reader:
    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock, self.deadline, self.buffer = sock, deadline, b""
        self.first: float | None = None
        self.last = 0.0  # when the latest bytes arrived

    def more(self) -> None:
        left = self.deadline - time.perf_counter()
        if left <= 0:
            raise TimeoutError("no complete answer in time")
        self.sock.settimeout(left)
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.last = time.perf_counter()
        if self.first is None:
            self.first = self.last
        self.buffer += data

    def until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            self.more()
        head, self.buffer = self.buffer.split(marker, 1)
        return head

    def exactly(self, count: int) -> bytes:
        while len(self.buffer) < count:
            self.more()
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data


def get(port: int, path: str = "/", *, cookie: str | None = None, timeout: float = 15.0) -> Probe:
    """GET ``path`` from 127.0.0.1:``port`` on a new connection, reading the whole body."""
    started = time.perf_counter()
    first_body: float | None = None
    status, set_cookie = 0, None
    reader: _Reader | None = None
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            extra = f"Cookie: {cookie}\r\n" if cookie else ""
            request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n"
            started = time.perf_counter()
            sock.sendall(request.encode())
            reader = _Reader(sock, started + timeout)
            lines = reader.until(b"\r\n\r\n").decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            headers = [line.partition(":") for line in lines[1:]]
            fields = {name.strip().lower(): value.strip() for name, _, value in headers}
            set_cookie = fields.get("set-cookie")
            chunks: list[bytes] = []
            if fields.get("transfer-encoding", "").lower() == "chunked":
                while True:
                    size = int(reader.until(b"\r\n").split(b";")[0], 16)
                    if size == 0:
                        reader.until(b"\r\n")
                        break
                    chunks.append(reader.exactly(size))
                    first_body = first_body or reader.last
                    reader.exactly(2)
            else:
                length = int(fields.get("content-length", "0"))
                if length:
                    if not reader.buffer:
                        reader.more()
                    first_body = reader.last
                    chunks.append(reader.exactly(length))
            body = b"".join(chunks)
        total = time.perf_counter() - started
        first = (reader.first if reader and reader.first else time.perf_counter()) - started
        body_at = (first_body - started) if first_body else total
        return Probe(status, first, body_at, total, body, set_cookie)
    except (OSError, ValueError, IndexError) as exc:
        elapsed = time.perf_counter() - started
        first = (reader.first - started) if reader and reader.first else elapsed
        return Probe(
            status, first, elapsed, elapsed, b"", set_cookie, f"{type(exc).__name__}: {exc}"
        )
