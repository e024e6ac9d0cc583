"""The ``mfe`` command: serve a composition, run the demo, compose a page, inspect an entry,
scope a stylesheet."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path


def _port(text: str) -> int:
    """A TCP port for argparse: an integer from 1 to 65535, or a one-line error."""
    try:
        port = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an integer from 1 to 65535, got {text!r}"
        ) from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be from 1 to 65535, got {port}")
    return port


def _workers(text: str) -> int:
    try:
        count = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {count}")
    return count


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mfe", description="Compose micro-frontends by route, headless, in Python."
    )
    from .._version import __version__

    parser.add_argument("--version", action="version", version=f"mfe {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve a composition (TOML config) under uvicorn")
    serve.add_argument("config", type=Path, help="a TOML config (see docs/config.md)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port to listen on (8000)")
    serve.add_argument("--workers", type=_workers, default=1, help="uvicorn worker processes (1)")
    serve.add_argument(
        "--redis", default=None, metavar="URL", help="keep sessions in Redis (redis://...)"
    )
    serve.add_argument(
        "--inspect",
        action="store_true",
        help="also serve the inspector at /_mfe/inspector (one worker; off by default)",
    )

    demo = commands.add_parser("demo", help="serve the demo shell composing the sample apps")
    demo.add_argument("--port", type=_port, default=None, help="port of the shell (default 8000)")

    dev = commands.add_parser("dev", help="serve a composition with live reload and the inspector")
    dev.add_argument("config", type=Path, nargs="?", help="a TOML config (default: the demo)")
    dev.add_argument("--port", type=_port, default=8000, help="port of the shell (8000)")
    dev.add_argument("--broker-port", type=_port, default=16322, help="dev broker port (16322)")

    compose = commands.add_parser("compose", help="print the composed HTML for one path")
    compose.add_argument("config", help="a TOML config: shell, apps, options")
    compose.add_argument("path", help="the path to compose, e.g. /catalog")
    compose.add_argument(
        "--absolute-urls",
        action="store_true",
        help="name apps' files by their servers' URLs (reachable deployments) instead of the "
        "composer's /_mfe/<app>/ paths (the default: the page works when mfe serve serves it)",
    )

    serve_app = commands.add_parser("serve-app", help="serve one app with its manifest")
    serve_app.add_argument("dir")
    serve_app.add_argument("--port", type=int, default=None)
    serve_app.add_argument("--watch", action="store_true", help="a file change bumps the build")

    inspect = commands.add_parser("inspect", help="show what an HTML entry holds")
    inspect.add_argument("entry_url")
    inspect.add_argument("--json", action="store_true", help="print JSON instead of a table")

    scope = commands.add_parser(
        "scope-css",
        help="prefix every rule of a stylesheet (the options of python -m css_scoper)",
        add_help=False,
    )
    scope.add_argument("css_args", nargs=argparse.REMAINDER)

    federation = commands.add_parser(
        "federation",
        help="build Module Federation remotes (mfe federation build -h)",
        add_help=False,
    )
    federation.add_argument("federation_args", nargs=argparse.REMAINDER)
    return parser


def _inspect(entry_url: str, as_json: bool) -> str:
    from ..html_entry import EntryLoader, import_entry
    from ._inspect import format_inspection

    async def run() -> str:
        async with EntryLoader() as loader:
            imported = await import_entry(entry_url, loader=loader)
            return format_inspection(imported, as_json=as_json)

    return asyncio.run(run())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mfe`` console script; returns the exit status."""
    from ..errors import OrchestratorError

    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["scope-css"]:
        # one parser for both doors: ``mfe scope-css`` is ``python -m css_scoper``
        import css_scoper

        return css_scoper.main(arguments[1:])
    if arguments[:1] == ["federation"]:
        from ..federation.build import main as federation_main

        return federation_main(arguments[1:])
    args = _build_parser().parse_args(arguments)
    try:
        if args.command == "serve":
            from ..serve import ServeOptions, run_serve

            options = ServeOptions(
                config_path=args.config,
                host=args.host,
                port=args.port,
                workers=args.workers,
                redis=args.redis,
                inspect=args.inspect,
            )
            if not args.inspect:
                return run_serve(options)
            from ..dev import inspected_app

            return run_serve(options, composer=inspected_app)
        if args.command == "demo":
            from ..serve import run_demo

            return run_demo(port=args.port)
        if args.command == "serve-app":
            from ..publish import run_app_server

            return run_app_server(args.dir, port=args.port, watch=args.watch)
        if args.command == "dev":
            from ..dev import DevOptions, run_dev

            return run_dev(DevOptions(args.config, port=args.port, broker_port=args.broker_port))
        if args.command == "compose":
            from ..serve import compose_once

            sys.stdout.write(compose_once(args.config, args.path, absolute_urls=args.absolute_urls))
        else:
            sys.stdout.write(_inspect(args.entry_url, args.json))
    except (OrchestratorError, OSError, ValueError) as exc:
        print(f"mfe {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0
