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
        stdin = getattr(sys.stdin, "buffer", None)  # a text-only stream (a test's) has none
        data = stdin.read() if stdin is not None else sys.stdin.read().encode("utf-8")
    else:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise OSError(exc.errno, f"cannot read stylesheet {path!r}: {exc.strerror}") from exc
    css = data.decode("utf-8-sig", errors="replace")
    return scope_css(css, prefix, base_url=base_url)


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
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


def _prefix(args: argparse.Namespace) -> str:
    """The selector to scope under; ValueError names the option that is wrong."""
    if args.app is not None:
        if not args.app.strip():
            raise ValueError("--app must be a non-empty micro-app name")
        return app_prefix(args.app)
    prefix: str = args.prefix
    if not prefix.strip():
        raise ValueError("--prefix must be a non-empty selector")
    return prefix


def main(argv: list[str] | None = None, *, prog: str = "mfe scope-css") -> int:
    """`mfe scope-css` and `python -m css_scoper`: print a stylesheet scoped to a prefix.

    One parser for both, so they take the same options. Returns the exit status instead of
    exiting: 0 ok, 1 unreadable file (as every `mfe` command), 2 bad usage; errors go to stderr.
    """
    parser = _parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exited:  # argparse has printed the usage error (or --help)
        return exited.code if isinstance(exited.code, int) else 2
    try:
        prefix = _prefix(args)
    except ValueError as exc:
        parser.print_usage(sys.stderr)
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    try:
        scoped = scope_css_command(prefix, args.base_url, args.file)
    except OSError as exc:
        print(f"{prog}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    sys.stdout.write(scoped)
    if scoped and not scoped.endswith("\n"):
        sys.stdout.write("\n")
    sys.stdout.flush()
    return 0
