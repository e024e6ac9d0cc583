"""A remote's ``.pyi`` stubs (MF's ``@mf-types.zip``), made by mypy's stubgen without importing.

The stubs sit under the remote's name as a package (``widgets/price.pyi``), so a host can
unpack them onto its stub path and type what ``load_remote("widgets/...")`` returns. stubgen
runs in parse-only mode: it reads the sources, never runs them, and writes no cache.
"""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

from orchestrator.federation._build import zip_files
from orchestrator.federation._errors import FederationBuildError

__all__ = ["EXTRA", "stub_package", "stubs_zip"]

EXTRA = "mfe-orchestrator[federation]"
"""The extra that installs mypy (the stub generator)."""


def stub_package(remote: str) -> str:
    """The package name the stubs live under: ``my-widgets`` → ``my_widgets``."""
    name = re.sub(r"\W", "_", remote)
    return f"_{name}" if not name or name[0].isdigit() else name


def stubs_zip(remote: str, sources: Mapping[str, bytes]) -> bytes:
    """A zip of ``<package>/<module>.pyi`` for each ``.py`` of ``sources`` (zip paths)."""
    try:
        from mypy import stubgen
    except ImportError as exc:
        raise FederationBuildError(
            f"the .pyi stubs are made with mypy's stubgen, which is not installed here: "
            f"pip install '{EXTRA}' (or build with --no-types)",
            remote=remote,
        ) from exc
    package = stub_package(remote)
    with tempfile.TemporaryDirectory(prefix="mfe-stubs-") as tmp:
        src = Path(tmp, "src", package)
        out = Path(tmp, "out")
        files: list[str] = []
        for name, data in sources.items():
            target = src / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            files.append(str(target))
        # every folder a package, so stubgen names modules from the package down
        for folder in [src, *(p for p in src.rglob("*") if p.is_dir())]:
            init = folder / "__init__.py"
            if not init.exists():
                init.write_bytes(b"")
                files.append(str(init))
        options = stubgen.parse_options(
            ["--no-import", "--parse-only", "--quiet", "-o", str(out), *sorted(files)]
        )
        chatter = io.StringIO()
        try:
            with contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
                stubgen.generate_stubs(options)
        except (Exception, SystemExit) as exc:
            raise FederationBuildError(
                f"stubgen failed: {chatter.getvalue().strip() or exc!r}", remote=remote
            ) from exc
        stubs = {
            path.relative_to(out).as_posix(): path.read_bytes()
            for path in sorted(out.rglob("*.pyi"))
        }
    return zip_files(stubs)
