"""``mfe federation …``: the federation commands (``build`` for now), parsed here, not in ``cli``.

``mfe`` hands every argument after ``federation`` to ``main``, as it does for ``scope-css``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from orchestrator.federation._build_dir import MANIFEST, build_remote_dir
from orchestrator.federation._errors import FederationError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mfe federation", description="Module Federation for Python remotes."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = commands.add_parser(
        "build",
        help=f"write {MANIFEST}, the modules zip and the .pyi stubs zip of a remote",
        description=(
            f"Zip the .py modules of DIR and write {MANIFEST} (Module Federation 2.0's shape) "
            "with each zip's SRI integrity. Serve OUT with any static server; hosts load it "
            "with Federation(remotes=[{'name': N, 'entry': '<url>/" + MANIFEST + "'}])."
        ),
    )
    build.add_argument("dir", metavar="DIR", help="the folder of the remote's Python modules")
    build.add_argument("--name", required=True, help="the remote's name (MF's container name)")
    build.add_argument(
        "--expose",
        action="append",
        default=[],
        metavar="./NAME=FILE",
        help="expose FILE (a .py or a package folder, relative to DIR) as ./NAME; repeatable",
    )
    build.add_argument(
        "--shared",
        action="append",
        default=[],
        metavar="PKG[@RANGE]",
        help="offer DIR's module PKG in the share scope, requiring RANGE (default ^version)",
    )
    build.add_argument(
        "--singleton",
        action="append",
        default=[],
        metavar="PKG",
        help="make the shared PKG a singleton (one instance for every app); repeatable",
    )
    build.add_argument(
        "--version", dest="build_version", help="build version (default: pyproject's, or 0.0.0)"
    )
    build.add_argument("--out", help="where to write (default DIR/dist)")
    build.add_argument(
        "--no-types", action="store_true", help="skip the .pyi stubs (which need mypy)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``mfe federation build …``; returns the exit status (1 on a build error)."""
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        built = build_remote_dir(
            args.dir,
            args.out,
            name=args.name,
            exposes=args.expose,
            shared=args.shared,
            singletons=args.singleton,
            version=args.build_version,
            types=not args.no_types,
        )
    except (FederationError, OSError) as exc:
        print(f"mfe federation build: {exc}", file=sys.stderr)
        return 1
    meta = built.manifest["metaData"]
    lines = [
        f"{built.manifest_path}  {built.manifest['name']} {meta['buildInfo']['buildVersion']}",
        f"{built.entry_path}  {len(built.build.zip_bytes)} bytes  "
        f"{meta['remoteEntry']['integrity']}",
    ]
    if built.types_path is not None:
        lines.append(
            f"{built.types_path}  {len(built.build.types_bytes or b'')} bytes  "
            f"{meta['types']['integrity']}"
        )
    for item in built.manifest["exposes"]:
        lines.append(f"  expose {item['path']} → {item['assets']['js']['sync'][0]}")
    for item in built.manifest["shared"]:
        kind = "singleton " if item["singleton"] else ""
        lines.append(
            f"  shared {kind}{item['name']} {item['version']} (required {item['requiredVersion']})"
        )
    print("\n".join(lines))
    return 0
