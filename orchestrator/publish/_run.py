"""``mfe serve-app DIR [--port N] [--watch]``: one ``AppServer`` under uvicorn on loopback."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import uvicorn

from ._server import AppServer

__all__ = ["run_app_server"]


def run_app_server(
    directory: str | Path,
    *,
    port: int | None = None,
    watch: bool = False,
    name: str | None = None,
    out: TextIO | None = None,
) -> int:
    """Serve ``directory`` on 127.0.0.1 until Ctrl-C; returns the exit status."""
    folder = Path(directory)
    app = AppServer(folder, name=name or folder.resolve().name, watch=watch)
    chosen = 0 if port is None else port
    print(
        f"app {app.name}: serving {folder} on http://127.0.0.1:{chosen or '<free port>'}/"
        f"{' (watching for changes)' if watch else ''}",
        file=out or sys.stdout,
        flush=True,
    )
    config = uvicorn.Config(app, host="127.0.0.1", port=chosen, log_level="info", lifespan="on")
    uvicorn.Server(config).run()
    return 0
