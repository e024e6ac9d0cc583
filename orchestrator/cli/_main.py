"""The ``mfe`` command: run the demo, compose a page, inspect an entry, scope a stylesheet."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mfe", description="Compose micro-frontends by route, headless, in Python."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="serve the demo shell composing the sample apps")
    demo.add_argument("--port", type=int, default=None, help="port of the shell (default 8000)")

    compose = commands.add_parser("compose", help="print the composed HTML for one path")
    compose.add_argument("config", help="a TOML config: shell, apps, options")
    compose.add_argument("path", help="the path to compose, e.g. /catalog")

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
    args = _build_parser().parse_args(arguments)
    try:
        if args.command == "demo":
            from ..serve import run_demo

            return run_demo(port=args.port)
        if args.command == "serve-app":
            from ..publish import run_app_server

            return run_app_server(args.dir, port=args.port, watch=args.watch)
        if args.command == "compose":
            from ..serve import compose_once

            sys.stdout.write(compose_once(args.config, args.path))
        else:
            sys.stdout.write(_inspect(args.entry_url, args.json))
    except (OrchestratorError, OSError, ValueError) as exc:
        print(f"mfe {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0
