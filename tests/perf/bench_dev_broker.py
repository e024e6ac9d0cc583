"""Dev broker fan-out: one app change reaching 100 subscribers and 100 open pages.

Run: ``python tests/perf/bench_dev_broker.py`` (prints JSON lines, anchors schema; env
``BENCH_ROUNDS=50``). The broker runs as ``mfe dev`` starts it, in its own process
(``python -m orchestrator.dev``); this process holds the 201 client connections. One round: the
publisher sends ``UPDATE_PUBLISHER`` then ``NOTIFY_WEB_CLIENT``; the round's time runs from the
first send until the last of the 200 peers has its ``UPDATE_SUBSCRIBER``/``RELOAD_WEB_CLIENT``.
Clients offer permessage-deflate as browsers do (the broker declines it).
Target (issue 15): median < 50 ms.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from importlib.metadata import version
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

SUBSCRIBERS = 100
PAGES = 100
ROUNDS = max(5, int(os.environ.get("BENCH_ROUNDS", "50")))
WARMUP = 5
TARGET_MS = 50.0


def _action(kind: str, payload: dict[str, Any]) -> str:
    return json.dumps({"type": "Action", "kind": kind, "time": 0, "payload": payload})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Fanout:
    """Counts arrivals of one round across every receiving connection."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.arrived = 0
        self.done = asyncio.Event()
        self.last = 0.0

    def reset(self) -> None:
        self.arrived = 0
        self.done.clear()

    async def listen(self, conn: ClientConnection, kind: str) -> None:
        async for raw in conn:
            if json.loads(raw).get("kind") == kind:
                self.arrived += 1
                if self.arrived == self.expected:
                    self.last = time.perf_counter()
                    self.done.set()


async def _connect_all(url: str) -> tuple[ClientConnection, list[ClientConnection], Fanout]:
    publisher = await connect(url, proxy=None)
    await publisher.send(_action("ADD_PUBLISHER", {"name": "catalog", "remoteTypeTarPath": "u"}))
    await publisher.recv()
    fanout = Fanout(SUBSCRIBERS + PAGES)
    receivers: list[ClientConnection] = []
    for i in range(SUBSCRIBERS):
        conn = await connect(url, proxy=None)
        payload = {"name": f"host{i}", "publishers": [{"name": "catalog", "ip": ""}]}
        await conn.send(_action("ADD_SUBSCRIBER", payload))
        await conn.recv(), await conn.recv()  # the first pull, then the ack
        receivers.append(conn)
    for _ in range(PAGES):
        conn = await connect(url, proxy=None)
        await conn.send(_action("ADD_WEB_CLIENT", {"name": "catalog"}))
        await conn.recv()
        receivers.append(conn)
    return publisher, receivers, fanout


async def _bench(url: str) -> dict[str, Any]:
    publisher, receivers, fanout = await _connect_all(url)
    listeners = [
        asyncio.create_task(
            fanout.listen(conn, "UPDATE_SUBSCRIBER" if i < SUBSCRIBERS else "RELOAD_WEB_CLIENT")
        )
        for i, conn in enumerate(receivers)
    ]
    update = _action(
        "UPDATE_PUBLISHER",
        {"name": "catalog", "updateMode": "POSITIVE", "updateSourcePaths": ["catalog"]},
    )
    notify = _action("NOTIFY_WEB_CLIENT", {"name": "catalog", "updateMode": "POSITIVE"})
    times: list[float] = []
    acks: list[dict[str, Any]] = []
    try:
        for round_ in range(WARMUP + ROUNDS):
            fanout.reset()
            start = time.perf_counter()
            await publisher.send(update)
            await publisher.send(notify)
            await asyncio.wait_for(fanout.done.wait(), 30)
            elapsed = fanout.last - start
            acks = [json.loads(await publisher.recv()) for _ in range(2)]
            if round_ >= WARMUP:
                times.append(elapsed * 1000)
    finally:
        for task in listeners:
            task.cancel()
        for conn in [publisher, *receivers]:
            await conn.close()
    return {"times": times, "acks": acks}


def main() -> None:
    port = _free_port()
    broker = subprocess.Popen(
        [sys.executable, "-m", "orchestrator.dev", "--port", str(port), "--idle-timeout", "-1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert broker.stdout is not None
        ready = broker.stdout.readline().decode().strip()
        if not ready.startswith("ready"):
            raise SystemExit(f"broker did not start: {ready!r}")
        result = asyncio.run(_bench(f"ws://127.0.0.1:{port}/"))
    finally:
        broker.terminate()
        broker.wait(10)
    times = result["times"]
    median = statistics.median(times)
    ops = [1000 / t for t in times]
    row = {
        "bench": "dev_broker_broadcast",
        "impl": f"orchestrator.dev.Broker (websockets {version('websockets')}, own process)",
        "input": f"{SUBSCRIBERS} subscribers + {PAGES} web clients, 1 update",
        "runs": len(times),
        "ops_per_s_runs": [float(f"{x:.5g}") for x in ops],
        "ops_per_s": float(f"{1000 / median:.5g}"),
        "ms_per_op": float(f"{median:.5g}"),
        "ops_per_s_best": float(f"{max(ops):.5g}"),
        "check": {
            "median_ms": round(median, 3),
            "p90_ms": round(statistics.quantiles(times, n=10)[-1], 3),
            "max_ms": round(max(times), 3),
            "acks": [a.get("msg") for a in result["acks"]],
            "target_ms": TARGET_MS,
            "meets_target": median < TARGET_MS,
        },
    }
    sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
