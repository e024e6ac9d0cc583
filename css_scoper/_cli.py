"""`mfe scope-css`: print a stylesheet scoped to a prefix (the lead's CLI delegates here)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from css_scoper._scope import app_prefix, scope_css


def scope_css_command(prefix: str, base_url: str | None, path: str) -> str:
    """The scoped text of the stylesheet at `path` (`-` reads standard input).

    Raises OSError naming the file when it cannot be read; undecodable bytes become U+FFFD.
    """
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise OSError(exc.errno, f"cannot read stylesheet {path!r}: {exc.strerror}") from exc
    css = data.decode("utf-8-sig", errors="replace")
    return scope_css(css, prefix, base_url=base_url)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mfe scope-css",
        description="Rewrite a stylesheet so each rule applies only under a prefix selector.",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--prefix", help="the selector to scope under, e.g. 'div[data-qiankun=\"app\"]'"
    )
    which.add_argument("--app", help='a micro-app name: scope under div[data-qiankun="<name>"]')
    parser.add_argument("--base-url", help="make relative url(...) absolute against this URL")
    parser.add_argument("file", metavar="FILE", help="the stylesheet, or - for standard input")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run `mfe scope-css`; returns the exit status (0 ok, 1 unreadable file, 2 bad usage)."""
    parser = _parser()
    args = parser.parse_args(argv)
    prefix: str = args.prefix if args.prefix is not None else app_prefix(args.app)
    if not prefix.strip():
        parser.error("--prefix must be a non-empty selector")
    try:
        scoped = scope_css_command(prefix, args.base_url, args.file)
    except OSError as exc:
        print(f"mfe scope-css: {exc.strerror or exc}", file=sys.stderr)
        return 1
    sys.stdout.write(scoped)
    if scoped and not scoped.endswith("\n"):
        sys.stdout.write("\n")
    sys.stdout.flush()
    return 0
