"""``python -m orchestrator.dev``: run the dev broker in the foreground (``ensure_running`` starts
it this way in the background). Prints ``ready <url>`` once listening, or ``error <why>``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from ._broker import Broker
from ._protocol import DEFAULT_HOST, DEFAULT_PORT
from ._spawn import READY


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m orchestrator.dev", description=__doc__)
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to bind (loopback)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--heartbeat", type=float, default=10.0, help="seconds between pings")
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=5.0,
        help="exit this many seconds after the last client leaves (negative: never)",
    )
    parser.add_argument(
        "--pages-idle",
        action="store_true",
        help="open pages (web clients only) do not keep the broker from its idle exit",
    )
    parser.add_argument("--max-size", type=int, default=64 * 1024, help="largest message, bytes")
    parser.add_argument(
        "--allow-origin", action="append", default=[], help="a browser origin that may connect"
    )
    return parser


async def _run(args: argparse.Namespace) -> int:
    broker = Broker(
        host=args.host,
        port=args.port,
        heartbeat=args.heartbeat,
        idle_timeout=None if args.idle_timeout < 0 else args.idle_timeout,
        max_size=args.max_size,
        allowed_origins=args.allow_origin,
        pages_keep_alive=not args.pages_idle,
    )
    try:
        await broker.start()
    except OSError as exc:
        print(f"error cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", flush=True)
        return 3
    loop = asyncio.get_running_loop()
    closing: list[asyncio.Task[None]] = []  # holds the task: the loop keeps only a weak one
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, lambda: closing.append(loop.create_task(broker.aclose())))
    print(f"{READY} {broker.url}", flush=True)
    try:
        await broker.serve()
    finally:
        await broker.aclose()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    return asyncio.run(_run(args))


if __name__ == "__main__":
    sys.exit(main())
